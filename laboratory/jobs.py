"""Background work of the laboratory."""

from ehr.core import jobs


@jobs.job(retries=1, backoff=60)
def critical_results_escalate():
    """Escalate the critical results not acknowledged in time (every few minutes from
    the schedule). Safe to run twice: each alert's level is locked and recorded once."""
    from laboratory.services import critical_alerts_escalate

    return critical_alerts_escalate()
