"""Outpatient scheduling: clinics and their consultation rooms, appointment types and
hospital holidays (master data); doctors' weekly schedules and their exceptions; the
appointments booked into them, their state machine, recurring series, the waitlist and
the reminders sent before each appointment.

The rule of record against double booking is a database constraint: on PostgreSQL an
exclusion constraint over each appointment's time range, per doctor and per room, for
the states that hold time (migration 0002). The services in `scheduling.services` lock
the doctor's row, check first (for a clear message on every database) and turn a
violated constraint into a domain error.
"""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import InvalidTransition
from ehr.core.models import BoundedTextField, TrackedModel
from ehr.core.states import StateMachine, StatusChange
from patients.models import AccessReason, CareWindow
from scheduling.exceptions import CheckInNotOnTheDay, CompletionReasonRequired

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))

# --- Master data ------------------------------------------------------------------------------


class Clinic(TrackedModel):
    """An outpatient clinic or department, with its consultation rooms."""

    hospital = models.ForeignKey(
        "core.Hospital",
        verbose_name=_("hospital"),
        on_delete=models.PROTECT,
        related_name="clinics",
    )
    name = models.CharField(_("name"), max_length=100)
    specialty = models.ForeignKey(
        "accounts.Specialty",
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clinics",
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "name"], name="clinic_unique_name"),
        ]

    def __str__(self):
        return self.name


class ConsultationRoom(TrackedModel):
    """A consultation room of a clinic: never booked twice at once."""

    clinic = models.ForeignKey(
        Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="rooms"
    )
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["clinic__name", "name"]
        verbose_name = _("consultation room")
        verbose_name_plural = _("consultation rooms")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="consultationroom_unique_name"),
        ]

    def __str__(self):
        return f"{self.clinic} · {self.name}"


class AppointmentType(TrackedModel):
    """A kind of appointment (consultation, follow-up…) with its default length and the
    colour it has in the calendars."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    default_duration = models.PositiveSmallIntegerField(
        _("default duration"), default=15, help_text=_("Minutes.")
    )
    colour = models.CharField(
        _("colour"), max_length=7, default="#0d6efd", validators=[colour_validator]
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = BoundedTextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")
        constraints = [
            models.CheckConstraint(
                condition=Q(default_duration__gte=5) & Q(default_duration__lte=720),
                name="appointmenttype_duration_range",
            ),
        ]

    def __str__(self):
        return self.name


class Holiday(TrackedModel):
    """A day the hospital's outpatient clinics are closed: no free slots are offered."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


# --- Availability -----------------------------------------------------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DoctorSchedule(TrackedModel):
    """One weekly session of a doctor: on `weekday` from `start_time` to `end_time`, in a
    clinic and room, cut into slots of `slot_minutes`, between `effective_from` and
    `effective_to` (open-ended when empty)."""

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="schedules",
    )
    weekday = models.PositiveSmallIntegerField(_("day of week"), choices=Weekday)
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length"), default=15)
    clinic = models.ForeignKey(
        Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="schedules"
    )
    room = models.ForeignKey(
        ConsultationRoom,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
    )
    effective_from = models.DateField(_("effective from"), default=timezone.localdate)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    class Meta:
        ordering = ["doctor__last_name", "weekday", "start_time"]
        verbose_name = _("doctor schedule")
        verbose_name_plural = _("doctor schedules")
        permissions = [
            ("manage_any_schedule", _("Manage any doctor's schedule and exceptions")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="doctorschedule_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=480),
                name="doctorschedule_slot_range",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="doctorschedule_effective_order",
            ),
        ]
        indexes = [models.Index(fields=["doctor", "weekday"], name="schedule_doctor_day_idx")]

    def __str__(self):
        return (
            f"{self.doctor} · {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        )

    def applies_on(self, day):
        """Return True if this session takes place on the date `day`."""
        return (
            day.weekday() == self.weekday
            and self.effective_from <= day
            and (self.effective_to is None or day <= self.effective_to)
        )

    def session_on(self, day):
        """Return the (start, end) aware datetimes of this session on `day`."""
        tz = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(day, self.start_time), tz),
            timezone.make_aware(datetime.combine(day, self.end_time), tz),
        )


