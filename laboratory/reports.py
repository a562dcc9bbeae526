"""The turnaround-time report: per ordered test (or panel) and priority, the median and
90th percentile of each stage, ordered → collected → received → resulted → verified,
over the orders verified in a date range."""

import math
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from laboratory.models import LabOrderStatus, LabOrderTest

STAGES = (
    ("ordered_collected", "ordered_at", "collected_at"),
    ("collected_received", "collected_at", "received_at"),
    ("received_resulted", "received_at", "resulted_at"),
    ("resulted_verified", "resulted_at", "verified_at"),
    ("ordered_verified", "ordered_at", "verified_at"),
)
MAX_DAYS = 366
STAGE_LABELS = (
    ("ordered_collected", _("Ordered → collected")),
    ("collected_received", _("Collected → received")),
    ("received_resulted", _("Received → resulted")),
    ("resulted_verified", _("Resulted → verified")),
    ("ordered_verified", _("Ordered → verified")),
)


def percentile(values, fraction):
    """Return the nearest-rank percentile of `values` (sorted here); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def default_period(today=None):
    """Return the last 30 days, today included."""
    today = today or timezone.localdate()
    return today - timedelta(days=29), today


def turnaround_rows(*, start=None, end=None):
    """Return one dict per (test, priority) of the orders verified between `start` and
    `end` (dates, the last 30 days by default; at most a year): test code and name,
    priority, count, and per stage the median and p90 in minutes (one decimal)."""
    default_start, default_end = default_period()
    start, end = start or default_start, end or default_end
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS))
    tz = timezone.get_current_timezone()
    begin = datetime.combine(start, time.min, tzinfo=tz)
    finish = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    ordered = (
        LabOrderTest.objects.filter(
            order__status=LabOrderStatus.VERIFIED,
            order__verified_at__gte=begin,
            order__verified_at__lt=finish,
        )
        .select_related("test", "order")
        .order_by("test__name", "order__priority")
    )
    groups = {}
    for row in ordered.iterator(chunk_size=2000):
        key = (row.test.code, row.test.name, row.order.priority)
        durations = groups.setdefault(key, {stage: [] for stage, _begin, _end in STAGES})
        for stage, begin_field, end_field in STAGES:
            a, b = getattr(row.order, begin_field), getattr(row.order, end_field)
            if a and b:
                durations[stage].append((b - a).total_seconds() / 60)
    rows = []
    for (code, name, priority), durations in sorted(groups.items()):
        row = {"test": code, "name": name, "priority": priority}
        row["count"] = len(durations["ordered_verified"])
        for stage, _begin, _end in STAGES:
            for label, fraction in (("median", 0.5), ("p90", 0.9)):
                value = percentile(durations[stage], fraction)
                row[f"{stage}_{label}"] = None if value is None else round(value, 1)
        rows.append(row)
    return rows
