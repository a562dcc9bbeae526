"""Patients' appointment messages by email and text, as they consented: reminders (once
per appointment, however often the scheduler runs), and booking, moving and cancellation
confirmations queued after commit."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts import roles
from ehr.core import sms
from ehr.core.models import Job, Notification, OutboundMessage, ScheduledRun
from scheduling import services
from scheduling.models import AppointmentReminder
from tests.core.test_sms_gateway import FakeGateway, configure
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import AppointmentTypeFactory, book

pytestmark = pytest.mark.django_db

State = AppointmentReminder.State
MOBILE = "+12025550143"


def in_hours(hours):
    moment = timezone.now() + timedelta(hours=hours)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def _texts_in_memory(settings):
    settings.SMS_BACKEND = "ehr.core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def appointment_at(doctor):
    kind = AppointmentTypeFactory(code="consultation", name="Consultation")

    def make(hours, **patient_fields):
        start = in_hours(hours)
        return book(
            PatientFactory(**patient_fields),
            doctor,
            start,
            end=start + timedelta(minutes=15),
            appointment_type=kind,
            override=True,
        )

    return make


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return services.reminders_send()

    return run


def reminder_texts():
    return [m for m in sms.outbox if m.body.startswith("Reminder")]


# --- By consent --------------------------------------------------------------------------------


def test_a_patient_who_consented_to_texts_only_gets_a_text(appointment_at, remind):
    appointment = appointment_at(
        3, email="ada@example.org", phone=MOBILE, appointment_reminders=False, sms_messages=True
    )
    run = remind()
    assert (run.sent, run.skipped) == (1, 0)
    [text] = reminder_texts()
    assert text.to == MOBILE and "Gregory House" in text.body
    assert mail.outbox == []
    reminder = AppointmentReminder.objects.get(appointment=appointment)
    assert reminder.state == State.SENT and reminder.detail == "sms"


def test_a_patient_who_consented_to_both_gets_both(appointment_at, remind):
    appointment_at(3, email="bo@example.org", phone=MOBILE, sms_messages=True)
    remind()
    assert [m.to for m in mail.outbox] == [["bo@example.org"]]
    assert [m.to for m in reminder_texts()] == [MOBILE]


def test_no_text_without_consent_even_with_a_phone(appointment_at, remind):
    appointment_at(3, email="cy@example.org", phone=MOBILE)  # sms_messages off by default
    remind()
    assert len(mail.outbox) == 1 and reminder_texts() == []


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"appointment_reminders": False, "sms_messages": False, "phone": MOBILE}, "opted_out"),
        (
            {"appointment_reminders": False, "sms_messages": True, "email": "x@example.org"},
            "no_address",
        ),
    ],
)
def test_without_consent_or_address_the_reminder_is_skipped_and_recorded(
    appointment_at, remind, fields, state
):
    appointment = appointment_at(3, **fields)
    assert remind().skipped == 1
    assert AppointmentReminder.objects.get(appointment=appointment).state == state
    assert not OutboundMessage.objects.filter(reference__endswith=":reminder").exists()


def test_a_failed_text_is_recorded_on_its_message(appointment_at, remind, settings):
    gateway = FakeGateway()
    try:
        configure(settings, gateway)
        gateway.answers = [
            (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
        ]
        appointment = appointment_at(
            3, phone=MOBILE, appointment_reminders=False, sms_messages=True
        )
        remind()
    finally:
        gateway.close()
    message = OutboundMessage.objects.get(reference=f"appointment:{appointment.pk}:reminder")
    assert message.status == OutboundMessage.Status.FAILED
    assert "21610" in message.error and message.attempts == 1
    assert AppointmentReminder.objects.get(appointment=appointment).state == State.SENT


# --- Once, however often the scheduler runs ------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # real commits, as workers need on PostgreSQL
def test_an_sms_reminder_reaches_the_gateway_once_when_the_scheduler_runs_twice(
    appointment_at, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports"]}
    }
    gateway = FakeGateway()
    try:
        configure(settings, gateway)
        appointment = appointment_at(
            3, phone=MOBILE, appointment_reminders=False, sms_messages=True
        )
        worker = ["db_worker", "--batch", "--no-startup-delay", "--no-reload"]
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_scheduled", verbosity=0)
            call_command("run_scheduled", verbosity=0)  # a second timer, another machine
            call_command(*worker, verbosity=0)  # runs the reminders job
        call_command(*worker, verbosity=0)  # delivers the texts it queued
        # And the reminders job run again by hand, twice: nothing more goes out.
        with django_capture_on_commit_callbacks(execute=True):
            services.reminders_send()
            services.reminders_send()
        call_command(*worker, verbosity=0)
        reminders = [r for r in gateway.requests if r["form"]["Body"][0].startswith("Reminder")]
    finally:
        gateway.close()
    assert ScheduledRun.objects.filter(name="appointment-reminders").count() == 1
    assert len(reminders) == 1
    assert reminders[0]["form"]["To"] == [MOBILE]
    message = OutboundMessage.objects.get(reference=f"appointment:{appointment.pk}:reminder")
    assert message.status == OutboundMessage.Status.SENT and message.provider_id
    assert AppointmentReminder.objects.filter(appointment=appointment).count() == 1
    assert not Job.objects.filter(status=Job.Status.FAILED).exists()


# --- Booking, moving, cancelling ------------------------------------------------------------------


def test_booking_queues_a_confirmation_after_commit(doctor, django_capture_on_commit_callbacks):
    patient = PatientFactory(email="dee@example.org", phone=MOBILE, sms_messages=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        appointment = book(patient, doctor, in_hours(30), override=True)
        assert mail.outbox == [] and sms.outbox == []  # nothing inside the transaction
    assert callbacks
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Appointment booked"]
    assert [m.to for m in sms.outbox] == [MOBILE] and "is booked" in sms.outbox[0].body
    assert set(
        OutboundMessage.objects.filter(
            reference=f"appointment:{appointment.pk}:booked"
        ).values_list("channel", "status")
    ) == {("email", "sent"), ("sms", "sent")}


def test_cancelling_queues_a_cancellation_and_moving_a_moved_message(
    doctor, django_capture_on_commit_callbacks
):
    patient = PatientFactory(email="eve@example.org")
    first = book(patient, doctor, in_hours(30), override=True)
    second = book(patient, doctor, in_hours(50), override=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=first, actor=doctor, reason="Patient called")
        moved = services.appointment_reschedule(
            appointment=second, start=in_hours(75), actor=doctor, override=True
        )
    subjects = [m.subject.split(":")[0] for m in mail.outbox]
    assert subjects == ["Appointment cancelled", "Appointment moved"]
    assert OutboundMessage.objects.filter(reference=f"appointment:{moved.pk}:booked").exists()
    assert not OutboundMessage.objects.filter(reference=f"appointment:{second.pk}:cancelled")


def test_a_rolled_back_booking_sends_nothing(doctor, django_capture_on_commit_callbacks):
    from django.db import transaction

    patient = PatientFactory(email="fay@example.org")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        book(patient, doctor, in_hours(30), override=True)
        raise RuntimeError
    assert mail.outbox == [] and not OutboundMessage.objects.exists()


def test_bookings_recorded_after_the_fact_send_nothing(doctor):
    patient = PatientFactory(email="gus@example.org")
    book(patient, doctor, in_hours(30), override=True, _at=timezone.now() - timedelta(days=3))
    assert not OutboundMessage.objects.exists()


def test_a_series_is_confirmed_in_one_message(doctor, django_capture_on_commit_callbacks):
    from scheduling.models import AppointmentSeries

    patient = PatientFactory(email="hal@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        _series, booked = services.series_book(
            patient=patient,
            doctor=doctor,
            start=in_hours(30),
            appointment_type=AppointmentTypeFactory(),
            interval=1,
            unit=AppointmentSeries.Unit.WEEKS,
            count=3,
            actor=doctor,
            override=True,
        )
    assert len(booked) == 3
    [message] = mail.outbox
    assert message.subject.startswith("3 appointments booked")


def test_a_portal_patient_also_finds_it_under_the_bell_and_gets_no_second_email(
    make_user, doctor, django_capture_on_commit_callbacks
):
    account = make_user(roles.PATIENT, email="ivy@example.org", email_notifications=True)
    patient = PatientFactory(user=account, email="ivy@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        book(patient, doctor, in_hours(30), override=True)
    assert Notification.objects.filter(recipient=account, category="appointments").count() == 1
    assert [m.to for m in mail.outbox] == [["ivy@example.org"]]  # one: by the consent
