"""API v1 clinical endpoints: exact paths and field names, 400 with field errors for
impossible vitals and unknown codes, 409 for signed notes, 403 outside the care team
(naming break-the-glass) until the glass is broken, and every read in the access log."""

import uuid

import pytest

from clinical import services
from clinical.models import ClinicalNote, Encounter
from patients.models import ChartAccess
from patients.services import break_glass_open
from tests.factories.patients import on_care_team
from tests.matrix import STAFF_PERSONAS, Page, assert_persona_access, persona_cases

pytestmark = pytest.mark.django_db

JSON = "application/json"
VITAL_FIELDS = {
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "respiratory_rate",
    "temperature_c",
    "spo2",
    "weight_kg",
    "height_cm",
    "bmi",
    "pain_score",
    "recorded_at",
}


@pytest.fixture
def api(client):
    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


def logged(user, patient, channel="api"):
    return list(
        ChartAccess.objects.filter(user=user, patient=patient, channel=channel)
        .order_by("accessed_at")
        .values_list("part", flat=True)
    )


# --- Vitals ---------------------------------------------------------------------------------


def test_vitals_are_recorded_and_listed_with_the_issue_field_names(api, nurse, patient):
    url = f"/api/v1/patients/{patient.pk}/vitals"
    body = {
        "systolic_bp": 150,
        "diastolic_bp": 92,
        "heart_rate": 88,
        "respiratory_rate": 16,
        "temperature_c": "37.2",
        "spo2": 97,
        "weight_kg": "82.5",
        "height_cm": "178",
        "pain_score": 2,
    }
    response = api(nurse).post(url, body, content_type=JSON)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) >= VITAL_FIELDS
    assert data["bmi"] == "26.0"
    assert data["flags"] == {"systolic_bp": "high", "diastolic_bp": "high", "bmi": "high"}
    listed = api(nurse).get(url).json()
    assert listed["count"] == 1 and set(listed["results"][0]) >= VITAL_FIELDS
    assert logged(nurse, patient) == ["vitals", "vitals"]


def test_bmi_is_read_only(api, nurse, patient):
    response = api(nurse).post(
        f"/api/v1/patients/{patient.pk}/vitals",
        {"weight_kg": "70", "height_cm": "170", "bmi": "99"},
        content_type=JSON,
    )
    assert response.status_code == 201 and response.json()["bmi"] == "24.2"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"heart_rate": 350}, "heart_rate"),
        ({"heart_rate": 10}, "heart_rate"),
        ({"temperature_c": "46"}, "temperature_c"),
        ({"temperature_c": "20.5"}, "temperature_c"),
        ({"systolic_bp": 110, "diastolic_bp": 120}, "diastolic_bp"),
        ({"spo2": 104}, "spo2"),
        ({"pain_score": 12}, "pain_score"),
        ({"heart_rate": "fast"}, "heart_rate"),
    ],
)
def test_an_impossible_vital_answers_400_with_field_errors(api, nurse, patient, body, field):
    response = api(nurse).post(f"/api/v1/patients/{patient.pk}/vitals", body, content_type=JSON)
    assert response.status_code == 400
    assert field in response.json()


# --- Notes ----------------------------------------------------------------------------------