class ScheduleException(TrackedModel):
    """A change to a doctor's weekly schedule: leave or blocked time (no slots), or an
    extra session (slots outside the weekly template)."""

    class Kind(models.TextChoices):
        LEAVE = "leave", _("Leave")
        BLOCKED = "blocked", _("Blocked time")
        EXTRA = "extra", _("Extra session")

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="schedule_exceptions",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    clinic = models.ForeignKey(
        Clinic,
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedule_exceptions",
        help_text=_("Where an extra session takes place."),
    )
    room = models.ForeignKey(
        ConsultationRoom,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedule_exceptions",
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length"), default=15)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("schedule exception")
        verbose_name_plural = _("schedule exceptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="scheduleexception_end_after_start"
            ),
            # An extra session says where it is held.
            models.CheckConstraint(
                condition=~Q(kind="extra") | Q(clinic__isnull=False),
                name="scheduleexception_extra_has_clinic",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=480),
                name="scheduleexception_slot_range",
            ),
        ]
        indexes = [
            models.Index(fields=["doctor", "starts_at"], name="schedexc_doctor_start_idx"),
        ]

    def __str__(self):
        return f"{self.doctor} · {self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def removes_time(self):
        return self.kind in (self.Kind.LEAVE, self.Kind.BLOCKED)


# --- Appointments -----------------------------------------------------------------------------


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# The states in which an appointment holds its doctor's and room's time. A cancelled
# appointment and a no-show free it; a completed one keeps it (it happened).
HOLDING_STATES = (
    AppointmentStatus.REQUESTED,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
)
# States in which an appointment may still be moved to another time (the patient has not
# arrived yet).
RESCHEDULABLE_STATES = (
    AppointmentStatus.REQUESTED,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
)
# States from which nothing changes any more (except the late arrival of a no-show).
CLOSED_STATES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.CANCELLED,
    AppointmentStatus.NO_SHOW,
)


class AppointmentQuerySet(models.QuerySet):
    def holding(self):
        """Appointments that hold their time (not cancelled, not a no-show)."""
        return self.filter(status__in=HOLDING_STATES)

    def overlapping(self, start, end):
        """Appointments whose time range [start, end) meets [start, end)."""
        return self.filter(start__lt=end, end__gt=start)

    def on_day(self, day):
        """Appointments starting on the local date `day`."""
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
        return self.filter(start__gte=start, start__lt=start + timedelta(days=1))


