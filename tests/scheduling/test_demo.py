"""The demo schedule: clinics for the demo doctors' specialties, a weekly schedule each,
two weeks of appointments in every state with a real status history, a waitlist with an
open offer; seeding twice adds nothing."""

import io
import re
import time
from datetime import timedelta

import pytest
from django.core.management.base import OutputWrapper
from django.utils import timezone

from accounts.demo import seed_accounts
from accounts.models import DoctorSpecialty, User
from ehr.core.demo import seed_hospital
from patients.demo import seed_patients
from patients.selectors import chart_access_for
from scheduling.demo import seed_scheduling
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
    Holiday,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-Passw0rd!"


def seed(stdout=None):
    seed_accounts(password=PASSWORD)
    seed_hospital(password=PASSWORD)
    seed_patients(password=PASSWORD, options={"patients": 120})
    started = time.monotonic()
    summary = seed_scheduling(PASSWORD, stdout, {"patients": 120})
    return summary, time.monotonic() - started


def counts():
    return (
        Clinic.objects.count(),
        ConsultationRoom.objects.count(),
        Holiday.objects.count(),
        DoctorSchedule.objects.count(),
        Appointment.objects.count(),
        AppointmentStatusChange.objects.count(),
        WaitlistEntry.objects.count(),
        WaitlistOffer.objects.count(),
    )


def test_the_demo_schedule_has_every_state_and_a_real_history():
    out = io.StringIO()
    summary, elapsed = seed(OutputWrapper(out))
    print(f"seed_scheduling: {elapsed:.2f} s: {summary}")
    assert "appointments over 15 days" in summary, summary
    assert out.getvalue().count(".") >= 15  # progress: one dot a day
    assert elapsed < 60  # a few seconds in practice; generous for slow CI machines

    doctors = list(User.objects.filter(email__in=["doctor@example.org", "doctor2@example.org"]))
    # Clinics for the doctors' specialties, two or three rooms each.
    specialties = set(
        DoctorSpecialty.objects.filter(doctor__user__in=doctors).values_list(
            "specialty_id", flat=True
        )
    )
    clinics = list(Clinic.objects.all())
    assert {c.specialty_id for c in clinics} == specialties
    assert all(2 <= c.rooms.count() <= 3 for c in clinics)
    assert Holiday.objects.count() >= 2
    # Monday to Friday, different for each doctor.
    weeks = {
        d.pk: sorted(
            DoctorSchedule.objects.filter(doctor=d).values_list("weekday", "start_time", "room")
        )
        for d in doctors
    }
    for week in weeks.values():
        assert [weekday for weekday, _s, _r in week] == [0, 1, 2, 3, 4]
    assert weeks[doctors[0].pk] != weeks[doctors[1].pk]

    # Every state, and a plausible number a day.
    assert set(Appointment.objects.values_list("status", flat=True)) == set(
        AppointmentStatus.values
    )
    in_progress = Appointment.objects.select_related("doctor").get(status="in_progress")
    assert in_progress.doctor.email == "doctor@example.org"  # the main demo doctor
    today = timezone.localdate()
    for doctor in doctors:
        per_day = Appointment.objects.filter(doctor=doctor).on_day(today - timedelta(days=7))
        if per_day.exists():
            assert 4 <= per_day.count() <= 12
    past = Appointment.objects.filter(end__lt=timezone.now() - timedelta(days=1))
    assert set(past.values_list("status", flat=True)) <= {"completed", "no_show", "cancelled"}
    assert not Appointment.objects.filter(status="cancelled", cancellation_reason="").exists()
    upcoming = Appointment.objects.filter(start__date__gt=today)
    assert {"booked", "confirmed", "requested"} <= set(upcoming.values_list("status", flat=True))
    today_states = set(Appointment.objects.on_day(today).values_list("status", flat=True))
    assert {"checked_in", "in_progress"} <= today_states

    # The status history is real and in time order.
    completed = Appointment.objects.filter(status="completed").first()
    changes = list(completed.status_changes.order_by("at"))
    assert [c.to_status for c in changes][-3:] == ["checked_in", "in_progress", "completed"]
    assert [c.at for c in changes] == sorted(c.at for c in changes)
    assert completed.booked_at < completed.checked_in_at < completed.completed_at

    # A rescheduled pair, a recurring series and a request from the portal.
    moved = Appointment.objects.filter(rescheduled_from__isnull=False).select_related(
        "rescheduled_from"
    )
    assert moved.exists()
    assert all(a.rescheduled_from.status == "cancelled" for a in moved)
    series = Appointment.objects.filter(series__isnull=False)
    assert series.values("series").distinct().count() == 1 and series.count() >= 3
    requested = Appointment.objects.filter(status="requested").select_related("patient")
    assert any(a.patient.user and a.patient.user.email == "patient@example.org" for a in requested)

    # Booking put the doctors on their patients' care teams.
    booked = Appointment.objects.filter(status="completed").select_related("patient", "doctor")[:5]
    assert all(chart_access_for(a.doctor, a.patient).allowed for a in booked)

    # The waitlist: by doctor and by specialty, and a freed slot offered.
    assert WaitlistEntry.objects.filter(doctor__isnull=False).exists()
    assert WaitlistEntry.objects.filter(specialty__isnull=False).exists()
    offer = WaitlistOffer.objects.get(
        state="open", entry__doctor__isnull=False
    )  # the doctor's own waiting patient
    assert offer.start > timezone.now()
    assert offer.freed_by.status == "cancelled"


def test_seeding_again_adds_nothing():
    seed()
    before = counts()
    summary, _elapsed = seed()
    assert "already there" in summary
    assert counts() == before


def test_without_patients_or_accounts_it_skips():
    assert seed_scheduling(PASSWORD, None, {}).startswith("skipped")
    assert not Appointment.objects.exists()


# Words for what the site does not implement (no laboratory, no pharmacy, no imaging
# module): a demo reason naming them would promise a result or a prescription to look up.
MISSING_MODULES = re.compile(
    r"\b(lab|laborator\w*|blood tests?|results?|pharmac\w*|prescri\w*|medication\w*|"
    r"dispens\w*|x-?rays?|imaging|scans?|mri|ct)\b",
    re.IGNORECASE,
)


def test_the_demo_reasons_are_plausible_and_name_no_missing_module():
    seed()
    reasons = [
        *Appointment.objects.exclude(reason="").values_list("reason", flat=True),
        *WaitlistEntry.objects.values_list("reason", flat=True),
        *AppointmentStatusChange.objects.exclude(reason="").values_list("reason", flat=True),
        *ScheduleException.objects.values_list("reason", flat=True),
    ]
    assert reasons
    assert [r for r in reasons if MISSING_MODULES.search(r)] == []
    # A reason for a visit speaks of the patient, not of who booked it.
    visits = Appointment.objects.exclude(reason="").values_list("reason", flat=True)
    assert not [r for r in visits if "booked by" in r.lower()]
