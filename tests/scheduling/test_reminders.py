"""`manage.py send_appointment_reminders`: each reminder sent once, patients without an
address or who opted out skipped and recorded, a failed email recorded on its message and
retried by its job, the lead time from the system parameter, and none for cancelled
appointments. (Text messages: test_reminders_sms.py.)"""

from datetime import timedelta
from io import StringIO
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from ehr.core import jobs
from ehr.core.models import Job, OutboundMessage
from ehr.core.services import system_parameter_set
from scheduling import services
from scheduling.models import AppointmentReminder
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import AppointmentTypeFactory, book

pytestmark = pytest.mark.django_db

State = AppointmentReminder.State


def in_hours(hours):
    """An aware time `hours` from now, on a quarter hour."""
    moment = timezone.now() + timedelta(hours=hours)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


@pytest.fixture
def appointment_at(doctor):
    """Book with Dr House at a time; the doctor overrides availability (emergencies), so
    no weekly schedule is needed."""
    kind = AppointmentTypeFactory(code="consultation", name="Consultation")

    def make(hours, **patient_fields):
        fields = {"email": f"{hours}h@example.org", **patient_fields}
        start = in_hours(hours)
        return book(
            PatientFactory(**fields),
            doctor,
            start,
            end=start + timedelta(minutes=15),
            appointment_type=kind,
            override=True,
        )

    return make


def run(*args):
    """Run the command; the delivery jobs it queues after commit run too."""
    out, err = StringIO(), StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_appointment_reminders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class RefusingOneAddress(EmailBackend):
    """A mail server that refuses bad@example.org."""

    def send_messages(self, messages):
        for message in messages:
            if "bad@example.org" in message.recipients():
                raise SMTPRecipientsRefused({"bad@example.org": (550, b"Mailbox unavailable")})
        return super().send_messages(messages)


def state_of(appointment):
    return AppointmentReminder.objects.get(appointment=appointment).state


def test_a_reminder_is_sent_once_however_often_the_command_runs(appointment_at):
    appointment = appointment_at(3, first_name="Ada", email="ada@example.org")
    out, _ = run()
    assert "1 sent, 0 skipped, 0 failed" in out
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject.startswith("Appointment reminder")
    assert "Dear Ada" in message.body and "Gregory House" in message.body
    out, _ = run()
    assert "0 sent, 0 skipped, 0 failed" in out
    assert len(mail.outbox) == 1
    reminder = AppointmentReminder.objects.get(appointment=appointment)
    assert reminder.state == State.SENT and reminder.sent_at is not None


def test_patients_without_email_or_who_opted_out_are_skipped_and_recorded(appointment_at):
    no_address = appointment_at(2, email="")
    opted_out = appointment_at(3, appointment_reminders=False)
    reachable = appointment_at(4, email="bob@example.org")
    out, _ = run()
    assert "1 sent, 2 skipped, 0 failed" in out
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert state_of(no_address) == State.SKIPPED_NO_ADDRESS
    assert state_of(opted_out) == State.SKIPPED_OPTED_OUT
    assert state_of(reachable) == State.SENT
    # Skipped ones stay skipped: the next run neither counts nor sends them again.
    assert "0 sent, 0 skipped, 0 failed" in run()[0]


def test_a_failed_email_is_recorded_does_not_stop_the_run_and_is_retried(appointment_at, settings):
    bad = appointment_at(2, email="bad@example.org")
    good = [appointment_at(3, email="one@example.org"), appointment_at(4, email="two@example.org")]
    settings.EMAIL_DELIVERY_BACKEND = f"{__name__}.RefusingOneAddress"
    out, _err = run()  # call_command raising would fail the test: the exit code stays 0
    assert "3 sent, 0 skipped, 0 failed" in out  # handed to the delivery jobs
    assert sorted(m.to[0] for m in mail.outbox) == ["one@example.org", "two@example.org"]
    failed = OutboundMessage.objects.get(reference=f"appointment:{bad.pk}:reminder")
    assert failed.status == OutboundMessage.Status.FAILED
    assert "Mailbox unavailable" in failed.error
    assert all(state_of(a) == State.SENT for a in [bad, *good])
    job = Job.objects.get(arguments__args=[str(failed.pk)])
    assert job.status == Job.Status.RETRYING  # its job tries again later

    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jobs.rerun(job, actor=None)  # the retry, as the worker would run it
    failed.refresh_from_db()
    assert failed.status == OutboundMessage.Status.SENT and failed.attempts == 2
    assert [m.to for m in mail.outbox][-1] == ["bad@example.org"]
    assert "0 sent, 0 skipped, 0 failed" in run()[0]
    assert len(mail.outbox) == 3
    assert AppointmentReminder.objects.filter(appointment=bad).count() == 1


def test_the_lead_time_comes_from_the_system_parameter(appointment_at):
    later = appointment_at(30)
    soon = appointment_at(20)
    assert "1 sent" in run()[0]  # 24 hours by default
    assert not AppointmentReminder.objects.filter(appointment=later).exists()
    assert state_of(soon) == State.SENT
    system_parameter_set(key="reminder_lead_time", value=48)
    assert "1 sent" in run()[0]
    assert state_of(later) == State.SENT
    assert len(mail.outbox) == 2


def test_cancelled_appointments_get_no_reminder(appointment_at, doctor):
    cancelled = appointment_at(2)
    services.appointment_cancel(appointment=cancelled, actor=doctor, reason="Patient called")
    assert "0 sent, 0 skipped, 0 failed" in run()[0]
    assert mail.outbox == []
    assert not AppointmentReminder.objects.exists()


def test_verbosity_2_lists_each_reminder(appointment_at):
    sent = appointment_at(2)
    skipped = appointment_at(3, email="")
    out, _ = run("--verbosity", "2")
    assert f"{sent.pk}: Sent" in out
    assert f"{skipped.pk}: Skipped: no email address" in out
    quiet, _ = run()
    assert str(sent.pk) not in quiet
