"""Scheduling's write side: booking, state changes, rescheduling, recurring series, the
waitlist, doctors' schedules, reminders and calendar-feed tokens.

Double booking: `appointment_book` locks the doctor's row (and the room's), checks the
overlap for a clear message, and saves in a savepoint; on PostgreSQL the exclusion
constraints of migration 0002 are the rule of record when two requests race, and their
violation becomes the same domain error (409), never a server error.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import roles
from accounts.selectors import ensure_active_doctor, is_active_doctor
from ehr.core import events, messaging, parameters
from ehr.core.models import NotificationCategory, OutboundMessage
from ehr.core.services import notification_send
from patients.services import care_relationships_sync
from scheduling.exceptions import (
    AppointmentClosed,
    AppointmentNotYours,
    CancellationReasonRequired,
    DoctorDoubleBooked,
    InvalidAppointmentTime,
    OfferNotOpen,
    OutsideAvailability,
    PatientAlreadyBooked,
    RoomDoubleBooked,
    ScheduleNotYours,
    SeriesConflicts,
)
from scheduling.models import (
    HOLDING_STATES,
    Appointment,
    AppointmentReminder,
    AppointmentSeries,
    AppointmentStatus,
    CalendarFeedToken,
    ConsultationRoom,
    DoctorSchedule,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)
from scheduling.selectors import Availability, overlapping_appointments, waitlist_matching

logger = logging.getLogger(__name__)

OVERRIDE_PERMISSION = "scheduling.book_outside_availability"
MANAGE_ANY_SCHEDULE = "scheduling.manage_any_schedule"
NOT_A_DOCTOR_MESSAGE = _lazy("Appointments are booked with an active doctor.")
# A booking rule, not a "time in the future" check: an appointment may be booked this
# long after its start (a walk-in being registered).
PAST_TOLERANCE = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=12)
MAX_OCCURRENCES = 52
# How many waitlisted patients a freed slot is offered to.
OFFERS_PER_SLOT = 3


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- Checks and locks -------------------------------------------------------------------------


def _ensure_doctor(user):
    """Raise the one NotADoctor (on the `doctor` field) unless `user` is an active
    doctor, with scheduling's wording."""
    return ensure_active_doctor(user, message=NOT_A_DOCTOR_MESSAGE)


def _check_times(start, end, *, allow_past=False):
    if start is None or end is None or end <= start:
        raise InvalidAppointmentTime()
    if end - start > MAX_DURATION:
        raise InvalidAppointmentTime(_("An appointment lasts at most 12 hours."))
    if not allow_past and start < timezone.now() - PAST_TOLERANCE:
        raise InvalidAppointmentTime(_("This time has passed; choose a time from now on."))


def _lock_doctor(doctor):
    """Serialise the bookings of one doctor (PostgreSQL: a row lock; SQLite's IMMEDIATE
    transactions serialise every writer anyway)."""
    return get_user_model().objects.select_for_update().get(pk=doctor.pk)


def _lock_room(room):
    if room is not None:
        ConsultationRoom.objects.select_for_update().get(pk=room.pk)


def _check_free(*, doctor, room, start, end, exclude=None):
    """Raise if the doctor or the room is booked in [start, end), naming the clash."""
    checks = [({"doctor": doctor}, DoctorDoubleBooked, _("The doctor already has"))]
    if room is not None:
        checks.append(({"room": room}, RoomDoubleBooked, _("Room %s has") % room.name))
    for resource, error, who in checks:
        clash = (
            overlapping_appointments(start=start, end=end, exclude=exclude, **resource)
            .order_by("start")
            .first()
        )
        if clash is not None:
            raise error(
                _("%(who)s an appointment from %(start)s to %(end)s.")
                % {
                    "who": who,
                    "start": _local(clash.start),
                    "end": timezone.localtime(clash.end).strftime("%H:%M"),
                }
            )


def _save_appointment(appointment, actor):
    """Save in a savepoint; the exclusion constraints' verdict becomes a domain error."""
    appointment.stamp(actor)
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        if "room" in str(error):
            raise RoomDoubleBooked() from None
        raise DoctorDoubleBooked() from None
    return appointment


def can_override_availability(user):
    return user is not None and user.has_perm(OVERRIDE_PERMISSION)


# Arrival marks that whoever receives patients may set on any appointment (nurses too).
ARRIVAL_STATES = (AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW)


def can_change_appointment(user, appointment, status=None):
    """Return True if `user` may change `appointment` (or move it to `status`): its own
    doctor, the front desk (`manage_any_schedule`) or a system job (None); arrival marks
    (check-in, no-show) whoever holds `check_in_appointment`."""
    if user is None:
        return True
    if user.pk == appointment.doctor_id or user.has_perm(MANAGE_ANY_SCHEDULE):
        return True
    return status in ARRIVAL_STATES and user.has_perm("scheduling.check_in_appointment")


