"""Reading the schedule: a doctor's sessions and free slots on a date, the next free
slots across a specialty, and the lists the pages and the API show.

Free time is computed, never stored: the weekly templates that apply on a date, plus
extra sessions, minus leave and blocked time, hospital holidays, the past and the
appointments that hold time. A few queries cover any number of doctors and days.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import NotSupportedError
from django.db.models import BigIntegerField, Count, Func, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import Specialty
from accounts.selectors import active_doctors
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    DoctorSchedule,
    Holiday,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)


@dataclass(frozen=True)
class Session:
    """A block of a doctor's working time on one date, cut into slots."""

    doctor_id: object
    start: datetime
    end: datetime
    slot_minutes: int
    clinic_id: object
    room_id: object


@dataclass(frozen=True)
class Slot:
    """A free slot: a doctor's time that can be booked."""

    doctor_id: object
    start: datetime
    end: datetime
    clinic_id: object
    room_id: object


def _day_bounds(first_day, last_day):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()), tz)
    end = timezone.make_aware(
        datetime.combine(last_day + timedelta(days=1), datetime.min.time()), tz
    )
    return start, end


def _days(first_day, last_day):
    day = first_day
    while day <= last_day:
        yield day
        day += timedelta(days=1)


# Times as integers: epoch microseconds (exact, unlike float timestamps).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def _us(moment):
    """Return an aware datetime as integer microseconds since the epoch (exact)."""
    return (moment - EPOCH) // ONE_MICROSECOND


