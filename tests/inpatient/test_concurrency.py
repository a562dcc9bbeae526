"""The rules of record under real parallel transactions (PostgreSQL): one patient per
bed, one open admission per patient, 50 attempts at once, through the API (no 500s).

Each thread takes its own database connection; a barrier releases them together; every
thread closes its connection at the end.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from inpatient import services
from inpatient.models import Admission, Bed, BedStay
from tests.concurrency import run_together
from tests.factories.inpatient import admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("connection_per_thread"),
]

THREADS = 50


def post_admission(doctor, patient, bed):
    def prepare(i):
        client = APIClient()
        client.force_authenticate(doctor)

        def send():
            response = client.post(
                "/api/v1/admissions",
                {
                    "patient": str(patient(i).pk),
                    "bed": str(bed(i).pk),
                    "attending_doctor": str(doctor.pk),
                    "reason": "Race",
                },
                format="json",
            )
            return response.status_code, response.json().get("code")

        return send

    return prepare


def test_fifty_patients_into_one_bed_admit_exactly_one(doctor, ward):
    bed = beds_in(ward, 1)[0]
    patients = [PatientFactory() for _ in range(THREADS)]
    results = run_together(
        THREADS, post_admission(doctor, lambda i: patients[i], lambda i: bed), staged=True
    )
    assert sorted(results, key=str) == sorted(
        [(201, None)] + [(409, "bed_occupied")] * (THREADS - 1), key=str
    ), [r for r in results if r not in ((201, None), (409, "bed_occupied"))]
    assert BedStay.objects.filter(bed=bed).count() == 1
    assert Admission.objects.count() == 1
    bed.refresh_from_db()
    assert bed.status == Bed.Status.OCCUPIED


def test_one_patient_into_fifty_beds_admits_exactly_once(doctor, ward):
    beds = beds_in(ward, THREADS)
    patient = PatientFactory()
    results = run_together(
        THREADS, post_admission(doctor, lambda i: patient, lambda i: beds[i]), staged=True
    )
    assert sorted(results, key=str) == sorted(
        [(201, None)] + [(409, "patient_already_admitted")] * (THREADS - 1), key=str
    ), [r for r in results if r not in ((201, None), (409, "patient_already_admitted"))]
    assert Admission.objects.filter(patient=patient).count() == 1
    assert Bed.objects.filter(status=Bed.Status.OCCUPIED).count() == 1


def test_the_database_holds_the_bed_even_when_the_service_check_is_skipped(
    doctor, ward, monkeypatch
):
    """The constraint, not the service's check, is the rule of record: with the check
    taken out, the losers still fail on the unique index and get a clean 409."""
    monkeypatch.setattr(services, "_check_bed_takes", lambda bed, patient, now: None)
    bed = beds_in(ward, 1)[0]
    patients = [PatientFactory() for _ in range(THREADS)]
    results = run_together(
        THREADS, post_admission(doctor, lambda i: patients[i], lambda i: bed), staged=True
    )
    assert results.count((201, None)) == 1
    assert results.count((409, "bed_occupied")) == THREADS - 1
    assert BedStay.objects.filter(bed=bed, ended_at__isnull=True).count() == 1
    # The losers' admissions were rolled back with their stays.
    assert Admission.objects.count() == 1


def test_fifty_transfers_into_one_bed_move_exactly_one_patient(doctor, nurse, ward):
    beds = beds_in(ward, THREADS + 1)
    target = beds[-1]
    admissions = [admit(PatientFactory(), beds[i], doctor) for i in range(THREADS)]

    def prepare(i):
        client = APIClient()
        client.force_authenticate(nurse)

        def send():
            response = client.post(
                f"/api/v1/admissions/{admissions[i].pk}/transfer",
                {"bed": str(target.pk), "reason": "Race"},
                format="json",
            )
            return response.status_code, response.json().get("code")

        return send

    results = run_together(THREADS, prepare, staged=True)
    assert results.count((200, None)) == 1
    assert results.count((409, "bed_occupied")) == THREADS - 1
    assert BedStay.objects.filter(bed=target).count() == 1
    assert BedStay.objects.filter(ended_at__isnull=True).count() == THREADS


def test_past_bed_stays_cannot_overlap(doctor, ward):
    """PostgreSQL's exclusion constraint guards history too (a back-dated stay)."""
    bed = beds_in(ward, 1)[0]
    now = timezone.now()
    first = Admission.objects.create(
        patient=PatientFactory(),
        admitting_doctor=doctor,
        attending_doctor=doctor,
        reason="x",
        admitted_at=now - timedelta(days=5),
    )
    BedStay.objects.create(
        admission=first,
        bed=bed,
        started_at=now - timedelta(days=5),
        ended_at=now - timedelta(days=2),
    )
    second = Admission.objects.create(
        patient=PatientFactory(),
        admitting_doctor=doctor,
        attending_doctor=doctor,
        reason="x",
        admitted_at=now - timedelta(days=3),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BedStay.objects.create(
            admission=second,
            bed=bed,
            started_at=now - timedelta(days=3),
            ended_at=now - timedelta(days=1),
        )
    BedStay.objects.create(
        admission=second,
        bed=bed,
        started_at=now - timedelta(days=2),
        ended_at=now - timedelta(days=1),
    )