def _check_may_change(actor, appointment, status=None):
    if not can_change_appointment(actor, appointment, status):
        raise AppointmentNotYours()


def _sync_care(appointment, actor):
    """Give the doctor the chart access the appointment's state allows (and take it away
    from a cancelled or missed one)."""
    care_relationships_sync(
        source=appointment,
        patient=appointment.patient,
        windows=appointment.care_windows(),
        actor=actor,
    )


# --- Booking ----------------------------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *,
    patient,
    doctor,
    start,
    appointment_type,
    actor,
    end=None,
    room=None,
    reason="",
    notes="",
    override=False,
    allow_patient_overlap=False,
    status=AppointmentStatus.BOOKED,
    series=None,
    rescheduled_from=None,
    notify_patient=True,
    _allow_past=False,
    _at=None,
):
    """Book `patient` with `doctor` from `start` (to `end`, or for the type's default
    length) and return the appointment.

    The time must lie in the doctor's availability unless `override` is asked by a user
    with the override permission; the doctor and the room must be free (DoctorDoubleBooked,
    RoomDoubleBooked: 409); another appointment of the patient at the same time raises
    PatientAlreadyBooked unless `allow_patient_overlap` (the booker confirmed the
    warning). The doctor gets a care relationship with the patient (reason
    "appointment"), windowed around the appointment; a doctor booking himself with a
    patient whose chart he could not open has it marked self-assigned for review.

    A booked (not requested) appointment is confirmed to the patient by the channels he
    consented to, after commit (`notify_patient=False`: the caller confirms it).
    `_allow_past` and `_at` (when the booking was made) are for imports and demo data
    that record bookings made earlier; those are not confirmed.
    """
    patient.ensure_active()
    _ensure_doctor(doctor)
    end = end or start + timedelta(minutes=appointment_type.default_duration)
    _check_times(start, end, allow_past=_allow_past)
    if status not in (AppointmentStatus.BOOKED, AppointmentStatus.REQUESTED):
        raise InvalidAppointmentTime(_("A new appointment is booked or requested."))
    _lock_doctor(doctor)
    availability = Availability(
        [doctor.pk], timezone.localdate(start), timezone.localdate(end - timedelta(seconds=1))
    )
    session = availability.session_covering(doctor.pk, start, end)
    available = availability.is_available(doctor.pk, start, end)
    if not available:
        if not override:
            raise OutsideAvailability()
        if not can_override_availability(actor):
            raise OutsideAvailability(
                _(
                    "The doctor is not available at this time, and you may not book outside "
                    "a doctor's availability."
                )
            )
    if room is None and session is not None and session.room_id:
        room = ConsultationRoom.objects.get(pk=session.room_id)
    clinic_id = room.clinic_id if room is not None else (session.clinic_id if session else None)
    _lock_room(room)
    _check_free(doctor=doctor, room=room, start=start, end=end)
    if not allow_patient_overlap:
        others = list(
            overlapping_appointments(start=start, end=end, patient=patient).select_related("doctor")
        )
        if others:
            raise PatientAlreadyBooked(
                _("%(patient)s already has an appointment from %(start)s with %(doctor)s.")
                % {
                    "patient": patient.full_name,
                    "start": _local(others[0].start),
                    "doctor": others[0].doctor.get_full_name(),
                },
                appointments=others,
            )
    now = _at or timezone.now()
    appointment = Appointment(
        patient=patient,
        doctor=doctor,
        clinic_id=clinic_id,
        room=room,
        appointment_type=appointment_type,
        start=start,
        end=end,
        status=status,
        reason=(reason or "").strip()[:255],
        notes=notes or "",
        outside_availability=not available,
        rescheduled_from=rescheduled_from,
        series=series,
        status_changed_at=now,
        booked_at=now if status == AppointmentStatus.BOOKED else None,
    )
    _save_appointment(appointment, actor)
    appointment.log_status_change(None, status, actor=actor, at=now)
    _sync_care(appointment, actor)
    if notify_patient and status == AppointmentStatus.BOOKED and _at is None:
        appointment_messages_queue(appointment=appointment, kind=MessageKind.BOOKED, actor=actor)
    return appointment


def _lock_appointment(appointment):
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor", "room", "appointment_type")
        .get(pk=appointment.pk)
    )


