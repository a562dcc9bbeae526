"""Workers in their own processes on one PostgreSQL queue, as production runs them (any
number of `manage.py db_worker` on any number of machines): no job runs twice, none is
lost, and a worker killed mid-job loses nothing."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ehr.core import jobs
from ehr.core.models import Job
from tests.core import jobs_for_tests as j

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROJECT = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def database_queue(settings):
    if connection.vendor != "postgresql":
        pytest.skip("workers in other processes need a database they can share (PostgreSQL)")
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def worker(*options):
    """Start `manage.py db_worker` on the test database in another process."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ehr.settings.test",
        "DATABASE_URL": url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.1",
            *options,
        ],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_two_workers_share_one_queue_and_run_each_job_exactly_once(tmp_path):
    count = 40
    rows = [jobs.enqueue(j.record, str(tmp_path), n, seconds=0.05) for n in range(count)]
    first, second = worker("--batch"), worker("--batch")
    for process in (first, second):
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()[-2000:]

    runs = {n: j.runs_of(tmp_path, str(n)) for n in range(count)}
    assert all(len(lines) == 1 for lines in runs.values()), "a job ran twice or never"
    assert Job.objects.filter(pk__in=[r.pk for r in rows], status="succeeded").count() == count
    assert Job.objects.filter(attempts=1).count() == count
    # Both workers took a share of the queue.
    assert {lines[0] for lines in runs.values()} == {str(first.pid), str(second.pid)}


def test_killing_a_worker_mid_job_loses_no_job(tmp_path):
    job_row = jobs.enqueue(j.slow, str(tmp_path), 30)
    doomed = worker()
    try:
        assert wait_for(lambda: j.runs_of(tmp_path, "slow-started")), "the job never started"
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.RUNNING  # what the dead worker left behind

    # The scheduler's pass recovers it once its timeout (2 s for this job) has passed...
    assert jobs.recover_stalled(timezone.now() + timedelta(seconds=3)) == (1, 0)
    # ...and any worker finishes it, quickly this time.
    Job.objects.filter(pk=job_row.pk).update(arguments={"args": [str(tmp_path), 0], "kwargs": {}})
    survivor = worker("--batch")
    _, errors = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, errors.decode()[-2000:]

    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert job_row.attempts == 2
    assert len(j.runs_of(tmp_path, "slow-started")) == 2
    assert len(j.runs_of(tmp_path, "slow-finished")) == 1


def test_a_worker_stopped_politely_finishes_its_job_first(tmp_path):
    job_row = jobs.enqueue(j.slow, str(tmp_path), 1)
    process = worker()
    assert wait_for(lambda: j.runs_of(tmp_path, "slow-started")), "the job never started"
    process.send_signal(signal.SIGTERM)  # what systemd sends on `systemctl stop`
    process.wait(timeout=60)
    job_row.refresh_from_db()
    assert job_row.status == Job.Status.SUCCEEDED
    assert len(j.runs_of(tmp_path, "slow-finished")) == 1
