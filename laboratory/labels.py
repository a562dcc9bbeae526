"""The specimen label: a 60 x 30 mm PDF with the accession number's barcode, the
patient's name, MRN and birth date, the test codes and the collection time."""

from django.utils import timezone
from reportlab.lib.units import mm

from ehr.core import pdf


def specimen_label_pdf(specimen):
    """Return the bytes of the label PDF of `specimen`."""
    order = specimen.order
    patient = order.patient
    codes = ", ".join(line.test.code for line in order.results.all() if line.status != "corrected")
    collected = timezone.localtime(specimen.collected_at)

    def draw(canvas, width, height):
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(2 * mm, height - 4 * mm, patient.full_name[:38])
        canvas.setFont("Helvetica", 6.5)
        canvas.drawString(
            2 * mm,
            height - 7 * mm,
            f"MRN {patient.display_mrn}  DOB {patient.date_of_birth:%d.%m.%Y}  "
            f"{order.priority.upper()}",
        )
        pdf.draw_barcode(
            canvas,
            specimen.accession_number,
            2 * mm,
            8 * mm,
            bar_height=9 * mm,
            bar_width=0.3 * mm,
            human_readable=False,
        )
        canvas.drawString(2 * mm, 4 * mm, codes[:60])
        canvas.drawString(
            2 * mm, 1.5 * mm, f"{collected:%d.%m.%Y %H:%M}  {specimen.accession_number}"
        )

    return pdf.label(60, 30, draw, title=specimen.accession_number)
