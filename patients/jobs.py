"""The patients app's background jobs."""

from ehr.core import jobs


@jobs.job(retries=2, backoff=60)
def access_grants_expire():
    """Remove the time-limited chart permissions (break-the-glass) that have expired."""
    from patients.services import access_grants_expire as expire

    return {"removed": expire()}