class EpochMicroseconds(Func):
    """A datetime column as integer microseconds since the epoch, computed by the database:
    thousands of booked intervals then load as integers instead of being parsed as
    datetimes (PostgreSQL; SQLite from the text Django stores, UTC)."""

    arity = 1
    output_field = BigIntegerField()

    @cached_property
    def convert_value(self):
        # Both databases return integers: no converter, so the ORM does no per-row work.
        return self._convert_value_noop

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("EpochMicroseconds supports PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # 'YYYY-MM-DD HH:MM:SS[.ffffff]': whole seconds by julianday (exact once rounded),
        # then the microseconds from the text.
        template = (
            "(CAST(ROUND((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400)"
            " AS INTEGER) * 1000000"
            " + CAST(substr(%(expressions)s || '.000000', 21, 6) AS INTEGER))"
        )
        return super().as_sql(compiler, connection, template=template, **extra_context)


def _overlaps(start, end, intervals):
    return any(s < end and start < e for s, e in intervals)


# What working time is made of (not the audit columns: a clinic's week reads 140 rows).
SCHEDULE_FIELDS = (
    "doctor_id",
    "weekday",
    "start_time",
    "end_time",
    "slot_minutes",
    "clinic_id",
    "room_id",
    "effective_from",
    "effective_to",
)
EXCEPTION_FIELDS = (
    "doctor_id",
    "kind",
    "starts_at",
    "ends_at",
    "slot_minutes",
    "clinic_id",
    "room_id",
)


class Availability:
    """The working time of some doctors over a range of dates, loaded in four queries:
    templates, exceptions, holidays and the appointments holding time.

    `doctor_ids` is a list, or a queryset of ids (a clinic's or a specialty's doctors,
    `calendar_doctor_ids`) that each query takes as a subquery; then `doctor_ids` are
    those with working time in the range (no query of its own)."""

    def __init__(self, doctor_ids, first_day, last_day, *, exclude_appointment=None):
        subquery = isinstance(doctor_ids, QuerySet)
        self.doctor_ids = doctor_ids if subquery else list(doctor_ids)
        self.first_day, self.last_day = first_day, last_day
        self.range_start, self.range_end = _day_bounds(first_day, last_day)
        self.templates = defaultdict(list)
        for schedule in DoctorSchedule.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=first_day),
            doctor_id__in=self.doctor_ids,
            effective_from__lte=last_day,
        ).only(*SCHEDULE_FIELDS):
            self.templates[schedule.doctor_id].append(schedule)
        self.extra = defaultdict(list)
        self.blocked = defaultdict(list)
        for exception in ScheduleException.objects.filter(
            doctor_id__in=self.doctor_ids,
            starts_at__lt=self.range_end,
            ends_at__gt=self.range_start,
        ).only(*EXCEPTION_FIELDS):
            if exception.removes_time:
                self.blocked[exception.doctor_id].append((exception.starts_at, exception.ends_at))
            else:
                self.extra[exception.doctor_id].append(exception)
        if subquery:
            working = {*self.templates, *self.extra}
            self.doctor_ids = sorted(working, key=str)
        self.holidays = set(
            Holiday.objects.filter(date__gte=first_day, date__lte=last_day).values_list(
                "date", flat=True
            )
        )
        booked = Appointment.objects.holding().filter(
            doctor_id__in=doctor_ids if subquery else self.doctor_ids,
            start__lt=self.range_end,
            end__gt=self.range_start,
        )
        if exclude_appointment is not None:
            booked = booked.exclude(pk=exclude_appointment.pk)
        # Booked time as epoch microseconds (`_taken`): a clinic's week is thousands of rows.
        self.booked = defaultdict(list)
        self._taken_cache = {}
        for doctor_id, start, end in booked.values_list(
            "doctor_id", EpochMicroseconds("start"), EpochMicroseconds("end")
        ):
            self.booked[doctor_id].append((start, end))

    def sessions(self, doctor_id, day):
        """Return the sessions of a doctor on `day`, by start: the weekly templates
        (none on a holiday) and the extra sessions starting that day."""
        found = []
        if day not in self.holidays:
            for schedule in self.templates[doctor_id]:
                if schedule.applies_on(day):
                    start, end = schedule.session_on(day)
                    found.append(
                        Session(
                            doctor_id,
                            start,
                            end,
                            schedule.slot_minutes,
                            schedule.clinic_id,
                            schedule.room_id,
                        )
                    )
        for extra in self.extra[doctor_id]:
            if timezone.localdate(extra.starts_at) == day:
                found.append(
                    Session(
                        doctor_id,
                        extra.starts_at,
                        extra.ends_at,
                        extra.slot_minutes,
                        extra.clinic_id,
                        extra.room_id,
                    )
                )
        return sorted(found, key=lambda session: session.start)

    def session_covering(self, doctor_id, start, end):
        """Return the session that contains [start, end) whole, if any."""
        for day in {timezone.localdate(start), timezone.localdate(end - timedelta(seconds=1))}:
            for session in self.sessions(doctor_id, day):
                if session.start <= start and end <= session.end:
                    return session
        return None

    def is_available(self, doctor_id, start, end):
        """Return True if [start, end) lies within one of the doctor's sessions and meets
        no leave or blocked time (booked time is checked separately)."""
        return self.session_covering(doctor_id, start, end) is not None and not _overlaps(
            start, end, self.blocked[doctor_id]
        )

    def _taken(self, doctor_id):
        """The doctor's blocked and booked time as disjoint intervals of epoch
        microseconds, by start (touching ones merged: a slot meets the union exactly
        when it meets one of them). Computed once per doctor."""
        taken = self._taken_cache.get(doctor_id)
        if taken is None:
            merged = []
            blocked = [(_us(s), _us(e)) for s, e in self.blocked[doctor_id]]
            for start, end in sorted(blocked + self.booked[doctor_id]):
                if merged and start <= merged[-1][1]:
                    if end > merged[-1][1]:
                        merged[-1][1] = end
                else:
                    merged.append([start, end])
            taken = ([s for s, _e in merged], [e for _s, e in merged])
            self._taken_cache[doctor_id] = taken
        return taken

    def _free_in(self, doctor_id, session, now_us, minutes=None):
        """Return (step, length, indices): the slots of `session` that are free (slot k
        starts at session.start + k * step) and start at `now_us` or later.

        The slots are a grid of integers (epoch microseconds) and each interval of taken
        time blocks a run of them found by bisection, so a clinic's week of thousands of
        slots costs no datetime arithmetic per slot."""
        step = timedelta(minutes=session.slot_minutes)
        length = timedelta(minutes=minutes) if minutes else step
        first, last = session.start, session.end
        if first.utcoffset() == last.utcoffset():
            start_us = _us(first)
            step_us, length_us = step // ONE_MICROSECOND, length // ONE_MICROSECOND
            final = _us(last) - length_us  # the last start whose slot fits
            starts = range(start_us, final + 1, step_us)
            ends = range(start_us + length_us, final + length_us + 1, step_us)
        else:  # the session spans a change of UTC offset: wall-clock steps, as booked
            starts, ends, moment = [], [], first
            while moment + length <= last:
                starts.append(_us(moment))
                ends.append(_us(moment + length))
                moment += step
        count = len(starts)
        if not count:
            return step, length, ()
        free = bytearray(b"\x01") * count
        taken_starts, taken_ends = self._taken(doctor_id)
        # The intervals that meet the session: disjoint and sorted, so both bisect.
        for index in range(
            bisect_right(taken_ends, starts[0]), bisect_left(taken_starts, ends[-1])
        ):
            # Slot k meets [s, e) when it ends after s and starts before e.
            low = bisect_right(ends, taken_starts[index])
            high = bisect_left(starts, taken_ends[index])
            if high > low:
                free[low:high] = bytes(high - low)
        return (
            step,
            length,
            [k for k in range(bisect_left(starts, now_us), count) if free[k]],
        )

    def free_slots(self, doctor_id, day, *, now=None, minutes=None):
        """Return the free slots of a doctor on `day` (from now on, for today)."""
        now_us = _us(now or timezone.now())
        slots = []
        for session in self.sessions(doctor_id, day):
            step, length, indices = self._free_in(doctor_id, session, now_us, minutes)
            for k in indices:
                start = session.start + k * step
                slots.append(
                    Slot(doctor_id, start, start + length, session.clinic_id, session.room_id)
                )
        return slots


