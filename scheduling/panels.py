"""Context for the scheduling chart tab and home-page panels."""

from django.utils import timezone

from scheduling.selectors import appointment_list_for_user, arrivals_summary, doctor_day_summary

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
    return arrivals_summary(timezone.localdate(), limit=PANEL_LIMIT)


def my_day(request):
    """The doctor's next appointments today (not closed), and how many remain."""
    return doctor_day_summary(request.user, timezone.localdate(), limit=PANEL_LIMIT)
