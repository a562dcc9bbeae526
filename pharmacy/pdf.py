"""The prescription as a PDF (ehr.core.pdf): hospital header, patient, allergies, each
line in plain words, prescriber with licence number, date and a verification code."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinical.models import Allergy, AllergyClinicalStatus
from ehr.core import pdf


def _licence(user):
    profile = getattr(user, "doctor_profile", None)
    return profile.license_number if profile is not None else ""


def prescription_pdf(prescription):
    """Return the bytes of the prescription's PDF."""
    patient = prescription.patient
    allergies = Allergy.objects.filter(
        patient=patient, status=AllergyClinicalStatus.ACTIVE
    ).values_list("allergen", flat=True)
    prescriber = prescription.prescriber
    signed = prescription.signed_at
    rows = [
        (_("Patient"), patient.full_name),
        (_("MRN"), patient.display_mrn),
        (_("Date of birth"), date_format(patient.date_of_birth, "DATE_FORMAT")),
        (_("Allergies"), ", ".join(allergies) or _("none recorded")),
    ]
    lines = [
        (
            str(index),
            item.drug.name,
            item.dose_text,
            f"{item.quantity.normalize():f}",
            str(item.refills),
            item.instructions,
        )
        for index, item in enumerate(prescription.items.all(), 1)
    ]
    status = (
        _("Signed %(at)s") % {"at": date_format(timezone.localtime(signed), "DATETIME_FORMAT")}
        if signed
        else _("DRAFT: not signed, not valid for dispensing")
    )
    flowables = [
        pdf.fields(rows),
        pdf.spacer(),
        pdf.grid(
            ["#", _("Medication"), _("Dose and directions"), _("Qty"), _("Refills"), _("Notes")],
            lines,
        ),
        pdf.spacer(6),
        pdf.fields(
            [
                (_("Prescriber"), prescriber.get_full_name() or prescriber.get_username()),
                (_("Licence number"), _licence(prescriber) or "—"),
                (
                    _("Written"),
                    date_format(timezone.localtime(prescription.written_at), "DATE_FORMAT"),
                ),
                (_("Status"), status),
                (_("Verification code"), pdf.verification_code("prescription", prescription.pk)),
            ]
        ),
    ]
    return pdf.document(_("Prescription"), flowables, subject=_("Prescription"))
