"""Doctors' private iCalendar feeds (RFC 5545) and the page that makes and revokes them.

The feed is read by calendar applications, which cannot sign in: the token in the query
string is the only credential (the access logs of gunicorn and nginx leave query
strings out). Only a hash of it is stored; revoking it, or making a new one, stops the
old URL at once. The feed holds times, the appointment type and the place: no patient
names, reasons or notes, since a calendar application syncs to phones and to servers
outside the hospital.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from ehr.core.exceptions import DomainError
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import StaffViewMixin
from scheduling import services
from scheduling.models import (
    HOLDING_STATES,
    Appointment,
    AppointmentStatus,
    CalendarFeedToken,
    ScheduleException,
)

# The window a feed covers: a month of history, half a year ahead.
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=180)
# How often calendar applications are asked to fetch the feed again.
REFRESH_INTERVAL = "PT15M"

# --- RFC 5545 writing -------------------------------------------------------------------------

CRLF = "\r\n"
MAX_LINE_OCTETS = 75


def ics_escape(text):
    """Return `text` escaped as an RFC 5545 TEXT value (3.3.11)."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ics_fold(line):
    """Return `line` folded into lines of at most 75 octets (RFC 5545 3.1), never
    splitting a UTF-8 character; continuation lines start with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= MAX_LINE_OCTETS:
        return line
    parts = []
    current, size, limit = [], 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            # The leading space of a continuation line counts towards its 75 octets.
            current, size, limit = [" "], 1, MAX_LINE_OCTETS
        current.append(char)
        size += width
    parts.append("".join(current))
    return CRLF.join(parts)


def ics_datetime(moment):
    """Return an aware datetime as an RFC 5545 UTC DATE-TIME (`20250102T080000Z`)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_calendar(properties, events):
    """Return a VCALENDAR: `properties` and each event are lists of (name, value) pairs,
    values already escaped as their type needs."""
    lines = ["BEGIN:VCALENDAR", *(f"{name}:{value}" for name, value in properties)]
    for event in events:
        lines.append("BEGIN:VEVENT")
        lines.extend(f"{name}:{value}" for name, value in event)
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + CRLF for line in lines)


# --- The feed ---------------------------------------------------------------------------------

# RFC 5545 3.8.1.11: a requested appointment is not settled yet.
EVENT_STATUS = {AppointmentStatus.REQUESTED: "TENTATIVE"}


def _appointment_event(appointment, host, stamp):
    place = " · ".join(
        part.name for part in (appointment.clinic, appointment.room) if part is not None
    )
    event = [
        ("UID", f"{appointment.pk}@{host}"),
        ("DTSTAMP", stamp),
        ("DTSTART", ics_datetime(appointment.start)),
        ("DTEND", ics_datetime(appointment.end)),
        ("LAST-MODIFIED", ics_datetime(appointment.updated_at)),
        # The type only: a calendar leaves the hospital, patient data must not.
        ("SUMMARY", ics_escape(appointment.appointment_type.name)),
        ("STATUS", EVENT_STATUS.get(appointment.status, "CONFIRMED")),
        ("TRANSP", "OPAQUE"),
        ("CLASS", "PRIVATE"),
    ]
    if place:
        event.insert(6, ("LOCATION", ics_escape(place)))
    return event


def _busy_event(exception, host, stamp):
    # The reason of leave or blocked time is left out: staff may write anything there.
    return [
        ("UID", f"{exception.pk}@{host}"),
        ("DTSTAMP", stamp),
        ("DTSTART", ics_datetime(exception.starts_at)),
        ("DTEND", ics_datetime(exception.ends_at)),
        ("SUMMARY", ics_escape(exception.get_kind_display())),
        ("STATUS", "CONFIRMED"),
        ("TRANSP", "OPAQUE"),
        ("CLASS", "PRIVATE"),
    ]


