"""Jobs the job tests queue. A module of its own (not a test module) so that a worker in
another process can import them by path."""

import os
import time
from pathlib import Path

from ehr.core import jobs


def _append(directory, name, text):
    with open(Path(directory) / name, "a") as out:
        out.write(text + "\n")


def runs_of(directory, name):
    """Return the lines written by the runs of job `name` (one per run)."""
    path = Path(directory) / name
    return path.read_text().splitlines() if path.exists() else []


@jobs.job()
def record(directory, number, seconds=0.0):
    """Write one line per run into <directory>/<number>, after `seconds`."""
    time.sleep(seconds)
    _append(directory, str(number), f"{os.getpid()}")
    return number


def _fail_first_runs(directory, failures):
    _append(directory, "flaky", "run")
    if len(runs_of(directory, "flaky")) <= failures:
        raise ConnectionError("server not answering")
    return "done"


@jobs.job(retries=2, backoff=0)
def flaky(directory, failures):
    """Fail the first `failures` runs, then succeed."""
    return _fail_first_runs(directory, failures)


@jobs.job(retries=2, backoff=60)
def flaky_later(directory, failures):
    """As `flaky`, with a minute's back-off."""
    return _fail_first_runs(directory, failures)


@jobs.job()
def broken():
    """Always fails; declared not safe to retry."""
    raise ValueError("this job cannot work")


@jobs.job(retries=1, timeout=2)
def slow(directory, seconds):
    """Mark its start, sleep, mark its end: a worker killed in between leaves a start
    without an end."""
    _append(directory, "slow-started", f"{os.getpid()}")
    time.sleep(seconds)
    _append(directory, "slow-finished", f"{os.getpid()}")
    return "finished"


@jobs.job(takes_job=True)
def report(rows, *, job):
    """Build a small CSV with progress, like the exports do."""
    lines = ["n"]
    for n in range(rows):
        lines.append(str(n))
        job.set_progress(100 * (n + 1) // rows, f"{n + 1} of {rows}")
    job.attach_result("numbers.csv", ("\n".join(lines) + "\n").encode())
    return {"rows": rows}


@jobs.job(retries=3, backoff=0)
def refused(directory):
    """Declared safe to retry, but fails for good."""
    _append(directory, "refused", "run")
    raise jobs.PermanentFailure("the address does not exist")