@transaction.atomic
def appointment_transition(*, appointment, status, actor, reason="", at=None):
    """Move `appointment` to `status` as the transition table allows and return it.

    Only the appointment's doctor or the front desk may (AppointmentNotYours, 403),
    except for arrival marks. Cancelling needs a reason and offers the freed slot to the
    waitlist; completing a checked-in visit (no encounter) needs a reason too. A patient
    is checked in only on the appointment's day (CheckInNotOnTheDay, 409); a no-show who
    arrives late that day is checked in only if the doctor's time is still free. The
    doctor's chart access follows the new state: a booked appointment opens it, a
    cancelled or missed one closes it at once.
    """
    appointment = _lock_appointment(appointment)
    status = AppointmentStatus(status)
    _check_may_change(actor, appointment, status)
    reason = (reason or "").strip()
    if status == AppointmentStatus.CANCELLED and not reason:
        raise CancellationReasonRequired()
    if status in HOLDING_STATES and not appointment.holds_time:
        _lock_doctor(appointment.doctor)
        _check_free(
            doctor=appointment.doctor,
            room=appointment.room,
            start=appointment.start,
            end=appointment.end,
            exclude=appointment,
        )
    appointment.transition_to(status, actor=actor, reason=reason, at=at)
    if status in (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED):
        appointment_messages_queue(appointment=appointment, kind=status.value, actor=actor)
    _sync_care(appointment, actor)
    if status == AppointmentStatus.CANCELLED:
        waitlist_offer_freed_slot(appointment=appointment, actor=actor)
    if status == AppointmentStatus.NO_SHOW:
        events.publish(
            "appointment.no_show",
            {
                "appointment_id": str(appointment.pk),
                "patient_id": str(appointment.patient_id),
                "doctor_id": str(appointment.doctor_id),
                "start": appointment.start.isoformat(),
            },
            actor=actor,
        )
    return appointment


def appointment_confirm(*, appointment, actor):
    return appointment_transition(
        appointment=appointment, status=AppointmentStatus.CONFIRMED, actor=actor
    )


def appointment_check_in(*, appointment, actor, at=None):
    return appointment_transition(
        appointment=appointment, status=AppointmentStatus.CHECKED_IN, actor=actor, at=at
    )


def appointment_start(*, appointment, actor, at=None):
    return appointment_transition(
        appointment=appointment, status=AppointmentStatus.IN_PROGRESS, actor=actor, at=at
    )


def appointment_complete(*, appointment, actor, at=None, reason=""):
    """Complete a visit: one in progress (its encounter finished), or a checked-in one
    without an encounter, which says why (CompletionReasonRequired)."""
    return appointment_transition(
        appointment=appointment,
        status=AppointmentStatus.COMPLETED,
        actor=actor,
        at=at,
        reason=reason,
    )


def appointment_no_show(*, appointment, actor, at=None):
    return appointment_transition(
        appointment=appointment, status=AppointmentStatus.NO_SHOW, actor=actor, at=at
    )


def appointment_cancel(*, appointment, actor, reason):
    return appointment_transition(
        appointment=appointment, status=AppointmentStatus.CANCELLED, actor=actor, reason=reason
    )


@transaction.atomic
def appointment_reschedule(
    *,
    appointment,
    start,
    actor,
    end=None,
    doctor=None,
    room=None,
    override=False,
    allow_patient_overlap=True,
    reason="",
):
    """Move `appointment` to a new time (and optionally doctor or room): the original is
    cancelled ("rescheduled") and a new appointment, pointing back to it, is booked by
    the same rules as any booking. Return the new appointment.

    The whole move is one transaction: if the new time is refused, the original stays.
    Only the appointment's doctor or the front desk may move it (AppointmentNotYours).
    """
    original = _lock_appointment(appointment)
    _check_may_change(actor, original)
    if not original.is_reschedulable:
        raise AppointmentClosed(
            _("A %(status)s appointment cannot be rescheduled.")
            % {"status": original.get_status_display().lower()}
        )
    end = end or start + (original.end - original.start)
    doctor = doctor or original.doctor
    if room is None and doctor.pk == original.doctor_id:
        room = original.room
    note = (reason or "").strip() or _("Rescheduled")
    original.transition_to(AppointmentStatus.CANCELLED, actor=actor, reason=note)
    _sync_care(original, actor)
    new = appointment_book(
        patient=original.patient,
        doctor=doctor,
        start=start,
        end=end,
        room=room,
        appointment_type=original.appointment_type,
        reason=original.reason,
        notes=original.notes,
        actor=actor,
        override=override,
        allow_patient_overlap=allow_patient_overlap,
        status=(
            AppointmentStatus.REQUESTED
            if original.status == AppointmentStatus.REQUESTED
            else AppointmentStatus.BOOKED
        ),
        series=original.series,
        rescheduled_from=original,
    )
    waitlist_offer_freed_slot(appointment=original, actor=actor)
    return new


EDITABLE_FIELDS = ("reason", "notes", "appointment_type")


