"""Periodic work, declared in one place and queued by one command.

Each app registers its periodic jobs from AppConfig.ready():

    schedule.register(schedule.Periodic("appointment-reminders", reminders_job, minutes=5))

`manage.py run_scheduled` (one systemd timer, or `--loop` beside the worker) queues every
job whose period has begun and has not been queued yet. Periods are aligned on the clock
(every 5 minutes: :00, :05, …), and a period is queued at most once: the `ScheduledRun`
row of (job, period) is unique, so running the command twice, or on two machines, queues
nothing twice. The jobs themselves are idempotent besides.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ehr.core import jobs
from ehr.core.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A job to queue every `minutes` minutes."""

    key: str
    job: object  # a function decorated with @jobs.job, taking no arguments
    minutes: int
    description: str = ""
    kwargs: dict = field(default_factory=dict)

    def period_start(self, now):
        """Return the start of the period `now` falls in (aligned on the epoch)."""
        step = int(timedelta(minutes=self.minutes).total_seconds())
        epoch = int(now.timestamp())
        return datetime.fromtimestamp(epoch - epoch % step, tz=UTC)


SCHEDULE: dict[str, Periodic] = {}


def register(periodic):
    """Add (or replace) a periodic job."""
    SCHEDULE[periodic.key] = periodic
    return periodic


def run_due(now=None):
    """Queue each periodic job whose current period is not queued yet, after recovering
    jobs whose worker stopped. Return the keys queued."""
    now = now or timezone.now()
    jobs.dispatch_parked(now)
    requeued, failed = jobs.recover_stalled(now)
    if requeued or failed:
        logger.warning("Stalled jobs: %s queued again, %s marked failed", requeued, failed)
    queued = []
    for periodic in sorted(SCHEDULE.values(), key=lambda p: p.key):
        period = periodic.period_start(now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=periodic.key, period_start=period)
                job_row = jobs.enqueue(
                    periodic.job, label=periodic.description or periodic.key, **periodic.kwargs
                )
                run.job = job_row
                run.save(update_fields=["job"])
        except IntegrityError:
            continue  # this period was queued already (another run, another machine)
        queued.append(periodic.key)
    return queued
