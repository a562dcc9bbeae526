"""API v1 jobs: `GET /api/v1/jobs/{id}` answers a job's status, progress and result to
the user who started it, 404 to everyone else; the schema documents it."""

import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from ehr.core import jobs
from ehr.core.models import Job
from tests.core import jobs_for_tests as j

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "label",
    "status",
    "progress",
    "progress_message",
    "result",
    "result_url",
    "created_at",
    "finished_at",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(job_id):
    return f"/api/v1/jobs/{job_id}"


def bearer(client, user, password):
    response = client.post(
        "/api/v1/auth/login",
        {"email": user.email, "password": password},
        content_type="application/json",
    )
    return {"Authorization": f"Bearer {response.json()['access']}"}


def test_the_requester_reads_a_finished_jobs_result_and_its_file(client, doctor, password):
    job = jobs.enqueue(j.report, 3, requested_by=doctor, label="Numbers")
    response = client.get(url(job.pk), headers=bearer(client, doctor, password))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"] == str(job.pk) and body["label"] == "Numbers"
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["result"] == {"rows": 3}
    assert body["result_url"] == f"http://testserver/jobs/{job.pk}/download/"
    assert body["finished_at"] is not None
    # The file behind result_url is the requester's too (same sign-in, session here).
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(body["result_url"]).status_code == 200


def test_a_running_job_has_no_result_yet(client, doctor, password):
    job = Job.objects.create(
        name="x.y", requested_by=doctor, status=Job.Status.RUNNING, progress=30
    )
    body = client.get(url(job.pk), headers=bearer(client, doctor, password)).json()
    assert body["status"] == "running" and body["progress"] == 30
    assert body["result"] is None and body["result_url"] is None and body["finished_at"] is None


@pytest.mark.parametrize("persona", ["nurse", "receptionist", "portal_patient"])
def test_another_users_job_is_404(request, client, doctor, password, persona):
    job = Job.objects.create(name="x.y", requested_by=doctor)
    other = request.getfixturevalue(persona)
    response = client.get(url(job.pk), headers=bearer(client, other, password))
    assert response.status_code == 404
    assert response.json()["detail"]


def test_another_users_job_is_404_with_a_session_too(signed_in, doctor, nurse):
    job = Job.objects.create(name="x.y", requested_by=doctor)
    assert signed_in(nurse).get(url(job.pk)).status_code == 404


def test_an_unknown_or_malformed_id_is_a_json_404(signed_in, doctor):
    client = signed_in(doctor)
    for job_id in (uuid.uuid4(), "not-a-uuid", "-" * 36):
        response = client.get(url(job_id))
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")


def test_without_credentials_the_answer_is_401(client, doctor):
    job = Job.objects.create(name="x.y", requested_by=doctor)
    assert client.get(url(job.pk)).status_code == 401


def test_only_reading_is_offered(signed_in, doctor):
    job = Job.objects.create(name="x.y", requested_by=doctor)
    client = signed_in(doctor)
    assert client.delete(url(job.pk)).status_code == 405
    assert client.get("/api/v1/jobs").status_code in (404, 405)


def test_the_schema_documents_the_job_and_its_errors():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/jobs/{id}"]["get"]
    assert set(operation["responses"]) >= {"200", "401", "403", "404"}
    component = schema["components"]["schemas"]["Job"]
    assert set(component["properties"]) == FIELDS
    assert component["properties"]["result_url"]["nullable"] is True
    assert component["properties"]["finished_at"]["nullable"] is True
