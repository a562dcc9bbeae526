"""The job pages: My jobs, a job's status (polled while it runs) and its result file, for
the user who started the job only."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ehr.core import jobs
from ehr.core.models import Job
from tests.core import jobs_for_tests as j

pytestmark = pytest.mark.django_db

TRACEBACK = """Traceback (most recent call last):
  File "/srv/ehr/patients/jobs.py", line 42, in access_log_export
    secret_internal_call(password="hunter2")
ConnectionError: the reports database did not answer
"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_job(user, **fields):
    values = {"name": "patients.jobs.access_log_export", "label": "Access log, March"}
    values.update(fields)
    return Job.objects.create(requested_by=user, **values)


@pytest.fixture
def finished(doctor):
    """A job the doctor started that ran and kept a file."""
    return jobs.enqueue(j.report, 4, requested_by=doctor, label="Numbers")


# --- The job's page --------------------------------------------------------------------------


def test_the_requester_sees_a_running_jobs_progress_polled_in_the_background(signed_in, doctor):
    job = make_job(doctor, status=Job.Status.RUNNING, progress=40, progress_message="400 of 1000")
    response = signed_in(doctor).get(job.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Access log, March" in body and "Running" in body and "400 of 1000" in body
    assert '<progress id="job-progress" class="job-progress" max="100" value="40">' in body
    card = re.search(r'<section id="job-status"[^>]*>', body).group(0)
    assert f'hx-get="{job.get_absolute_url()}"' in card
    assert 'hx-trigger="every 2s"' in card
    assert 'hx-headers=\'{"X-EHR-Background": "1"}\'' in card
    assert "Download" not in body


def test_the_poll_gets_the_card_alone_and_it_stops_polling_once_finished(
    signed_in, doctor, finished
):
    client = signed_in(doctor)
    running = make_job(doctor, status=Job.Status.QUEUED)
    partial = client.get(running.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="job-status"')
    assert "<html" not in partial and "hx-trigger" in partial
    done = client.get(finished.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "hx-get" not in done
    assert 'value="100"' in done and "Succeeded" in done
    assert reverse("core:job_download", args=[finished.pk]) in done


def test_a_failed_job_shows_its_error_without_the_traceback(signed_in, doctor):
    job = make_job(doctor, status=Job.Status.FAILED, error=TRACEBACK, finished_at=timezone.now())
    body = signed_in(doctor).get(job.get_absolute_url()).content.decode()
    assert "ConnectionError: the reports database did not answer" in body
    assert "Traceback" not in body and "hunter2" not in body and "/srv/ehr" not in body
    assert "hx-trigger" not in re.search(r'<section id="job-status"[^>]*>', body).group(0)


def test_a_job_that_failed_for_real_shows_its_exception(signed_in, doctor):
    job = jobs.enqueue(j.broken, requested_by=doctor, label="Broken")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    body = signed_in(doctor).get(job.get_absolute_url()).content.decode()
    assert "ValueError: this job cannot work" in body
    assert "Traceback" not in body


@pytest.mark.parametrize(
    "persona", ["nurse", "administrator", "receptionist", "lab_tech", "portal_patient"]
)
def test_nobody_else_sees_a_job_not_even_an_administrator(request, signed_in, doctor, persona):
    job = make_job(doctor, status=Job.Status.RUNNING)
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").status_code == 404


def test_a_job_nobody_requested_is_nobodys_page(signed_in, doctor):
    job = make_job(None, status=Job.Status.SUCCEEDED)
    assert signed_in(doctor).get(job.get_absolute_url()).status_code == 404


def test_a_stranger_is_sent_to_sign_in(client, doctor):
    job = make_job(doctor)
    for url in (job.get_absolute_url(), reverse("core:job_list"), _download(job)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_portal_user_follows_his_own_job_in_the_portal_layout(signed_in, portal_patient):
    job = make_job(portal_patient, label="My record")
    body = signed_in(portal_patient).get(job.get_absolute_url()).content.decode()
    assert "surface-portal" in body and "My record" in body


# --- The result file -------------------------------------------------------------------------


def _download(job):
    return reverse("core:job_download", args=[job.pk])


def test_the_requester_downloads_the_result_as_an_attachment_not_sniffed_not_stored(
    signed_in, doctor, finished
):
    response = signed_in(doctor).get(_download(finished))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"n\n0\n1\n2\n3\n"
    assert response["Content-Disposition"] == 'attachment; filename="numbers.csv"'
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["nurse", "administrator", "portal_patient"])
def test_nobody_else_downloads_the_result(request, signed_in, finished, persona):
    response = signed_in(request.getfixturevalue(persona)).get(_download(finished))
    assert response.status_code == 404


def test_a_job_without_a_file_has_nothing_to_download(signed_in, doctor):
    job = make_job(doctor, status=Job.Status.SUCCEEDED)
    assert signed_in(doctor).get(_download(job)).status_code == 404


def test_a_file_gone_from_the_storage_is_a_404_not_an_error(signed_in, doctor, finished):
    finished.refresh_from_db()
    finished.result_file.storage.delete(finished.result_file.name)
    assert signed_in(doctor).get(_download(finished)).status_code == 404


# --- My jobs ---------------------------------------------------------------------------------


def test_my_jobs_lists_only_my_own_newest_first(signed_in, doctor, nurse, finished):
    older = make_job(doctor, label="Older export")
    Job.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(days=1))
    make_job(nurse, label="The nurse's export")
    response = signed_in(doctor).get(reverse("core:job_list"))
    assert [job.label for job in response.context["jobs"]] == ["Numbers", "Older export"]
    body = response.content.decode()
    assert "The nurse&#x27;s export" not in body and "The nurse's export" not in body
    assert _download(finished) in body


def test_my_jobs_costs_the_same_for_many_jobs(signed_in, doctor, django_assert_max_num_queries):
    client = signed_in(doctor)
    make_job(doctor)
    client.get(reverse("core:job_list"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("core:job_list"))
    for n in range(20):
        make_job(doctor, label=f"Export {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("core:job_list"))


def test_my_jobs_says_so_when_there_are_none(signed_in, nurse):
    body = signed_in(nurse).get(reverse("core:job_list")).content.decode()
    assert "You have not started any export or report yet." in body
