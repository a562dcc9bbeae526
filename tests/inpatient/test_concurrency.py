"""The rules of record under real parallel transactions (PostgreSQL): one patient per
bed, one open admission per patient, 50 attempts at once, through the API (no 500s).

Each thread takes its own database connection; a barrier releases them together; every
thread closes its connection at the end.
"""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from inpatient import services
from inpatient.models import Admission, Bed, BedStay
from tests.factories.inpatient import admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


@pytest.fixture(autouse=True)
def _a_connection_per_thread():
    """Skip on SQLite; on PostgreSQL let the pool hold one connection per thread, so the
    50 transactions really run at the same time."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, there is no race to lose")
    pool_options = connection.settings_dict["OPTIONS"].get("pool")
    saved = dict(pool_options) if isinstance(pool_options, dict) else None
    if saved is not None:
        connection.close()
        connection.close_pool()
        pool_options["max_size"] = THREADS + 2
        pool_options["timeout"] = 30
    yield
    if saved is not None:
        connection.close()
        connection.close_pool()
        pool_options.clear()
        pool_options.update(saved)


def together(work):
    """Run work(i) in THREADS threads released at once; return their results. An
    exception (a 500 would raise through the test client) is returned as the result."""
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def target(i):
        try:
            client = APIClient()
            prepared = work(i, client)
            barrier.wait(timeout=60)
            results[i] = prepared()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def post_admission(doctor, patient, bed):
    def prepare(i, client):
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
    results = together(post_admission(doctor, lambda i: patients[i], lambda i: bed))
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
    results = together(post_admission(doctor, lambda i: patient, lambda i: beds[i]))
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
    results = together(post_admission(doctor, lambda i: patients[i], lambda i: bed))
    assert results.count((201, None)) == 1
    assert results.count((409, "bed_occupied")) == THREADS - 1
    assert BedStay.objects.filter(bed=bed, ended_at__isnull=True).count() == 1
    # The losers' admissions were rolled back with their stays.
    assert Admission.objects.count() == 1


def test_fifty_transfers_into_one_bed_move_exactly_one_patient(doctor, nurse, ward):
    beds = beds_in(ward, THREADS + 1)
    target = beds[-1]
    admissions = [admit(PatientFactory(), beds[i], doctor) for i in range(THREADS)]

    def prepare(i, client):
        client.force_authenticate(nurse)

        def send():
            response = client.post(
                f"/api/v1/admissions/{admissions[i].pk}/transfer",
                {"bed": str(target.pk), "reason": "Race"},
                format="json",
            )
            return response.status_code, response.json().get("code")

        return send

    results = together(prepare)
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
