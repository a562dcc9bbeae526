"""No double booking under real parallel transactions (PostgreSQL): 50 attempts at one
doctor's slot through the service and through the API, the exclusion constraints alone
with the service's checks taken out, and one room wanted by many doctors at once.

Each thread takes its own database connection before a barrier releases them together,
and closes it at the end.
"""

import importlib
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from rest_framework.test import APIClient

from accounts import roles
from scheduling import services
from scheduling.exceptions import DoctorDoubleBooked
from scheduling.models import Appointment, AppointmentStatus
from tests.concurrency import run_together
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    at,
    weekly_schedule,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("connection_per_thread"),
]

THREADS = 50


def outcomes(results):
    """Return {kind: count}: "ok" for an appointment, else the exception's class name."""
    counts = {}
    for result in results:
        kind = "ok" if isinstance(result, Appointment) else type(result).__name__
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def assert_the_constraint_admitted_one(results, constraint):
    """One row won; PostgreSQL refused every other on `constraint`, as a violation
    (23P01) or, when two inserters waited on each other's index entries, as a deadlock
    (40P01): which one depends on timing, both roll the loser back."""
    refused = [r for r in results if not isinstance(r, Appointment)]
    assert len(refused) == THREADS - 1, outcomes(results)
    for error in refused:
        assert (isinstance(error, IntegrityError) and constraint in str(error)) or (
            isinstance(error, OperationalError) and "deadlock detected" in str(error)
        ), error


@pytest.fixture
def kind():
    return AppointmentTypeFactory(code="consultation", name="Consultation")


@pytest.fixture
def room():
    return ConsultationRoomFactory()


@pytest.fixture
def slot(doctor, room):
    """Tomorrow 10:00-10:15 in the doctor's weekly schedule."""
    weekly_schedule(doctor, room=room)
    return at(1, 10), at(1, 10, 15)


@pytest.fixture
def patients():
    return [PatientFactory() for _ in range(THREADS)]


def test_fifty_bookings_of_one_slot_through_the_service_give_one_appointment(
    doctor, slot, kind, patients
):
    start, end = slot

    def attempt(i):
        return services.appointment_book(
            patient=patients[i],
            doctor=doctor,
            start=start,
            end=end,
            appointment_type=kind,
            actor=doctor,
        )

    results = run_together(THREADS, attempt)
    assert outcomes(results) == {"ok": 1, "DoctorDoubleBooked": THREADS - 1}, results
    assert Appointment.objects.filter(doctor=doctor).count() == 1
    winner = next(r for r in results if isinstance(r, Appointment))
    assert Appointment.objects.get().patient == winner.patient


def test_fifty_posts_of_one_slot_give_one_201_and_forty_nine_409s(
    receptionist, doctor, slot, kind, patients
):
    start, end = slot

    def attempt(i):
        client = APIClient()
        client.force_authenticate(receptionist)
        response = client.post(
            "/api/v1/appointments",
            {
                "patient": str(patients[i].pk),
                "doctor": str(doctor.pk),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "type": "Consultation",
                "reason": "Race",
            },
            format="json",
        )
        return response.status_code, response.json().get("code")

    results = run_together(THREADS, attempt)
    assert sorted(results, key=str) == sorted(
        [(201, None)] + [(409, "doctor_double_booked")] * (THREADS - 1), key=str
    ), [r for r in results if r not in ((201, None), (409, "doctor_double_booked"))]
    assert Appointment.objects.count() == 1


def test_the_exclusion_constraint_alone_keeps_one_of_fifty_rows(doctor, room, kind, patients):
    """Rows saved directly, in parallel, with no lock and no check: the database is the
    rule of record and refuses all but one: as a violation (SQLSTATE 23P01) or, when two
    inserters wait on each other's index entries, as a deadlock (40P01); which one
    depends on timing, both roll the loser back."""
    start, end = at(1, 10), at(1, 10, 15)

    def attempt(i):
        with transaction.atomic():
            return Appointment.objects.create(
                patient=patients[i],
                doctor=doctor,
                room=None,
                appointment_type=kind,
                start=start + timedelta(minutes=i % 5),  # overlapping, not identical
                end=end,
            )

    results = run_together(THREADS, attempt)
    assert_the_constraint_admitted_one(results, "appointment_no_overlap_per_doctor")
    assert Appointment.objects.filter(doctor=doctor).count() == 1


def test_with_the_service_checks_taken_out_the_constraint_still_answers_409(
    receptionist, doctor, slot, kind, patients, monkeypatch
):
    """Without the service's lock and check, the losers fail on the constraint, and the
    service still turns that into DoctorDoubleBooked (409), never a 500."""
    monkeypatch.setattr(services, "_lock_doctor", lambda doctor: doctor)
    monkeypatch.setattr(services, "_lock_room", lambda room: None)
    monkeypatch.setattr(services, "_check_free", lambda **kwargs: None)
    start, end = slot

    def attempt(i):
        client = APIClient()
        client.force_authenticate(receptionist)
        response = client.post(
            "/api/v1/appointments",
            {
                "patient": str(patients[i].pk),
                "doctor": str(doctor.pk),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "type": "consultation",
            },
            format="json",
        )
        return response.status_code, response.json().get("code")

    results = run_together(THREADS, attempt)
    assert results.count((201, None)) == 1, results
    assert results.count((409, "doctor_double_booked")) == THREADS - 1, results
    assert Appointment.objects.count() == 1


