"""The Job admin: every job whoever started it, filters and search, the error with its
traceback, read-only, and "Run again" for failed jobs."""

import pytest
from django.contrib.auth.models import Permission

from ehr.core.models import Job
from tests.core import jobs_for_tests as j

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/core/job/"
TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: <b>boom</b>\n'


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename__in=codenames)
    )


@pytest.fixture
def admin_client(client, administrator, password):
    grant(administrator, "view_job", "change_job")
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    assert client.get("/admin/").status_code == 200
    return client


@pytest.fixture
def failed(doctor, tmp_path):
    """A job of a known kind that failed (its worker's server was down)."""
    return Job.objects.create(
        name=j.record.module_path,
        label="Record five",
        arguments={"args": [str(tmp_path), 5], "kwargs": {}},
        requested_by=doctor,
        status=Job.Status.FAILED,
        attempts=1,
        max_attempts=1,
        error=TRACEBACK,
    )


def test_the_admin_lists_every_users_jobs_with_filters_and_search(
    admin_client, doctor, nurse, failed
):
    Job.objects.create(name="patients.jobs.access_log_export", label="Nurse's", requested_by=nurse)
    body = admin_client.get(CHANGELIST).content.decode()
    assert "Record five" in body and "Nurse&#x27;s" in body
    assert "?status__exact=failed" in body and "?name=" in body
    found = admin_client.get(CHANGELIST, {"q": "five"}).content.decode()
    assert "Record five" in found and "Nurse&#x27;s" not in found


def test_a_job_is_read_only_and_shows_its_escaped_traceback(admin_client, failed):
    response = admin_client.get(f"{CHANGELIST}{failed.pk}/change/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<pre class="job-traceback">Traceback (most recent call last):' in body
    assert "&lt;b&gt;boom&lt;/b&gt;" in body and "<b>boom</b>" not in body
    assert 'name="_save"' not in body
    assert admin_client.post(f"{CHANGELIST}{failed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_run_again_queues_a_failed_job_which_then_runs(
    admin_client, administrator, failed, tmp_path
):
    response = admin_client.post(
        CHANGELIST, {"action": "run_again", "_selected_action": [failed.pk]}, follow=True
    )
    assert "1 job was queued again." in response.content.decode()
    failed.refresh_from_db()
    # The test backend runs it at once: this time it succeeds.
    assert failed.status == Job.Status.SUCCEEDED
    assert failed.attempts == 2 and failed.updated_by == administrator
    assert len(j.runs_of(tmp_path, "5")) == 1


def test_run_again_leaves_jobs_that_did_not_fail_alone(admin_client, doctor):
    running = Job.objects.create(
        name=j.record.module_path, requested_by=doctor, status=Job.Status.RUNNING
    )
    response = admin_client.post(
        CHANGELIST, {"action": "run_again", "_selected_action": [running.pk]}, follow=True
    )
    assert "1 job was left alone" in response.content.decode()
    running.refresh_from_db()
    assert running.status == Job.Status.RUNNING


def test_without_the_change_permission_there_is_no_run_again(
    client, administrator, password, failed
):
    from django.contrib.auth.models import Permission

    change_job = Permission.objects.get(codename="change_job")
    for group in administrator.groups.all():  # the Administrator role has it
        group.permissions.remove(change_job)
    administrator.user_permissions.remove(change_job)
    grant(administrator, "view_job")
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    assert "run_again" not in client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": "run_again", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == Job.Status.FAILED


def test_the_queues_own_admin_is_kept(admin_client, administrator):
    from django.contrib import admin
    from django_tasks_db.models import DBTaskResult

    assert admin.site.is_registered(DBTaskResult)
