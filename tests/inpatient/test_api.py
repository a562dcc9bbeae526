"""API v1 of inpatient ADT (and GET /api/v1/doctors): every endpoint, its permissions,
its 409s for conflicts and 400s for bad input."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import DoctorSpecialty
from inpatient import services
from inpatient.models import Admission, Bed, BedStay
from patients.services import care_team_add
from tests.factories.accounts import DoctorProfileFactory, SpecialtyFactory
from tests.factories.inpatient import admit, beds_in
from tests.factories.patients import PatientFactory
from tests.matrix import Page, assert_persona_access, page_ids, persona_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def occupied(beds, doctor):
    """An admission in beds[0]."""
    return admit(PatientFactory(first_name="Ada", last_name="Lovelace"), beds[0], doctor)


# --- Who may use which endpoint ---------------------------------------------------------------

READERS = {"doctor", "nurse", "receptionist", "administrator"}
WARD_STAFF = {"nurse", "receptionist"}
JSON = {"content_type": "application/json"}


@pytest.fixture
def scene(beds, doctor, occupied):
    return {"beds": beds, "doctor": doctor, "admission": occupied}


def admission_url(suffix=""):
    return lambda s: f"/api/v1/admissions/{s['admission'].pk}{suffix}"


ENDPOINTS = [
    Page("wards", lambda s: "/api/v1/wards", READERS),
    Page("beds", lambda s: "/api/v1/beds", READERS),
    Page("bed", lambda s: f"/api/v1/beds/{s['beds'][1].pk}", READERS),
    Page(
        "bed status",
        lambda s: f"/api/v1/beds/{s['beds'][1].pk}/status",
        WARD_STAFF,
        method="post",
        data={"status": "blocked", "reason": "Maintenance"},
        extra=JSON,
    ),
    Page("admissions", lambda s: "/api/v1/admissions", READERS),
    Page("admission", admission_url(), READERS),
    Page(
        "admit",
        lambda s: "/api/v1/admissions",
        {"doctor"},
        method="post",
        data=lambda s: {
            "patient": str(PatientFactory().pk),
            "bed": str(s["beds"][1].pk),
            "attending_doctor": str(s["doctor"].pk),
            "reason": "Observation",
        },
        extra=JSON,
        ok=201,
    ),
    Page(
        "transfer",
        admission_url("/transfer"),
        WARD_STAFF,
        method="post",
        data=lambda s: {"bed": str(s["beds"][1].pk), "reason": "Single room"},
        extra=JSON,
    ),
    Page(
        "discharge",
        admission_url("/discharge"),
        {"doctor"},
        method="post",
        data={"disposition": "home", "summary": "Home."},
        extra=JSON,
    ),
    Page("census", lambda s: "/api/v1/inpatient/census", READERS),
]


@pytest.mark.parametrize(("endpoint", "persona"), persona_cases(ENDPOINTS))
def test_each_endpoint_is_open_to_its_roles_only(request, scene, signed_in, endpoint, persona):
    assert_persona_access(request, signed_in, endpoint, persona, scene)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=page_ids(ENDPOINTS))
def test_each_endpoint_refuses_strangers_and_patients(
    scene, client, signed_in, portal_patient, endpoint
):
    assert endpoint.request(client, scene).status_code in (401, 403)
    assert endpoint.request(signed_in(portal_patient), scene).status_code == 403


# --- Wards and beds ---------------------------------------------------------------------------


def test_wards_list_their_total_and_occupied_beds(api, nurse, ward, other_ward, occupied):
    response = api(nurse).get("/api/v1/wards")
    assert response.status_code == 200
    rows = {w["name"]: w for w in response.json()["results"]}
    assert (rows["Medical Ward"]["total_beds"], rows["Medical Ward"]["occupied_beds"]) == (4, 1)
    assert (rows["Surgical Ward"]["total_beds"], rows["Surgical Ward"]["occupied_beds"]) == (0, 0)
    assert rows["Medical Ward"]["id"] == str(ward.pk)


def test_beds_list_with_their_current_patient(api, receptionist, ward, occupied):
    response = api(receptionist).get("/api/v1/beds", {"ward": str(ward.pk)})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 4
    first = data["results"][0]
    assert {"id", "ward", "room", "number", "status", "patient"} <= set(first)
    assert first["status"] == "occupied"
    assert first["ward"] == {"id": str(ward.pk), "name": "Medical Ward"}
    assert first["ward_name"] == "Medical Ward"  # deprecated alias
    assert first["patient"]["name"] == "Ada Lovelace"
    assert first["patient"]["admission"]["id"] == str(occupied.pk)
    assert data["results"][1]["patient"] is None


def test_beds_filter_by_state_counting_expired_reservations_as_available(
    api, nurse, beds, occupied
):
    bed = beds[1]
    bed.status, bed.reserved_until = Bed.Status.RESERVED, timezone.now() - timedelta(minutes=1)
    bed.save()
    available = api(nurse).get("/api/v1/beds", {"status": "available"}).json()
    assert available["count"] == 3
    assert api(nurse).get("/api/v1/beds", {"status": "reserved"}).json()["count"] == 0
    assert api(nurse).get("/api/v1/beds", {"status": "occupied"}).json()["count"] == 1


@pytest.mark.parametrize("query", [{"status": "on-fire"}, {"ward": "not-a-uuid"}])
def test_bad_bed_filters_answer_400_with_field_errors(api, nurse, query):
    response = api(nurse).get("/api/v1/beds", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_a_bed_state_change(api, nurse, bed):
    response = api(nurse).post(
        f"/api/v1/beds/{bed.pk}/status",
        {"status": "blocked", "reason": "Maintenance"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "blocked"
    assert response.json()["blocked_reason"] == "Maintenance"
    response = api(nurse).post(
        f"/api/v1/beds/{bed.pk}/status", {"status": "available"}, format="json"
    )
    assert response.json()["status"] == "available"


def test_a_reservation_by_api_gets_the_default_end(api, nurse, bed):
    response = api(nurse).post(
        f"/api/v1/beds/{bed.pk}/status", {"status": "reserved"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["reserved_until"] is not None


@pytest.mark.parametrize("target", ["occupied", "cleaning"])
def test_a_forbidden_bed_transition_answers_409(api, nurse, bed, target):
    response = api(nurse).post(f"/api/v1/beds/{bed.pk}/status", {"status": target}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    bed.refresh_from_db()
    assert bed.status == "available"


def test_an_occupied_bed_is_not_sent_to_cleaning_by_api(api, nurse, beds, occupied):
    response = api(nurse).post(
        f"/api/v1/beds/{beds[0].pk}/status", {"status": "cleaning"}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({}, "status"),
        ({"status": "reserved", "reserved_until": "tomorrow"}, "reserved_until"),
    ],
)
def test_bad_bed_states_answer_400(api, nurse, bed, payload, field):
    response = api(nurse).post(f"/api/v1/beds/{bed.pk}/status", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_blocking_without_a_reason_answers_400(api, nurse, bed):
    response = api(nurse).post(
        f"/api/v1/beds/{bed.pk}/status", {"status": "blocked"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"


def test_bed_states_are_for_ward_staff(api, doctor, lab_tech, bed):
    for user in (doctor, lab_tech):
        response = api(user).post(
            f"/api/v1/beds/{bed.pk}/status", {"status": "blocked", "reason": "x"}, format="json"
        )
        assert response.status_code == 403
    assert api(lab_tech).get("/api/v1/beds").status_code == 403
    assert APIClient().get("/api/v1/beds").status_code == 401


def test_an_unknown_bed_is_404(api, nurse):
    assert api(nurse).get(f"/api/v1/beds/{uuid.uuid4()}").status_code == 404
    assert (
        api(nurse)
        .post(f"/api/v1/beds/{uuid.uuid4()}/status", {"status": "blocked"}, format="json")
        .status_code
        == 404
    )


# --- Admissions -------------------------------------------------------------------------------


def admission_payload(patient, bed, doctor, **extra):
    return {
        "patient": str(patient.pk),
        "bed": str(bed.pk),
        "attending_doctor": str(doctor.pk),
        "reason": "Pneumonia",
        **extra,
    }


def test_admitting_a_patient_answers_201(api, doctor, bed, patient):
    response = api(doctor).post(
        "/api/v1/admissions", admission_payload(patient, bed, doctor), format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "admitted" and data["patient"]["id"] == str(patient.pk)
    assert data["bed"]["id"] == str(bed.pk) and data["ward"]["id"] == str(bed.room.ward_id)
    assert data["ward"]["name"] == bed.room.ward.name
    assert data["attending_doctor"] == {"id": str(doctor.pk), "name": doctor.get_full_name()}
    assert data["patient"]["mrn"] == patient.display_mrn
    assert [s["bed"]["id"] for s in data["stays"]] == [str(bed.pk)]
    bed.refresh_from_db()
    assert bed.status == "occupied"


def test_admitting_into_an_occupied_bed_answers_409(api, doctor, beds, occupied):
    response = api(doctor).post(
        "/api/v1/admissions", admission_payload(PatientFactory(), beds[0], doctor), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "bed_occupied"


def test_admitting_into_a_bed_being_cleaned_answers_409(api, doctor, bed):
    bed.status = Bed.Status.CLEANING
    bed.save()
    response = api(doctor).post(
        "/api/v1/admissions", admission_payload(PatientFactory(), bed, doctor), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "bed_unavailable"


def test_admitting_an_admitted_patient_answers_409(api, doctor, beds, occupied):
    response = api(doctor).post(
        "/api/v1/admissions",
        admission_payload(occupied.patient, beds[1], doctor),
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "patient_already_admitted"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"bed": "nope"}, "bed"),
        ({"bed": str(uuid.UUID(int=1))}, "bed"),
        ({"attending_doctor": str(uuid.UUID(int=2))}, "attending_doctor"),
        ({"patient": "x"}, "patient"),
        ({"expected_discharge": "soon"}, "expected_discharge"),
    ],
)
def test_bad_admissions_answer_400_with_field_errors(api, doctor, bed, patient, change, field):
    payload = {**admission_payload(patient, bed, doctor), **change}
    response = api(doctor).post("/api/v1/admissions", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Admission.objects.exists()


def test_the_attending_doctor_must_be_a_doctor(api, doctor, nurse, bed, patient):
    response = api(doctor).post(
        "/api/v1/admissions", admission_payload(patient, bed, nurse), format="json"
    )
    assert response.status_code == 400
    assert "attending_doctor" in response.json()


def test_an_unknown_patient_is_404(api, doctor, bed):
    payload = admission_payload(PatientFactory.build(), bed, doctor)
    payload["patient"] = str(uuid.uuid4())
    assert api(doctor).post("/api/v1/admissions", payload, format="json").status_code == 404


def test_only_doctors_admit_by_api(api, nurse, receptionist, lab_tech, doctor, bed, patient):
    for user in (nurse, receptionist, lab_tech):
        response = api(user).post(
            "/api/v1/admissions", admission_payload(patient, bed, doctor), format="json"
        )
        assert response.status_code == 403


def test_admissions_list_by_status_and_ward(api, nurse, doctor, beds, other_bed, occupied):
    gone = admit(PatientFactory(), beds[1], doctor)
    services.admission_discharge(admission=gone, disposition="home", summary="x", actor=doctor)
    elsewhere = admit(PatientFactory(), other_bed, doctor)
    client = api(nurse)

    def ids(**query):
        response = client.get("/api/v1/admissions", query)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {str(occupied.pk), str(gone.pk), str(elsewhere.pk)}
    assert ids(status="admitted") == {str(occupied.pk), str(elsewhere.pk)}
    assert ids(status="discharged") == {str(gone.pk)}
    assert ids(ward=str(beds[0].room.ward_id)) == {str(occupied.pk), str(gone.pk)}
    assert ids(status="admitted", ward=str(other_bed.room.ward_id)) == {str(elsewhere.pk)}
    assert client.get("/api/v1/admissions", {"status": "asleep"}).status_code == 400


def test_an_ordered_discharge_is_still_admitted(api, nurse, doctor, occupied):
    services.admission_order_discharge(admission=occupied, actor=doctor)
    rows = api(nurse).get("/api/v1/admissions", {"status": "admitted"}).json()["results"]
    assert [r["status"] for r in rows] == ["discharge_ordered"]


def test_an_admission_in_detail_shows_its_summary_to_the_care_team_only(
    api, doctor, receptionist, nurse, occupied
):
    services.admission_discharge(
        admission=occupied, disposition="home", summary="Recovered well.", actor=doctor
    )
    mine = api(doctor).get(f"/api/v1/admissions/{occupied.pk}").json()
    assert mine["discharge_summary"] == "Recovered well."
    assert mine["bed"] is None and mine["disposition"] == "home"
    for user in (receptionist, nurse):
        theirs = api(user).get(f"/api/v1/admissions/{occupied.pk}")
        assert theirs.status_code == 200 and theirs.json()["discharge_summary"] is None
    care_team_add(patient=occupied.patient, user=nurse, actor=None)
    again = api(nurse).get(f"/api/v1/admissions/{occupied.pk}").json()
    assert again["discharge_summary"] == "Recovered well."


def test_an_unknown_admission_is_404(api, doctor):
    assert api(doctor).get(f"/api/v1/admissions/{uuid.uuid4()}").status_code == 404
    assert api(doctor).get("/api/v1/admissions/not-a-uuid").status_code == 404


def test_transfer_by_api(api, nurse, beds, occupied):
    response = api(nurse).post(
        f"/api/v1/admissions/{occupied.pk}/transfer",
        {"bed": str(beds[1].pk), "reason": "Single room"},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["bed"]["id"] == str(beds[1].pk)
    assert [s["reason"] for s in data["stays"]] == ["admission", "transfer"]
    assert data["stays"][1]["transfer_reason"] == "Single room"


def test_transfer_into_an_occupied_or_unavailable_bed_answers_409(
    api, nurse, doctor, beds, occupied
):
    admit(PatientFactory(), beds[1], doctor)
    beds[2].status, beds[2].blocked_reason = Bed.Status.BLOCKED, "Maintenance"
    beds[2].save()
    client = api(nurse)
    url = f"/api/v1/admissions/{occupied.pk}/transfer"
    assert (
        client.post(url, {"bed": str(beds[1].pk), "reason": "x"}, format="json").status_code == 409
    )
    assert (
        client.post(url, {"bed": str(beds[2].pk), "reason": "x"}, format="json").status_code == 409
    )
    assert client.post(url, {"bed": str(beds[1].pk)}, format="json").status_code == 400
    assert (
        client.post(url, {"bed": str(beds[0].pk), "reason": "x"}, format="json").status_code == 400
    )  # the bed it lies in


def test_transfers_are_for_ward_staff(api, doctor, beds, occupied):
    response = api(doctor).post(
        f"/api/v1/admissions/{occupied.pk}/transfer",
        {"bed": str(beds[1].pk), "reason": "x"},
        format="json",
    )
    assert response.status_code == 403


def test_discharge_by_api(api, doctor, nurse, beds, occupied):
    url = f"/api/v1/admissions/{occupied.pk}/discharge"
    assert (
        api(nurse).post(url, {"disposition": "home", "summary": "x"}, format="json").status_code
        == 403
    )
    bad = api(doctor).post(url, {"disposition": "moon", "summary": ""}, format="json")
    assert bad.status_code == 400 and {"disposition", "summary"} <= set(bad.json())
    response = api(doctor).post(url, {"disposition": "home", "summary": "Home."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "discharged"
    note = response.json()["discharge_summary_note"]
    assert api(doctor).get(f"/api/v1/notes/{note['id']}").json()["note_type"] == "discharge_summary"
    beds[0].refresh_from_db()
    assert beds[0].status == "cleaning"
    again = api(doctor).post(url, {"disposition": "home", "summary": "Home."}, format="json")
    assert again.status_code == 409
    transfer = api(nurse).post(
        f"/api/v1/admissions/{occupied.pk}/transfer",
        {"bed": str(beds[1].pk), "reason": "x"},
        format="json",
    )
    assert transfer.status_code == 409


# --- Census and doctors -----------------------------------------------------------------------


def test_the_census_lists_each_ward_whose_states_add_up(
    api, nurse, doctor, beds, other_ward, occupied
):
    beds_in(other_ward, 2)
    services.bed_block(bed=beds[3], reason="Maintenance", actor=nurse)
    response = api(doctor).get("/api/v1/inpatient/census")
    assert response.status_code == 200
    rows = {r["ward"]["name"]: r for r in response.json()}
    assert all(r["ward_name"] == name for name, r in rows.items())  # deprecated alias
    medical = rows["Medical Ward"]
    assert {
        k: medical[k] for k in ("total", "available", "reserved", "occupied", "cleaning", "blocked")
    } == {"total": 4, "available": 2, "reserved": 0, "occupied": 1, "cleaning": 0, "blocked": 1}
    for row in rows.values():
        assert row["total"] == sum(row[s] for s in Bed.Status.values)


def test_the_census_is_for_ward_staff_and_doctors(api, lab_tech, pharmacist):
    for user in (lab_tech, pharmacist):
        assert api(user).get("/api/v1/inpatient/census").status_code == 403


def test_doctors_are_listed_with_their_specialties(api, nurse, doctor, make_user):
    cardiology = SpecialtyFactory(name="Cardiology", code="cardiology")
    profile = DoctorProfileFactory(user=doctor)
    DoctorSpecialty.objects.create(doctor=profile, specialty=cardiology)
    other = make_user("Doctor", first_name="Meredith", last_name="Grey")
    make_user("Doctor", is_active=False)
    response = api(nurse).get("/api/v1/doctors")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [str(other.pk), str(doctor.pk)]  # Grey, House
    assert rows[1] == {
        "id": str(doctor.pk),
        "name": "Dr Gregory House",
        "email": doctor.email,
        "specialties": ["Cardiology"],
    }
    assert rows[0]["specialties"] == []
    by_code = api(nurse).get("/api/v1/doctors", {"specialty": "cardiology"}).json()
    by_id = api(nurse).get("/api/v1/doctors", {"specialty": str(cardiology.pk)}).json()
    assert [r["id"] for r in by_code["results"]] == [str(doctor.pk)]
    assert [r["id"] for r in by_id["results"]] == [str(doctor.pk)]
    assert api(nurse).get("/api/v1/doctors", {"specialty": "nope"}).json()["count"] == 0


def test_the_doctor_list_is_for_staff_who_see_doctor_profiles(api, lab_tech, portal_patient):
    assert api(lab_tech).get("/api/v1/doctors").status_code == 403
    assert api(portal_patient).get("/api/v1/doctors").status_code == 403
    assert APIClient().get("/api/v1/doctors").status_code == 401


def test_a_listed_doctor_id_admits(api, doctor, bed, patient):
    doctor_id = api(doctor).get("/api/v1/doctors").json()["results"][0]["id"]
    response = api(doctor).post(
        "/api/v1/admissions",
        {
            "patient": str(patient.pk),
            "bed": str(bed.pk),
            "attending_doctor": doctor_id,
            "reason": "x",
        },
        format="json",
    )
    assert response.status_code == 201
    assert BedStay.objects.get(admission_id=response.json()["id"]).bed == bed
