import pytest

from accounts import roles
from clinical.models import AllergyCategory, AllergySeverity
from clinical.services import allergy_record
from pharmacy.demo import WARFARIN_OVERRIDE, seed_pharmacy
from pharmacy.models import HomeMedication, Prescription, PrescriptionItem
from pharmacy.services import medication_alerts
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.pharmacy import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(make_user):
    doctor = make_user(roles.DOCTOR, email="doctor@example.org")
    nurse = make_user(roles.NURSE, email="nurse@example.org")
    portal = make_user(roles.PATIENT, email="patient@example.org")
    john = on_care_team(PatientFactory(first_name="John", last_name="Smith", user=portal), doctor)
    # Free text, as the clinical demo records it: matched to the penicillin class.
    allergy_record(
        patient=john,
        actor=doctor,
        allergen="Penicillin",
        category=AllergyCategory.DRUG,
        severity=AllergySeverity.SEVERE,
        reaction="Anaphylaxis",
    )
    for index in range(7):
        team = (doctor, nurse) if index % 2 == 0 else (doctor,)
        on_care_team(PatientFactory(), *team)
    return doctor, nurse, john


def test_demo_prescribes_through_the_checks_and_is_idempotent(demo):
    doctor, nurse, john = demo
    summary = seed_pharmacy(password="x")
    assert "prescriptions" in summary and "overridden" in summary
    # The warfarin patient's ibuprofen: the major interaction overridden, with its reason.
    ibuprofen = PrescriptionItem.objects.get(drug__generic_name="ibuprofen")
    assert ibuprofen.override_reason == WARFARIN_OVERRIDE
    assert ibuprofen.overridden_by == doctor
    assert any(a["severity"] == "major" for a in ibuprofen.alerts)
    warfarin = PrescriptionItem.objects.get(drug__generic_name="warfarin")
    assert warfarin.prescription.patient == ibuprofen.prescription.patient
    assert warfarin.prescription.status == Prescription.Status.SIGNED
    assert warfarin.start < ibuprofen.start
    # John Smith: an alternative antibiotic, no amoxicillin, and amoxicillin is blocked.
    johns = PrescriptionItem.objects.filter(prescription__patient=john)
    assert list(johns.values_list("drug__generic_name", flat=True)) == ["doxycycline"]
    assert johns.get().override_reason == ""
    assert johns.get().prescription.status == Prescription.Status.SIGNED
    alerts = medication_alerts(patient=john, lines=[line("amoxicillin")])
    assert any(a.blocking and a.type == "drug_allergy" for a in alerts)
    # Signed prescriptions for others, one draft, one discontinued line with its reason.
    statuses = list(Prescription.objects.values_list("status", flat=True))
    assert statuses.count("draft") == 1 and statuses.count("signed") >= 5
    stopped = PrescriptionItem.objects.get(status="discontinued")
    assert stopped.status_changes.get(to_status="discontinued").reason
    homes = HomeMedication.objects.all()
    assert homes.count() == 3 and {h.recorded_by for h in homes} == {nurse}
    # Seeding twice adds nothing.
    counts = (Prescription.objects.count(), PrescriptionItem.objects.count(), homes.count())
    assert "already there" in seed_pharmacy(password="x")
    assert counts == (
        Prescription.objects.count(),
        PrescriptionItem.objects.count(),
        HomeMedication.objects.count(),
    )
