"""GET/PUT /api/v1/patients/{id}/allergy-status: "not asked", "no known allergies" and
"has allergies" told apart; "no known allergies" recorded only without active
allergies; chart access and the access log as for every clinical read."""

import uuid

import pytest

from clinical import services
from patients.models import ChartAccess
from patients.services import break_glass_open

pytestmark = pytest.mark.django_db
JSON = "application/json"


def url(patient):
    return f"/api/v1/patients/{patient.pk}/allergy-status"


@pytest.fixture
def api(client):
    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


def test_a_patient_never_asked_is_not_asked(api, doctor, patient):
    body = api(doctor).get(url(patient)).json()
    assert body == {
        "status": "not_asked",
        "active_allergies": 0,
        "assessed_at": None,
        "assessed_by": None,
    }


def test_no_known_allergies_is_an_answer(api, nurse, patient):
    response = api(nurse).put(url(patient), {"status": "no_known_allergies"}, content_type=JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "no_known_allergies" and body["active_allergies"] == 0
    assert body["assessed_by"]["id"] == str(nurse.pk) and body["assessed_at"]
    assert api(nurse).get(url(patient)).json()["status"] == "no_known_allergies"


def test_an_allergy_makes_the_status_has_allergies(api, doctor, patient):
    services.allergy_status_set_none_known(patient=patient, actor=doctor)
    services.allergy_record(patient=patient, actor=doctor, allergen="Penicillin", severity="severe")
    body = api(doctor).get(url(patient)).json()
    assert body["status"] == "has_allergies" and body["active_allergies"] == 1


def test_inactive_allergies_alone_do_not_count(api, doctor, patient):
    allergy = services.allergy_record(patient=patient, actor=doctor, allergen="Latex")
    services.allergy_update(allergy=allergy, actor=doctor, status="inactive")
    body = api(doctor).get(url(patient)).json()
    assert body["active_allergies"] == 0 and body["status"] == "not_asked"


def test_no_known_allergies_is_refused_while_allergies_are_active(api, doctor, patient):
    services.allergy_record(patient=patient, actor=doctor, allergen="Peanuts", category="food")
    response = api(doctor).put(url(patient), {"status": "no_known_allergies"}, content_type=JSON)
    assert response.status_code == 409
    assert api(doctor).get(url(patient)).json()["status"] == "has_allergies"


@pytest.mark.parametrize("value", ["has_allergies", "not_asked", "maybe", ""])
def test_only_no_known_allergies_can_be_recorded(api, doctor, patient, value):
    response = api(doctor).put(url(patient), {"status": value}, content_type=JSON)
    assert response.status_code == 400 and "status" in response.json()


def test_outside_the_care_team_it_is_403_until_the_glass_is_broken(api, make_user, stranger, codes):
    outsider = make_user("Doctor")
    client = api(outsider)
    assert client.get(url(stranger)).status_code == 403
    assert (
        client.put(url(stranger), {"status": "no_known_allergies"}, content_type=JSON).status_code
        == 403
    )
    break_glass_open(
        patient=stranger, user=outsider, reason="emergency_care", details="Unconscious in A&E"
    )
    assert client.get(url(stranger)).status_code == 200


def test_every_read_is_in_the_access_log(api, doctor, patient):
    api(doctor).get(url(patient))
    entry = ChartAccess.objects.filter(user=doctor, patient=patient).latest("accessed_at")
    assert entry.part == "allergies:status"


@pytest.mark.parametrize("persona", ["receptionist", "lab_tech", "pharmacist", "administrator"])
def test_roles_without_clinical_access_are_refused(api, staff_personas, patient, persona):
    client = api(staff_personas[persona])
    assert client.get(url(patient)).status_code == 403
    assert (
        client.put(url(patient), {"status": "no_known_allergies"}, content_type=JSON).status_code
        == 403
    )


def test_an_unknown_patient_is_404(api, doctor):
    response = api(doctor).get(f"/api/v1/patients/{uuid.uuid4()}/allergy-status")
    assert response.status_code == 404


def test_it_is_in_the_openapi_schema(api, doctor):
    schema = api(doctor).get("/api/v1/schema/")
    assert schema.status_code == 200
    assert "/api/v1/patients/{patient_id}/allergy-status" in schema.content.decode()
