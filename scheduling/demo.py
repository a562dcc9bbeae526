"""Demo clinics, doctors' weekly schedules and two weeks of appointments.

Four clinics matching the demo doctors' specialties, two or three consultation rooms
each; the hospital's holidays; a Monday-to-Friday schedule for every demo doctor (each
their own); and the appointments of last week, today and next week in every state the
front desk meets: completed, no-shows and cancellations in the past; today a morning
under way (patients checked in and waiting, one in the consultation room); booked and
confirmed ahead, a request from the portal, a rescheduled pair, a recurring series; a
few patients on the waitlist and a freed slot offered to them.

Everything goes through `scheduling.services` with past times where the services take
them, so care teams, time stamps and the status history are what real use would leave.
When today falls on a weekend or holiday, the doctors hold an extra session today, so
the day lists always show a clinic in progress.
"""

import itertools
import random
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from accounts.models import Specialty, User
from ehr.core.models import Hospital
from patients.models import Patient
from patients.selectors import chart_access_for
from scheduling import services
from scheduling.exceptions import PatientAlreadyBooked
from scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
    Holiday,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)
from scheduling.selectors import Availability

DAYS_BACK = 7
DAYS_AHEAD = 7
PER_DAY = (8, 11)  # appointments per doctor per working day

# name, specialty code, location, phone, rooms
CLINICS = [
    (
        "Internal Medicine Clinic",
        "internal-medicine",
        "Outpatients, wing A, ground floor",
        "+1 202 555 0140",
        ["A1", "A2", "A3"],
    ),
    (
        "Cardiology Clinic",
        "cardiology",
        "Outpatients, wing A, first floor",
        "+1 202 555 0141",
        ["C1", "C2"],
    ),
    (
        "General Surgery Clinic",
        "general-surgery",
        "Outpatients, wing B, ground floor",
        "+1 202 555 0142",
        ["S1", "S2", "S3"],
    ),
    (
        "Emergency Follow-up Clinic",
        "emergency-medicine",
        "Emergency department, review area",
        "+1 202 555 0143",
        ["E1", "E2"],
    ),
]

# email: [(weekday, start, end, slot minutes, clinic, room)]; Monday is 0.
SCHEDULES = {
    "doctor@example.org": [
        (0, time(8, 30), time(12, 30), 20, "Internal Medicine Clinic", "A1"),
        (1, time(9, 0), time(13, 0), 20, "Cardiology Clinic", "C1"),
        (2, time(8, 30), time(12, 30), 20, "Internal Medicine Clinic", "A1"),
        (3, time(13, 0), time(17, 0), 20, "Cardiology Clinic", "C1"),
        (4, time(8, 30), time(12, 30), 20, "Internal Medicine Clinic", "A2"),
    ],
    "doctor2@example.org": [
        (0, time(8, 0), time(12, 0), 30, "General Surgery Clinic", "S1"),
        (1, time(13, 0), time(17, 0), 30, "General Surgery Clinic", "S1"),
        (2, time(8, 0), time(12, 0), 20, "Emergency Follow-up Clinic", "E1"),
        (3, time(8, 0), time(12, 0), 30, "General Surgery Clinic", "S2"),
        (4, time(10, 0), time(14, 0), 30, "General Surgery Clinic", "S1"),
    ],
}
# Where a doctor holds the extra session of a weekend or holiday today.
EXTRA_SESSIONS = {
    "doctor@example.org": ("Internal Medicine Clinic", "A3", 20),
    "doctor2@example.org": ("General Surgery Clinic", "S3", 30),
}
# The types a doctor's appointments are drawn from (weights).
TYPES = {
    "doctor@example.org": [("consultation", 5), ("follow-up", 6), ("check-up", 2)],
    "doctor2@example.org": [("consultation", 4), ("follow-up", 5), ("procedure", 1)],
}
REASONS = {
    "doctor@example.org": [
        "Blood pressure review",
        "Chest pain on exertion",
        "Palpitations",
        "Type 2 diabetes review",
        "Shortness of breath on walking",
        "Recurrent headaches",
        "Fatigue and weight loss",
        "Annual health check",
        "Dizziness on standing up",
        "Swollen ankles",
    ],
    "doctor2@example.org": [
        "Inguinal hernia assessment",
        "Wound check after appendectomy",
        "Gallstones, discuss surgery",
        "Lump on the back",
        "Removal of stitches",
        "Ingrown toenail",
        "Follow-up after emergency visit",
        "Abdominal pain, referred by family doctor",
        "Post-operative review",
    ],
}
CANCEL_REASONS = [
    "Patient called: feeling better",
    "Patient is travelling",
    "Clash with work, will rebook",
    "Doctor called to theatre",
    "Patient unwell with a cold",
]


