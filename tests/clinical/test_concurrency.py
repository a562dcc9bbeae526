"""Clinical rules under real parallel transactions (PostgreSQL): one primary diagnosis
per encounter, one active entry per allergen, "no known allergies" never beside an
active allergy, and a note signed once.

Each thread takes its own database connection before a barrier releases them together,
and closes it at the end (as in tests/patients/test_concurrency.py)."""

import pytest

from clinical import services
from clinical.exceptions import (
    ActiveAllergiesRecorded,
    AllergyAlreadyRecorded,
    NoteAlreadySigned,
    PrimaryDiagnosisExists,
)
from clinical.models import Allergy, AllergyStatus, ClinicalNote, Condition, Encounter
from clinical.selectors import HAS_ALLERGIES, NO_KNOWN_ALLERGIES, allergy_state
from tests.concurrency import run_together, split
from tests.factories.clinical import make_codes
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("connection_per_thread"),
]

THREADS = 20


@pytest.fixture
def chart(doctor, nurse):
    make_codes()
    return on_care_team(PatientFactory(), doctor, nurse)


def test_parallel_primary_diagnoses_of_one_encounter_give_exactly_one(chart, doctor):
    encounter = services.encounter_start(patient=chart, actor=doctor)
    codes = ["I10", "E11.9", "J45.909", "J18.9"]

    def work(i):
        return services.condition_create(
            patient=chart,
            actor=doctor,
            code=codes[i % len(codes)],
            encounter=encounter,
            category="encounter-diagnosis",
            is_primary=True,
        )

    results, errors = split(run_together(THREADS, work))
    assert sum(r is not None for r in results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, PrimaryDiagnosisExists) for e in errors), errors
    assert Condition.objects.filter(encounter=encounter, is_primary=True).count() == 1


def test_parallel_records_of_one_allergen_give_one_active_allergy(chart, nurse):
    def work(i):
        return services.allergy_record(
            patient=chart, actor=nurse, allergen="Penicillin", severity="severe"
        )

    results, errors = split(run_together(THREADS, work))
    assert sum(r is not None for r in results) == 1
    assert all(isinstance(e, AllergyAlreadyRecorded) for e in errors), errors
    assert Allergy.objects.filter(patient=chart, status="active").count() == 1


def test_no_known_allergies_and_an_allergy_in_parallel_never_both_hold(chart, nurse):
    def work(i):
        if i % 2:
            return services.allergy_status_set_none_known(patient=chart, actor=nurse)
        return services.allergy_record(patient=chart, actor=nurse, allergen=f"Drug {i}")

    _results, errors = split(run_together(THREADS, work))
    assert all(isinstance(e, ActiveAllergiesRecorded) for e in errors), errors
    active = Allergy.objects.filter(patient=chart, status="active").count()
    status = AllergyStatus.objects.filter(patient=chart).first()
    assert active == THREADS // 2  # every allergy was recorded
    assert not (status and status.no_known_allergies)  # and NKA does not stand beside them
    assert allergy_state(chart) == HAS_ALLERGIES != NO_KNOWN_ALLERGIES


def test_a_note_is_signed_once_when_signed_and_edited_in_parallel(chart, doctor):
    note = services.note_create(patient=chart, actor=doctor, text="Draft")

    def work(i):
        if i % 2:
            return services.note_sign(note=note, actor=doctor)
        return services.note_update(note=note, actor=doctor, text=f"Version {i}")

    results = run_together(THREADS, work)  # by thread: odd ones signed
    _values, errors = split(results)
    assert all(isinstance(e, NoteAlreadySigned) for e in errors), errors
    signs = [r for i, r in enumerate(results) if i % 2 and not isinstance(r, Exception)]
    assert len(signs) == 1
    signed = ClinicalNote.objects.get(pk=note.pk)
    assert signed.is_signed
    assert signed.history.filter(status="signed").count() == 1


def test_parallel_starts_from_one_appointment_open_one_encounter(chart, doctor):
    """A double click, or two tabs: every request gets the same running encounter."""
    from scheduling import services as scheduling_services
    from scheduling.models import AppointmentStatus
    from tests.factories.scheduling import at, book, weekly_schedule

    weekly_schedule(doctor)
    appointment = book(chart, doctor, at(0, 10), _allow_past=True)
    scheduling_services.appointment_check_in(appointment=appointment, actor=doctor)

    def work(i):
        return services.encounter_start_for_appointment(appointment=appointment, actor=doctor).pk

    results, errors = split(run_together(THREADS, work))
    assert not errors, errors
    assert len(set(results)) == 1
    assert Encounter.objects.filter(appointment=appointment).count() == 1
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_PROGRESS
    assert appointment.status_changes.filter(to_status="in_progress").count() == 1
