"""The demo clinical records: enough for every tab to show something real, John Smith's
severe penicillin allergy, and idempotent."""

import pytest

from accounts.demo import seed_accounts
from clinical.demo import TEAM_SIZE, seed_clinical
from clinical.models import (
    Allergy,
    ClinicalNote,
    Condition,
    Encounter,
    FamilyHistory,
    SocialHistory,
    VitalSigns,
)
from clinical.selectors import HAS_ALLERGIES, NO_KNOWN_ALLERGIES, NOT_ASKED, allergy_state
from patients.demo import seed_patients
from patients.models import Patient
from patients.selectors import chart_access_for

pytestmark = pytest.mark.django_db
PASSWORD = "Demo-Passw0rd!"


def test_the_demo_charts_are_full_and_the_seeder_is_idempotent():
    seed_accounts(password=PASSWORD)
    seed_patients(password=PASSWORD, options={"patients": 40})
    summary = seed_clinical(password=PASSWORD)
    assert "patients" in summary
    counts = (
        Encounter.objects.count(),
        VitalSigns.objects.count(),
        ClinicalNote.objects.count(),
        Allergy.objects.count(),
    )
    assert seed_clinical(password=PASSWORD).startswith("already there")
    assert counts == (
        Encounter.objects.count(),
        VitalSigns.objects.count(),
        ClinicalNote.objects.count(),
        Allergy.objects.count(),
    )

    john = Patient.objects.get(first_name="John", last_name="Smith")
    penicillin = Allergy.objects.get(patient=john, allergen="Penicillin")
    assert penicillin.category == "drug" and penicillin.severity == "severe"
    doctor = penicillin.recorded_by
    assert doctor.email == "doctor@example.org"
    assert chart_access_for(doctor, john).allowed

    team = Patient.objects.filter(additional_data__demo=True).order_by("mrn")[:TEAM_SIZE]
    for patient in [*team, john]:
        assert Encounter.objects.filter(patient=patient).count() >= 6
        assert VitalSigns.objects.filter(patient=patient).count() >= 10
        assert ClinicalNote.objects.filter(patient=patient, status="signed").exists()
        assert Condition.objects.filter(patient=patient).exists()
        assert FamilyHistory.objects.filter(patient=patient).exists()
        assert SocialHistory.objects.filter(patient=patient).exists()
    states = {allergy_state(p) for p in team}
    assert states == {HAS_ALLERGIES, NO_KNOWN_ALLERGIES, NOT_ASKED}
    assert ClinicalNote.objects.filter(status="draft").exists()
    assert ClinicalNote.objects.filter(amends__isnull=False).exists()
    assert ClinicalNote.objects.filter(entered_in_error=True).exists()
    assert Encounter.objects.filter(status="in_progress", patient=john).exists()
    assert Condition.objects.filter(code_id="I10").exists()


def test_the_appointment_in_progress_today_gets_its_encounter():
    from ehr.core.demo import seed_hospital
    from scheduling.demo import seed_scheduling
    from scheduling.models import Appointment

    seed_accounts(password=PASSWORD)
    seed_hospital(password=PASSWORD)
    seed_patients(password=PASSWORD, options={"patients": 40})
    seed_scheduling(PASSWORD, None, {})
    seed_clinical(password=PASSWORD)
    appointment = Appointment.objects.get(status="in_progress")
    encounter = Encounter.objects.get(appointment=appointment)
    assert encounter.status == "in_progress" and encounter.doctor == appointment.doctor
    assert encounter.started_at == appointment.started_at
    assert encounter.chief_complaint == appointment.reason
    seed_clinical(password=PASSWORD)
    assert Encounter.objects.filter(appointment=appointment).count() == 1
