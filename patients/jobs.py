"""The patients app's background jobs."""

import csv
import io
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ehr.core import jobs
from ehr.core.exports import csv_cell
from patients.models import ChartAccess


@jobs.job(retries=2, backoff=60)
def access_grants_expire():
    """Remove the time-limited chart permissions (break-the-glass) that have expired."""
    from patients.services import access_grants_expire as expire

    return {"removed": expire()}


# Rows between two progress reports of the access-log export.
EXPORT_PROGRESS_EVERY = 500
ACCESS_LOG_COLUMNS = (
    "accessed_at",
    "user_email",
    "user_name",
    "roles",
    "patient_mrn",
    "patient_name",
    "part",
    "channel",
    "ip_address",
    "access_through",
    "break_the_glass",
    "self_assigned",
)


@jobs.job(takes_job=True, retries=1, queue_name="reports", timeout=3600)
def access_log_export(date_from, date_to, *, job):
    """Write the chart access log (who read which chart) from `date_from` to `date_to`
    (ISO dates, both included, in the site's time zone) as CSV, oldest first, and keep it
    as the job's result (UTF-8 with a byte-order mark, for spreadsheets). Safe to run
    again: it only reads."""
    first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    entries = ChartAccess.objects.filter(accessed_at__gte=start, accessed_at__lt=end)
    total = entries.count()
    job.set_progress(0, f"0 of {total} accesses")

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ACCESS_LOG_COLUMNS)
    rows = (
        entries.select_related("user", "patient", "care_relationship")
        .order_by("accessed_at", "pk")
        .iterator(chunk_size=2000)
    )
    done = 0
    for entry in rows:
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    timezone.localtime(entry.accessed_at).isoformat(),
                    entry.user.email,
                    entry.user.get_full_name(),
                    entry.roles,
                    entry.patient.display_mrn,
                    entry.patient.full_name,
                    entry.part,
                    entry.channel,
                    entry.ip_address,
                    entry.grant_reason,
                    "yes" if entry.break_glass_id else "no",
                    "yes"
                    if entry.care_relationship_id and entry.care_relationship.self_assigned
                    else "no",
                )
            ]
        )
        done += 1
        if done % EXPORT_PROGRESS_EVERY == 0:
            # 99 at most until the file is kept.
            job.set_progress(min(99, done * 100 // total), f"{done} of {total} accesses")
    job.attach_result(f"access-log-{first}-{last}.csv", out.getvalue().encode("utf-8-sig"))
    job.set_progress(100, f"{done} accesses")
    return {"rows": done}
