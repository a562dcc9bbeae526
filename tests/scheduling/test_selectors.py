"""Free time: weekly templates, exceptions, holidays, booked time and the past."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.selectors import active_doctors
from scheduling import selectors, services
from scheduling.models import Appointment, ScheduleException
from tests.factories.accounts import DoctorProfileFactory, SpecialtyFactory
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    DoctorScheduleFactory,
    HolidayFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db


def times(slots):
    return [timezone.localtime(slot.start).strftime("%H:%M") for slot in slots]


def test_free_slots_cut_the_session_and_leave_out_booked_time(doctor, receptionist):
    weekly_schedule(doctor, start=time(9), end=time(10), slot_minutes=15)
    book(PatientFactory(), doctor, at(1, 9, 15), actor=receptionist)
    slots = selectors.free_slots(doctor, at(1, 0).date())
    assert times(slots) == ["09:00", "09:30", "09:45"]
    assert all(slot.end - slot.start == timedelta(minutes=15) for slot in slots)


def test_a_booking_longer_than_a_slot_takes_every_slot_it_covers(doctor, receptionist):
    weekly_schedule(doctor, start=time(9), end=time(10), slot_minutes=15)
    book(PatientFactory(), doctor, at(1, 9), actor=receptionist, end=at(1, 9, 40))
    assert times(selectors.free_slots(doctor, at(1, 0).date())) == ["09:45"]


def test_no_slots_on_leave_blocked_time_holidays_or_outside_effective_dates(doctor):
    day = at(3, 0).date()
    schedule = DoctorScheduleFactory(
        doctor=doctor,
        weekday=day.weekday(),
        start_time=time(9),
        end_time=time(11),
        effective_from=day - timedelta(days=7),
        effective_to=day + timedelta(days=7),
    )
    assert len(selectors.free_slots(doctor, day)) == 8
    ScheduleException.objects.create(
        doctor=doctor, kind="blocked", starts_at=at(3, 10), ends_at=at(3, 11), reason="Meeting"
    )
    assert times(selectors.free_slots(doctor, day)) == ["09:00", "09:15", "09:30", "09:45"]
    assert selectors.free_slots(doctor, day + timedelta(days=14)) == []  # after effective_to
    HolidayFactory(date=day)
    assert selectors.free_slots(doctor, day) == []
    assert schedule.applies_on(day)


def test_todays_slots_start_from_now(doctor):
    weekly_schedule(doctor, start=time(0), end=time(23, 45), slot_minutes=15)
    noon = at(0, 12, 5)
    slots = selectors.free_slots(doctor, timezone.localdate(), now=noon)
    assert times(slots)[:2] == ["12:15", "12:30"] and len(slots) == 46
    late = selectors.free_slots(doctor, timezone.localdate(), now=at(0, 23, 40))
    assert late == []


def test_next_available_across_a_specialty_is_earliest_first(make_user, receptionist):
    cardiology = SpecialtyFactory(code="cardiology", name="Cardiology")
    early, late = make_user("Doctor"), make_user("Doctor")
    for doctor in (early, late):
        DoctorProfileFactory(user=doctor).specialties.add(cardiology)
    weekly_schedule(early, start=time(9), end=time(10))
    weekly_schedule(late, start=time(14), end=time(15))
    doctors = active_doctors(specialty=cardiology)
    slots = selectors.next_available(doctors=doctors, after=at(1, 0), limit=6)
    assert [slot.doctor_id for slot in slots] == [early.pk] * 4 + [late.pk] * 2
    assert slots == sorted(slots, key=lambda s: s.start)


def test_next_available_skips_full_days(doctor, receptionist):
    weekly_schedule(doctor, start=time(9), end=time(9, 30))
    book(PatientFactory(), doctor, at(1, 9), actor=receptionist, end=at(1, 9, 30))
    slots = selectors.next_available(doctors=[doctor], after=at(1, 0), limit=1)
    assert slots[0].start == at(2, 9)


def test_availability_reads_any_number_of_doctors_and_days_in_four_queries(
    make_user, django_assert_num_queries
):
    doctors = [make_user("Doctor") for _ in range(5)]
    for doctor in doctors:
        weekly_schedule(doctor)
    with django_assert_num_queries(4):
        availability = selectors.Availability([d.pk for d in doctors], at(0, 0).date(), at(6, 0))
        for doctor in doctors:
            for offset in range(7):
                availability.free_slots(doctor.pk, at(offset, 0).date())


@override_settings(TIME_ZONE="Europe/Berlin")
def test_weekly_series_keeps_the_wall_clock_across_daylight_saving():
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime(2026, 10, 19, 9, 0), tz)  # summer time
    starts = services.series_starts(start=start, interval=1, unit="weeks", count=3)
    assert [timezone.localtime(s).hour for s in starts] == [9, 9, 9]
    utc = [s.astimezone(UTC) for s in starts]
    assert utc[2] - utc[1] == timedelta(days=7)
    assert utc[1] - utc[0] == timedelta(days=7, hours=1)  # 25 October: clocks go back
    assert starts[2].date() == date(2026, 11, 2)


def test_booked_time_loads_as_exact_epoch_microseconds(doctor):
    weekly_schedule(doctor)
    start = at(1, 9).replace(microsecond=123456)
    appointment = book(PatientFactory(), doctor, start, end=start + timedelta(minutes=15))
    loaded = (
        Appointment.objects.filter(pk=appointment.pk)
        .values_list(selectors.EpochMicroseconds("start"), selectors.EpochMicroseconds("end"))
        .get()
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert loaded == (
        (start - epoch) // timedelta(microseconds=1),
        (start + timedelta(minutes=15) - epoch) // timedelta(microseconds=1),
    )


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_session_across_a_change_of_clock_steps_on_the_wall_clock(doctor):
    # 28 March 2027: clocks go from 02:00 to 03:00. A night session 01:00-04:00 is cut
    # on the wall clock, as bookings are (the integer grid is for sessions without one).
    day = date(2027, 3, 28)
    DoctorScheduleFactory(
        doctor=doctor,
        weekday=day.weekday(),
        start_time=time(1),
        end_time=time(4),
        effective_from=day - timedelta(days=7),
    )
    tz = timezone.get_current_timezone()
    first = timezone.make_aware(datetime.combine(day, time(1)), tz)
    last = timezone.make_aware(datetime.combine(day, time(4)), tz)
    expected, moment = [], first
    while moment + timedelta(minutes=15) <= last:
        expected.append(moment)
        moment += timedelta(minutes=15)
    slots = selectors.free_slots(doctor, day, now=first - timedelta(days=1))
    assert [slot.start for slot in slots] == expected
    free = selectors.free_time(
        doctor_ids=[doctor.pk], first_day=day, last_day=day, now=first - timedelta(days=1)
    )
    # By instant: the wall clock's 02:00-02:45, which do not exist, are 03:00-03:45.
    assert {t.start.astimezone(UTC) for t in free} == {e.astimezone(UTC) for e in expected}