@dataclass(frozen=True)
class FreeTime:
    """A time at which some doctors have a free slot: what a calendar shades."""

    start: datetime
    end: datetime
    doctor_ids: tuple


def _calendar_doctor_queryset(clinic, specialty):
    doctors = active_doctors(specialty)
    if clinic is not None:
        doctors = doctors.filter(
            Q(schedules__clinic=clinic)
            | Q(schedule_exceptions__clinic=clinic, schedule_exceptions__kind="extra")
        )
    return doctors


def calendar_doctors(*, doctor=None, clinic=None, specialty=None):
    """Return the doctors whose time a calendar shows: one doctor; the active doctors
    who hold sessions in a clinic (weekly or extra); or those of a specialty."""
    if doctor is not None:
        return [doctor]
    if clinic is None and specialty is None:
        return []
    return list(_calendar_doctor_queryset(clinic, specialty))


def calendar_doctor_ids(*, doctor=None, clinic=None, specialty=None):
    """Return the ids of `calendar_doctors`: a list for one doctor, else a queryset to
    use as a subquery (the events feed costs no query for it)."""
    if doctor is not None:
        return [doctor.pk]
    return _calendar_doctor_queryset(clinic, specialty).order_by().values("pk")


def free_time(*, doctor_ids, first_day, last_day, clinic_id=None, now=None):
    """Return the free slots of `doctor_ids` from `first_day` to `last_day` grouped by
    time, earliest first: one FreeTime per slot time with the doctors free then (only
    slots held in `clinic_id`, when given). Bookable only: from now on."""
    availability = Availability(doctor_ids, first_day, last_day)  # a list or a subquery
    now_us = _us(now or timezone.now())
    # Slot times as epoch microseconds: datetimes are made once per distinct time.
    grouped = defaultdict(list)
    for day in _days(first_day, last_day):
        for doctor_id in availability.doctor_ids:
            for session in availability.sessions(doctor_id, day):
                if clinic_id is not None and session.clinic_id != clinic_id:
                    continue
                step, length, indices = availability._free_in(doctor_id, session, now_us)
                start_us, step_us = _us(session.start), step // ONE_MICROSECOND
                if session.start.utcoffset() == session.end.utcoffset():
                    length_us = length // ONE_MICROSECOND
                    for k in indices:
                        start = start_us + k * step_us
                        grouped[(start, start + length_us)].append(doctor_id)
                else:  # wall-clock steps across a change of UTC offset
                    for k in indices:
                        start = session.start + k * step
                        grouped[(_us(start), _us(start + length))].append(doctor_id)
    tz = timezone.get_current_timezone()
    return [
        FreeTime(
            (EPOCH + start * ONE_MICROSECOND).astimezone(tz),
            (EPOCH + end * ONE_MICROSECOND).astimezone(tz),
            tuple(ids),
        )
        for (start, end), ids in sorted(grouped.items())
    ]