@transaction.atomic
def appointment_update(*, appointment, actor, **fields):
    """Change the reason, notes or type of an open appointment (times move with
    `appointment_reschedule`). Only its doctor or the front desk may."""
    appointment = _lock_appointment(appointment)
    _check_may_change(actor, appointment)
    if appointment.is_closed:
        raise AppointmentClosed()
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not editable here")
        setattr(appointment, name, value)
    appointment.stamp(actor)
    appointment.full_clean(exclude=["patient", "doctor", "clinic", "room", "rescheduled_from"])
    appointment.save()
    return appointment


# --- Recurring series -------------------------------------------------------------------------


@dataclass
class Occurrence:
    """One planned occurrence of a series and what stands in its way."""

    index: int
    start: object
    end: object
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def series_starts(*, start, interval, unit, count=None, until=None):
    """Return the start times of a series (at most MAX_OCCURRENCES), keeping the local
    wall-clock time across daylight-saving changes."""
    if not count and not until:
        raise InvalidAppointmentTime(_("A series needs a number of occurrences or an end date."))
    if interval < 1:
        raise InvalidAppointmentTime(_("Repeat every 1 or more days or weeks."))
    step = timedelta(days=interval * (7 if unit == AppointmentSeries.Unit.WEEKS else 1))
    local = timezone.localtime(start)
    wall = local.replace(tzinfo=None)
    tz = timezone.get_current_timezone()
    starts = []
    while len(starts) < (count or MAX_OCCURRENCES):
        moment = timezone.make_aware(wall, tz)
        if until and moment.date() > until:
            break
        starts.append(moment)
        wall += step
    if count and count > MAX_OCCURRENCES:
        raise InvalidAppointmentTime(
            _("A series has at most %(n)s occurrences.") % {"n": MAX_OCCURRENCES}
        )
    return starts


def series_plan(
    *,
    patient,
    doctor,
    start,
    minutes,
    interval,
    unit,
    count=None,
    until=None,
    room=None,
    actor=None,
    override=False,
):
    """Return the occurrences of a planned series, each with the problems that would
    stop its booking (doctor or room booked, outside availability, in the past) and
    warnings (the patient has another appointment)."""
    starts = series_starts(start=start, interval=interval, unit=unit, count=count, until=until)
    length = timedelta(minutes=minutes)
    availability = Availability(
        [doctor.pk], timezone.localdate(starts[0]), timezone.localdate(starts[-1] + length)
    )
    overriding = override and can_override_availability(actor)
    plan = []
    for index, moment in enumerate(starts):
        occurrence = Occurrence(index, moment, moment + length)
        if moment < timezone.now() - PAST_TOLERANCE:
            occurrence.problems.append(_("in the past"))
        if not availability.is_available(doctor.pk, moment, moment + length) and not overriding:
            occurrence.problems.append(_("outside the doctor's availability"))
        if overlapping_appointments(start=moment, end=moment + length, doctor=doctor).exists():
            occurrence.problems.append(_("the doctor is booked"))
        if (
            room is not None
            and overlapping_appointments(start=moment, end=moment + length, room=room).exists()
        ):
            occurrence.problems.append(_("the room is booked"))
        if overlapping_appointments(start=moment, end=moment + length, patient=patient).exists():
            occurrence.warnings.append(_("the patient has another appointment"))
        plan.append(occurrence)
    return plan


@transaction.atomic
def series_book(
    *,
    patient,
    doctor,
    start,
    appointment_type,
    interval,
    unit,
    actor,
    count=None,
    until=None,
    minutes=None,
    room=None,
    reason="",
    notes="",
    skip=(),
    override=False,
):
    """Book a recurring series. If an occurrence not listed in `skip` (indexes) has a
    problem, nothing is booked and SeriesConflicts lists every occurrence with its
    problems. Return (series, appointments)."""
    minutes = minutes or appointment_type.default_duration
    plan = series_plan(
        patient=patient,
        doctor=doctor,
        start=start,
        minutes=minutes,
        interval=interval,
        unit=unit,
        count=count,
        until=until,
        room=room,
        actor=actor,
        override=override,
    )
    skip = set(skip)
    if any(not o.ok and o.index not in skip for o in plan):
        raise SeriesConflicts(occurrences=plan)
    series = AppointmentSeries(
        patient=patient, doctor=doctor, interval=interval, unit=unit, count=count, until=until
    )
    series.stamp(actor)
    series.save()
    booked = [
        appointment_book(
            patient=patient,
            doctor=doctor,
            start=occurrence.start,
            end=occurrence.end,
            room=room,
            appointment_type=appointment_type,
            reason=reason,
            notes=notes,
            actor=actor,
            override=override,
            allow_patient_overlap=True,
            series=series,
            notify_patient=False,
        )
        for occurrence in plan
        if occurrence.index not in skip
    ]
    if booked:
        appointment_messages_queue(
            appointment=booked[0], kind=MessageKind.SERIES, actor=actor, series=booked
        )
    return series, booked