def test_notes_flow_draft_patch_sign_then_409_and_addendum(api, doctor, patient):
    client = api(doctor)
    response = client.post(
        f"/api/v1/patients/{patient.pk}/notes",
        {
            "note_type": "progress",
            "subjective": "Headache",
            "objective": "BP 150/95",
            "assessment": "Hypertension",
            "plan": "Start amlodipine",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    note = response.json()
    assert {"note_type", "subjective", "objective", "assessment", "plan", "text", "status"} <= set(
        note
    )
    assert note["status"] == "draft"
    url = f"/api/v1/notes/{note['id']}"
    patched = client.patch(url, {"plan": "Start amlodipine 5 mg"}, content_type=JSON)
    assert patched.status_code == 200 and patched.json()["plan"] == "Start amlodipine 5 mg"
    signed = client.post(f"{url}/sign")
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed" and signed.json()["signed_at"]
    refused = client.patch(url, {"plan": "Changed"}, content_type=JSON)
    assert refused.status_code == 409
    assert refused.json()["code"] == "note_signed"
    assert client.get(url).json()["plan"] == "Start amlodipine 5 mg"
    addendum = client.post(
        f"{url}/addenda", {"text": "Recheck BP in 2 weeks", "status": "signed"}, content_type=JSON
    )
    assert addendum.status_code == 201
    assert addendum.json()["amends"]["id"] == note["id"] and addendum.json()["status"] == "signed"
    assert client.post(f"{url}/sign").status_code == 409


def test_a_note_can_be_signed_on_creation(api, doctor, patient):
    response = api(doctor).post(
        f"/api/v1/patients/{patient.pk}/notes",
        {"note_type": "consultation", "text": "Opinion", "status": "signed"},
        content_type=JSON,
    )
    assert response.status_code == 201 and response.json()["status"] == "signed"


def test_an_empty_note_answers_400(api, doctor, patient):
    response = api(doctor).post(
        f"/api/v1/patients/{patient.pk}/notes", {"note_type": "progress"}, content_type=JSON
    )
    assert response.status_code == 400


def test_a_nurse_signing_a_progress_note_gets_403_and_a_nursing_note_is_signed(api, nurse, patient):
    client = api(nurse)
    progress = client.post(
        f"/api/v1/patients/{patient.pk}/notes",
        {"note_type": "progress", "text": "Obs"},
        content_type=JSON,
    ).json()
    assert client.post(f"/api/v1/notes/{progress['id']}/sign").status_code == 403
    nursing = client.post(
        f"/api/v1/patients/{patient.pk}/notes",
        {"note_type": "nursing", "text": "Obs", "status": "signed"},
        content_type=JSON,
    )
    assert nursing.status_code == 201 and nursing.json()["status"] == "signed"


def test_only_the_author_patches_a_draft_and_others_do_not_see_it(api, doctor, nurse, patient):
    note = services.note_create(patient=patient, actor=nurse, note_type="nursing", text="x")
    response = api(doctor).patch(f"/api/v1/notes/{note.pk}", {"text": "y"}, content_type=JSON)
    assert response.status_code == 404  # another author's draft is not in the doctor's scope
    listed = api(doctor).get(f"/api/v1/patients/{patient.pk}/notes").json()
    assert listed["count"] == 0


def test_notes_entered_in_error_are_listed_only_on_request(api, doctor, patient):
    note = services.note_create(patient=patient, actor=doctor, text="x", sign=True)
    services.note_mark_entered_in_error(note=note, actor=doctor, reason="Wrong chart")
    client = api(doctor)
    assert client.get(f"/api/v1/patients/{patient.pk}/notes").json()["count"] == 0
    shown = client.get(f"/api/v1/patients/{patient.pk}/notes?include_entered_in_error=true")
    assert shown.json()["results"][0]["entered_in_error"] is True


# --- Allergies and conditions ---------------------------------------------------------------


def test_allergies_are_recorded_with_the_issue_field_names(api, nurse, patient):
    url = f"/api/v1/patients/{patient.pk}/allergies"
    response = api(nurse).post(
        url,
        {
            "allergen": "Penicillin",
            "category": "drug",
            "reaction": "Anaphylaxis",
            "severity": "life_threatening",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    assert {"allergen", "category", "reaction", "severity", "status"} <= set(response.json())
    assert response.json()["status"] == "active"
    assert api(nurse).get(url).json()["results"][0]["severity"] == "life_threatening"
    duplicate = api(nurse).post(
        url, {"allergen": "PENICILLIN", "severity": "mild"}, content_type=JSON
    )
    assert duplicate.status_code == 409


def test_an_unknown_severity_answers_400(api, nurse, patient):
    response = api(nurse).post(
        f"/api/v1/patients/{patient.pk}/allergies",
        {"allergen": "Latex", "severity": "deadly"},
        content_type=JSON,
    )
    assert response.status_code == 400 and "severity" in response.json()


def test_conditions_take_an_icd10_code_and_an_unknown_code_answers_400(api, doctor, patient):
    url = f"/api/v1/patients/{patient.pk}/conditions"
    response = api(doctor).post(
        url,
        {
            "code": "E11.9",
            "clinical_status": "active",
            "category": "problem-list-item",
            "onset": "2020-05-01",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {"code", "clinical_status", "category", "onset"} <= set(data)
    assert data["code"] == "E11.9"
    assert data["title"] == "Type 2 diabetes mellitus without complications"
    unknown = api(doctor).post(url, {"code": "Q99.999"}, content_type=JSON)
    assert unknown.status_code == 400
    assert "code" in unknown.json()
    wrong_category = api(doctor).post(
        url, {"code": "I10", "category": "problem"}, content_type=JSON
    )
    assert wrong_category.status_code == 400 and "category" in wrong_category.json()
    assert api(doctor).get(url).json()["count"] == 1


# --- Encounters -----------------------------------------------------------------------------


def test_encounters_start_list_read_and_change_status(api, doctor, patient):
    client = api(doctor)
    response = client.post(
        "/api/v1/encounters",
        {
            "patient": str(patient.pk),
            "encounter_class": "emergency",
            "chief_complaint": "Chest pain",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {"patient", "encounter_class", "doctor", "status", "chief_complaint"} <= set(data)
    assert data["status"] == "in_progress"
    assert data["doctor"] == {"id": str(doctor.pk), "name": doctor.get_full_name()}
    assert data["patient"] == {
        "id": str(patient.pk),
        "name": patient.full_name,
        "mrn": patient.display_mrn,
    }
    url = f"/api/v1/encounters/{data['id']}"
    assert client.get(url).json()["chief_complaint"] == "Chest pain"
    listed = client.get(f"/api/v1/encounters?patient={patient.pk}").json()
    assert listed["count"] == 1
    changed = client.patch(
        url, {"chief_complaint": "Chest pain, resolved", "status": "finished"}, content_type=JSON
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["status"] == "finished" and changed.json()["ended_at"]
    back = client.patch(url, {"status": "in_progress"}, content_type=JSON)
    assert back.status_code == 409


def test_a_planned_encounter_needs_its_start_and_cancelling_needs_a_reason(api, doctor, patient):
    client = api(doctor)
    missing = client.post(
        "/api/v1/encounters", {"patient": str(patient.pk), "status": "planned"}, content_type=JSON
    )
    assert missing.status_code == 400 and "started_at" in missing.json()
    planned = client.post(
        "/api/v1/encounters",
        {"patient": str(patient.pk), "status": "planned", "started_at": "2030-01-02T09:00:00Z"},
        content_type=JSON,
    ).json()
    url = f"/api/v1/encounters/{planned['id']}"
    assert client.patch(url, {"status": "cancelled"}, content_type=JSON).status_code == 400
    cancelled = client.patch(
        url, {"status": "cancelled", "cancel_reason": "Patient called"}, content_type=JSON
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_the_encounter_list_shows_only_charts_one_may_open_and_logs_each(
    api, doctor, patient, stranger, make_user
):
    other_doctor = make_user("Doctor")
    on_care_team(stranger, other_doctor)
    services.encounter_start(patient=patient, actor=doctor)
    services.encounter_start(patient=stranger, actor=other_doctor)
    listed = api(doctor).get("/api/v1/encounters").json()
    assert [e["patient"]["id"] for e in listed["results"]] == [str(patient.pk)]
    assert logged(doctor, patient) == ["encounters"]
    assert logged(doctor, stranger) == []


# --- Access ---------------------------------------------------------------------------------


def _endpoints(patient, note, encounter):
    scene = {"patient": patient, "note": note, "encounter": encounter}
    return [
        (page.method, page.url(scene), page.data(scene) if callable(page.data) else page.data)
        for page in ENDPOINTS
    ]


def _endpoint(name, method, url, allowed, ok, data=None):
    extra = {"content_type": JSON} if data is not None else {}
    return Page(name, url, allowed, method=method, data=data, extra=extra, ok=ok)


CLINICIANS = frozenset({"doctor", "nurse"})
DOCTORS = frozenset({"doctor"})
API_PERSONAS = (*STAFF_PERSONAS, "portal_patient")

# Who may call each endpoint: the care team's doctor and nurse by their roles'
# permissions; every other role and portal patients get 403. The note of the scene is
# signed: changing or signing it again answers 409, past the role gate.
ENDPOINTS = [
    _endpoint(
        "vitals", "get", lambda s: f"/api/v1/patients/{s['patient'].pk}/vitals", CLINICIANS, 200
    ),
    _endpoint(
        "vitals record",
        "post",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/vitals",
        CLINICIANS,
        201,
        {"heart_rate": 70},
    ),
    _endpoint(
        "notes", "get", lambda s: f"/api/v1/patients/{s['patient'].pk}/notes", CLINICIANS, 200
    ),
    _endpoint(
        "note write",
        "post",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/notes",
        CLINICIANS,
        201,
        {"text": "x"},
    ),
    _endpoint("note", "get", lambda s: f"/api/v1/notes/{s['note'].pk}", CLINICIANS, 200),
    _endpoint(
        "note change",
        "patch",
        lambda s: f"/api/v1/notes/{s['note'].pk}",
        CLINICIANS,
        409,
        {"text": "y"},
    ),
    _endpoint("note sign", "post", lambda s: f"/api/v1/notes/{s['note'].pk}/sign", CLINICIANS, 409),
    _endpoint(
        "addendum",
        "post",
        lambda s: f"/api/v1/notes/{s['note'].pk}/addenda",
        CLINICIANS,
        201,
        {"text": "z"},
    ),
    _endpoint(
        "allergies",
        "get",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/allergies",
        CLINICIANS,
        200,
    ),
    _endpoint(
        "allergy record",
        "post",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/allergies",
        CLINICIANS,
        201,
        {"allergen": "Latex"},
    ),
    _endpoint(
        "conditions",
        "get",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/conditions",
        CLINICIANS,
        200,
    ),
    _endpoint(
        "condition add",
        "post",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/conditions",
        DOCTORS,
        201,
        {"code": "I10"},
    ),
    _endpoint(
        "encounters",
        "get",
        lambda s: f"/api/v1/encounters?patient={s['patient'].pk}",
        CLINICIANS,
        200,
    ),
    _endpoint(
        "encounter start",
        "post",
        lambda s: "/api/v1/encounters",
        DOCTORS,
        201,
        lambda s: {"patient": str(s["patient"].pk)},
    ),
    _endpoint(
        "encounter", "get", lambda s: f"/api/v1/encounters/{s['encounter'].pk}", CLINICIANS, 200
    ),
    _endpoint(
        "encounter change",
        "patch",
        lambda s: f"/api/v1/encounters/{s['encounter'].pk}",
        DOCTORS,
        200,
        {"chief_complaint": "x"},
    ),
]


@pytest.fixture
def scene(patient, doctor):
    """`patient`'s chart with a signed note and a running encounter by `doctor`."""
    note = services.note_create(patient=patient, actor=doctor, text="x", sign=True)
    encounter = services.encounter_start(patient=patient, actor=doctor)
    return {"patient": patient, "note": note, "encounter": encounter}


@pytest.mark.parametrize(("page", "persona"), persona_cases(ENDPOINTS, API_PERSONAS))
def test_each_endpoint_is_open_to_its_roles_only(request, signed_in, scene, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


def _call(client, method, url, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, content_type=JSON)


@pytest.fixture
def foreign_chart(stranger, make_user, codes):
    """A stranger's chart with a signed note (and a draft of its author) and an
    encounter, all by a doctor of its care team."""
    author = make_user("Doctor")
    on_care_team(stranger, author)
    note = services.note_create(patient=stranger, actor=author, text="Signed", sign=True)
    encounter = services.encounter_start(patient=stranger, actor=author)
    return stranger, note, encounter


def test_every_endpoint_answers_403_outside_the_care_team_naming_break_the_glass(
    api, doctor, foreign_chart
):
    patient, note, encounter = foreign_chart
    client = api(doctor)
    for method, url, body in _endpoints(patient, note, encounter):
        response = _call(client, method, url, body)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "break the glass" in response.json()["detail"], url
    assert ClinicalNote.objects.filter(patient=patient).count() == 1
    assert Encounter.objects.filter(patient=patient).count() == 1


def test_after_breaking_the_glass_the_api_answers_and_logs_under_the_grant(
    api, doctor, foreign_chart
):
    patient, note, encounter = foreign_chart
    access = break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Unconscious in ED"
    )
    client = api(doctor)
    for url in (
        f"/api/v1/patients/{patient.pk}/vitals",
        f"/api/v1/patients/{patient.pk}/notes",
        f"/api/v1/notes/{note.pk}",
        f"/api/v1/patients/{patient.pk}/allergies",
        f"/api/v1/patients/{patient.pk}/conditions",
        f"/api/v1/encounters/{encounter.pk}",
    ):
        assert client.get(url).status_code == 200, url
    entries = ChartAccess.objects.filter(user=doctor, patient=patient, channel="api")
    assert entries.count() == 6
    assert set(entries.values_list("break_glass", flat=True)) == {access.pk}


def test_unknown_ids_answer_404(api, doctor, patient):
    client = api(doctor)
    missing = uuid.uuid4()
    for url in (
        f"/api/v1/patients/{missing}/vitals",
        f"/api/v1/notes/{missing}",
        f"/api/v1/encounters/{missing}",
    ):
        assert client.get(url).status_code == 404, url


def test_anonymous_requests_are_refused(client, patient):
    assert client.get(f"/api/v1/patients/{patient.pk}/vitals").status_code in (401, 403)


def test_the_schema_lists_the_clinical_paths(api, doctor):
    response = api(doctor).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import yaml  # drf-spectacular depends on PyYAML

    paths = set(yaml.safe_load(response.content)["paths"])
    assert {
        "/api/v1/patients/{patient_id}/vitals",
        "/api/v1/patients/{patient_id}/notes",
        "/api/v1/notes/{id}",
        "/api/v1/notes/{id}/sign",
        "/api/v1/notes/{id}/addenda",
        "/api/v1/patients/{patient_id}/allergies",
        "/api/v1/patients/{patient_id}/conditions",
        "/api/v1/encounters",
        "/api/v1/encounters/{id}",
    } <= paths
