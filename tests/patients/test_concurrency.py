"""Rules of the patient record that must hold under real parallel transactions
(PostgreSQL): MRNs are unique, care-team membership is one row, break-the-glass by many
users at once, and a record is merged away once.

Each thread takes its own database connection before a barrier releases them together,
and closes it at the end.
"""

import pytest

from accounts import roles
from patients import services
from patients.exceptions import MergeNotAllowed
from patients.models import (
    BreakGlassAccess,
    Patient,
    PatientMerge,
    PatientUserObjectPermission,
    luhn_is_valid,
)
from patients.selectors import chart_access_for
from tests.concurrency import run_together, split
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("connection_per_thread"),
]

THREADS = 50


def _letters(number):
    """Return a distinct alphabetic name part for `number` (names hold no digits)."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters.capitalize()


def test_fifty_parallel_registrations_get_fifty_distinct_valid_mrns(receptionist):
    from datetime import date

    def register(i):
        return services.patient_register(
            actor=receptionist,
            allow_duplicate=True,
            first_name=f"Para{_letters(i)}",
            last_name=f"Llel{_letters(i)}",
            date_of_birth=date(1980, 1, 1 + i % 28),
            sex="unknown",
        )

    results, errors = split(run_together(THREADS, register))
    assert errors == []
    mrns = [p.mrn for p in results]
    assert len(set(mrns)) == THREADS
    assert all(luhn_is_valid(m) for m in mrns)
    assert Patient.objects.count() == THREADS
    assert set(Patient.objects.values_list("mrn", flat=True)) == set(mrns)


def test_fifty_parallel_care_team_adds_make_one_membership(doctor, nurse):
    patient = on_care_team(PatientFactory(), doctor)

    def add(_i):
        return services.care_team_add(patient=patient, user=nurse, actor=doctor)

    results, errors = split(run_together(THREADS, add))
    assert errors == []
    rows = PatientUserObjectPermission.objects.filter(user=nurse, content_object=patient)
    assert rows.count() == 1
    assert {r.pk for r in results} == {rows.get().pk}
    assert chart_access_for(nurse, patient).allowed


def test_fifty_parallel_break_glass_openings_by_different_users_all_succeed(
    make_user, administrator
):
    patient = PatientFactory()
    users = [make_user(roles.DOCTOR if i % 2 else roles.NURSE) for i in range(THREADS)]

    def open_chart(i):
        return services.break_glass_open(
            patient=patient, user=users[i], reason="emergency_care", details=f"Code {i}"
        )

    results, errors = split(run_together(THREADS, open_chart))
    assert errors == []
    assert BreakGlassAccess.objects.filter(patient=patient).count() == THREADS
    for user in users:
        assert BreakGlassAccess.objects.filter(patient=patient, user=user).count() == 1
        assert chart_access_for(user, patient).via_break_glass
    assert len({a.pk for a in results}) == THREADS


def test_a_record_merged_in_parallel_into_different_survivors_is_merged_once(administrator):
    count = 10
    duplicate = PatientFactory()
    survivors = PatientFactory.create_batch(count)

    def merge(i):
        return services.patient_merge(
            survivor=survivors[i], duplicate=duplicate, actor=administrator
        )

    results, errors = split(run_together(count, merge))
    succeeded = [r for r in results if r is not None]
    assert len(succeeded) == 1, errors  # name the errors when no thread merged
    assert len(errors) == count - 1
    assert all(isinstance(e, MergeNotAllowed) for e in errors), errors
    assert PatientMerge.objects.filter(duplicate=duplicate).count() == 1
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == succeeded[0].survivor_id