# --- Waitlist ---------------------------------------------------------------------------------


@transaction.atomic
def waitlist_add(
    *,
    patient,
    appointment_type,
    earliest,
    latest,
    actor,
    doctor=None,
    specialty=None,
    priority=WaitlistEntry.Priority.ROUTINE,
    reason="",
    notes="",
):
    """Put a patient on the waitlist for a doctor or a specialty within [earliest, latest]."""
    patient.ensure_active()
    if doctor is None and specialty is None:
        raise InvalidAppointmentTime(_("Choose a doctor or a specialty."))
    if doctor is not None:
        _ensure_doctor(doctor)
    if latest < earliest:
        raise InvalidAppointmentTime(_("The latest date comes after the earliest."))
    entry = WaitlistEntry(
        patient=patient,
        doctor=doctor,
        specialty=specialty if doctor is None else None,
        appointment_type=appointment_type,
        earliest=earliest,
        latest=latest,
        priority=priority,
        reason=(reason or "").strip()[:255],
        notes=notes or "",
    )
    entry.stamp(actor)
    entry.save()
    return entry


@transaction.atomic
def waitlist_remove(*, entry, actor):
    """Take an entry off the waitlist (its open offers are withdrawn)."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.state != WaitlistEntry.State.WAITING:
        raise OfferNotOpen(_("This entry is no longer waiting."))
    entry.state = WaitlistEntry.State.REMOVED
    entry.stamp(actor)
    entry.save()
    _withdraw(entry.offers.filter(state=WaitlistOffer.State.OPEN), actor)
    return entry


def _withdraw(offers, actor):
    for offer in offers.select_for_update():
        offer.state = WaitlistOffer.State.WITHDRAWN
        offer.stamp(actor)
        offer.save()


def waitlist_offer_freed_slot(*, appointment, actor):
    """Offer the time freed by `appointment` (cancelled or moved) to the best matching
    waitlist entries, and notify the receptionists. Return the offers made."""
    if appointment.start <= timezone.now():
        return []
    if overlapping_appointments(
        start=appointment.start, end=appointment.end, doctor=appointment.doctor
    ).exists():
        return []
    entries = [
        entry
        for entry in waitlist_matching(
            doctor=appointment.doctor, start=appointment.start, limit=OFFERS_PER_SLOT
        )
        if entry.patient_id != appointment.patient_id
    ]
    offers = []
    for entry in entries:
        offer = WaitlistOffer(
            entry=entry,
            freed_by=appointment,
            doctor=appointment.doctor,
            room=appointment.room,
            start=appointment.start,
            end=appointment.end,
        )
        offer.stamp(actor)
        offer.save()
        offers.append(offer)
    if offers:
        receptionists = get_user_model().objects.filter(
            groups__name=roles.RECEPTIONIST, is_active=True
        )
        notification_send(
            recipients=receptionists,
            title=_("Freed slot %(when)s with %(doctor)s: %(n)s waitlisted patient(s) match")
            % {
                "when": _local(appointment.start),
                "doctor": appointment.doctor.get_full_name(),
                "n": len(offers),
            },
            url=offers[0].get_absolute_url(),
            category="scheduling",
            actor=actor,
        )
    return offers


@transaction.atomic
def waitlist_offer_book(*, offer, actor, allow_patient_overlap=True):
    """Book the offered slot for the entry's patient (one click) and close the offer,
    the entry and the slot's other offers. Return the appointment."""
    offer = (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("entry__patient", "entry__appointment_type", "doctor", "room")
        .get(pk=offer.pk)
    )
    if offer.state != WaitlistOffer.State.OPEN:
        raise OfferNotOpen()
    entry = offer.entry
    appointment = appointment_book(
        patient=entry.patient,
        doctor=offer.doctor,
        start=offer.start,
        end=offer.end,
        room=offer.room,
        appointment_type=entry.appointment_type,
        reason=entry.reason,
        actor=actor,
        allow_patient_overlap=allow_patient_overlap,
    )
    offer.state, offer.appointment = WaitlistOffer.State.BOOKED, appointment
    offer.stamp(actor)
    offer.save()
    entry.state, entry.appointment = WaitlistEntry.State.BOOKED, appointment
    entry.stamp(actor)
    entry.save()
    _withdraw(
        WaitlistOffer.objects.filter(state=WaitlistOffer.State.OPEN, freed_by=offer.freed_by)
        | WaitlistOffer.objects.filter(state=WaitlistOffer.State.OPEN, entry=entry),
        actor,
    )
    return appointment


# --- Doctors' schedules -----------------------------------------------------------------------


