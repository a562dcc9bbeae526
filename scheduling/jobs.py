"""The scheduling app's background jobs."""

from ehr.core import jobs


@jobs.job(retries=2, backoff=60)
def appointment_reminders_send():
    """Send the appointment reminders that are due (every few minutes from the schedule).
    Each appointment's reminder row is claimed once, so a rerun sends nothing twice."""
    from scheduling.services import reminders_send

    run = reminders_send()
    return {"sent": run.sent, "skipped": run.skipped, "failed": run.failed}
