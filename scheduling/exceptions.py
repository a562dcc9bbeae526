"""Domain errors of scheduling. Conflicts with booked time answer 409 in the API; bad
requests 400. A doctor who is not an active doctor is the one `accounts.exceptions.
NotADoctor`; a patient who takes no new care the one `patients.exceptions.PatientInactive`
(`Patient.ensure_active`)."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import Conflict, DomainError, DomainPermissionDenied, FieldDomainError


class DoctorDoubleBooked(Conflict):
    """The doctor already has an appointment that overlaps the requested time."""

    default_message = _("The doctor already has an appointment at this time.")
    default_code = "doctor_double_booked"


class RoomDoubleBooked(Conflict):
    """The consultation room is already booked for an overlapping time."""

    default_message = _("The room is already booked at this time.")
    default_code = "room_double_booked"


class PatientAlreadyBooked(Conflict):
    """The patient has another appointment at an overlapping time (a warning the booker
    confirms)."""

    default_message = _("The patient already has an appointment at this time.")
    default_code = "patient_already_booked"

    def __init__(self, message=None, code=None, params=None, *, appointments=()):
        super().__init__(message, code, params)
        self.appointments = list(appointments)


class OutsideAvailability(DomainError):
    """The time is not within the doctor's schedule (or falls on leave, blocked time or a
    holiday); only users with the override permission may book it."""

    status_code = 409
    default_message = _(
        "The doctor is not available at this time. Booking outside the schedule needs "
        "the override permission (emergencies)."
    )
    default_code = "outside_availability"


class InvalidAppointmentTime(DomainError):
    """The start and end do not make an appointment (end before start, in the past…)."""

    default_message = _("Choose an end after the start.")
    default_code = "invalid_time"


class CancellationReasonRequired(DomainError):
    default_message = _("Say why the appointment is cancelled.")
    default_code = "reason_required"


class CheckInNotOnTheDay(Conflict):
    """A patient is checked in only on the appointment's day (the hospital's local date):
    an arrival on another day is a new appointment, not this one."""

    default_message = _(
        "A patient is checked in only on the day of the appointment; book a new "
        "appointment for another day."
    )
    default_code = "check_in_not_on_the_day"


class CompletionReasonRequired(FieldDomainError):
    """A checked-in visit completed without an encounter (the doctor never started one)
    says why, for the status history."""

    field = "reason"
    default_message = _(
        "Say why the visit is completed without an encounter (the usual path is “Start encounter”)."
    )
    default_code = "completion_reason_required"


class AppointmentClosed(Conflict):
    default_message = _("This appointment is cancelled, completed or a no-show; it cannot change.")
    default_code = "appointment_closed"


class SeriesConflicts(Conflict):
    """Some occurrences of a recurring series conflict; `occurrences` lists each with its
    problem so the booker can skip or move them."""

    default_message = _("Some occurrences of the series conflict with booked time.")
    default_code = "series_conflicts"

    def __init__(self, message=None, code=None, params=None, *, occurrences=()):
        super().__init__(message, code, params)
        self.occurrences = list(occurrences)


class ScheduleNotYours(DomainPermissionDenied):
    """Doctors manage their own schedule; receptionists and administrators anyone's."""

    def __init__(self, message=None):
        super().__init__(message or _("You may only change your own schedule."))


class AppointmentNotYours(DomainPermissionDenied):
    """Doctors change and cancel their own appointments; the front desk anyone's."""

    def __init__(self, message=None):
        super().__init__(
            message
            or _(
                "This is another doctor's appointment: only that doctor or the front desk "
                "may change or cancel it."
            )
        )


class OfferNotOpen(Conflict):
    default_message = _("This waitlist offer has already been booked or withdrawn.")
    default_code = "offer_not_open"
