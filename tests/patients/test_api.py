"""API v1 patients: registration and duplicates, search, demographics and their history,
deactivation, the care team, break-the-glass, the access log and who may do what."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from accounts import roles
from ehr.core.api.exceptions import exception_handler
from ehr.core.models import Notification
from patients.access import require_chart_access
from patients.exceptions import ChartAccessDenied
from patients.models import ChartAccess, Patient, luhn_is_valid
from patients.services import break_glass_open, patient_merge
from tests.factories.patients import PatientFactory, on_care_team
from tests.matrix import Page, assert_persona_access, page_ids, persona_cases

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/patients"
JSON = "application/json"


def detail(patient_or_id, suffix=""):
    pk = getattr(patient_or_id, "pk", patient_or_id)
    return f"{PATIENTS}/{pk}{suffix}"


def new_patient(**overrides):
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1985-12-10",
        "sex": "female",
        "phone": "+1 202 555 0143",
        **overrides,
    }


@pytest.fixture
def api(client):
    """Return a function that signs `user` in (session) and returns the client."""

    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture
def bearer_client(client, password):
    """Return a function that logs `user` in through the API and sends its token."""

    def sign_in(user):
        response = client.post(
            "/api/v1/auth/login",
            {"email": user.email, "password": password},
            content_type=JSON,
        )
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {response.json()['access']}"
        return client

    return sign_in


# --- Registration -----------------------------------------------------------------------------


def test_registering_a_patient_answers_201_with_a_valid_luhn_mrn(bearer_client, receptionist):
    client = bearer_client(receptionist)
    response = client.post(PATIENTS, new_patient(), content_type=JSON)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mrn"].isdigit() and luhn_is_valid(body["mrn"])
    assert body["display_mrn"] == f"MRN{body['mrn']}"
    assert body["date_of_birth"] == "1985-12-10"
    assert body["phone"] == "+12025550143"
    assert body["is_active"] is True
    patient = Patient.objects.get(pk=body["id"])
    assert patient.created_by == receptionist
    assert patient.history.get().history_user == receptionist


def test_registration_saves_and_returns_identifiers_and_emergency_contacts(api, receptionist):
    response = api(receptionist).post(
        PATIENTS,
        new_patient(
            identifiers=[{"type": "passport", "value": "X1234567"}],
            emergency_contacts=[
                {"name": "Charles Babbage", "relationship": "friend", "phone": "202-555-0199"}
            ],
        ),
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["identifiers"] == [{"type": "passport", "value": "X1234567"}]
    assert body["emergency_contacts"] == [
        {"name": "Charles Babbage", "relationship": "friend", "phone": "+12025550199"}
    ]


def test_a_possible_duplicate_answers_409_with_candidates_until_confirmed(api, receptionist):
    existing = PatientFactory(
        first_name="John", last_name="Smith", date_of_birth=date(1980, 2, 3), sex="male"
    )
    client = api(receptionist)
    data = new_patient(first_name="Jon", last_name="Smyth", date_of_birth="1980-02-03", sex="male")
    response = client.post(PATIENTS, data, content_type=JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "possible_duplicate" and body["detail"]
    [candidate] = body["candidates"]
    assert candidate["id"] == str(existing.pk) and candidate["mrn"] == existing.mrn
    assert candidate["date_of_birth"] == "1980-02-03"
    assert {"last_name", "date_of_birth"} <= set(candidate["matched"])
    assert candidate["score"] >= 6
    assert Patient.objects.count() == 1

    confirmed = client.post(PATIENTS, {**data, "allow_duplicate": True}, content_type=JSON)
    assert confirmed.status_code == 201
    assert Patient.objects.count() == 2


def test_an_identifier_of_another_patient_answers_409(api, receptionist):
    client = api(receptionist)
    passport = [{"type": "passport", "value": "X1234567"}]
    assert (
        client.post(PATIENTS, new_patient(identifiers=passport), content_type=JSON).status_code
        == 201
    )
    response = client.post(
        PATIENTS,
        new_patient(
            first_name="Grace",
            last_name="Hopper",
            date_of_birth="1906-12-09",
            phone="",
            identifiers=passport,
        ),
        content_type=JSON,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "identifier_in_use"
    assert Patient.objects.count() == 1  # the registration was rolled back whole


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"sex": "robot"}, "sex"),
        (
            {"date_of_birth": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "date_of_birth",
        ),
        ({"date_of_birth": "10/12/85x"}, "date_of_birth"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": None}, "last_name"),
        ({"email": "not-an-email"}, "email"),
        ({"marital_status": "complicated"}, "marital_status"),
        ({"identifiers": [{"type": "dna", "value": "1"}]}, "identifiers"),
        ({"identifiers": [{"type": "passport", "value": "A"}] * 2}, "identifiers"),
        ({"emergency_contacts": [{"name": "Bob"}]}, "emergency_contacts"),
    ],
)
def test_invalid_registration_answers_400_with_field_errors(api, receptionist, changes, field):
    response = api(receptionist).post(PATIENTS, new_patient(**changes), content_type=JSON)
    assert response.status_code == 400
    assert field in response.json()
    assert not Patient.objects.exists()


def test_missing_names_and_date_of_birth_are_each_reported(api, receptionist):
    response = api(receptionist).post(PATIENTS, {}, content_type=JSON)
    assert response.status_code == 400
    assert {"first_name", "last_name", "date_of_birth"} <= set(response.json())


# --- List and search --------------------------------------------------------------------------


@pytest.fixture
def smiths():
    return {
        "john": PatientFactory(
            first_name="John", last_name="Smith", date_of_birth=date(1980, 2, 3), sex="male"
        ),
        "jane": PatientFactory(
            first_name="Jane", last_name="Smith", date_of_birth=date(1990, 5, 6), sex="female"
        ),
        "other": PatientFactory(
            first_name="Grace", last_name="Hopper", date_of_birth=date(1906, 12, 9), sex="female"
        ),
    }


def found(client, **params):
    response = client.get(PATIENTS, params)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_search_finds_by_name_prefix_sound_alike_mrn_and_birth_date(api, doctor, smiths):
    client = api(doctor)
    both = {str(smiths["john"].pk), str(smiths["jane"].pk)}
    assert found(client, search="smi") == both
    assert found(client, search="Smyth") == both
    assert found(client, search=smiths["other"].mrn) == {str(smiths["other"].pk)}
    assert found(client, search=f"MRN{smiths['other'].mrn}") == {str(smiths["other"].pk)}
    assert found(client, search="smith 1980-02-03") == {str(smiths["john"].pk)}


def test_list_is_paginated_and_shows_active_patients_unless_asked(api, doctor, smiths):
    smiths["other"].is_active = False
    smiths["other"].save()
    client = api(doctor)
    body = client.get(PATIENTS).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert found(client, active="false") == {str(smiths["other"].pk)}
    assert len(found(client, active="all")) == 3
    assert found(client, sex="female") == {str(smiths["jane"].pk)}


def test_list_with_a_bad_filter_answers_400(api, doctor):
    response = api(doctor).get(PATIENTS, {"active": "maybe"})
    assert response.status_code == 400
    assert "active" in response.json()


def test_listing_patients_is_not_logged_as_chart_reads(api, doctor, smiths):
    api(doctor).get(PATIENTS)
    assert not ChartAccess.objects.exists()


def test_listing_takes_the_same_number_of_queries_for_more_patients(
    api, receptionist, django_assert_max_num_queries
):
    client = api(receptionist)
    for _ in range(2):
        client.post(
            PATIENTS,
            new_patient(
                allow_duplicate=True,
                identifiers=[{"type": "passport", "value": str(uuid.uuid4())[:8]}],
                emergency_contacts=[{"name": "A", "relationship": "b", "phone": "+12025550100"}],
            ),
            content_type=JSON,
        )
    client.get(PATIENTS)  # warm the session and the parameter cache
    with django_assert_max_num_queries(10) as few:
        client.get(PATIENTS)
    PatientFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(PATIENTS).json()
    assert body["count"] == 22


# --- Read, edit, history, deactivate ----------------------------------------------------------


def test_reading_a_patient_logs_a_chart_access_with_channel_api(bearer_client, receptionist):
    patient = PatientFactory()
    response = bearer_client(receptionist).get(detail(patient))
    assert response.status_code == 200
    assert response.json()["mrn"] == patient.mrn
    entry = ChartAccess.objects.get()
    assert (entry.patient, entry.user) == (patient, receptionist)
    assert (entry.part, entry.channel) == ("demographics", ChartAccess.Channel.API)
    assert entry.ip_address == "127.0.0.1"
    assert entry.break_glass is None


def test_patch_changes_the_phone_and_history_shows_old_and_new_with_the_user(api, receptionist):
    patient = PatientFactory(phone="+12025550143")
    client = api(receptionist)
    response = client.patch(detail(patient), {"phone": "+44 20 7946 0958"}, content_type=JSON)
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "+442079460958"
    assert response.json()["first_name"] == patient.first_name

    history = client.get(detail(patient, "/history"))
    assert history.status_code == 200
    latest, created = history.json()["results"]
    assert latest["type"] == "changed"
    assert latest["user"] == {"id": str(receptionist.pk), "name": receptionist.get_full_name()}
    assert latest["changes"] == [{"field": "phone", "old": "+12025550143", "new": "+442079460958"}]
    assert created["type"] == "created" and created["changes"] == []
    assert ChartAccess.objects.filter(part="history", channel="api").exists()


def test_history_pages_diff_the_last_row_against_the_next_page(api, receptionist):
    patient = PatientFactory(city="Paris")
    client = api(receptionist)
    for city in ("Lyon", "Nice"):
        client.patch(detail(patient), {"city": city}, content_type=JSON)
    body = client.get(detail(patient, "/history"), {"page_size": 1, "page": 2}).json()
    assert body["count"] == 3
    assert body["results"][0]["changes"] == [{"field": "city", "old": "Paris", "new": "Lyon"}]


def test_put_replaces_demographics_and_lists(api, receptionist):
    client = api(receptionist)
    created = client.post(
        PATIENTS,
        new_patient(identifiers=[{"type": "passport", "value": "X1"}]),
        content_type=JSON,
    ).json()
    response = client.put(
        detail(created["id"]),
        new_patient(last_name="King", identifiers=[{"type": "national_id", "value": "N9"}]),
        content_type=JSON,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["last_name"] == "King"
    assert response.json()["identifiers"] == [{"type": "national_id", "value": "N9"}]
    assert response.json()["mrn"] == created["mrn"]

    incomplete = client.put(detail(created["id"]), {"first_name": "Ada"}, content_type=JSON)
    assert incomplete.status_code == 400
    assert "last_name" in incomplete.json()


def test_invalid_edits_answer_400_and_change_nothing(api, receptionist):
    patient = PatientFactory(first_name="Ada")
    client = api(receptionist)
    for bad in (
        {"phone": "abc"},
        {"first_name": ""},
        {"sex": "x"},
        {"date_of_birth": "2999-01-01"},
    ):
        response = client.patch(detail(patient), bad, content_type=JSON)
        assert response.status_code == 400, bad
    patient.refresh_from_db()
    assert patient.first_name == "Ada"


def test_editing_a_merged_record_answers_409(api, receptionist, administrator):
    survivor, duplicate = PatientFactory(), PatientFactory()
    patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    response = api(receptionist).patch(detail(duplicate), {"city": "Oslo"}, content_type=JSON)
    assert response.status_code == 409
    assert response.json()["code"] == "patient_inactive"
    merged_into = api(receptionist).get(detail(duplicate)).json()["merged_into"]
    assert merged_into == {
        "id": str(survivor.pk),
        "name": survivor.full_name,
        "mrn": survivor.display_mrn,
    }
    assert api(receptionist).get(detail(survivor)).json()["merged_into"] is None


def test_listing_merged_records_reads_their_survivors_in_the_same_query(
    api, receptionist, administrator
):
    client = api(receptionist)
    client.get("/api/v1/patients?active=all")  # warm the session and permission caches

    def merge_one():
        survivor, duplicate = PatientFactory(), PatientFactory()
        patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)

    merge_one()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/patients?active=all").status_code == 200
    for _ in range(3):
        merge_one()
    with CaptureQueriesContext(connection) as four:
        assert client.get("/api/v1/patients?active=all").status_code == 200
    assert len(four) == len(one)


def test_delete_deactivates_and_the_record_stays_readable(api, receptionist):
    patient = PatientFactory()
    client = api(receptionist)
    response = client.delete(detail(patient))
    assert response.status_code == 204
    patient.refresh_from_db()
    assert patient.is_active is False
    again = client.get(detail(patient))
    assert again.status_code == 200 and again.json()["is_active"] is False
    latest = client.get(detail(patient, "/history")).json()["results"][0]
    assert latest["changes"] == [{"field": "is_active", "old": True, "new": False}]


# --- Care team --------------------------------------------------------------------------------


def test_a_member_adds_and_removes_care_team_members(api, doctor, nurse):
    patient = on_care_team(PatientFactory(), doctor)
    client = api(doctor)
    added = client.post(detail(patient, "/care-team"), {"user": str(nurse.pk)}, content_type=JSON)
    assert added.status_code == 201, added.json()
    assert added.json()["user"]["id"] == str(nurse.pk)
    assert added.json()["user"]["roles"] == ["Nurse"]
    assert added.json()["reason"] == "explicit" and added.json()["expires_at"] is None
    assert added.json()["added_by"] == {"id": str(doctor.pk), "name": doctor.get_full_name()}

    members = client.get(detail(patient, "/care-team")).json()["results"]
    assert {m["user"]["id"] for m in members} == {str(doctor.pk), str(nurse.pk)}

    removed = client.delete(
        detail(patient, "/care-team"), {"user": str(nurse.pk)}, content_type=JSON
    )
    assert removed.status_code == 204
    again = client.delete(f"{detail(patient, '/care-team')}?user={nurse.pk}")
    assert again.status_code == 404
    members = client.get(detail(patient, "/care-team")).json()["results"]
    assert [m["user"]["id"] for m in members] == [str(doctor.pk)]


def test_only_members_with_the_role_change_the_care_team(
    api, make_user, doctor, nurse, receptionist
):
    patient = on_care_team(PatientFactory(), nurse)
    url = detail(patient, "/care-team")
    body = {"user": str(doctor.pk)}
    outsider = api(make_user(roles.DOCTOR))
    response = outsider.post(url, body, content_type=JSON)
    assert response.status_code == 403
    assert "care team" in response.json()["detail"]
    assert api(nurse).post(url, body, content_type=JSON).status_code == 403  # no permission
    assert api(receptionist).post(url, body, content_type=JSON).status_code == 403
    assert api(receptionist).get(url).status_code == 200  # the team itself is not clinical
    assert api(nurse).delete(f"{url}?user={nurse.pk}").status_code == 403
    assert [m["user"]["id"] for m in api(nurse).get(url).json()["results"]] == [str(nurse.pk)]


def test_only_doctors_and_nurses_join_a_care_team(api, doctor, receptionist):
    patient = on_care_team(PatientFactory(), doctor)
    response = api(doctor).post(
        detail(patient, "/care-team"), {"user": str(receptionist.pk)}, content_type=JSON
    )
    assert response.status_code == 400
    assert "user" in response.json()


# --- Break the glass --------------------------------------------------------------------------


def test_break_the_glass_grants_access_and_notifies_administrators(api, nurse, administrator):
    patient = PatientFactory()
    url = detail(patient, "/break-glass")
    client = api(nurse)
    response = client.post(
        url,
        {"reason": "emergency_care", "details": "Collapsed in the waiting room"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reason"] == "emergency_care"
    assert body["details"] == "Collapsed in the waiting room"
    assert body["id"] and body["expires_at"]
    assert body["user"] == {"id": str(nurse.pk), "name": nurse.get_full_name()}
    assert body["patient"]["id"] == str(patient.pk)
    assert Notification.objects.filter(recipient=administrator, category="security").exists()

    again = client.post(url, {"reason": "emergency_care"}, content_type=JSON)
    assert again.status_code == 409
    assert again.json()["code"] == "break_glass_not_needed"


def test_break_the_glass_needs_a_reason(api, doctor):
    url = detail(PatientFactory(), "/break-glass")
    blank = api(doctor).post(url, {"reason": "other", "details": "   "}, content_type=JSON)
    assert blank.status_code == 400
    assert "details" in blank.json()
    missing = api(doctor).post(url, {}, content_type=JSON)
    assert missing.status_code == 400
    assert "reason" in missing.json()


# --- Access log -------------------------------------------------------------------------------


def test_administrators_read_the_access_log(api, receptionist, administrator):
    patient = PatientFactory()
    api(receptionist).get(detail(patient))
    response = api(administrator).get(detail(patient, "/access-log"))
    assert response.status_code == 200
    [entry] = response.json()["results"]
    assert entry["user"] == {"id": str(receptionist.pk), "name": receptionist.get_full_name()}
    assert entry["patient"] == {
        "id": str(patient.pk),
        "name": patient.full_name,
        "mrn": patient.display_mrn,
    }
    assert entry["roles"] == "Receptionist"
    assert (entry["part"], entry["channel"]) == ("demographics", "api")
    assert entry["ip_address"] == "127.0.0.1"
    assert entry["break_glass"] is False


def test_reads_under_break_the_glass_are_marked_in_the_access_log(api, doctor, administrator):
    patient = PatientFactory()
    break_glass_open(patient=patient, user=doctor, reason="emergency_care", details="Emergency")
    api(doctor).get(detail(patient))
    [entry] = api(administrator).get(detail(patient, "/access-log")).json()["results"]
    assert entry["break_glass"] is True


def test_clinicians_cannot_read_the_access_log(api, doctor):
    patient = on_care_team(PatientFactory(), doctor)
    assert api(doctor).get(detail(patient, "/access-log")).status_code == 403


# --- Clinical parts ---------------------------------------------------------------------------


def api_request(user):
    request = APIRequestFactory().get("/api/v1/anything", REMOTE_ADDR="10.0.0.7")
    request.user = user
    return request


def test_clinical_reads_outside_the_care_team_are_refused_naming_break_the_glass(doctor):
    patient = PatientFactory()
    with pytest.raises(ChartAccessDenied) as refused:
        require_chart_access(api_request(doctor), patient, "vitals")
    response = exception_handler(refused.value, {})
    assert response.status_code == 403
    assert "break the glass" in response.data["detail"]
    assert not ChartAccess.objects.exists()


def test_clinical_reads_by_the_care_team_are_logged_with_channel_api(doctor):
    patient = on_care_team(PatientFactory(), doctor)
    decision = require_chart_access(api_request(doctor), patient, "vitals")
    assert decision.allowed
    entry = ChartAccess.objects.get()
    assert (entry.part, entry.channel, entry.ip_address) == ("vitals", "api", "10.0.0.7")


def test_clinical_reads_under_break_the_glass_name_the_access(nurse):
    patient = PatientFactory()
    access = break_glass_open(
        patient=patient, user=nurse, reason="emergency_care", details="Code blue"
    )
    require_chart_access(api_request(nurse), patient, "notes")
    assert ChartAccess.objects.get().break_glass == access


# --- Who may do what --------------------------------------------------------------------------


VIEWERS = {"doctor", "nurse", "receptionist", "administrator"}  # patients.view_patient
EDITORS = {"receptionist", "administrator"}  # patients.change_patient
AS_JSON = {"content_type": JSON}

API_PAGES = [
    Page("list", lambda p: PATIENTS, VIEWERS),
    Page("list_bad_filter", lambda p: f"{PATIENTS}?active=maybe", VIEWERS, ok=400),
    Page("retrieve", lambda p: detail(p), VIEWERS),
    Page("history", lambda p: detail(p, "/history"), VIEWERS),
    Page("care_team", lambda p: detail(p, "/care-team"), VIEWERS),
    Page("access_log", lambda p: detail(p, "/access-log"), {"administrator"}),
    Page(
        "register",
        lambda p: PATIENTS,
        {"receptionist"},
        method="post",
        data=new_patient(first_name="Brand", last_name="Newperson"),
        extra=AS_JSON,
        ok=201,
    ),
    Page(
        "patch",
        lambda p: detail(p),
        EDITORS,
        method="patch",
        data={"city": "Oslo"},
        extra=AS_JSON,
    ),
    Page("deactivate", lambda p: detail(p), EDITORS, method="delete", ok=204),
    Page(
        "break_glass",
        lambda p: detail(p, "/break-glass"),
        {"doctor", "nurse"},
        method="post",
        data={"reason": "emergency_care", "details": "Collapsed in the lobby"},
        extra=AS_JSON,
        ok=201,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(API_PAGES))
def test_each_endpoint_is_open_to_its_roles_only(request, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, PatientFactory())


@pytest.mark.parametrize("page", API_PAGES, ids=page_ids(API_PAGES))
def test_portal_patients_are_refused_everywhere(signed_in, portal_patient, page):
    response = page.request(signed_in(portal_patient), PatientFactory())
    assert response.status_code == 403
    assert not ChartAccess.objects.exists()


def test_unknown_patients_are_404(api, doctor):
    client = api(doctor)
    assert client.get(detail(uuid.uuid4())).status_code == 404
    assert client.get(detail("not-a-uuid")).status_code == 404
    assert client.get(detail(uuid.uuid4(), "/history")).status_code == 404


def test_anonymous_requests_answer_401(client):
    patient = PatientFactory()
    assert client.get(PATIENTS).status_code == 401
    assert client.get(detail(patient)).status_code == 401
    assert client.post(PATIENTS, new_patient(), content_type=JSON).status_code == 401


def test_the_schema_documents_the_patient_endpoints(api, doctor):
    response = api(doctor).get("/api/v1/schema/")
    assert response.status_code == 200
    for path in (
        b"/api/v1/patients:",
        b"/api/v1/patients/{id}:",
        b"/api/v1/patients/{id}/care-team:",
        b"/api/v1/patients/{id}/break-glass:",
    ):
        assert path in response.content
