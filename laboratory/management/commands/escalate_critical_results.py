"""Escalate the critical lab results not acknowledged within the
`critical_result_escalation` parameter (safe to run twice; a timer may run it)."""

from django.core.management.base import BaseCommand

from laboratory.services import critical_alerts_escalate


class Command(BaseCommand):
    help = "Escalate unacknowledged critical lab results (idempotent)."

    def handle(self, *args, **options):
        steps = critical_alerts_escalate()
        self.stdout.write(f"Critical results: {steps} escalation step(s).")
