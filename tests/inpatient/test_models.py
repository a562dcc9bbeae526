"""The rules of record hold in the database itself: direct inserts that break them fail
(SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inpatient.models import Admission, AdmissionRequest, Bed, BedStay
from tests.factories.inpatient import BedFactory
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def new_admission(patient, doctor, **fields):
    return Admission.objects.create(
        patient=patient, admitting_doctor=doctor, attending_doctor=doctor, reason="x", **fields
    )


def refused():
    """Expect the statement to break a constraint (in a savepoint, so the test goes on)."""
    return pytest.raises(IntegrityError)


def test_one_current_occupant_per_bed(bed, doctor):
    first = BedStay.objects.create(admission=new_admission(PatientFactory(), doctor), bed=bed)
    other = new_admission(PatientFactory(), doctor)
    with refused(), transaction.atomic():
        BedStay.objects.create(admission=other, bed=bed)
    # A closed stay does not count: the bed has one current occupant.
    first.ended_at = timezone.now()
    first.save()
    BedStay.objects.create(admission=other, bed=bed)


def test_one_current_bed_per_admission(beds, doctor):
    admission = new_admission(PatientFactory(), doctor)
    BedStay.objects.create(admission=admission, bed=beds[0])
    with refused(), transaction.atomic():
        BedStay.objects.create(admission=admission, bed=beds[1])


def test_one_open_admission_per_patient(patient, doctor):
    new_admission(patient, doctor)
    with refused(), transaction.atomic():
        new_admission(patient, doctor)
    with refused(), transaction.atomic():
        new_admission(patient, doctor, status=Admission.Status.DISCHARGE_ORDERED)


def test_a_discharged_admission_does_not_block_the_next(patient, doctor):
    now = timezone.now()
    new_admission(
        patient,
        doctor,
        admitted_at=now - timedelta(days=3),
        status="discharged",
        discharged_at=now - timedelta(days=1),
        disposition="home",
    )
    new_admission(patient, doctor)
    assert Admission.objects.filter(patient=patient).count() == 2


def test_a_discharged_admission_has_a_time_and_a_disposition(patient, doctor):
    with refused(), transaction.atomic():
        new_admission(patient, doctor, status="discharged")
    with refused(), transaction.atomic():
        new_admission(
            patient,
            doctor,
            status="discharged",
            disposition="home",
            discharged_at=timezone.now() - timedelta(days=400),
        )


def test_a_stay_ends_after_it_starts(bed, patient, doctor):
    with refused(), transaction.atomic():
        BedStay.objects.create(
            admission=new_admission(patient, doctor),
            bed=bed,
            ended_at=timezone.now() - timedelta(hours=1),
        )


def test_a_blocked_bed_has_a_reason_and_a_reservation_an_end(db):
    with refused(), transaction.atomic():
        BedFactory(status=Bed.Status.BLOCKED)
    with refused(), transaction.atomic():
        BedFactory(status=Bed.Status.RESERVED)
    BedFactory(status=Bed.Status.BLOCKED, blocked_reason="Maintenance")


def test_one_pending_request_per_patient(patient, doctor):
    AdmissionRequest.objects.create(patient=patient, requested_by=doctor, reason="x")
    with refused(), transaction.atomic():
        AdmissionRequest.objects.create(patient=patient, requested_by=doctor, reason="y")
    AdmissionRequest.objects.create(
        patient=patient, requested_by=doctor, reason="z", status="cancelled"
    )


def test_bed_numbers_are_unique_per_room(bed):
    with refused(), transaction.atomic():
        Bed.objects.create(room=bed.room, number=bed.number)
    Bed.objects.create(room=BedFactory().room, number=bed.number)
