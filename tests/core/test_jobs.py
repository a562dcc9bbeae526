"""The background-job kernel (ehr.core.jobs) on the database backend, run by the real
worker command in this process: queueing, exactly-once start, retries with back-off,
failures kept for the operator, re-run, recovery of a job whose worker died, the
transactional enqueue, progress and results, and the periodic schedule."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from ehr.core import jobs, schedule
from ehr.core.models import Job, ScheduledRun
from tests.core import jobs_for_tests as j

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports"]}
}


@pytest.fixture(autouse=True)
def database_queue(settings, monkeypatch):
    settings.TASKS = DATABASE_BACKEND
    # The worker runs in this process, inside the test's transaction: it must not close
    # the connection between jobs as a long-running worker does.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def work():
    """Run every due job once, as `manage.py db_worker --batch` does."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)


def test_a_queued_job_waits_for_a_worker_then_runs_once(tmp_path):
    job_row = jobs.enqueue(j.record, str(tmp_path), 1, label="Record one")
    assert job_row.status == Job.Status.QUEUED
    assert j.runs_of(tmp_path, "1") == []
    work()
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert job_row.result == 1
    assert job_row.attempts == 1
    assert len(j.runs_of(tmp_path, "1")) == 1


def test_a_duplicate_delivery_of_an_attempt_does_not_run_the_job_again(tmp_path):
    job_row = jobs.enqueue(j.record, str(tmp_path), 2)
    work()
    # The backend hands the same attempt out again (a second queue row, a redelivery).
    j.record.enqueue(str(job_row.pk), str(job_row.token))
    work()
    assert len(j.runs_of(tmp_path, "2")) == 1
    job_row.refresh_from_db()
    assert job_row.attempts == 1


def test_a_job_queued_in_a_rolled_back_transaction_never_runs(tmp_path):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(j.record, str(tmp_path), 3)
        raise RuntimeError("the workflow failed")
    work()
    assert not Job.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert j.runs_of(tmp_path, "3") == []


def test_a_job_safe_to_retry_is_retried_until_it_succeeds(tmp_path):
    job_row = jobs.enqueue(j.flaky, str(tmp_path), 2)
    for _ in range(3):
        work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert job_row.attempts == 3
    assert len(j.runs_of(tmp_path, "flaky")) == 3


def test_retries_wait_with_back_off(tmp_path):
    before = timezone.now()
    job_row = jobs.enqueue(j.flaky_later, str(tmp_path), 5)
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.RETRYING
    assert "server not answering" in job_row.error
    assert job_row.run_after >= before + timedelta(seconds=60)
    work()  # not due yet: nothing runs
    assert len(j.runs_of(tmp_path, "flaky")) == 1


def test_a_job_that_keeps_failing_is_kept_as_failed_with_its_error(tmp_path):
    job_row = jobs.enqueue(j.flaky, str(tmp_path), 10)
    for _ in range(5):
        work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.FAILED
    assert job_row.attempts == job_row.max_attempts == 3
    assert "ConnectionError: server not answering" in job_row.error
    assert job_row.finished_at is not None


def test_a_job_not_declared_safe_to_retry_fails_at_once_and_can_be_run_again(admin_user):
    job_row = jobs.enqueue(j.broken)
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.FAILED
    assert job_row.attempts == 1
    assert "ValueError: this job cannot work" in job_row.error

    assert jobs.rerun(job_row, actor=admin_user)
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.QUEUED
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.FAILED
    assert job_row.attempts == 2


def test_a_job_whose_worker_died_is_queued_again_and_finished(tmp_path):
    job_row = jobs.enqueue(j.slow, str(tmp_path), 0)
    # As a worker killed mid-attempt leaves it: claimed, running, never finished.
    Job.objects.filter(pk=job_row.pk).update(
        status=Job.Status.RUNNING, attempts=1, started_at=timezone.now()
    )
    DBTaskResult.objects.update(status="RUNNING")
    assert jobs.recover_stalled() == (0, 0)  # still within its timeout
    requeued, failed = jobs.recover_stalled(timezone.now() + timedelta(seconds=3))
    assert (requeued, failed) == (1, 0)
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert job_row.attempts == 2
    assert len(j.runs_of(tmp_path, "slow-finished")) == 1


