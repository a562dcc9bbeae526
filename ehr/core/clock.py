"""Times that people and devices type: "not in the future" with one tolerance.

Clocks of ward PCs, monitors and phones drift; a time a little ahead of the server's is
"now", not the future. Every rule that refuses a future time (a vital sign measured, a
date of birth, an admission or discharge time, a death) asks `ensure_not_in_future`, so
the tolerance is one system parameter and the error one exception (`TimeInFuture`).
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core import parameters
from ehr.core.exceptions import TimeInFuture

CLOCK_TOLERANCE = parameters.define(
    "clock_tolerance",
    label=_("Clock tolerance"),
    type="int",
    default=5,
    unit="minutes",
    min_value=0,
    max_value=60,
    help_text=_(
        "A time typed or sent this far ahead of the server's clock still counts as now "
        "(workstation and device clocks drift)."
    ),
)


def clock_tolerance():
    """Return the tolerance for clocks ahead of the server's, as a timedelta."""
    return datetime.timedelta(minutes=parameters.get(CLOCK_TOLERANCE.key))


def ensure_not_in_future(value, *, field="__all__", message=None, now=None):
    """Return `value` (a datetime or a date) unless it lies in the future; raise
    TimeInFuture naming `field` otherwise. A datetime up to the clock tolerance ahead
    counts as now; a date may be today (the site's local date). None passes."""
    if value is None:
        return value
    now = now or timezone.now()
    if isinstance(value, datetime.datetime):
        if value > now + clock_tolerance():
            raise TimeInFuture(message, field=field)
    elif value > timezone.localdate(now):
        raise TimeInFuture(message, field=field)
    return value


def clamp_to_now(value, *, now=None):
    """Return `value` (a datetime within the tolerance) moved back to `now` if it lies
    ahead of it, so a record never says something happened after the server's now."""
    now = now or timezone.now()
    return min(value, now)