def calendar_feed(doctor, *, host, now=None):
    """Return the iCalendar text of `doctor`'s schedule from 30 days back to 180 days
    ahead: their appointments that hold time and their leave and blocked time (two
    queries)."""
    now = now or timezone.now()
    since, until = now - FEED_PAST, now + FEED_FUTURE
    stamp = ics_datetime(now)
    appointments = (
        Appointment.objects.filter(
            doctor=doctor, status__in=HOLDING_STATES, start__lt=until, end__gt=since
        )
        .select_related("clinic", "room", "appointment_type")
        .order_by("start", "pk")
    )
    busy = ScheduleException.objects.filter(
        doctor=doctor,
        kind__in=(ScheduleException.Kind.LEAVE, ScheduleException.Kind.BLOCKED),
        starts_at__lt=until,
        ends_at__gt=since,
    ).order_by("starts_at", "pk")
    events = [_appointment_event(a, host, stamp) for a in appointments]
    events += [_busy_event(e, host, stamp) for e in busy]
    name = _("%(site)s: schedule of Dr %(name)s") % {
        "site": settings.SITE_NAME,
        "name": doctor.get_full_name(),
    }
    properties = [
        ("PRODID", ics_escape(f"-//{settings.SITE_NAME}//Scheduling//EN")),
        ("VERSION", "2.0"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", ics_escape(name)),
        ("NAME", ics_escape(name)),
        ("REFRESH-INTERVAL;VALUE=DURATION", REFRESH_INTERVAL),
        ("X-PUBLISHED-TTL", REFRESH_INTERVAL),
    ]
    return ics_calendar(properties, events)


@method_decorator(login_not_required, name="dispatch")
class CalendarFeedView(View):
    """GET /scheduling/feed.ics?token=…: a doctor's schedule as iCalendar. An unknown
    or revoked token answers 404, like a URL that never existed."""

    http_method_names = ["get", "head"]

    def get(self, request):
        doctor = services.calendar_feed_user(request.GET.get("token", ""))
        if doctor is None:
            raise Http404
        body = calendar_feed(doctor, host=request.get_host().split(":")[0])
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="schedule.ics"'
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


# --- The settings page ------------------------------------------------------------------------


class FeedSettingsView(StaffViewMixin, RolePermissionRequiredMixin, TemplateView):
    """A doctor's calendar-feed page: whether a feed is active, a button that makes a
    new private URL (shown once; it revokes the previous one) and one that revokes it."""

    template_name = "scheduling/feed_settings.html"
    permission_required = "scheduling.add_calendarfeedtoken"
    title = gettext_lazy("Calendar feed")

    def active_tokens(self):
        return CalendarFeedToken.objects.filter(
            user=self.request.user, revoked_at__isnull=True
        ).order_by("-created_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["token"] = self.active_tokens().first()
        context["can_revoke"] = self.request.user.has_perm("scheduling.delete_calendarfeedtoken")
        context["title"] = self.title
        return context

    def post(self, request):
        action = request.POST.get("action")
        if action == "create":
            try:
                _token, raw = services.calendar_feed_token_create(
                    user=request.user, actor=request.user
                )
            except DomainError as error:  # e.g. an operator account that is no doctor
                messages.error(request, " ".join(error.messages))
                return redirect("scheduling:feed_settings")
            url = request.build_absolute_uri(reverse("scheduling:calendar_feed"))
            feed_url = f"{url}?{urlencode({'token': raw})}"
            context = self.get_context_data(
                feed_url=feed_url,
                webcal_url="webcal://" + feed_url.split("://", 1)[1],
            )
            return self.render_to_response(context)
        if action == "revoke":
            if not request.user.has_perm("scheduling.delete_calendarfeedtoken"):
                raise PermissionDenied
            tokens = list(self.active_tokens())
            for token in tokens:
                services.calendar_feed_token_revoke(token=token, actor=request.user)
            if tokens:
                messages.success(
                    request, _("The calendar feed is revoked: its URL no longer works.")
                )
            return redirect("scheduling:feed_settings")
        return HttpResponseBadRequest()