def doctors_free_at(*, doctors, moment, clinic_id=None, now=None):
    """Return [(doctor, slot)] for each of `doctors` with a free slot at `moment` (the
    slot that contains it; in `clinic_id`, when given), by doctor name."""
    day = timezone.localdate(moment)
    by_id = {doctor.pk: doctor for doctor in doctors}
    availability = Availability(list(by_id), day, day)
    found = []
    for doctor_id, doctor in by_id.items():
        for slot in availability.free_slots(doctor_id, day, now=now):
            if slot.start <= moment < slot.end and clinic_id in (None, slot.clinic_id):
                found.append((doctor, slot))
                break
    return found


def free_slots(doctor, day, *, now=None, minutes=None):
    """Return the free slots of `doctor` on the date `day`."""
    return Availability([doctor.pk], day, day).free_slots(doctor.pk, day, now=now, minutes=minutes)


def next_available(*, doctors, after=None, days=60, limit=10, minutes=None):
    """Return up to `limit` free slots across `doctors`, earliest first, looking at most
    `days` days ahead of `after`. Reads a week at a time."""
    now = after or timezone.now()
    doctor_ids = [doctor.pk for doctor in doctors]
    found = []
    first = timezone.localdate(now)
    last_day = first + timedelta(days=days)
    while first <= last_day and len(found) < limit and doctor_ids:
        last = min(first + timedelta(days=6), last_day)
        availability = Availability(doctor_ids, first, last)
        for day in _days(first, last):
            for doctor_id in doctor_ids:
                found.extend(availability.free_slots(doctor_id, day, now=now, minutes=minutes))
            if len(found) >= limit:
                break
        first = last + timedelta(days=1)
    return sorted(found, key=lambda slot: (slot.start, str(slot.doctor_id)))[:limit]


def overlapping_appointments(*, start, end, doctor=None, room=None, patient=None, exclude=None):
    """Appointments holding time that overlap [start, end) for the doctor, the room or
    the patient given."""
    appointments = Appointment.objects.holding().overlapping(start, end)
    if doctor is not None:
        appointments = appointments.filter(doctor=doctor)
    if room is not None:
        appointments = appointments.filter(room=room)
    if patient is not None:
        appointments = appointments.filter(patient=patient)
    if exclude is not None:
        appointments = appointments.exclude(pk=exclude.pk)
    return appointments


def appointment_list(*, doctor=None, patient=None, clinic=None, day=None, status=None):
    """Appointments with what their lists show, filtered, by start."""
    appointments = Appointment.objects.select_related(
        "patient", "doctor", "clinic", "room", "appointment_type"
    )
    if doctor is not None:
        appointments = appointments.filter(doctor=doctor)
    if patient is not None:
        appointments = appointments.filter(patient=patient)
    if clinic is not None:
        appointments = appointments.filter(clinic=clinic)
    if day is not None:
        appointments = appointments.on_day(day)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        appointments = appointments.filter(status__in=statuses)
    return appointments.order_by("start", "doctor__last_name")