def can_manage_schedule(user, doctor):
    """Doctors manage their own schedule; receptionists and administrators anyone's."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_perm(MANAGE_ANY_SCHEDULE):
        return True
    return user.pk == doctor.pk and is_active_doctor(user)


def _check_manage(actor, doctor):
    if not can_manage_schedule(actor, doctor):
        raise ScheduleNotYours()


SCHEDULE_FIELDS = (
    "weekday",
    "start_time",
    "end_time",
    "slot_minutes",
    "clinic",
    "room",
    "effective_from",
    "effective_to",
)


def schedule_check(schedule):
    """Raise InvalidAppointmentTime if the weekly session `schedule` (saved or not) has a
    room of another clinic, ends before it starts, or overlaps another session of its
    doctor on the same weekday and dates (the services and the admin's form use it)."""
    if schedule.room_id and schedule.room.clinic_id != schedule.clinic_id:
        raise InvalidAppointmentTime(_("The room belongs to another clinic."))
    if schedule.end_time <= schedule.start_time:
        raise InvalidAppointmentTime(_("The session ends after it starts."))
    others = DoctorSchedule.objects.filter(
        doctor_id=schedule.doctor_id,
        weekday=schedule.weekday,
        start_time__lt=schedule.end_time,
        end_time__gt=schedule.start_time,
    ).exclude(pk=schedule.pk)
    for other in others:
        if (other.effective_to is None or other.effective_to >= schedule.effective_from) and (
            schedule.effective_to is None or schedule.effective_to >= other.effective_from
        ):
            raise InvalidAppointmentTime(
                _("This session overlaps another of the same day: %(other)s.") % {"other": other}
            )


@transaction.atomic
def schedule_create(*, doctor, actor, **fields):
    """Add a weekly session to a doctor's schedule."""
    _ensure_doctor(doctor)
    _check_manage(actor, doctor)
    _lock_doctor(doctor)
    schedule = DoctorSchedule(
        doctor=doctor, **{k: fields[k] for k in fields if k in SCHEDULE_FIELDS}
    )
    schedule.full_clean(exclude=["doctor"])
    schedule_check(schedule)
    schedule.stamp(actor)
    schedule.save()
    return schedule


@transaction.atomic
def schedule_update(*, schedule, actor, **fields):
    """Change a weekly session (booked appointments stay where they are)."""
    _check_manage(actor, schedule.doctor)
    _lock_doctor(schedule.doctor)
    for name, value in fields.items():
        if name in SCHEDULE_FIELDS:
            setattr(schedule, name, value)
    schedule.full_clean(exclude=["doctor"])
    schedule_check(schedule)
    schedule.stamp(actor)
    schedule.save()
    return schedule


@transaction.atomic
def schedule_delete(*, schedule, actor):
    """Remove a weekly session (its history stays)."""
    _check_manage(actor, schedule.doctor)
    schedule._history_user = actor
    schedule.delete()


@transaction.atomic
def schedule_exception_add(
    *, doctor, kind, starts_at, ends_at, actor, reason="", clinic=None, room=None, slot_minutes=15
):
    """Add leave, blocked time or an extra session to a doctor's schedule. Return the
    exception and, for leave and blocked time, the booked appointments that now fall in
    it (they are not moved: the booker decides)."""
    _ensure_doctor(doctor)
    _check_manage(actor, doctor)
    _lock_doctor(doctor)
    if ends_at <= starts_at:
        raise InvalidAppointmentTime()
    if room is not None and clinic is None:
        clinic = room.clinic
    exception = ScheduleException(
        doctor=doctor,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "").strip()[:200],
        clinic=clinic,
        room=room,
        slot_minutes=slot_minutes,
    )
    exception.full_clean(exclude=["doctor"])
    exception.stamp(actor)
    exception.save()
    affected = []
    if exception.removes_time:
        affected = list(
            overlapping_appointments(start=starts_at, end=ends_at, doctor=doctor)
            .exclude(status=AppointmentStatus.COMPLETED)
            .select_related("patient", "appointment_type")
        )
    return exception, affected


@transaction.atomic
def schedule_exception_remove(*, exception, actor):
    _check_manage(actor, exception.doctor)
    exception._history_user = actor
    exception.delete()


# --- Reminders --------------------------------------------------------------------------------


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def __str__(self):
        return f"{self.sent} sent, {self.skipped} skipped, {self.failed} failed"


def reminders_due(now=None):
    """Appointments booked or confirmed that start within the reminder lead time and
    have no reminder yet (or one that failed)."""
    now = now or timezone.now()
    lead = timedelta(hours=parameters.get("reminder_lead_time"))
    return (
        Appointment.objects.filter(
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED),
            start__gt=now,
            start__lte=now + lead,
        )
        .exclude(reminders__state__in=_FINAL_REMINDER_STATES)
        .select_related("patient", "doctor", "clinic", "room")
        .order_by("start")
    )


