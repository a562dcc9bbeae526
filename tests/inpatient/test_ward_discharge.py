"""Completing a discharge a doctor ordered: ward nurses and receptionists (ADT clerks)
record the time and the disposition; ordering it and the summary stay the doctor's."""

import pytest
from django.urls import reverse

from accounts.exceptions import NotADoctor
from clinical.models import ClinicalNote, NoteType
from inpatient import services
from inpatient.exceptions import DeathNeedsDoctor, DischargeNotOrdered
from inpatient.models import Admission, Bed
from patients.models import CareRelationship
from patients.selectors import chart_access_for
from tests.factories.inpatient import admit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admission(bed, patient, doctor):
    return admit(patient, bed, doctor)


@pytest.fixture
def ordered(admission, doctor):
    return services.admission_order_discharge(
        admission=admission, actor=doctor, summary="Recovered; review in clinic in 2 weeks."
    )


def test_a_ward_nurse_completes_a_discharge_the_doctor_ordered(ordered, ward_nurse, bed, doctor):
    admission = services.admission_discharge_complete(
        admission=ordered, disposition="home", actor=ward_nurse
    )
    bed.refresh_from_db()
    assert admission.status == Admission.Status.DISCHARGED
    assert admission.discharged_by == ward_nurse and admission.disposition == "home"
    assert bed.status == Bed.Status.CLEANING
    # The summary note stays the doctor's: a draft by the attending doctor, not the nurse's.
    note = ClinicalNote.objects.get(admission=admission, note_type=NoteType.DISCHARGE_SUMMARY)
    assert note.author == doctor and note.signed_by is None
    assert note.text == "Recovered; review in clinic in 2 weeks."


def test_a_receptionist_completes_an_ordered_discharge_without_gaining_chart_access(
    ordered, receptionist, patient
):
    assert not chart_access_for(receptionist, patient).allowed
    services.admission_discharge_complete(admission=ordered, disposition="home", actor=receptionist)
    assert not chart_access_for(receptionist, patient).allowed
    assert not CareRelationship.objects.filter(user=receptionist).exists()


def test_an_off_ward_nurse_gains_no_chart_access_by_completing_a_discharge(ordered, nurse, patient):
    services.admission_discharge_complete(admission=ordered, disposition="home", actor=nurse)
    assert not chart_access_for(nurse, patient).allowed
    assert not CareRelationship.objects.filter(user=nurse).exists()


@pytest.mark.parametrize("persona", ["ward_nurse", "receptionist"])
def test_nobody_completes_a_discharge_no_doctor_ordered(request, admission, bed, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(DischargeNotOrdered):
        services.admission_discharge_complete(admission=admission, disposition="home", actor=actor)
    admission.refresh_from_db()
    bed.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED
    assert bed.status == Bed.Status.OCCUPIED


def test_a_withdrawn_order_cannot_be_completed(ordered, doctor, ward_nurse):
    services.admission_discharge_order_cancel(admission=ordered, actor=doctor)
    with pytest.raises(DischargeNotOrdered):
        services.admission_discharge_complete(
            admission=ordered, disposition="home", actor=ward_nurse
        )


def test_a_nurse_cannot_order_a_discharge(admission, ward_nurse):
    # She has chart access (ward), but ordering a discharge is a doctor's decision.
    assert chart_access_for(ward_nurse, admission.patient).allowed
    with pytest.raises(NotADoctor):
        services.admission_order_discharge(admission=admission, actor=ward_nurse)
    admission.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED


def test_a_death_is_not_recorded_by_the_ward(ordered, ward_nurse):
    with pytest.raises(DeathNeedsDoctor):
        services.admission_discharge_complete(
            admission=ordered, disposition="deceased", actor=ward_nurse
        )
    ordered.refresh_from_db()
    assert ordered.status == Admission.Status.DISCHARGE_ORDERED


# --- Pages ------------------------------------------------------------------------------------


def test_the_ward_completes_an_ordered_discharge_from_its_page(ordered, ward_nurse, signed_in):
    client = signed_in(ward_nurse)
    url = reverse("inpatient:admission_discharge", args=[ordered.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="summary"' not in page.content.decode()
    response = client.post(url, {"disposition": "home"})
    assert response.status_code == 302
    ordered.refresh_from_db()
    assert ordered.status == Admission.Status.DISCHARGED


def test_a_receptionist_posting_an_unordered_discharge_changes_nothing(
    admission, receptionist, signed_in
):
    client = signed_in(receptionist)
    url = reverse("inpatient:admission_discharge", args=[admission.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"disposition": "home"})
    assert response.status_code == 400
    admission.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED


@pytest.mark.parametrize("persona", ["ward_nurse", "receptionist"])
def test_ward_staff_cannot_order_a_discharge_from_the_page(request, admission, persona, signed_in):
    client = signed_in(request.getfixturevalue(persona))
    url = reverse("inpatient:admission_order_discharge", args=[admission.pk])
    assert client.post(url, {}).status_code == 403
    admission.refresh_from_db()
    assert admission.status == Admission.Status.ADMITTED


def test_the_admission_page_offers_the_ward_completion_only_once_ordered(
    admission, doctor, ward_nurse, signed_in
):
    client = signed_in(ward_nurse)
    url = reverse("inpatient:admission_detail", args=[admission.pk])
    discharge_url = reverse("inpatient:admission_discharge", args=[admission.pk])
    assert discharge_url not in client.get(url).content.decode()
    services.admission_order_discharge(admission=admission, actor=doctor)
    assert discharge_url in client.get(url).content.decode()