# What a list row of appointments shows (the arrivals, the doctor's day, the home
# panels): the related rows' few columns only. Full patient rows cost their phone numbers'
# parsing and full user rows their every column, for nothing a row shows.
ROW_FIELDS = (
    "id",
    "start",
    "end",
    "status",
    "reason",
    "patient_id",
    "patient__first_name",
    "patient__middle_name",
    "patient__last_name",
    "patient__mrn",
    "patient__date_of_birth",
    "patient__sex",
    "patient__is_deceased",
    "patient__deceased_on",
    "doctor__first_name",
    "doctor__last_name",
    "clinic__name",
    "room__name",
    "appointment_type__name",
    "appointment_type__colour",
)


def appointment_rows(**filters):
    """`appointment_list(**filters)` with only what a list row shows (ROW_FIELDS)."""
    return appointment_list(**filters).only(*ROW_FIELDS)


def appointment_day_counts(day, *, clinic=None, doctor=None, ended_by=None):
    """Return {"counts": [(state, label, count)] with every state listed, "total": all of
    them, "ended": how many ended before `ended_by` (0 without it)} for the
    appointments of a day, in one query."""
    rows = Appointment.objects.on_day(day)
    if clinic is not None:
        rows = rows.filter(clinic=clinic)
    if doctor is not None:
        rows = rows.filter(doctor=doctor)
    aggregates = {"n": Count("id")}
    if ended_by is not None:
        aggregates["ended"] = Count("id", filter=Q(end__lt=ended_by))
    per_state = {
        row["status"]: row for row in rows.values("status").annotate(**aggregates).order_by()
    }
    return {
        "counts": [
            (value, label, per_state[value]["n"] if value in per_state else 0)
            for value, label in AppointmentStatus.choices
        ],
        "total": sum(row["n"] for row in per_state.values()),
        "ended": sum(row.get("ended", 0) for row in per_state.values()),
    }


def clinic_choices():
    """Return [(id, name)] of the clinics in use, by name: a filter's choices."""
    return list(Clinic.objects.filter(is_active=True).order_by("name").values_list("pk", "name"))


def doctor_choices():
    """Return [(id, "Dr First Last")] of the active doctors, by name: a filter's choices
    (the labels of `scheduling.forms.DoctorChoiceField`)."""
    return [
        (pk, "Dr " + f"{first} {last}".strip())
        for pk, first, last in active_doctors().values_list("pk", "first_name", "last_name")
    ]


def appointment_state_counts(day, *, clinic=None, doctor=None):
    """Return [(state, label, count)] of the appointments of a day, every state listed
    (one query)."""
    rows = Appointment.objects.on_day(day)
    if clinic is not None:
        rows = rows.filter(clinic=clinic)
    if doctor is not None:
        rows = rows.filter(doctor=doctor)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in AppointmentStatus.choices]


def arrivals_summary(day, *, limit):
    """Return the front desk's view of a day: how many appointments (not cancelled), how
    many are expected, checked in, seen and no-shows, and the next `limit` expected
    (from half an hour ago on). Two small queries: the counts per state, and the rows
    with what the panel shows (one query with windowed counts measured costlier)."""
    todays = Appointment.objects.on_day(day)
    counts = dict(todays.values_list("status").annotate(n=Count("id")).order_by())
    expected_states = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
    upcoming = (
        todays.filter(status__in=expected_states, start__gte=timezone.now() - timedelta(minutes=30))
        .select_related("patient", "doctor")
        .only(
            "start",
            "patient__first_name",
            "patient__middle_name",
            "patient__last_name",
            "doctor__last_name",
        )
        .order_by("start", "doctor__last_name")
    )
    return {
        "total": sum(n for s, n in counts.items() if s != AppointmentStatus.CANCELLED),
        "expected": sum(counts.get(s, 0) for s in expected_states),
        "checked_in": counts.get(AppointmentStatus.CHECKED_IN, 0),
        "done": counts.get(AppointmentStatus.COMPLETED, 0)
        + counts.get(AppointmentStatus.IN_PROGRESS, 0),
        "no_show": counts.get(AppointmentStatus.NO_SHOW, 0),
        "next": list(upcoming[:limit]),
    }


