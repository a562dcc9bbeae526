"""The bed picker: beds grouped by ward and room, the requested ward first, each with
`Bed.misfit`, the one fit rule the admission and transfer services enforce."""

import re

import pytest
from django.urls import reverse

from inpatient import services
from inpatient.exceptions import BedUnavailable, RoomIsolated, WardRestricted
from inpatient.forms import TransferForm
from inpatient.models import SexRestriction
from inpatient.selectors import bed_picker
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def reasons(wards):
    """Return {bed: misfit code or None} of a picker."""
    return {
        o.bed.pk: (o.misfit.code if o.misfit else None)
        for w in wards
        for r in w.rooms
        for o in r.options
    }


@pytest.fixture
def men_only(db):
    return WardFactory(name="Men's Surgical", sex_restriction=SexRestriction.MALE)


def test_the_picker_groups_by_ward_and_room_with_the_requested_ward_first(ward, men_only):
    beds_in(ward, 6, per_room=4)
    beds_in(men_only, 2)
    wards = bed_picker(preferred_ward=men_only)
    assert [w.ward for w in wards] == [men_only, ward]
    assert [r.room.number for r in wards[1].rooms] == ["1", "2"]
    assert [len(r.options) for r in wards[1].rooms] == [4, 2]


def test_the_picker_says_why_a_bed_does_not_fit(beds, men_only, doctor, nurse):
    men_beds = beds_in(men_only, 1)
    woman = PatientFactory(sex="female")
    admit(PatientFactory(sex="female"), beds[0], doctor)
    services.bed_block(bed=beds[1], reason="Maintenance", actor=nurse)
    wards = bed_picker(patient=woman)
    got = reasons(wards)
    assert got[beds[0].pk] == "occupied"
    assert got[beds[1].pk] == "unavailable"
    assert got[beds[2].pk] is None
    assert got[men_beds[0].pk] == "ward_sex"


def test_a_shared_room_with_a_patient_in_isolation_takes_nobody_else(beds, doctor, nurse):
    services.bed_set_isolation(bed=beds[0], isolation=True, actor=nurse)
    admission = admit(PatientFactory(sex="female"), beds[0], doctor)
    other = beds_in(WardFactory(), 1)[0]
    got = reasons(bed_picker(patient=PatientFactory(sex="female")))
    assert got[beds[1].pk] == "isolation" and got[other.pk] is None
    # The service refuses with the same rule...
    with pytest.raises(RoomIsolated):
        admit(PatientFactory(sex="female"), beds[1], doctor)
    # ...but the isolated patient may move within her own room.
    assert reasons(bed_picker(admission=admission))[beds[1].pk] is None
    services.admission_transfer(admission=admission, bed=beds[1], reason="x", actor=nurse)


def test_the_service_refuses_what_the_picker_disables(bed, men_only, doctor, nurse):
    services.bed_block(bed=bed, reason="Maintenance", actor=nurse)
    with pytest.raises(BedUnavailable):
        admit(PatientFactory(sex="female"), bed, doctor)
    with pytest.raises(WardRestricted):
        admit(PatientFactory(sex="female"), beds_in(men_only, 1)[0], doctor)


def test_the_picker_runs_a_fixed_number_of_queries(ward, django_assert_max_num_queries):
    patient = PatientFactory()
    beds_in(ward, 2)
    with django_assert_max_num_queries(2):
        bed_picker(patient=patient)
    beds_in(WardFactory(), 30)
    with django_assert_max_num_queries(2):
        bed_picker(patient=patient)


def test_the_transfer_form_disables_beds_that_do_not_fit_and_says_why(
    beds, men_only, doctor, nurse
):
    admission = admit(PatientFactory(sex="female"), beds[0], doctor)
    men_bed = beds_in(men_only, 1)[0]
    form = TransferForm(
        {"bed": str(men_bed.pk), "reason": "x"}, admission=admission, current_bed=beds[0]
    )
    html = str(form["bed"])
    assert re.search(rf'value="{men_bed.pk}"[^>]*disabled', html)
    assert not re.search(rf'value="{beds[1].pk}"[^>]*disabled', html)
    assert "male patients only" in html
    assert "the patient&#x27;s bed now" in html
    assert not form.is_valid()
    assert "cannot take the patient" in form.errors["bed"][0]


def test_the_admission_page_starts_on_the_requested_ward(ward, men_only, doctor, nurse, signed_in):
    beds_in(ward, 1)
    beds_in(men_only, 1)
    request = services.admission_request_create(
        patient=PatientFactory(sex="male"), reason="x", actor=doctor, ward_preference=men_only
    )
    page = signed_in(nurse).get(
        reverse("inpatient:admission_create") + f"?admission_request={request.pk}"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("Men&#x27;s Surgical · room") < html.index("Medical Ward · room")
