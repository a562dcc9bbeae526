"""Master data in the admin: a room with its beds in one step, ward nurses through the
services, bed states and ADT records read-only."""

import pytest
from django.urls import reverse

from inpatient.models import Bed, WardNurse, WardRoom
from patients.models import AccessReason
from patients.selectors import chart_access_for
from tests.factories.inpatient import RoomClassFactory, admit

pytestmark = pytest.mark.django_db

NO_BEDS = {
    "beds-TOTAL_FORMS": "0",
    "beds-INITIAL_FORMS": "0",
    "beds-MIN_NUM_FORMS": "0",
    "beds-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def admin_client(signed_in, administrator):
    return signed_in(administrator)


def test_an_administrator_adds_a_room_with_its_beds_in_one_step(admin_client, administrator, ward):
    room_class = RoomClassFactory(name="Triple", beds_per_room=3)
    response = admin_client.post(
        reverse("admin:inpatient_wardroom_add"),
        {
            "ward": ward.pk,
            "room_class": room_class.pk,
            "number": "214",
            "beds_to_create": "",
            **NO_BEDS,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    room = WardRoom.objects.get(number="214")
    assert sorted(room.beds.values_list("number", flat=True)) == ["A", "B", "C"]
    assert {b.created_by for b in room.beds.all()} == {administrator}
    assert set(room.beds.values_list("status", flat=True)) == {"available"}


def test_the_number_of_beds_can_be_chosen_and_more_added_later(admin_client, ward):
    room_class = RoomClassFactory(name="Double", beds_per_room=2)
    admin_client.post(
        reverse("admin:inpatient_wardroom_add"),
        {
            "ward": ward.pk,
            "room_class": room_class.pk,
            "number": "9",
            "beds_to_create": "4",
            **NO_BEDS,
        },
    )
    room = WardRoom.objects.get(number="9")
    assert room.beds.count() == 4
    beds = list(room.beds.order_by("number"))
    data = {
        "ward": ward.pk,
        "room_class": room_class.pk,
        "number": "9",
        "beds_to_create": "1",
        "beds-TOTAL_FORMS": "4",
        "beds-INITIAL_FORMS": "4",
        "beds-MIN_NUM_FORMS": "0",
        "beds-MAX_NUM_FORMS": "1000",
    }
    for i, bed in enumerate(beds):
        data.update(
            {f"beds-{i}-id": bed.pk, f"beds-{i}-room": room.pk, f"beds-{i}-number": bed.number}
        )
    response = admin_client.post(reverse("admin:inpatient_wardroom_change", args=[room.pk]), data)
    assert response.status_code == 302
    assert sorted(room.beds.values_list("number", flat=True)) == ["A", "B", "C", "D", "E"]


def test_assigning_a_nurse_in_the_admin_gives_her_the_ward_patients(
    admin_client, ward, bed, patient, doctor, nurse
):
    admit(patient, bed, doctor)
    response = admin_client.post(
        reverse("admin:inpatient_ward_change", args=[ward.pk]),
        {
            "hospital": ward.hospital_id,
            "name": ward.name,
            "ward_type": ward.ward_type,
            "floor": ward.floor,
            "sex_restriction": "",
            "description": "",
            "additional_data": "{}",
            "nurse_assignments-TOTAL_FORMS": "1",
            "nurse_assignments-INITIAL_FORMS": "0",
            "nurse_assignments-MIN_NUM_FORMS": "0",
            "nurse_assignments-MAX_NUM_FORMS": "1000",
            "nurse_assignments-0-user": nurse.pk,
            "nurse_assignments-0-ward": ward.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert WardNurse.objects.filter(ward=ward, user=nurse).exists()
    assert chart_access_for(nurse, patient).reason == AccessReason.WARD


def test_bed_states_are_read_only_in_the_admin(admin_client, bed):
    page = admin_client.get(reverse("admin:inpatient_bed_change", args=[bed.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    admin_client.post(
        reverse("admin:inpatient_bed_change", args=[bed.pk]),
        {
            "room": bed.room_id,
            "number": bed.number,
            "status": "occupied",
            "additional_data": "{}",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    bed.refresh_from_db()
    assert bed.status == Bed.Status.AVAILABLE


@pytest.mark.parametrize("model", ["admission", "bedstatuschange", "admissionrequest"])
def test_adt_records_cannot_be_added_in_the_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:inpatient_{model}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:inpatient_{model}_changelist")).status_code == 200


def test_non_administrators_do_not_enter_the_admin(signed_in, nurse):
    response = signed_in(nurse).get(reverse("admin:inpatient_ward_changelist"))
    assert response.status_code == 302