_FINAL_REMINDER_STATES = (
    AppointmentReminder.State.PENDING,
    AppointmentReminder.State.SENT,
    AppointmentReminder.State.SKIPPED_NO_ADDRESS,
    AppointmentReminder.State.SKIPPED_OPTED_OUT,
)


def _claim_reminder(appointment):
    """Claim the reminder of `appointment` for this run (committed at once), or return
    None if another run has it. A failed reminder may be claimed again."""
    with transaction.atomic():
        reminder = (
            AppointmentReminder.objects.select_for_update()
            .filter(appointment=appointment, channel=AppointmentReminder.Channel.EMAIL)
            .first()
        )
        if reminder is None:
            reminder = AppointmentReminder(appointment=appointment)
            try:
                with transaction.atomic():
                    reminder.stamp(None)
                    reminder.save()
            except IntegrityError:
                return None
            return reminder
        if reminder.state != AppointmentReminder.State.FAILED:
            return None
        reminder.state = AppointmentReminder.State.PENDING
        reminder.stamp(None)
        reminder.save()
        return reminder


class MessageKind:
    """What a message to a patient about an appointment says (part of its reference:
    one message per appointment, kind and channel)."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    REMINDER = "reminder"
    SERIES = "series"


def _when(appointment):
    when = timezone.localtime(appointment.start)
    return {"date": when.strftime("%A %d %B %Y"), "time": when.strftime("%H:%M")}


def _reminder_text(appointment):
    where = appointment.room or appointment.clinic or ""
    subject = _("Appointment reminder: %(date)s at %(time)s") % _when(appointment)
    body = _(
        "Dear %(name)s,\n\nThis is a reminder of your appointment with %(doctor)s on "
        "%(date)s at %(time)s%(where)s.\n\nIf you cannot come, please call us so that "
        "another patient can have the time.\n"
    ) % {
        "name": appointment.patient.first_name,
        "doctor": appointment.doctor.get_full_name(),
        "where": f" ({where})" if where else "",
        **_when(appointment),
    }
    return subject, body


def _message_text(appointment, kind, series=()):
    """Return (subject, email body, text message) of the patient's message `kind`."""
    facts = {
        "name": appointment.patient.first_name,
        "doctor": appointment.doctor.get_full_name(),
        **_when(appointment),
    }
    if kind == MessageKind.REMINDER:
        subject, body = _reminder_text(appointment)
        text = _(
            "Reminder: your appointment with %(doctor)s is on %(date)s at %(time)s. "
            "If you cannot come, please call us."
        )
    elif kind == MessageKind.CANCELLED:
        subject = _("Appointment cancelled: %(date)s at %(time)s") % facts
        body = _(
            "Dear %(name)s,\n\nYour appointment with %(doctor)s on %(date)s at %(time)s "
            "is cancelled.\n\nPlease call us if you would like another appointment.\n"
        )
        text = _("Your appointment with %(doctor)s on %(date)s at %(time)s is cancelled.")
    elif kind == MessageKind.SERIES:
        dates = "\n".join(f"- {timezone.localtime(a.start):%A %d %B %Y, %H:%M}" for a in series)
        subject = _("%(count)s appointments booked with %(doctor)s") % {
            "count": len(series),
            **facts,
        }
        body = _(
            "Dear %(name)s,\n\nThese appointments with %(doctor)s are booked for you:\n"
            "%(dates)s\n\nIf you cannot come to one of them, please call us.\n"
        )
        facts["dates"] = dates
        facts["count"] = len(series)
        text = _(
            "%(count)s appointments with %(doctor)s are booked for you, the first on "
            "%(date)s at %(time)s."
        )
    else:
        moved = appointment.rescheduled_from_id is not None
        subject = (
            _("Appointment moved: %(date)s at %(time)s")
            if moved
            else _("Appointment booked: %(date)s at %(time)s")
        ) % facts
        body = (
            _(
                "Dear %(name)s,\n\nYour appointment with %(doctor)s has moved to %(date)s "
                "at %(time)s.\n\nIf you cannot come, please call us.\n"
            )
            if moved
            else _(
                "Dear %(name)s,\n\nYour appointment with %(doctor)s on %(date)s at %(time)s "
                "is booked.\n\nIf you cannot come, please call us so that another patient "
                "can have the time.\n"
            )
        )
        text = (
            _("Your appointment with %(doctor)s has moved to %(date)s at %(time)s.")
            if moved
            else _("Your appointment with %(doctor)s on %(date)s at %(time)s is booked.")
        )
    if kind != MessageKind.REMINDER:
        body = body % facts
    return subject, body, text % facts


