"""The demo hospital's wards: every bed state, a dozen patients in bed, a queue, a month
of history for the census; seeding twice changes nothing."""

import pytest
from django.utils import timezone

from accounts.demo import seed_accounts
from ehr.core.demo import seed_hospital
from inpatient.demo import seed_inpatient
from inpatient.models import Admission, AdmissionRequest, Bed, BedStay, Ward, WardNurse
from inpatient.selectors import census
from patients.demo import seed_patients
from patients.selectors import chart_access_for

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-Passw0rd!"


def seed():
    seed_accounts(password=PASSWORD)
    seed_hospital(password=PASSWORD)
    seed_patients(password=PASSWORD, options={"patients": 220})
    return seed_inpatient(password=PASSWORD)


def test_the_demo_wards_show_every_state_and_a_month_of_history():
    summary = seed()
    assert "patients in bed now" in summary
    assert Ward.objects.count() == 4 and Ward.objects.filter(ward_type="icu").count() == 1
    assert 65 <= Bed.objects.count() <= 75
    assert set(Bed.objects.values_list("status", flat=True)) == set(Bed.Status.values)
    open_admissions = Admission.objects.exclude(status="discharged")
    assert 12 <= open_admissions.count() <= 20
    assert open_admissions.filter(status="discharge_ordered").exists()
    assert AdmissionRequest.objects.filter(status="pending").count() == 2
    assert BedStay.objects.filter(reason="transfer").exists()
    report = census()
    assert report.discharged_count >= 20
    assert sum(1 for day in report.days if day.occupied_at_midnight) >= 25
    # The demo nurse works on the medical ward and sees the charts of its patients.
    assignment = WardNurse.objects.select_related("user", "ward").get()
    assert assignment.user.email == "nurse@example.org"
    patients_there = Admission.objects.filter(
        stays__ended_at__isnull=True, stays__bed__room__ward=assignment.ward
    ).select_related("patient")
    assert patients_there
    assert all(chart_access_for(assignment.user, a.patient).allowed for a in patients_there)
    # Every current bed stay matches its bed's state.
    for stay in BedStay.objects.filter(ended_at__isnull=True).select_related("bed"):
        assert stay.bed.status == "occupied"
    assert Bed.objects.filter(status="occupied").count() == open_admissions.count()


def test_children_lie_only_on_paediatric_or_maternity_wards_and_adults_not_on_paediatrics():
    seed()
    children_ward = Ward.objects.get(ward_type="paediatric")
    stays = BedStay.objects.select_related("bed__room__ward", "admission__patient")
    on_children_ward = 0
    for stay in stays:
        ward, patient = stay.bed.room.ward, stay.admission.patient
        age = patient.age(timezone.localdate(stay.started_at))
        if age < 16:
            assert ward.ward_type in ("paediatric", "maternity"), (ward, age)
        if ward == children_ward:
            assert age < 16, (ward, age)
            on_children_ward += stay.ended_at is None
    assert on_children_ward >= 2


def test_the_ward_completes_one_ordered_discharge_in_the_demo():
    seed()
    nurse_discharges = Admission.objects.filter(
        status="discharged", discharged_by__email="nurse@example.org"
    )
    assert nurse_discharges.count() == 1
    assert nurse_discharges.get().discharge_ordered_by is not None


def test_seeding_again_changes_nothing():
    seed()
    counts = (
        Bed.objects.count(),
        Admission.objects.count(),
        BedStay.objects.count(),
        AdmissionRequest.objects.count(),
    )
    assert "already there" in seed()
    assert counts == (
        Bed.objects.count(),
        Admission.objects.count(),
        BedStay.objects.count(),
        AdmissionRequest.objects.count(),
    )
