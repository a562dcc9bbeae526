"""Background jobs: the one way the site runs work outside a request.

Declare a job with `@job(...)` on a module-level function; queue it with
`jobs.enqueue(that_function, *args, **kwargs)` from a service. Arguments must be JSON
(ids and strings, never model instances or datetimes).

    @job(retries=3)                       # safe to run again: retried with back-off
    def email_deliver(message_pk): ...

    jobs.enqueue(email_deliver, str(message.pk))

Under the hood each job is a task of Django's tasks framework (the `django-tasks`
backport of Django 6's `django.tasks`; only its public API is used, so a site can move
to another backend by settings). The site keeps its own `Job` row per job, whatever
backend runs it: status, attempts, progress, result, error. That row is what makes the
guarantees the backend alone does not give:

- exactly once: an attempt starts only by moving its job from queued to running with the
  attempt's token (one UPDATE); a duplicate delivery or a superseded attempt finds
  nothing to move and does not run;
- retries: a job declared `retries=N` that raises is queued again after `backoff`
  seconds, doubling each time, up to N times, then kept as failed with its error (at
  once if it raises `PermanentFailure`: another attempt would fail the same way);
- a worker killed mid-job: `recover_stalled()` (run by `run_scheduled`) queues again a
  job that has been running longer than its `timeout` if it may be retried, and marks
  it failed otherwise.

Enqueueing is transactional: the job row and, with the database backend, the queued
task commit with the caller's transaction, so a rolled-back workflow queues nothing.
"""

import logging
import traceback
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from ehr.core.models import Job

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobDefinition:
    """What `@job` declared about one job."""

    name: str  # the function's import path
    func: object
    task: object  # the django-tasks Task that runs one attempt
    retries: int
    backoff: int  # seconds before the first retry; doubles each time
    timeout: int  # seconds after which a running attempt counts as lost
    takes_job: bool  # the function receives the Job row as `job=` (progress, result)


REGISTRY: dict[str, JobDefinition] = {}


class PermanentFailure(Exception):
    """Raised by a job whose failure another attempt cannot cure (a refused address, a
    record that no longer exists): the job ends failed at once, whatever retries it has
    left."""


def job(*, retries=0, backoff=30, timeout=600, queue_name="default", priority=0, takes_job=False):
    """Declare the decorated module-level function a background job.

    `retries` > 0 only for work that is safe to run again (idempotent, or guarded by
    its own record). `takes_job=True` passes the `Job` row as the keyword `job`, for
    `job.set_progress()` and `job.attach_result()`.
    """

    def decorate(func):
        name = f"{func.__module__}.{func.__qualname__}"

        def run(job_id, token):
            return _run_attempt(name, job_id, token)

        # The task is found again by the import path of the name it is bound to, which
        # is the decorated function's own.
        run.__module__ = func.__module__
        run.__name__ = func.__name__
        run.__qualname__ = func.__qualname__
        run.__doc__ = func.__doc__
        the_task = task(queue_name=queue_name, priority=priority)(run)
        REGISTRY[name] = JobDefinition(
            name=name,
            func=func,
            task=the_task,
            retries=retries,
            backoff=backoff,
            timeout=timeout,
            takes_job=takes_job,
        )
        return the_task

    return decorate


def definition_of(job_task):
    """Return the JobDefinition of a task made by `@job`."""
    return REGISTRY[job_task.module_path]


def enqueue(job_task, *args, requested_by=None, label="", run_after=None, **kwargs):
    """Queue `job_task` (a function decorated with `@job`) with JSON arguments and
    return its Job row. `requested_by` is the user who may follow it on the job page."""
    definition = definition_of(job_task)
    job_row = Job(
        name=definition.name,
        label=str(label)[:200],
        arguments={"args": list(args), "kwargs": kwargs},
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        max_attempts=definition.retries + 1,
        run_after=run_after,
    )
    job_row.stamp(requested_by)
    job_row.save()
    _dispatch(definition, job_row, run_after)
    return job_row


def enqueue_on_commit(job_task, *args, **kwargs):
    """Queue `job_task` once the surrounding transaction commits (at once outside one).
    For work that must see the committed data and must not run for a rolled-back one,
    on any backend."""
    transaction.on_commit(lambda: enqueue(job_task, *args, **kwargs))


def _dispatch(definition, job_row, run_after=None):
    the_task = definition.task
    if run_after is not None and run_after > timezone.now():
        if not the_task.get_backend().supports_defer:
            # A backend that cannot defer (the immediate one of the tests) gets the job
            # when it is due, from `dispatch_parked()` (run_scheduled).
            return
        the_task = the_task.using(run_after=run_after)
    the_task.enqueue(str(job_row.pk), str(job_row.token))


def dispatch_parked(now=None):
    """Hand to the backend the deferred jobs that are now due, if the backend cannot
    defer by itself (a database queue holds them until then). Return how many."""
    now = now or timezone.now()
    if _backend_defers():
        return 0
    count = 0
    waiting = Job.objects.filter(
        status__in=(Job.Status.QUEUED, Job.Status.RETRYING), run_after__lte=now
    )
    for job_row in waiting:
        definition = REGISTRY.get(job_row.name)
        if definition is not None:
            _dispatch(definition, job_row)
            count += 1
    return count


def _backend_defers():
    from django_tasks import task_backends

    return task_backends["default"].supports_defer