def patient_message_channels(patient):
    """Return (consented, reachable): the channels by which `patient` agreed to appointment
    messages (email: `appointment_reminders`, text: `sms_messages`), and those of them he
    has an address for."""
    consented = []
    if patient.appointment_reminders:
        consented.append(OutboundMessage.Channel.EMAIL)
    if patient.sms_messages:
        consented.append(OutboundMessage.Channel.SMS)
    address = {
        OutboundMessage.Channel.EMAIL: patient.email,
        OutboundMessage.Channel.SMS: patient.phone,
    }
    return consented, [channel for channel in consented if address[channel]]


def appointment_messages_queue(*, appointment, kind, actor=None, series=()):
    """Tell the patient about `appointment` (a MessageKind: booked, cancelled, reminder,
    series) by each channel he consented to and has an address for; the messages leave
    by delivery jobs after commit, never inside the request. A patient with a portal
    account also finds it under the bell. Booking and cancellation messages are not sent
    for an appointment that is over. Each message goes once per appointment, kind and
    channel (`OutboundMessage` reference). Return the channels queued."""
    patient = appointment.patient
    if kind != MessageKind.REMINDER and appointment.end <= timezone.now():
        return []
    _consented, reachable = patient_message_channels(patient)
    subject, body, text = _message_text(appointment, kind, series)
    reference = f"appointment:{appointment.pk}:{kind}"
    queued = []
    for channel in reachable:
        try:
            message = messaging.outbound_queue(
                channel=channel,
                to=patient.email if channel == OutboundMessage.Channel.EMAIL else patient.phone,
                subject=subject,
                body=body if channel == OutboundMessage.Channel.EMAIL else text,
                category=NotificationCategory.APPOINTMENTS,
                reference=reference,
                actor=actor,
            )
        except ValueError as error:  # a stored number no gateway takes
            logger.warning("Patient %s: no %s message: %s", patient.pk, channel, error)
            continue
        if message is not None:
            queued.append(channel)
    if patient.user_id and patient.user.is_active:
        notification_send(
            recipients=[patient.user],
            title=subject,
            body=body,
            url=reverse("portal:home"),
            category=NotificationCategory.APPOINTMENTS,
            actor=actor,
            outbound=False,  # the patient's consent above decides email and text
        )
    return queued


def reminders_send(*, now=None, log=None):
    """Send the reminders that are due (every few minutes by the job
    `scheduling.jobs.appointment_reminders_send`, or `manage.py send_appointment_reminders`).

    Each appointment has one reminder row, claimed by one run only: however often (and
    wherever) this runs, the patient is reminded once. The reminder goes by email and/or
    text as the patient consented (`appointment_messages_queue`), delivered by jobs that
    record each message and retry a failed one. A patient who consented to neither is
    recorded as opted out, one without an address for his channels as skipped. Return the
    run's counts."""
    run = ReminderRun()
    for appointment in reminders_due(now):
        reminder = _claim_reminder(appointment)
        if reminder is None:
            continue
        consented, reachable = patient_message_channels(appointment.patient)
        if not consented:
            reminder.state = AppointmentReminder.State.SKIPPED_OPTED_OUT
            run.skipped += 1
        elif not reachable:
            reminder.state = AppointmentReminder.State.SKIPPED_NO_ADDRESS
            run.skipped += 1
        else:
            try:
                with transaction.atomic():
                    channels = appointment_messages_queue(
                        appointment=appointment, kind=MessageKind.REMINDER
                    )
            except Exception as error:  # one bad record must not stop the run
                logger.warning("Reminder of appointment %s failed: %s", appointment.pk, error)
                reminder.state = AppointmentReminder.State.FAILED
                reminder.detail = str(error)[:255]
                run.failed += 1
            else:
                reminder.state = AppointmentReminder.State.SENT
                reminder.sent_at = timezone.now()
                reminder.detail = ", ".join(channels)
                run.sent += 1
        reminder.stamp(None)
        reminder.save()
        if log is not None:
            log(f"{appointment.pk}: {reminder.get_state_display()}")
    return run


# --- Calendar feed tokens ---------------------------------------------------------------------


@transaction.atomic
def calendar_feed_token_create(*, user, actor):
    """Make a new private feed token for `user` (revoking any earlier one) and return
    (token row, raw token). Only the hash is stored: the raw token is shown once."""
    _ensure_doctor(user)
    for old in CalendarFeedToken.objects.select_for_update().filter(
        user=user, revoked_at__isnull=True
    ):
        old.revoked_at = timezone.now()
        old.stamp(actor)
        old.save()
    raw = secrets.token_urlsafe(32)
    token = CalendarFeedToken(user=user, token_hash=CalendarFeedToken.hash(raw))
    token.stamp(actor)
    token.save()
    return token, raw


@transaction.atomic
def calendar_feed_token_revoke(*, token, actor):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.stamp(actor)
        token.save()
    return token


def calendar_feed_user(raw_token):
    """Return the active doctor whose feed `raw_token` opens, or None."""
    token = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=CalendarFeedToken.hash(raw_token or ""), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user
