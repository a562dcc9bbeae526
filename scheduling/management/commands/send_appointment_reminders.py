"""Email the reminders that are due (the `reminder_lead_time` parameter before each
appointment). Run from cron or the systemd timer (deploy/ehr-reminders.timer); running
it twice sends nothing twice."""

from django.core.management.base import BaseCommand

from scheduling.services import reminders_send


class Command(BaseCommand):
    help = (
        "Email patients the reminders of their appointments that are due. Each reminder is "
        "recorded with its state (sent, skipped, failed); failed ones are tried again on the "
        "next run. Prints the counts; --verbosity 2 lists each reminder."
    )

    def handle(self, *args, **options):
        log = self.stdout.write if options["verbosity"] >= 2 else None
        run = reminders_send(log=log)
        self.stdout.write(f"Appointment reminders: {run}.")
        if run.failed:
            # Recorded on each reminder and retried next run; the exit code stays 0 so
            # one bad address does not mark the timer's unit as failed.
            self.stderr.write(
                f"{run.failed} reminder(s) failed; see the appointment reminders in the "
                "admin. They are tried again on the next run."
            )
