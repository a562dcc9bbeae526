"""Factories for clinical documentation. Records that carry rules (signing, allergy
assessment, care-team grants) are best made through the services; these factories are
for data a test only needs to exist (lists, query counts, the 700-encounter chart)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from clinical.models import (
    Allergy,
    ClinicalNote,
    Condition,
    DiagnosisCode,
    Encounter,
    EncounterStatus,
    NoteStatus,
    VitalSigns,
)
from tests.factories.accounts import UserFactory
from tests.factories.patients import PatientFactory

# Real ICD-10-CM codes and titles (from simple-icd-10-cm 1.5.0) the tests use.
CODES = {
    "E11": ("Type 2 diabetes mellitus", False, "4"),
    "E11.9": ("Type 2 diabetes mellitus without complications", True, "4"),
    "E11.65": ("Type 2 diabetes mellitus with hyperglycemia", True, "4"),
    "E10.9": ("Type 1 diabetes mellitus without complications", True, "4"),
    "I10": ("Essential (primary) hypertension", True, "9"),
    "J45.909": ("Unspecified asthma, uncomplicated", True, "10"),
    "J18.9": ("Pneumonia, unspecified organism", True, "10"),
}


def make_codes():
    """Create the DiagnosisCode rows of CODES; return them by code."""
    return {
        code: DiagnosisCode.objects.get_or_create(
            code=code, defaults={"title": title, "is_billable": leaf, "chapter": chapter}
        )[0]
        for code, (title, leaf, chapter) in CODES.items()
    }


class DiagnosisCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiagnosisCode
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n // 100 % 100:02d}.{n % 100:02d}")
    title = factory.Sequence(lambda n: f"Test diagnosis {n}")
    is_billable = True


class EncounterFactory(factory.django.DjangoModelFactory):
    """A finished outpatient encounter (no care-team grant: use encounter_start)."""

    class Meta:
        model = Encounter

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(UserFactory, roles=["Doctor"])
    status = EncounterStatus.FINISHED
    started_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=n + 1))
    ended_at = factory.LazyAttribute(lambda e: e.started_at + timedelta(minutes=20))
    chief_complaint = "Follow-up"


class VitalSignsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VitalSigns

    patient = factory.SubFactory(PatientFactory)
    recorded_by = factory.SubFactory(UserFactory, roles=["Nurse"])
    recorded_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=n + 1))
    systolic_bp = 124
    diastolic_bp = 78
    heart_rate = 72
    respiratory_rate = 14
    temperature_c = Decimal("36.8")
    spo2 = 98
    weight_kg = Decimal("70.0")
    height_cm = Decimal("175.0")
    bmi = Decimal("22.9")
    pain_score = 0


class ClinicalNoteFactory(factory.django.DjangoModelFactory):
    """A signed progress note."""

    class Meta:
        model = ClinicalNote

    patient = factory.SubFactory(PatientFactory)
    author = factory.SubFactory(UserFactory, roles=["Doctor"])
    note_type = "progress"
    subjective = "Feels well."
    assessment = "Stable."
    status = NoteStatus.SIGNED
    signed_by = factory.SelfAttribute("author")
    signed_at = factory.LazyFunction(timezone.now)


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    patient = factory.SubFactory(PatientFactory)
    code = factory.SubFactory(DiagnosisCodeFactory)


class AllergyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allergy

    patient = factory.SubFactory(PatientFactory)
    allergen = factory.Sequence(lambda n: f"Allergen {n}")
    category = "drug"
    severity = "moderate"
    recorded_by = factory.SubFactory(UserFactory, roles=["Nurse"])
