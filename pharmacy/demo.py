"""Demo data of the pharmacy: the formulary and medication knowledge; for the demo
doctor's patients, written through the prescribing services (so the check runs and
alerts and overrides are real): John Smith (penicillin allergy) on doxycycline, not
amoxicillin; a patient on warfarin given ibuprofen with the major interaction
overridden; signed prescriptions for others, a draft, a discontinued line, and home
medications recorded by the nurse. No stock, dispensing or administration yet."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from patients.models import Patient
from patients.selectors import chart_access_for, patients_on_care_team_of
from pharmacy import services
from pharmacy.exceptions import MedicationAlertBlocked
from pharmacy.knowledge import load_knowledge
from pharmacy.models import Drug, Frequency, HomeMedication, Prescription, PrescriptionItem

User = get_user_model()
JOHN_PORTAL_EMAIL = "patient@example.org"  # John Smith's portal account (patients demo)
WARFARIN_OVERRIDE = (
    "Acute gout flare, colchicine not tolerated: 5-day course with food; INR check in 3 "
    "days and the patient told to report any bleeding."
)
# (drug, strength, dose, frequency, days, quantity, instructions) per other patient.
REGIMENS = [
    [("metformin", 500, 500, Frequency.BID, 90, 180, "Take with meals.")],
    [
        ("lisinopril", 10, 10, Frequency.DAILY, 90, 90, ""),
        ("atorvastatin", 20, 20, Frequency.AT_NIGHT, 90, 90, ""),
    ],
    [("amlodipine", 5, 5, Frequency.DAILY, 90, 90, "")],
    [("levothyroxine", 50, 50, Frequency.DAILY, 90, 90, "Take 30 minutes before breakfast.")],
    [("omeprazole", 20, 20, Frequency.DAILY, 28, 28, "Before breakfast.")],
]
HOME = [
    ("paracetamol", 500, 1000, Frequency.PRN, "Takes for back pain, up to 3 times a week."),
    ("salbutamol", 100, 200, Frequency.PRN, "Reliever inhaler, rarely needed."),
    ("omeprazole", 20, 20, Frequency.DAILY, "Bought over the counter."),
]


def _drug(name, strength=None):
    drugs = Drug.objects.filter(generic_name=name, is_active=True)
    if strength is not None:
        drugs = drugs.filter(strength_value=strength)
    return drugs.order_by("strength_value").first()


def _line(name, strength, dose, frequency, days, quantity, instructions="", start=None, **extra):
    drug = _drug(name, strength)
    return {
        "drug": drug,
        "dose": dose,
        "dose_unit": drug.dose_unit,
        "route": drug.routes[0] if drug.routes else "oral",
        "frequency": frequency,
        "duration_days": days,
        "quantity": quantity,
        "instructions": instructions,
        "start": start,
        **extra,
    }


def _prescribe(patient, doctor, lines, *, sign=True, override_reason=""):
    """Prescribe through the service; None when the check blocks it (the demo then
    leaves that patient's order out rather than override without a reason)."""
    try:
        prescription = services.prescription_create(
            patient=patient, actor=doctor, items=lines, override_reason=override_reason
        )
    except MedicationAlertBlocked:
        return None
    if sign:
        services.prescription_sign(prescription=prescription, actor=doctor)
    return prescription


def seed_pharmacy(*, password, stdout=None, options=None):
    """Create the pharmacy's demo data (idempotent: nothing when prescriptions exist)."""
    if not Drug.objects.exists():
        load_knowledge()
    doctor = User.objects.filter(email="doctor@example.org").first()
    nurse = User.objects.filter(email="nurse@example.org").first()
    if doctor is None:
        return "formulary only: no demo doctor"
    john = Patient.objects.filter(user__email=JOHN_PORTAL_EMAIL).first()
    team = [
        p
        for p in patients_on_care_team_of(doctor)
        .filter(is_active=True, is_deceased=False)
        .order_by("mrn")[:10]
        if p != john
    ]
    if len(team) < 3:
        return "formulary only: not enough demo patients"
    everyone = [*team, *([john] if john else [])]
    if Prescription.objects.filter(patient__in=everyone).exists():
        return f"already there ({Prescription.objects.count()} prescriptions)"
    now = timezone.now()
    done = []

    # John Smith: penicillin allergy, so doxycycline for his sore throat, not amoxicillin.
    if john is not None and chart_access_for(doctor, john).allowed:
        line = _line(
            "doxycycline", 100, 100, Frequency.DAILY, 7, 8,
            "200 mg on day 1, then 100 mg daily. Penicillin allergy: no amoxicillin.",
        )  # fmt: skip
        if _prescribe(john, doctor, [line]):
            done.append("John Smith on doxycycline")

    # Warfarin (signed a month ago), then ibuprofen with the major interaction overridden.
    warfarin_patient = None
    for patient in team:
        warfarin = _line(
            "warfarin", 5, 5, Frequency.DAILY, None, 28, "Dose by INR; target 2-3.",
            start=now - timedelta(days=30),
        )  # fmt: skip
        if _prescribe(patient, doctor, [warfarin]):
            warfarin_patient = patient
            break
    if warfarin_patient is not None:
        ibuprofen = _line(
            "ibuprofen",
            400,
            400,
            Frequency.TID,
            5,
            15,
            "With food.",
            start=now - timedelta(hours=2),
        )
        if _prescribe(warfarin_patient, doctor, [ibuprofen], override_reason=WARFARIN_OVERRIDE):
            done.append("warfarin + ibuprofen overridden")
    others = [p for p in team if p != warfarin_patient]

    # Signed repeat prescriptions, started weeks ago.
    for index, (patient, regimen) in enumerate(zip(others, REGIMENS, strict=False)):
        start = now - timedelta(days=14 + 9 * index)
        _prescribe(patient, doctor, [_line(*r, start=start) for r in regimen])
    # A discontinued line: the amlodipine stopped for ankle swelling.
    item = (
        PrescriptionItem.objects.filter(
            drug__generic_name="amlodipine", prescription__status=Prescription.Status.SIGNED
        )
        .order_by("pk")
        .first()
    )
    if item is not None:
        services.prescription_item_discontinue(
            item=item, actor=doctor, reason="Ankle swelling; switching to another agent."
        )
    # A draft awaiting the doctor's signature.
    patient = others[len(REGIMENS)] if len(others) > len(REGIMENS) else others[0]
    pain = _line(
        "paracetamol", 500, 1000, Frequency.PRN, 5, 40, "Maximum 4 g a day.",
        prn_reason="pain or fever",
    )  # fmt: skip
    _prescribe(patient, doctor, [pain], sign=False)

    # Home medications reported to the nurse (patients she looks after).
    home_by = nurse or doctor
    reachable = [p for p in others if chart_access_for(home_by, p).allowed]
    for patient, (name, strength, dose, frequency, notes) in zip(reachable, HOME, strict=False):
        services.home_medication_record(
            patient=patient,
            actor=home_by,
            drug=_drug(name, strength),
            dose=dose,
            frequency=frequency,
            notes=notes,
        )

    return (
        f"{Prescription.objects.count()} prescriptions "
        f"({Prescription.objects.filter(status='draft').count()} draft), "
        f"{PrescriptionItem.objects.count()} lines, "
        f"{HomeMedication.objects.count()} home medications; " + ", ".join(done)
    )