OPEN_STATES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
)


def doctor_day_summary(doctor, day, *, limit):
    """Return a doctor's day at a glance: the next `limit` appointments still open, how
    many remain, and how many patients wait (checked in). One query: the open
    appointments of one doctor's day are few, so they are counted as they are read."""
    remaining = list(
        Appointment.objects.on_day(day)
        .filter(doctor=doctor, status__in=OPEN_STATES)
        .select_related("patient")
        .only(
            "start",
            "status",
            "patient__first_name",
            "patient__middle_name",
            "patient__last_name",
        )
        .order_by("start")
    )
    return {
        "next": remaining[:limit],
        "remaining": len(remaining),
        "waiting": sum(1 for a in remaining if a.status == AppointmentStatus.CHECKED_IN),
    }


def waitlist_matching(*, doctor, start, limit=5):
    """Waiting entries that a slot with `doctor` at `start` suits, best first
    (priority, then the longest waiting)."""
    day = timezone.localdate(start)
    specialty_ids = Specialty.objects.filter(doctors__user=doctor).values("pk")
    entries = (
        WaitlistEntry.objects.filter(
            state=WaitlistEntry.State.WAITING, earliest__lte=day, latest__gte=day
        )
        .filter(Q(doctor=doctor) | Q(doctor__isnull=True, specialty_id__in=specialty_ids))
        .filter(patient__is_active=True)
        .select_related("patient", "appointment_type")
        .order_by("-priority", "created_at")
    )
    return list(entries[:limit])


# --- Scope: what a user may see (the pages' and the API's one gate) -------------------------


def appointment_list_for_user(user):
    """Appointments `user` may see: all of them for staff with the role permission
    (receptionists book for every doctor; the list shows demographics, times and type),
    none otherwise."""
    if not user.is_authenticated or not user.has_perm("scheduling.view_appointment"):
        return Appointment.objects.none()
    return Appointment.objects.all()


def appointment_detail_list_for_user(user):
    """Appointments `user` may see, with what one appointment's page shows."""
    return appointment_list_for_user(user).select_related(
        "patient", "doctor", "clinic", "room", "appointment_type", "series"
    )


def appointment_get(user, pk):
    """Return the appointment `pk` with what its page shows, if `user` may see it; else
    raise Http404."""
    try:
        return appointment_detail_list_for_user(user).get(pk=pk)
    except (Appointment.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def waitlist_entry_list_for_user(user):
    """Waitlist entries `user` may see (the role permission), with what the list shows."""
    if not user.is_authenticated or not user.has_perm("scheduling.view_waitlistentry"):
        return WaitlistEntry.objects.none()
    return WaitlistEntry.objects.select_related(
        "patient", "doctor", "specialty", "appointment_type"
    )


def waitlist_offer_list_for_user(user):
    """Waitlist offers `user` may see (the role permission), with what an offer's page
    shows."""
    if not user.is_authenticated or not user.has_perm("scheduling.view_waitlistoffer"):
        return WaitlistOffer.objects.none()
    return WaitlistOffer.objects.select_related(
        "entry__patient", "entry__appointment_type", "entry__specialty", "doctor", "room"
    )


def waitlist_offer_get(user, pk):
    """Return the waitlist offer `pk` if `user` may see it; else raise Http404."""
    try:
        return waitlist_offer_list_for_user(user).get(pk=pk)
    except (WaitlistOffer.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None
