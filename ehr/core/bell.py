"""The bell's background polling: every page's bell asks a small endpoint, every
`NOTIFICATION_POLL_SECONDS` (30 by default), for the unread count and for the urgent
notifications that arrived since the newest one the page has seen.

The poller element (`partials/notification_poller.html`) sends what the page shows: the
count (`shown`) and the time of the newest urgent notification it has seen (`since`, the
page's own time when it was drawn). The server answers 204 when nothing changed, else the
bell (out of band), a toast per new urgent notification (out of band into #toast-area)
and the poller again with the new `since`, so a toast is shown once. Each poll costs the
cached count and, only while something is unread, one indexed query.
"""

import json
from datetime import UTC

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ehr.core.models import Notification

DEFAULT_POLL_SECONDS = 30
# Levels that interrupt with a toast: critical (a critical result, a security event) and
# warning (a break-the-glass on one's patient, an overdue task). Information waits in the
# bell.
URGENT_LEVELS = (Notification.Level.CRITICAL, Notification.Level.WARNING)
# At most this many toasts per poll; the rest are counted in the last one.
TOAST_LIMIT = 3


def poll_seconds():
    """Return how often a page polls the bell, in seconds (setting
    `NOTIFICATION_POLL_SECONDS`; tests shorten it)."""
    return max(1, int(getattr(settings, "NOTIFICATION_POLL_SECONDS", DEFAULT_POLL_SECONDS)))


def poller_context(*, since, shown, on_list=False):
    """Return the context of the poller element: what its next poll sends."""
    # UTC with "Z": no "+" for a query string to turn into a space.
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    values = {"since": stamp, "shown": str(shown)}
    if on_list:
        values["here"] = "list"
    return {"poll_seconds": poll_seconds(), "poll_values": json.dumps(values)}


def parse_since(value):
    """Return the aware datetime a poll sent as `since`, or None if it sent none or
    nonsense."""
    try:
        since = parse_datetime(value or "")
    except ValueError:
        return None
    if since is None:
        return None
    if timezone.is_naive(since):
        since = timezone.make_aware(since, timezone.get_current_timezone())
    return since


def new_urgent_notifications(notifications, *, unread, since):
    """Return the unread urgent notifications of `notifications` (the user's own, from
    `notification_list_for_user`) created after `since`, newest first, at most
    TOAST_LIMIT + 1 of them (one more tells there are others). None can be new while
    nothing is unread: no query then."""
    if not unread:
        return []
    return list(
        notifications.filter(
            read_at__isnull=True, level__in=URGENT_LEVELS, created_at__gt=since
        ).only("id", "level", "title", "created_at", "recipient_id")[: TOAST_LIMIT + 1]
    )