def test_a_stalled_job_with_no_attempt_left_is_marked_failed():
    job_row = jobs.enqueue(j.broken)
    Job.objects.filter(pk=job_row.pk).update(
        status=Job.Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(hours=1)
    )
    assert jobs.recover_stalled() == (0, 1)
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.FAILED
    assert "worker stopped" in job_row.error


def test_progress_and_result_file_are_kept_on_the_job(admin_user):
    job_row = jobs.enqueue(j.report, 4, requested_by=admin_user, label="Numbers")
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert job_row.requested_by == admin_user
    assert (job_row.progress, job_row.progress_message) == (100, "4 of 4")
    assert job_row.result == {"rows": 4}
    assert job_row.result_file.read() == b"n\n0\n1\n2\n3\n"
    job_row.result_file.delete(save=False)


def test_enqueue_refuses_arguments_that_are_not_json(tmp_path):
    with pytest.raises(TypeError):
        jobs.enqueue(j.record, str(tmp_path), timezone.now())


class TestSchedule:
    @pytest.fixture(autouse=True)
    def only_one_periodic_job(self, monkeypatch, tmp_path):
        monkeypatch.setattr(
            schedule,
            "SCHEDULE",
            {
                "numbers": schedule.Periodic(
                    "numbers", j.record, minutes=5, kwargs={"directory": str(tmp_path), "number": 7}
                )
            },
        )

    def test_running_the_scheduler_twice_queues_a_period_once(self, tmp_path):
        call_command("run_scheduled", verbosity=0)
        call_command("run_scheduled", verbosity=0)
        work()
        assert ScheduledRun.objects.count() == 1
        assert len(j.runs_of(tmp_path, "7")) == 1

    def test_the_next_period_is_queued_again(self, tmp_path):
        now = timezone.now()
        assert schedule.run_due(now) == ["numbers"]
        assert schedule.run_due(now + timedelta(minutes=5)) == ["numbers"]
        assert schedule.run_due(now + timedelta(minutes=5)) == []
        work()
        assert len(j.runs_of(tmp_path, "7")) == 2

    def test_periods_are_aligned_on_the_clock(self):
        periodic = schedule.SCHEDULE["numbers"]
        at = datetime(2026, 3, 1, 10, 7, 30, tzinfo=UTC)
        assert periodic.period_start(at) == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)


def test_the_apps_register_their_periodic_work():
    assert {"appointment-reminders", "access-grants-expire"} <= set(schedule.SCHEDULE)


def test_old_finished_jobs_are_pruned_with_their_files_and_queue_rows(admin_user):
    old, recent_failure, fresh = (
        jobs.enqueue(j.report, 2, requested_by=admin_user),
        jobs.enqueue(j.broken),
        jobs.enqueue(j.report, 1),
    )
    work()
    long_ago = timezone.now() - timedelta(days=31)
    Job.objects.filter(pk__in=[old.pk, recent_failure.pk]).update(finished_at=long_ago)
    DBTaskResult.objects.update(finished_at=long_ago)
    old.refresh_from_db()
    storage, name = old.result_file.storage, old.result_file.name
    assert storage.exists(name)

    pruned = jobs.enqueue(jobs.jobs_prune)
    work()

    pruned.refresh_from_db()
    assert pruned.result == {"deleted": 1}
    # A failure is kept twice as long, for the operator; the fresh job stays.
    assert set(Job.objects.values_list("pk", flat=True)) == {recent_failure.pk, fresh.pk, pruned.pk}
    assert not Job.history.filter(id=old.pk).exists()
    assert not storage.exists(name)
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    fresh.result_file.delete(save=False)


def test_a_backend_that_cannot_defer_gets_a_deferred_job_when_it_is_due(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    later = timezone.now() + timedelta(minutes=10)
    job_row = jobs.enqueue(j.record, str(tmp_path), 8, run_after=later)
    assert jobs.dispatch_parked() == 0  # not due yet
    assert j.runs_of(tmp_path, "8") == []
    assert jobs.dispatch_parked(later) == 1
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert len(j.runs_of(tmp_path, "8")) == 1


def test_a_permanent_failure_ends_the_job_at_once_whatever_retries_are_left(tmp_path):
    job_row = jobs.enqueue(j.refused, str(tmp_path))
    work()
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.FAILED
    assert (job_row.attempts, job_row.max_attempts) == (1, 4)
    assert "the address does not exist" in job_row.error