class Appointment(StateMachine, TrackedModel):
    """A patient's appointment with a doctor, in a room, for a time.

    State changes go through the kernel's `StateMachine.transition_to`, guarded by
    `TRANSITIONS` and the appointment's own rules (`transition_refusal`: a no-show only
    once the appointment began, a check-in only on its day), time-stamped on the
    row (`STAMPS`) and written to `AppointmentStatusChange` (`status_changes`). A
    rescheduled appointment is cancelled and its replacement points back to it
    (`rescheduled_from`).
    """

    Status = AppointmentStatus
    status_log = "status_changes"
    transition_message = _("An appointment cannot go from %(old)s to %(new)s.")

    # The one table of allowed state changes.
    TRANSITIONS = {
        Status.REQUESTED: frozenset({Status.BOOKED, Status.CANCELLED}),
        Status.BOOKED: frozenset(
            {Status.CONFIRMED, Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW}
        ),
        Status.CONFIRMED: frozenset({Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW}),
        Status.CHECKED_IN: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED}),
        Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
        Status.COMPLETED: frozenset(),
        Status.CANCELLED: frozenset(),
        # A patient marked as a no-show who arrives late is checked in after all.
        Status.NO_SHOW: frozenset({Status.CHECKED_IN}),
    }
    # The time-stamp column each state sets when it is entered.
    STAMPS = {
        Status.BOOKED: "booked_at",
        Status.CONFIRMED: "confirmed_at",
        Status.CHECKED_IN: "checked_in_at",
        Status.IN_PROGRESS: "started_at",
        Status.COMPLETED: "completed_at",
        Status.CANCELLED: "cancelled_at",
        Status.NO_SHOW: "no_show_at",
    }

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    clinic = models.ForeignKey(
        Clinic,
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    room = models.ForeignKey(
        ConsultationRoom,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    appointment_type = models.ForeignKey(
        AppointmentType,
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.BOOKED, editable=False
    )
    reason = models.CharField(_("reason for visit"), max_length=255, blank=True)
    notes = BoundedTextField(_("notes"), blank=True)
    cancellation_reason = models.CharField(
        _("cancellation reason"), max_length=255, blank=True, editable=False
    )
    outside_availability = models.BooleanField(
        _("booked outside availability"),
        default=False,
        editable=False,
        help_text=_("Booked with the override permission (e.g. an emergency)."),
    )
    rescheduled_from = models.OneToOneField(
        "self",
        verbose_name=_("rescheduled from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="rescheduled_to",
    )
    series = models.ForeignKey(
        "AppointmentSeries",
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="appointments",
    )
    status_changed_at = models.DateTimeField(
        _("status changed at"), default=timezone.now, editable=False
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    no_show_at = models.DateTimeField(_("no-show at"), null=True, blank=True, editable=False)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        permissions = [
            ("book_outside_availability", _("Book outside a doctor's availability")),
            ("check_in_appointment", _("Check patients in, mark no-shows")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="appointment_end_after_start"
            ),
            # A cancellation always says why.
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancellation_reason=""),
                name="appointment_cancelled_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["doctor", "start"], name="appointment_doctor_start_idx"),
            models.Index(fields=["room", "start"], name="appointment_room_start_idx"),
            models.Index(fields=["patient", "start"], name="appointment_patient_start_idx"),
            models.Index(fields=["clinic", "start"], name="appointment_clinic_start_idx"),
            models.Index(fields=["start"], name="appointment_start_idx"),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.start):%Y-%m-%d %H:%M} · {self.appointment_type}"

    def get_absolute_url(self):
        return reverse("scheduling:appointment_detail", args=[self.pk])

    @property
    def holds_time(self):
        return self.status in HOLDING_STATES

    @property
    def is_closed(self):
        return self.status in CLOSED_STATES

    @property
    def duration_minutes(self):
        return int((self.end - self.start).total_seconds() // 60)

    def care_windows(self):
        """Return the chart access this appointment gives its doctor: from the chart
        preparation time before it starts until the follow-up time after it is completed
        (or, while still open, after its planned end). A requested, cancelled or missed
        appointment gives none."""
        if self.status in (
            self.Status.REQUESTED,
            self.Status.CANCELLED,
            self.Status.NO_SHOW,
        ):
            return []
        ends = self.completed_at if self.status == self.Status.COMPLETED else None
        return [
            CareWindow.of_care(
                self.doctor,
                AccessReason.APPOINTMENT,
                starts=self.start,
                ends=max(ends or self.end, self.end),
                prepare=True,
            )
        ]

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def is_reschedulable(self):
        """True while the appointment may still move to another time (not yet arrived)."""
        return self.status in RESCHEDULABLE_STATES

    @property
    def is_waiting(self):
        """True while the patient is checked in and waits for the doctor."""
        return self.status == self.Status.CHECKED_IN

    @property
    def is_in_encounter_window(self):
        """True from check-in until completion: the doctor may start or open the visit's
        encounter."""
        return self.status in (self.Status.CHECKED_IN, self.Status.IN_PROGRESS)

    # --- The appointment's own rules, beyond the table ------------------------------------

    def transition_refusal(self, new_status, at):
        """Return the domain error that forbids a change to `new_status` at `at` whatever
        the user gives (the appointment's own rules of time), or None.

        A no-show is marked only once the appointment began; a patient is checked in
        only on the appointment's day, the hospital's local date (`TIME_ZONE`), a late
        arrival after a no-show included (the service also wants the doctor's time still
        free)."""
        if new_status == self.Status.NO_SHOW and at < self.start:
            return InvalidTransition(_("A patient is a no-show only once the appointment began."))
        if new_status == self.Status.CHECKED_IN and timezone.localdate(at) != timezone.localdate(
            self.start
        ):
            return CheckInNotOnTheDay()
        return None

    def reason_required_for(self, new_status):
        """Return True if a change to `new_status` must say why: a cancellation, and the
        completion of a checked-in visit, which has no encounter (starting one moves the
        visit in progress, the doctor's usual path)."""
        return new_status == self.Status.CANCELLED or (
            new_status == self.Status.COMPLETED and self.status == self.Status.CHECKED_IN
        )

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        """Refuse the completion of a checked-in visit without a reason
        (CompletionReasonRequired); the rules of time are `transition_refusal`'s."""
        completing = new_status == self.Status.COMPLETED
        if completing and self.reason_required_for(new_status) and not reason:
            raise CompletionReasonRequired()

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        """Keep the reason of a cancellation on the row (the database requires one)."""
        if new_status == self.Status.CANCELLED:
            max_length = self._meta.get_field("cancellation_reason").max_length
            self.cancellation_reason = reason[:max_length]


class AppointmentStatusChange(StatusChange):
    """One change of an appointment's state: from, to, when, by whom, why (the status
    fields narrowed to the appointment's states)."""

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=12, choices=AppointmentStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=AppointmentStatus)

    class Meta(StatusChange.Meta):
        verbose_name = _("appointment status change")
        verbose_name_plural = _("appointment status changes")


class AppointmentSeries(TrackedModel):
    """A recurring series: every `interval` days or weeks from the first appointment, for
    `count` occurrences or until `until`. Each occurrence is a normal appointment that
    can be moved or cancelled alone."""

    class Unit(models.TextChoices):
        DAYS = "days", _("days")
        WEEKS = "weeks", _("weeks")

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="appointment_series",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    interval = models.PositiveSmallIntegerField(_("every"), default=1)
    unit = models.CharField(_("unit"), max_length=5, choices=Unit, default=Unit.WEEKS)
    count = models.PositiveSmallIntegerField(_("occurrences"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment series")
        verbose_name_plural = _("appointment series")
        constraints = [
            models.CheckConstraint(
                condition=Q(interval__gte=1) & Q(interval__lte=365),
                name="appointmentseries_interval_range",
            ),
            # A series ends: after a number of occurrences or on a date.
            models.CheckConstraint(
                condition=Q(count__isnull=False) | Q(until__isnull=False),
                name="appointmentseries_has_end",
            ),
        ]

    def __str__(self):
        return _("every %(n)s %(unit)s") % {"n": self.interval, "unit": self.get_unit_display()}


# --- Waitlist ---------------------------------------------------------------------------------


class WaitlistEntry(TrackedModel):
    """A patient waiting for an earlier appointment with a doctor, or with any doctor of
    a specialty, within an acceptable window. Freed slots that match are offered."""

    class Priority(models.IntegerChoices):
        ROUTINE = 1, _("Routine")
        SOON = 2, _("Soon")
        URGENT = 3, _("Urgent")

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        BOOKED = "booked", _("Booked")
        REMOVED = "removed", _("Removed")

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
    )
    specialty = models.ForeignKey(
        "accounts.Specialty",
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
    )
    appointment_type = models.ForeignKey(
        AppointmentType,
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
    )
    earliest = models.DateField(_("earliest date"))
    latest = models.DateField(_("latest date"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.ROUTINE
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.WAITING, editable=False
    )
    reason = models.CharField(_("reason for visit"), max_length=255, blank=True)
    notes = BoundedTextField(_("notes"), blank=True)
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("booked appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-priority", "created_at"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [
            # Waiting for someone: a doctor or a specialty.
            models.CheckConstraint(
                condition=Q(doctor__isnull=False) | Q(specialty__isnull=False),
                name="waitlistentry_doctor_or_specialty",
            ),
            models.CheckConstraint(
                condition=Q(latest__gte=F("earliest")), name="waitlistentry_window_order"
            ),
        ]
        indexes = [models.Index(fields=["state", "earliest"], name="waitlist_state_idx")]

    def __str__(self):
        return f"{self.patient} · {self.get_priority_display()}"


class WaitlistOffer(TrackedModel):
    """A freed slot offered to a waitlist entry: receptionists are notified and book it
    in one click; the first booking withdraws the slot's other offers."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        BOOKED = "booked", _("Booked")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    entry = models.ForeignKey(
        WaitlistEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="offers"
    )
    freed_by = models.ForeignKey(
        Appointment,
        verbose_name=_("freed by"),
        on_delete=models.CASCADE,
        related_name="waitlist_offers",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    room = models.ForeignKey(
        ConsultationRoom,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.OPEN, editable=False
    )
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("booked appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["start", "-entry__priority", "entry__created_at"]
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        constraints = [
            models.UniqueConstraint(fields=["entry", "freed_by"], name="waitlistoffer_once"),
        ]

    def __str__(self):
        return f"{self.entry} · {timezone.localtime(self.start):%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("scheduling:waitlist_offer", args=[self.pk])

    @property
    def is_open(self):
        """True while the offer can still be booked: open, and the slot not begun."""
        return self.state == self.State.OPEN and self.start > timezone.now()


# --- Reminders and calendar feeds -------------------------------------------------------------


class AppointmentReminder(TrackedModel):
    """The reminder of one appointment and what became of it. One row per appointment and
    channel (a unique constraint): a reminder is never sent twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")

    class State(models.TextChoices):
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED_NO_ADDRESS = "no_address", _("Skipped: no email address")
        SKIPPED_OPTED_OUT = "opted_out", _("Skipped: patient opted out")
        FAILED = "failed", _("Failed")

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.EMAIL)
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.PENDING)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment reminder")
        verbose_name_plural = _("appointment reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "channel"], name="appointmentreminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.appointment} · {self.get_state_display()}"


class CalendarFeedToken(TrackedModel):
    """A doctor's private iCalendar feed of their schedule. Only a hash of the token is
    stored: the URL is shown once when created; revoking it stops the feed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed_tokens",
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d}"

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_active(self):
        return self.revoked_at is None