def _run_attempt(name, job_id, token):
    """Run one attempt of job `job_id` if `token` is still its current attempt."""
    definition = REGISTRY[name]
    now = timezone.now()
    claimed = Job.objects.filter(
        pk=job_id, token=token, status__in=(Job.Status.QUEUED, Job.Status.RETRYING)
    ).update(
        status=Job.Status.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        logger.info("Job %s: attempt %s is not current; skipped", job_id, token)
        return None
    job_row = Job.objects.get(pk=job_id)
    arguments = job_row.arguments or {}
    kwargs = dict(arguments.get("kwargs", {}))
    if definition.takes_job:
        kwargs["job"] = job_row
    try:
        result = definition.func(*arguments.get("args", []), **kwargs)
    except Exception as error:
        _record_failure(definition, job_row, error)
        raise
    Job.objects.filter(pk=job_id, token=token).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        progress=100,
        result=result,
        error="",
    )
    return result


def _record_failure(definition, job_row, error):
    job_row.refresh_from_db(fields=["attempts", "max_attempts", "token"])
    text = "".join(traceback.format_exception(error))[-20_000:]
    if job_row.attempts < job_row.max_attempts and not isinstance(error, PermanentFailure):
        delay = definition.backoff * 2 ** (job_row.attempts - 1)
        _retry(definition, job_row, timezone.now() + timedelta(seconds=delay), text)
        logger.warning(
            "Job %s failed (attempt %s); retry in %ss", job_row.pk, job_row.attempts, delay
        )
    else:
        Job.objects.filter(pk=job_row.pk, token=job_row.token).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), error=text
        )
        logger.error("Job %s failed after %s attempt(s)", job_row.pk, job_row.attempts)


def _retry(definition, job_row, run_after, error_text):
    """Queue a new attempt of `job_row`, superseding the current one."""
    old_token = job_row.token
    job_row.token = uuid.uuid4()
    job_row.run_after = run_after
    moved = Job.objects.filter(pk=job_row.pk, token=old_token).update(
        status=Job.Status.RETRYING,
        token=job_row.token,
        run_after=run_after,
        error=error_text,
    )
    if moved:
        _dispatch(definition, job_row, run_after)
    return moved


def rerun(job_row, *, actor):
    """Queue a finished (or stuck) job again with one more attempt: the admin's "Run
    again". Return True if it was queued."""
    definition = REGISTRY.get(job_row.name)
    if definition is None:
        return False
    job_row.refresh_from_db()
    job_row.max_attempts = job_row.attempts + 1 + definition.retries
    job_row.status = Job.Status.QUEUED
    job_row.token = uuid.uuid4()
    job_row.run_after = None
    job_row.finished_at = None
    job_row.progress = 0
    job_row.progress_message = ""
    job_row.stamp(actor)
    job_row.save()
    _dispatch(definition, job_row)
    return True


def recover_stalled(now=None):
    """Deal with jobs whose worker died mid-attempt (killed, machine lost): a job running
    for longer than its timeout is queued again if it may be retried, else marked
    failed. Return (requeued, failed)."""
    now = now or timezone.now()
    requeued = failed = 0
    for job_row in Job.objects.filter(status=Job.Status.RUNNING):
        definition = REGISTRY.get(job_row.name)
        timeout = definition.timeout if definition else 600
        if job_row.started_at and job_row.started_at > now - timedelta(seconds=timeout):
            continue
        message = (
            f"The worker stopped during attempt {job_row.attempts} (no result after {timeout} s)."
        )
        if definition is not None and job_row.attempts < job_row.max_attempts:
            with transaction.atomic():
                requeued += _retry(definition, job_row, None, message)
        else:
            failed += Job.objects.filter(pk=job_row.pk, token=job_row.token).update(
                status=Job.Status.FAILED, finished_at=now, error=message
            )
    return requeued, failed


@job(retries=2, backoff=300, timeout=1800)
def jobs_prune():
    """Delete the finished jobs older than the `job_retention_days` parameter (failed
    ones after twice that), their result files, and the queue's own rows for them."""
    from django.core.management import call_command

    from ehr.core import parameters
    from ehr.core.models import ScheduledRun

    days = parameters.get("job_retention_days")
    now = timezone.now()
    old = Job.objects.filter(
        status=Job.Status.SUCCEEDED, finished_at__lt=now - timedelta(days=days)
    ) | Job.objects.filter(status=Job.Status.FAILED, finished_at__lt=now - timedelta(days=2 * days))
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            for job_row in Job.objects.filter(pk__in=ids).exclude(result_file=""):
                job_row.result_file.delete(save=False)
            ScheduledRun.objects.filter(job__in=ids).update(job=None)
            # Bookkeeping leaves no version row behind: the history goes with the job
            # (a plain delete() would write one "deleted" history row per job).
            Job.history.filter(id__in=ids)._raw_delete(Job.history.db)
            Job.objects.filter(pk__in=ids)._raw_delete(Job.objects.db)
        deleted += len(ids)
    if _queue_is_in_the_database():
        call_command(
            "prune_db_task_results",
            min_age_days=days,
            failed_min_age_days=2 * days,
            verbosity=0,
        )
    return {"deleted": deleted}


def _queue_is_in_the_database():
    from django_tasks import task_backends

    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:
        return False
    return isinstance(task_backends["default"], DatabaseBackend)
