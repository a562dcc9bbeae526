"""Pharmacy API: formulary search, prescribing with the 409 medication_alert answer,
override, sign, discontinue, the PDF, a patient's medications; persona gates, chart
access and the access log."""

import io

import pytest
from pypdf import PdfReader

from clinical.services import allergy_record
from patients.models import ChartAccess
from tests.factories.pharmacy import drug

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def api(client):
    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


def item(name, dose, frequency="tid", **extra):
    return {
        "drug": str(drug(name).pk),
        "dose": str(dose),
        "dose_unit": drug(name).dose_unit,
        "route": "oral",
        "frequency": frequency,
        "duration_days": 7,
        "quantity": 21,
        **extra,
    }


def test_drug_search_answers_the_issue_fields(api, doctor, formulary):
    response = api(doctor).get("/api/v1/drugs", {"search": "Amoxil"})
    assert response.status_code == 200
    first = response.json()[0]
    assert set(first) >= {"id", "name", "form", "strength", "routes", "ingredients", "classes"}
    assert first["ingredients"] == ["amoxicillin"]
    assert "penicillins" in first["classes"]


@pytest.mark.parametrize("persona", ["receptionist", "lab_tech"])
def test_receptionists_and_lab_staff_see_no_drugs_or_medications(request, api, persona, patient):
    user = request.getfixturevalue(persona)
    client = api(user)
    assert client.get("/api/v1/drugs").status_code == 403
    assert client.get(f"/api/v1/patients/{patient.pk}/medications").status_code in (403, 404)


def test_allergy_blocks_with_409_medication_alert_then_alternative_is_written(api, doctor, patient):
    allergy_record(patient=patient, actor=doctor, allergen="Penicillin", severity="severe")
    client = api(doctor)
    url = f"/api/v1/patients/{patient.pk}/prescriptions"
    response = client.post(url, {"items": [item("amoxicillin", 500)]}, content_type=JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "medication_alert"
    assert body["alerts"][0] == {
        "type": "drug_allergy",
        "severity": "contraindicated",
        "message": body["alerts"][0]["message"],
    }
    response = client.post(url, {"items": [item("clarithromycin", 500, "bid")]}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["items"][0]["drug"]["name"].startswith("clarithromycin")


def test_override_reason_keeps_the_alert_on_the_line(api, doctor, patient):
    client = api(doctor)
    url = f"/api/v1/patients/{patient.pk}/prescriptions"
    assert (
        client.post(url, {"items": [item("warfarin", 5, "daily")]}, content_type=JSON).status_code
        == 201
    )
    response = client.post(
        url,
        {"items": [item("ibuprofen", 400)], "override_reason": "3 days, INR on Friday"},
        content_type=JSON,
    )
    assert response.status_code == 201
    line = response.json()["items"][0]
    assert line["override_reason"] == "3 days, INR on Friday"
    assert line["alerts"][0]["type"] == "drug_drug"
    assert line["overridden_by"]["id"] == str(doctor.pk)


def test_nurse_cannot_prescribe_but_reads_medications(api, nurse, doctor, patient):
    url = f"/api/v1/patients/{patient.pk}/prescriptions"
    response = api(nurse).post(
        url, {"items": [item("paracetamol", 1000, "qid")]}, content_type=JSON
    )
    assert response.status_code == 403
    response = api(nurse).get(f"/api/v1/patients/{patient.pk}/medications")
    assert response.status_code == 200
    assert ChartAccess.objects.filter(user=nurse, patient=patient, channel="api").exists()


def test_outside_the_care_team_the_api_refuses(api, doctor, stranger, formulary):
    response = api(doctor).get(f"/api/v1/patients/{stranger.pk}/medications")
    assert response.status_code == 403


def test_sign_discontinue_and_pdf(api, doctor, patient):
    client = api(doctor)
    allergy_record(patient=patient, actor=doctor, allergen="Latex", category="environment")
    response = client.post(
        f"/api/v1/patients/{patient.pk}/prescriptions",
        {"items": [item("amlodipine", 5, "daily")]},
        content_type=JSON,
    )
    prescription = response.json()
    response = client.post(f"/api/v1/prescriptions/{prescription['id']}/sign")
    assert response.status_code == 200 and response.json()["status"] == "signed"
    assert client.post(f"/api/v1/prescriptions/{prescription['id']}/sign").status_code == 409
    response = client.get(f"/api/v1/prescriptions/{prescription['id']}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "John Smith" in text and "amlodipine 5 mg" in text and "Latex" in text
    assert patient.display_mrn in text and "Verification code" in text
    line = prescription["items"][0]["id"]
    url = f"/api/v1/prescription-items/{line}/discontinue"
    assert client.post(url, {}, content_type=JSON).status_code == 400
    response = client.post(url, {"reason": "Ankle oedema"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["status"] == "discontinued"
    medications = client.get(f"/api/v1/patients/{patient.pk}/medications").json()
    assert medications["lines"][0]["status"] == "discontinued"
