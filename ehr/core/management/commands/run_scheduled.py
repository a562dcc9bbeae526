"""Queue the periodic jobs that are due: `manage.py run_scheduled` from one systemd timer
(deploy/ehr-scheduled.timer), or `--loop 60` beside the worker (`make run` does)."""

import time

from django.core.management.base import BaseCommand

from ehr.core import schedule


class Command(BaseCommand):
    help = (
        "Queue every periodic job (reminders, grant expiry, …) whose period has begun and "
        "is not queued yet, and recover jobs whose worker stopped. Safe to run twice or on "
        "several machines: a period is queued once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=int,
            metavar="SECONDS",
            default=0,
            help="Run again every SECONDS until stopped (for development).",
        )

    def handle(self, *args, loop, **options):
        while True:
            queued = schedule.run_due()
            if options["verbosity"] >= 1 and (queued or not loop):
                self.stdout.write(
                    f"Queued {len(queued)} periodic job(s)"
                    + (f": {', '.join(queued)}." if queued else ".")
                )
            if not loop:
                return
            time.sleep(loop)
