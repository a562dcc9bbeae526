"""Factories for scheduling: clinics, rooms, types and schedules as master data;
appointments go through the booking service (so its rules and care-team grants are real)."""

from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from scheduling import services
from scheduling.models import (
    AppointmentType,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
    Holiday,
    ScheduleException,
)
from tests.factories.core import HospitalFactory


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    hospital = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")


class ConsultationRoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationRoom

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType
        django_get_or_create = ("code",)

    # Not one of the types the install creates (their lengths are master data).
    code = "test-visit"
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())
    default_duration = 15
    colour = "#0d6efd"


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    name = "Holiday"


class DoctorScheduleFactory(factory.django.DjangoModelFactory):
    """A weekly session: by default every weekday 09:00 to 12:00, 15-minute slots."""

    class Meta:
        model = DoctorSchedule

    doctor = None
    weekday = 0
    start_time = time(9, 0)
    end_time = time(12, 0)
    slot_minutes = 15
    room = factory.SubFactory(ConsultationRoomFactory)
    clinic = factory.LazyAttribute(lambda o: o.room.clinic)
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))


class ScheduleExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleException

    doctor = None
    kind = ScheduleException.Kind.LEAVE
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    reason = "Leave"


def weekly_schedule(doctor, *, room=None, start=time(9, 0), end=time(17, 0), slot_minutes=15):
    """Give `doctor` a session on every day of the week (so any test date has slots);
    return the schedules."""
    room = room or ConsultationRoomFactory()
    return [
        DoctorScheduleFactory(
            doctor=doctor,
            weekday=day,
            room=room,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
        )
        for day in range(7)
    ]


def at(day_offset, hour, minute=0):
    """Return an aware datetime `day_offset` days from today at hour:minute local time."""
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def book(patient, doctor, start, *, actor=None, appointment_type=None, **kwargs):
    """Book through the service; return the appointment."""
    return services.appointment_book(
        patient=patient,
        doctor=doctor,
        start=start,
        appointment_type=appointment_type or AppointmentTypeFactory(),
        actor=actor or doctor,
        **kwargs,
    )