def _holidays(today):
    """New Year's Day, Independence Day, Thanksgiving (fourth Thursday of November) and
    Christmas Day, this year and next."""
    days = []
    for year in (today.year, today.year + 1):
        first = date(year, 11, 1)
        thanksgiving = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
        days += [
            (date(year, 1, 1), "New Year's Day"),
            (date(year, 7, 4), "Independence Day"),
            (thanksgiving, "Thanksgiving Day"),
            (date(year, 12, 25), "Christmas Day"),
        ]
    return days


def _master_data(hospital, today):
    specialties = {s.code: s for s in Specialty.objects.all()}
    rooms = {}
    for name, code, location, phone, room_names in CLINICS:
        clinic, _created = Clinic.objects.get_or_create(
            hospital=hospital,
            name=name,
            defaults={"specialty": specialties.get(code), "location": location, "phone": phone},
        )
        for room_name in room_names:
            rooms[(name, room_name)], _created = ConsultationRoom.objects.get_or_create(
                clinic=clinic, name=room_name
            )
    holidays = 0
    for day, name in _holidays(today):
        _holiday, created = Holiday.objects.get_or_create(date=day, defaults={"name": name})
        holidays += created
    return rooms


def _schedules(doctors, rooms, today):
    created = 0
    for doctor in doctors:
        if DoctorSchedule.objects.filter(doctor=doctor).exists():
            continue
        for weekday, start, end, slot, clinic, room in SCHEDULES[doctor.email]:
            services.schedule_create(
                doctor=doctor,
                actor=doctor,
                weekday=weekday,
                start_time=start,
                end_time=end,
                slot_minutes=slot,
                clinic=rooms[(clinic, room)].clinic,
                room=rooms[(clinic, room)],
                effective_from=today - timedelta(days=90),
            )
            created += 1
        # A week of leave next month, so the calendars show an exception.
        leave_start = _aware(today + timedelta(days=28), time(0, 0))
        services.schedule_exception_add(
            doctor=doctor,
            kind=ScheduleException.Kind.LEAVE,
            starts_at=leave_start,
            ends_at=leave_start + timedelta(days=5),
            reason="Annual leave",
            actor=doctor,
        )
    return created


def _extra_session_today(doctors, rooms, today):
    """A weekend or holiday today: each doctor holds a morning session anyway."""
    availability = Availability([d.pk for d in doctors], today, today)
    for doctor in doctors:
        if availability.sessions(doctor.pk, today):
            continue
        clinic, room, slot = EXTRA_SESSIONS[doctor.email]
        services.schedule_exception_add(
            doctor=doctor,
            kind=ScheduleException.Kind.EXTRA,
            starts_at=_aware(today, time(9, 0)),
            ends_at=_aware(today, time(13, 0)),
            reason="Extra clinic to shorten the waiting list",
            clinic=rooms[(clinic, room)].clinic,
            room=rooms[(clinic, room)],
            slot_minutes=slot,
            actor=doctor,
        )