def test_one_room_wanted_by_fifty_doctors_at_once_is_booked_once(make_user, room, kind, patients):
    doctors = [make_user(roles.DOCTOR) for _ in range(THREADS)]
    start, end = at(1, 10), at(1, 10, 30)

    def attempt(i):
        # Each doctor books their own patient in the same room; doctors may override
        # availability (emergencies), so no schedules are needed.
        return services.appointment_book(
            patient=patients[i],
            doctor=doctors[i],
            start=start + timedelta(minutes=5 * (i % 3)),
            end=end,
            room=room,
            appointment_type=kind,
            actor=doctors[i],
            override=True,
        )

    results = run_together(THREADS, attempt)
    assert outcomes(results) == {"ok": 1, "RoomDoubleBooked": THREADS - 1}, results
    assert Appointment.objects.filter(room=room).count() == 1


def test_the_room_constraint_alone_keeps_one_of_fifty_rows(make_user, room, kind, patients):
    doctors = [make_user(roles.DOCTOR) for _ in range(THREADS)]
    start, end = at(1, 10), at(1, 10, 15)

    def attempt(i):
        with transaction.atomic():
            return Appointment.objects.create(
                patient=patients[i],
                doctor=doctors[i],
                room=room,
                appointment_type=kind,
                start=start,
                end=end,
            )

    results = run_together(THREADS, attempt)
    assert_the_constraint_admitted_one(results, "appointment_no_overlap_per_room")


def test_cancelled_time_can_be_booked_again_and_back_to_back_is_allowed(
    doctor, room, kind, patients
):
    """The constraint holds only for the states that hold time, over half-open ranges."""
    start = at(1, 10)
    first = Appointment.objects.create(
        patient=patients[0],
        doctor=doctor,
        room=room,
        appointment_type=kind,
        start=start,
        end=start + timedelta(minutes=15),
        status=AppointmentStatus.CANCELLED,
        cancellation_reason="Ill",
    )
    Appointment.objects.create(
        patient=patients[1],
        doctor=doctor,
        room=room,
        appointment_type=kind,
        start=first.start,
        end=first.end,
    )
    Appointment.objects.create(
        patient=patients[2],
        doctor=doctor,
        room=room,
        appointment_type=kind,
        start=first.end,
        end=first.end + timedelta(minutes=15),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            patient=patients[3],
            doctor=doctor,
            appointment_type=kind,
            start=start + timedelta(minutes=10),
            end=start + timedelta(minutes=20),
        )
    assert Appointment.objects.filter(doctor=doctor).exclude(status="cancelled").count() == 2


def _check_then_insert(doctor, kind, patients, start, end):
    """Return work for run_together: every thread checks that the time is free, waits
    until all have checked, then inserts. Only the database can stop the 49 others."""
    checked = threading.Barrier(THREADS)

    def attempt(i):
        with transaction.atomic():
            free = (
                not Appointment.objects.holding()
                .overlapping(start, end)
                .filter(doctor=doctor)
                .exists()
            )
            checked.wait(timeout=60)
            if not free:
                raise DoctorDoubleBooked()
            return Appointment.objects.create(
                patient=patients[i], doctor=doctor, appointment_type=kind, start=start, end=end
            )

    return attempt


def test_when_every_check_passes_the_constraint_still_admits_one(doctor, kind, patients):
    """Fifty inserts of one slot at once, none holding the doctor's lock the service takes:
    one wins. PostgreSQL refuses the others on the exclusion constraint, either as a
    violation or, when two inserters wait on each other's index entries, as a deadlock
    (which of the two depends on timing; both roll the loser back)."""
    start, end = at(1, 10), at(1, 10, 15)
    results = run_together(THREADS, _check_then_insert(doctor, kind, patients, start, end))
    refused = [r for r in results if not isinstance(r, Appointment)]
    assert len(refused) == THREADS - 1, outcomes(results)
    for error in refused:
        assert isinstance(error, IntegrityError) or (
            isinstance(error, OperationalError) and "deadlock detected" in str(error)
        ), error
    assert Appointment.objects.count() == 1


def test_without_the_constraint_the_same_race_double_books(doctor, kind, patients):
    """The harness can fail: with the PostgreSQL constraints dropped (and restored
    afterwards), the same check-then-insert race books the slot fifty times."""
    migration = importlib.import_module("scheduling.migrations.0002_postgresql_no_double_booking")
    with connection.cursor() as cursor:
        for table, name, _definition in migration.CONSTRAINTS:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    try:
        start, end = at(1, 10), at(1, 10, 15)
        results = run_together(THREADS, _check_then_insert(doctor, kind, patients, start, end))
        assert outcomes(results) == {"ok": THREADS}, outcomes(results)
    finally:
        Appointment.objects.all().delete()
        with connection.cursor() as cursor:
            for table, name, definition in migration.CONSTRAINTS:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
