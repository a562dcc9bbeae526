import pytest

from accounts import roles
from laboratory.demo import seed_laboratory
from laboratory.models import CriticalAlert, ImagingOrder, LabOrder, LabResult, PatientDocument
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_demo_has_orders_in_every_state_and_is_idempotent(make_user):
    doctor = make_user(roles.DOCTOR, email="doctor@example.org")
    make_user(roles.NURSE, email="nurse@example.org")
    make_user(roles.LAB_TECHNICIAN, email="lab@example.org")
    make_user(roles.LAB_TECHNICIAN, email="lab2@example.org")
    for _ in range(4):
        on_care_team(PatientFactory(), doctor)
    summary = seed_laboratory(password="x")
    assert "lab orders" in summary
    states = set(LabOrder.objects.values_list("status", flat=True))
    assert states == {
        "ordered", "collected", "received", "in_progress", "resulted", "verified",
        "cancelled", "rejected",
    }  # fmt: skip
    alert = CriticalAlert.objects.get(status="open")
    assert alert.result.test.code == "K" and alert.doctor == doctor
    assert LabResult.objects.filter(status="corrected").count() == 1
    assert any(o.is_late() for o in LabOrder.objects.filter(priority="stat", status="received"))
    assert LabResult.objects.filter(test__code="CREA", status="final").count() >= 5
    kinds = set(PatientDocument.objects.values_list("content_type", flat=True))
    assert kinds == {"application/dicom", "image/png", "application/pdf"}
    assert set(ImagingOrder.objects.values_list("status", flat=True)) == {"reported", "ordered"}
    count = LabOrder.objects.count()
    assert "already there" in seed_laboratory(password="x")
    assert LabOrder.objects.count() == count