def _self_booking(doctor, patients, types, today):
    """The second demo doctor books himself, after hours, with a patient he has never
    seen: the privacy reviewers find it in their queue (self-assigned access)."""
    stranger = next((p for p in patients if not chart_access_for(doctor, p).allowed), None)
    if stranger is None:
        return
    services.appointment_book(
        patient=stranger,
        doctor=doctor,
        start=_aware(today + timedelta(days=2), time(19, 0)),
        appointment_type=types["follow-up"],
        reason="Review after an emergency visit for abdominal pain",
        actor=doctor,
        override=True,
        allow_patient_overlap=True,
    )


def _aware(day, at):
    return timezone.make_aware(datetime.combine(day, at))


class _Seeder:
    """Books one doctor's appointments, day by day, and moves them through their states."""

    def __init__(self, *, doctor, types, patients, reception, rng, now):
        self.doctor = doctor
        self.types = types
        self.patients = patients
        self.reception = reception
        self.rng = rng
        self.now = now
        self.reasons = REASONS[doctor.email]
        self.weights = TYPES[doctor.email]
        self.taken = set()  # slot starts used on this doctor's days
        self.next_patient = 0

    # --- booking ----------------------------------------------------------------------------

    def slots(self, availability, day):
        """Return [(start, end)] of the doctor's slots on `day`, in order."""
        found = []
        for session in availability.sessions(self.doctor.pk, day):
            step = timedelta(minutes=session.slot_minutes)
            start = session.start
            while start + step <= session.end:
                found.append((start, start + step))
                start += step
        return found

    def pick_type(self):
        codes = [code for code, _w in self.weights]
        weights = [w for _c, w in self.weights]
        return self.types[self.rng.choices(codes, weights=weights)[0]]

    def patient(self):
        patient = self.patients[self.next_patient % len(self.patients)]
        self.next_patient += 1
        return patient

    def book(self, start, end, *, appointment_type=None, booked_at=None, **kwargs):
        """Book [start, end) for the next patient free at that time."""
        appointment_type = appointment_type or self.pick_type()
        booked_at = booked_at or min(
            start - timedelta(days=self.rng.uniform(2, 21)), self.now - timedelta(minutes=30)
        )
        patient = kwargs.pop("patient", None)
        actor = kwargs.pop("actor", None) or self.reception
        for _attempt in range(5):
            try:
                appointment = services.appointment_book(
                    patient=patient or self.patient(),
                    doctor=self.doctor,
                    start=start,
                    end=end,
                    appointment_type=appointment_type,
                    reason=self.rng.choice(self.reasons),
                    actor=actor,
                    _allow_past=True,
                    _at=booked_at,
                    **kwargs,
                )
            except PatientAlreadyBooked:
                patient = None  # booked elsewhere at this time: the next patient
                continue
            self.taken.add(start)
            return appointment
        return None

    def move(self, appointment, status, at, reason=""):
        return services.appointment_transition(
            appointment=appointment, status=status, actor=self.reception, reason=reason, at=at
        )

    # --- the days -----------------------------------------------------------------------------

    def day_plan(self, availability, day):
        """Return the slots to book on `day`: most of the day, a few gaps left free."""
        slots = [s for s in self.slots(availability, day) if s[0] not in self.taken]
        wanted = min(len(slots), self.rng.randint(*PER_DAY))
        chosen = sorted(self.rng.sample(range(len(slots)), wanted))
        return [slots[i] for i in chosen]

    def past_day(self, availability, day):
        for start, end in self.day_plan(availability, day):
            appointment = self.book(start, end)
            if appointment is None:
                continue
            roll = self.rng.random()
            if roll < 0.12:
                at = min(start - timedelta(hours=self.rng.uniform(3, 40)), self.now)
                at = max(at, appointment.booked_at + timedelta(minutes=5))
                self.move(
                    appointment, AppointmentStatus.CANCELLED, at, self.rng.choice(CANCEL_REASONS)
                )
                continue
            if self.rng.random() < 0.5:
                at = max(start - timedelta(days=1), appointment.booked_at + timedelta(minutes=5))
                self.move(appointment, AppointmentStatus.CONFIRMED, at)
            if roll < 0.22:
                self.move(appointment, AppointmentStatus.NO_SHOW, start + timedelta(minutes=20))
                continue
            self.complete(appointment, start, end)

    def complete(self, appointment, start, end):
        arrived = start - timedelta(minutes=self.rng.randint(2, 15))
        self.move(appointment, AppointmentStatus.CHECKED_IN, arrived)
        self.move(appointment, AppointmentStatus.IN_PROGRESS, start + timedelta(minutes=2))
        self.move(appointment, AppointmentStatus.COMPLETED, min(end, self.now))

    def today(self, availability, day, *, in_progress):
        """The morning under way: seen, waiting, one in the room (`in_progress`), and
        the rest of the day booked or confirmed."""
        plan = self.day_plan(availability, day)
        booked = [a for a in (self.book(s, e) for s, e in plan) if a is not None]
        if not booked:
            return
        current = next((i for i, a in enumerate(booked) if a.end > self.now), len(booked) - 1)
        # Check-in is refused on another day than the appointment's: just after midnight
        # "eight minutes ago" is yesterday, so arrivals are kept to today.
        midnight = _aware(day, time(0, 0))
        # Two patients in the waiting room: the next ones, or (late in the day, the
        # clinic running late) the previous ones.
        waiting = [i for i in (current + 1, current + 2) if i < len(booked)]
        if len(waiting) < 2:
            waiting = [i for i in (current - 1, current - 2) if i >= 0][
                : 2 - len(waiting)
            ] + waiting
        for i, appointment in enumerate(booked):
            start, end = appointment.start, appointment.end
            if i == current:
                self.move(
                    appointment,
                    AppointmentStatus.CHECKED_IN,
                    max(min(start, self.now) - timedelta(minutes=8), midnight),
                )
                if in_progress:
                    self.move(
                        appointment,
                        AppointmentStatus.IN_PROGRESS,
                        min(start + timedelta(minutes=1), self.now),
                    )
            elif i in waiting:
                arrived = min(start - timedelta(minutes=10), self.now - timedelta(minutes=3))
                arrived = max(arrived, midnight)
                self.move(appointment, AppointmentStatus.CHECKED_IN, arrived)
            elif i < current:
                if i == 1:
                    self.move(
                        appointment,
                        AppointmentStatus.NO_SHOW,
                        min(start + timedelta(minutes=20), self.now),
                    )
                else:
                    self.complete(appointment, start, end)
            elif i % 2:
                self.move(
                    appointment,
                    AppointmentStatus.CONFIRMED,
                    self.now - timedelta(hours=self.rng.uniform(2, 20)),
                )
            # The others stay booked.

    def future_day(self, availability, day, *, soon):
        """A day ahead: booked; in the next two working days (`soon`) most are confirmed."""
        for start, end in self.day_plan(availability, day):
            appointment = self.book(
                start, end, booked_at=self.now - timedelta(days=self.rng.uniform(0.2, 12))
            )
            if appointment is None:
                continue
            if soon and self.rng.random() < 0.6:
                booked_at = appointment.booked_at
                at = booked_at + (self.now - booked_at) * self.rng.uniform(0.3, 0.9)
                self.move(appointment, AppointmentStatus.CONFIRMED, at)


