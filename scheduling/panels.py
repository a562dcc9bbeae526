"""Context for the scheduling chart tab and home-page panels."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from scheduling.models import AppointmentStatus
from scheduling.selectors import appointment_list, appointment_list_for_user

TAB_LIMIT = 20
PANEL_LIMIT = 6


def appointments_tab(request, patient):
    """The patient's upcoming appointments (soonest first) and past ones (latest first)."""
    now = timezone.now()
    appointments = appointment_list_for_user(request.user).filter(patient=patient)
    appointments = appointments.select_related("doctor", "clinic", "room", "appointment_type")
    return {
        "upcoming": list(appointments.filter(end__gte=now).order_by("start")[:TAB_LIMIT]),
        "past": list(appointments.filter(end__lt=now).order_by("-start")[:TAB_LIMIT]),
        "can_book": request.user.has_perm("scheduling.add_appointment"),
        "can_waitlist": request.user.has_perm("scheduling.add_waitlistentry"),
    }


def arrivals(request):
    """Today's arrivals: counts per state and the next patients expected."""
    today = timezone.localdate()
    todays = appointment_list(day=today)
    counts = dict(todays.values_list("status").annotate(n=Count("id")).order_by())
    expected = list(
        todays.filter(
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED),
            start__gte=timezone.now() - timedelta(minutes=30),
        )[:PANEL_LIMIT]
    )
    return {
        "total": sum(n for s, n in counts.items() if s != AppointmentStatus.CANCELLED),
        "expected": sum(
            counts.get(s, 0) for s in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
        ),
        "checked_in": counts.get(AppointmentStatus.CHECKED_IN, 0),
        "done": counts.get(AppointmentStatus.COMPLETED, 0)
        + counts.get(AppointmentStatus.IN_PROGRESS, 0),
        "no_show": counts.get(AppointmentStatus.NO_SHOW, 0),
        "next": expected,
    }


def my_day(request):
    """The doctor's next appointments today (not closed), and how many remain."""
    user = request.user
    todays = appointment_list(doctor=user, day=timezone.localdate())
    open_states = (
        AppointmentStatus.BOOKED,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.IN_PROGRESS,
    )
    remaining = todays.filter(status__in=open_states)
    return {
        "next": list(remaining[:PANEL_LIMIT]),
        "remaining": remaining.count(),
        "waiting": todays.filter(status=AppointmentStatus.CHECKED_IN).count(),
    }
