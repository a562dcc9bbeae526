"""One way to make a PDF: prescriptions, specimen labels, wristbands, reports.

Pure Python (reportlab), so `make run` needs nothing but Python. Two shapes:

- `document(title, flowables)` lays out an A4 page flow with the hospital's header
  (settings.SITE_NAME), the document's title, and a footer with the page number and the
  time it was printed;
- `label(width_mm, height_mm, draw)` gives one small page (a specimen label, a wristband)
  to a function that draws on its canvas.

`barcode(value)` is a Code 128 flowable (the scanners on wards read it) and
`draw_barcode(canvas, value, x, y)` draws one on a label. `verification_code(kind, pk)`
is a short code printed on a document that `verify_code` checks later, so a pharmacy can
tell a printed prescription came from this site; it is an HMAC of the settings' secret,
not stored anywhere.
"""

import hashlib
import hmac
import io

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

MARGIN = 18 * mm


def styles():
    """The paragraph styles documents use: `body`, `small`, `heading`, `title`, `label`."""
    sample = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sample["BodyText"], fontSize=10, leading=13)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "heading": ParagraphStyle("heading", parent=sample["Heading3"], spaceBefore=8),
        "title": ParagraphStyle("title", parent=sample["Title"], fontSize=15, spaceAfter=4),
        "label": ParagraphStyle(
            "label", parent=body, fontSize=8, leading=10, textColor=colors.grey
        ),
    }


def text(value, style="body"):
    """A paragraph of plain text: `value` is escaped, never read as reportlab markup."""
    from xml.sax.saxutils import escape

    return Paragraph(escape(str(value)).replace("\n", "<br/>"), styles()[style])


def fields(rows):
    """A two-column table of (label, value) pairs: the patient block of a document."""
    sheet = styles()
    table = Table(
        [[Paragraph(str(label), sheet["label"]), text(value)] for label, value in rows],
        colWidths=[38 * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return table


def grid(header, rows, col_widths=None):
    """A ruled table with a header row; cells are plain text."""
    data = [[text(cell, "small") for cell in header]]
    data += [[text("" if cell is None else cell, "small") for cell in row] for row in rows]
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def barcode(value, *, bar_height=12 * mm, bar_width=0.33 * mm, human_readable=True):
    """A Code 128 barcode of `value` as a flowable."""
    return code128.Code128(
        str(value), barHeight=bar_height, barWidth=bar_width, humanReadable=human_readable
    )


def draw_barcode(
    canvas, value, x, y, *, bar_height=10 * mm, bar_width=0.3 * mm, human_readable=True
):
    """Draw a Code 128 barcode of `value` with its lower left corner at (x, y)."""
    code = barcode(value, bar_height=bar_height, bar_width=bar_width, human_readable=human_readable)
    code.drawOn(canvas, x, y)
    return code


def spacer(height_mm=4):
    return Spacer(1, height_mm * mm)


def document(title, flowables, *, subject="", author=""):
    """Return the bytes of an A4 PDF: the hospital's header, `title`, the flowables, and
    a footer with page number and print time on every page."""
    buffer = io.BytesIO()
    printed = date_format(timezone.localtime(), "DATETIME_FORMAT")

    def decorate(canvas, doc):
        canvas.saveState()
        width, height = A4
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(MARGIN, height - 12 * mm, settings.SITE_NAME)
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, height - 14 * mm, width - MARGIN, height - 14 * mm)
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 10 * mm, f"{title} · printed {printed}")
        canvas.drawRightString(width - MARGIN, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=str(title),
        subject=str(subject),
        author=str(author),
        creator=settings.SITE_NAME,
    )
    story = [text(title, "title"), *flowables]
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def label(width_mm, height_mm, draw, *, title=""):
    """Return the bytes of a one-page PDF of `width_mm` by `height_mm` (a label, a
    wristband); `draw(canvas, width, height)` draws on it in points."""
    buffer = io.BytesIO()
    width, height = width_mm * mm, height_mm * mm
    canvas = pdf_canvas.Canvas(buffer, pagesize=(width, height))
    canvas.setTitle(str(title))
    canvas.setCreator(settings.SITE_NAME)
    draw(canvas, width, height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def verification_code(kind, pk):
    """A short code (10 characters, grouped for reading aloud) proving a printed document
    of `kind` with primary key `pk` was made by this site."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"pdf:{kind}:{pk}".encode(), hashlib.sha256)
    raw = digest.hexdigest()[:10].upper()
    return f"{raw[:5]}-{raw[5:]}"


def verify_code(kind, pk, code):
    """Whether `code` is the verification code of document `kind`/`pk`."""
    return hmac.compare_digest(verification_code(kind, pk), str(code).strip().upper())


class Rule(Flowable):
    """A thin horizontal line across the frame."""

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, 2 * mm

    def draw(self):
        self.canv.setStrokeColor(colors.lightgrey)
        self.canv.line(0, mm, self.width, mm)