def _working_days(doctors, today):
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    availability = Availability([d.pk for d in doctors], first, last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return availability, days


def _free_slot(seeder, availability, days):
    """Return the first free (start, end) of the doctor on one of `days`."""
    for day in days:
        for start, end in seeder.slots(availability, day):
            if start not in seeder.taken and start > seeder.now:
                return start, end
    return None


def _specials(seeders, availability, days, today, types, portal_patient):
    """Next week's particular cases: a series, a request from the portal, a rescheduled
    pair. Booked before the ordinary appointments, so their slots are free."""
    house = seeders[0]
    next_week = [d for d in days if d > today + timedelta(days=1)]
    # A weekly series of four blood pressure checks, on a weekday whose next four weeks
    # are free of holidays if there is one (the demo is seeded on any date).
    patient = house.patient()
    series = plan = None
    for day in next_week[::-1]:
        slot = _free_slot(house, availability, [day])
        if slot is None:
            continue
        series = {
            "patient": patient,
            "doctor": house.doctor,
            "start": slot[0],
            "minutes": int((slot[1] - slot[0]).total_seconds() // 60),
            "interval": 1,
            "unit": AppointmentSeries.Unit.WEEKS,
            "count": 4,
            "actor": house.reception,
        }
        plan = services.series_plan(**series)
        if all(o.ok for o in plan):
            break
    if series is not None:
        # Else a holiday or the doctor's leave falls on an occurrence: skip it, as the
        # booking page lets the receptionist do.
        _series, booked = services.series_book(
            **series,
            appointment_type=types["follow-up"],
            reason="Weekly blood pressure check: high readings at home",
            skip=[o.index for o in plan if not o.ok],
        )
        house.taken.update(a.start for a in booked)
    for seeder in seeders:
        # The patient asked for an appointment through the portal; not yet confirmed.
        slot = _free_slot(seeder, availability, next_week)
        if slot is not None:
            seeder.book(
                *slot,
                appointment_type=types["consultation"],
                status=AppointmentStatus.REQUESTED,
                actor=portal_patient.user if portal_patient and seeder is house else None,
                patient=portal_patient if portal_patient and seeder is house else None,
                booked_at=seeder.now - timedelta(hours=5),
            )
        # Booked, then moved to a later day at the patient's request.
        first = _free_slot(seeder, availability, next_week)
        if first is None:
            continue
        original = seeder.book(*first)
        seeder.taken.add(first[0])
        later = _free_slot(seeder, availability, next_week[2:])
        if original is not None and later is not None:
            services.appointment_reschedule(
                appointment=original,
                start=later[0],
                end=later[1],
                actor=seeder.reception,
                reason="Rescheduled: patient asked for a later day",
            )
            seeder.taken.add(later[0])


def _waitlist(doctors, types, patients, today, reception):
    """A few patients waiting for an earlier appointment: with a doctor or with any
    doctor of a specialty."""
    specialties = {
        s.code: s for s in Specialty.objects.filter(code__in=["cardiology", "general-surgery"])
    }
    house, grey = doctors
    entries = [
        (
            house,
            None,
            "follow-up",
            3,
            10,
            WaitlistEntry.Priority.SOON,
            "Wants an earlier BP review",
        ),
        (
            None,
            "cardiology",
            "consultation",
            1,
            13,
            WaitlistEntry.Priority.URGENT,
            "New murmur heard by the family doctor",
        ),
        (
            grey,
            None,
            "consultation",
            2,
            12,
            WaitlistEntry.Priority.ROUTINE,
            "Hernia, happy to come at short notice",
        ),
        (
            None,
            "general-surgery",
            "procedure",
            4,
            20,
            WaitlistEntry.Priority.ROUTINE,
            "Sebaceous cyst removal",
        ),
    ]
    made = []
    for (doctor, specialty, type_code, first, last, priority, reason), patient in zip(
        entries, patients, strict=False
    ):
        made.append(
            services.waitlist_add(
                patient=patient,
                doctor=doctor,
                specialty=specialties.get(specialty) if specialty else None,
                appointment_type=types[type_code],
                earliest=today + timedelta(days=first),
                latest=today + timedelta(days=last),
                priority=priority,
                reason=reason,
                actor=reception,
            )
        )
    return made


def _free_a_slot(house, today):
    """A patient cancels next week: the freed slot is offered to the waitlist."""
    appointment = (
        Appointment.objects.filter(
            doctor=house.doctor,
            status=AppointmentStatus.BOOKED,
            series__isnull=True,
            start__date__gte=today + timedelta(days=3),
        )
        .order_by("start")
        .first()
    )
    if appointment is None:
        return
    services.appointment_cancel(
        appointment=appointment, actor=house.reception, reason="Patient is travelling that week"
    )


def seed_scheduling(password, stdout, options):
    """Create the demo clinics, schedules and two weeks of appointments (idempotent: the
    appointments are booked once)."""
    hospital = Hospital.objects.order_by("created_at").first()
    by_email = {u.email: u for u in User.objects.filter(email__in=list(SCHEDULES), is_active=True)}
    # In the order of SCHEDULES: doctor@example.org, the main demo doctor, first.
    doctors = [by_email[email] for email in SCHEDULES if email in by_email]
    reception = User.objects.filter(email="reception@example.org").first()
    if hospital is None or len(doctors) != len(SCHEDULES) or reception is None:
        return "skipped: the hospital and demo accounts come first"
    types = {t.code: t for t in AppointmentType.objects.all()}
    if any(code not in types for codes in TYPES.values() for code, _w in codes):
        return "skipped: the default appointment types are missing (migrate first)"
    now = timezone.now()
    today = timezone.localdate(now)
    rooms = _master_data(hospital, today)
    _schedules(doctors, rooms, today)
    summary = f"{Clinic.objects.count()} clinics, {ConsultationRoom.objects.count()} rooms"
    if Appointment.objects.filter(doctor__in=doctors).exists():
        return f"{summary}; appointments already there"
    patients = list(
        Patient.objects.filter(
            additional_data__demo=True,
            is_active=True,
            is_deceased=False,
            merged_into__isnull=True,
            user__isnull=True,
        ).order_by("mrn")
    )
    if len(patients) < 10:
        return f"{summary}; skipped appointments: demo patients come first"
    portal_patient = Patient.objects.filter(user__email="patient@example.org").first()
    _extra_session_today(doctors, rooms, today)
    rng = random.Random(35)  # noqa: S311 - demo data, reproducible on purpose
    rng.shuffle(patients)
    waitlisted, patients = patients[:4], patients[4:]
    seeders = [
        _Seeder(
            doctor=doctor,
            types=types,
            patients=patients[i::2],
            reception=reception,
            rng=rng,
            now=now,
        )
        for i, doctor in enumerate(doctors)
    ]
    availability, days = _working_days(doctors, today)
    _specials(seeders, availability, days, today, types, portal_patient)
    # Confirmations come in for the next two working days (a weekend may lie between).
    working = (
        day for day in days if day > today and any(s.slots(availability, day) for s in seeders)
    )
    soon = list(itertools.islice(working, 2))
    for day in days:
        for seeder in seeders:
            if day < today:
                seeder.past_day(availability, day)
            elif day == today:
                seeder.today(availability, day, in_progress=seeder is seeders[0])
            else:
                seeder.future_day(availability, day, soon=day in soon)
        if stdout is not None:
            stdout.write(".", ending="")  # one dot a day: the line of seed_demo's step
            stdout.flush()
    _waitlist(doctors, types, waitlisted, today, reception)
    _free_a_slot(seeders[0], today)
    _self_booking(doctors[-1], patients, types, today)
    offers = WaitlistOffer.objects.filter(state=WaitlistOffer.State.OPEN).count()
    appointments = Appointment.objects.filter(doctor__in=doctors)
    total = appointments.count()
    by_state = dict(appointments.values_list("status").annotate(n=Count("pk")))
    states = ", ".join(
        f"{by_state[status]} {label.lower()}"
        for status, label in AppointmentStatus.choices
        if by_state.get(status)
    )
    if stdout is not None:
        stdout.write(" ", ending="")
    return (
        f"{summary}; {total} appointments over {DAYS_BACK + DAYS_AHEAD + 1} days ({states}); "
        f"{WaitlistEntry.objects.count()} on the waitlist, "
        f"{offers} open {'offer' if offers == 1 else 'offers'}"
    )
