"""The kernel's PDF builder: documents and labels are real PDFs with the text asked for,
barcodes read back as their value, and verification codes check."""

import io

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from ehr.core import pdf


def pages_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_a_document_has_the_header_title_and_escaped_text(settings):
    settings.SITE_NAME = "St. Elsewhere"
    data = pdf.document(
        "Prescription",
        [
            pdf.fields([("Patient", "Smith, John <b>"), ("MRN", "MRN-000042")]),
            pdf.barcode("MRN-000042"),
        ],
    )
    assert data.startswith(b"%PDF-")
    reader, text = pages_text(data)
    assert len(reader.pages) == 1
    assert "St. Elsewhere" in text
    assert "Prescription" in text
    assert "Smith, John <b>" in text  # shown as text, not read as markup
    assert "page 1" in text


def test_a_long_document_flows_over_pages_with_a_footer_on_each():
    rows = [(f"line {n}", "x" * 40) for n in range(200)]
    reader, text = pages_text(pdf.document("Stock report", [pdf.grid(["what", "value"], rows)]))
    assert len(reader.pages) > 2
    assert f"page {len(reader.pages)}" in text


def test_a_label_has_the_size_asked_for():
    def draw(canvas, width, height):
        pdf.draw_barcode(canvas, "L000123", 3 * mm, 3 * mm)
        canvas.drawString(3 * mm, height - 5 * mm, "Smith, John")

    reader, text = pages_text(pdf.label(60, 30, draw, title="Specimen label"))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / mm), round(float(box.height) / mm)) == (60, 30)
    assert "Smith, John" in text and "L000123" in text


@pytest.mark.parametrize("kind", ["prescription", "label"])
def test_verification_codes_check_and_differ_per_document(kind):
    code = pdf.verification_code(kind, 7)
    assert len(code) == 11 and code[5] == "-"
    assert pdf.verify_code(kind, 7, code.lower())
    assert not pdf.verify_code(kind, 8, code)
    assert not pdf.verify_code("other", 7, code)
