"""The notification service: in the app always, by email and text as each recipient's
preferences per category say; critical categories staff cannot switch off; quiet hours
defer texts that are not urgent; every message recorded and delivered by a job after
commit."""

from datetime import UTC, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from accounts import roles
from ehr.core import jobs, messaging, sms
from ehr.core.models import (
    Job,
    Notification,
    NotificationCategory,
    NotificationPreference,
    OutboundMessage,
)
from ehr.core.services import notification_channels, notification_send

pytestmark = pytest.mark.django_db

Category = NotificationCategory
Status = OutboundMessage.Status
MOBILE = "+12025550143"


@pytest.fixture(autouse=True)
def _texts_in_memory(settings):
    settings.SMS_BACKEND = "ehr.core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """notification_send, with the delivery jobs it queues after commit run."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return notification_send(**kwargs)

    return run


def prefer(user, category, *, email, sms):
    NotificationPreference.objects.create(user=user, category=category, email=email, sms=sms)


def channels(user, category):
    got = notification_channels(user, category)
    return (got.email, got.sms)


# --- Preferences decide the channels --------------------------------------------------------


def test_defaults_email_for_users_who_turned_email_on_and_no_texts(make_user):
    quiet = make_user(roles.NURSE, email_notifications=False, mobile_phone=MOBILE)
    keen = make_user(roles.NURSE, email_notifications=True, mobile_phone=MOBILE)
    assert channels(quiet, Category.RESULTS) == (False, False)
    assert channels(keen, Category.RESULTS) == (True, False)


def test_preferences_per_category_decide_email_and_text(make_user, mailoutbox, send):
    nurse = make_user(roles.NURSE, email_notifications=True, mobile_phone=MOBILE)
    prefer(nurse, Category.MEDICATION, email=False, sms=True)
    prefer(nurse, Category.BILLING, email=False, sms=False)
    send(recipients=[nurse], title="Dose due", category=Category.MEDICATION)
    send(recipients=[nurse], title="Invoice", category=Category.BILLING)
    send(recipients=[nurse], title="Result in", category=Category.RESULTS)
    assert Notification.objects.filter(recipient=nurse).count() == 3  # the bell: always
    assert [m.subject for m in mailoutbox] == ["[EHR] Result in"]
    assert [(m.to, m.body.split(" http")[0]) for m in sms.outbox] == [(MOBILE, "EHR: Dose due")]
    assert set(OutboundMessage.objects.values_list("channel", "category", "status")) == {
        ("email", "results", "sent"),
        ("sms", "medication", "sent"),
    }


def test_a_text_needs_a_mobile_number(make_user):
    nurse = make_user(roles.NURSE, email_notifications=True)
    prefer(nurse, Category.MESSAGES, email=True, sms=True)
    assert channels(nurse, Category.MESSAGES) == (True, False)


def test_the_email_master_switch_turns_email_off_for_ordinary_categories(make_user):
    nurse = make_user(roles.NURSE, email_notifications=False)
    prefer(nurse, Category.APPOINTMENTS, email=True, sms=False)
    assert channels(nurse, Category.APPOINTMENTS) == (False, False)


def test_old_category_names_are_mapped(doctor):
    created = notification_send(recipients=[doctor], title="x", category="privacy")
    assert created[0].category == Category.SECURITY
    assert notification_send(recipients=[doctor], title="y")[0].category == Category.GENERAL
    with pytest.raises(ValueError):
        notification_send(recipients=[doctor], title="z", category="gossip")


# --- Critical categories ----------------------------------------------------------------------


@pytest.mark.parametrize("category", [Category.CRITICAL_RESULTS, Category.SECURITY])
def test_staff_get_critical_categories_whatever_they_stored(make_user, category, send, mailoutbox):
    doctor = make_user(roles.DOCTOR, email_notifications=False, mobile_phone=MOBILE)
    prefer(doctor, category, email=False, sms=False)  # an opt-out written around the form
    send(recipients=[doctor], title="K+ 6.9", category=category, level="critical")
    assert [m.to for m in mailoutbox] == [[doctor.email]]
    assert [m.to for m in sms.outbox] == [MOBILE]


def test_a_patient_may_switch_security_messages_off(make_user):
    patient = make_user(roles.PATIENT, email_notifications=True, mobile_phone=MOBILE)
    prefer(patient, Category.SECURITY, email=False, sms=False)
    assert channels(patient, Category.SECURITY) == (False, False)


def test_ordinary_categories_can_be_switched_off_by_staff(make_user):
    doctor = make_user(roles.DOCTOR, email_notifications=True, mobile_phone=MOBILE)
    prefer(doctor, Category.RESULTS, email=False, sms=False)
    assert channels(doctor, Category.RESULTS) == (False, False)


# --- Quiet hours -----------------------------------------------------------------------------


def test_quiet_hours_end_within_the_day_and_over_midnight(settings):
    settings.TIME_ZONE = "UTC"
    at = lambda h, m=0: datetime(2026, 3, 2, h, m, tzinfo=UTC)  # noqa: E731
    night = (time(22, 0), time(7, 0))
    assert messaging.quiet_hours_end(at(23, 30), *night) == at(7) + timedelta(days=1)
    assert messaging.quiet_hours_end(at(3), *night) == at(7)
    assert messaging.quiet_hours_end(at(7), *night) is None
    assert messaging.quiet_hours_end(at(12), *night) is None
    lunch = (time(12, 0), time(13, 30))
    assert messaging.quiet_hours_end(at(12, 15), *lunch) == at(13, 30)
    assert messaging.quiet_hours_end(at(13, 30), *lunch) is None
    assert messaging.quiet_hours_end(at(3), None, None) is None


@pytest.fixture
def night_owl(make_user):
    """A nurse who wants medication texts, with quiet hours around the clock's now."""
    now = timezone.localtime()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    nurse = make_user(
        roles.NURSE, mobile_phone=MOBILE, quiet_hours_start=start, quiet_hours_end=end
    )
    prefer(nurse, Category.MEDICATION, email=False, sms=True)
    prefer(nurse, Category.CRITICAL_RESULTS, email=False, sms=True)
    return nurse


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "reports"],
        }
    }


def test_quiet_hours_defer_a_text_that_is_not_urgent_to_their_end(
    night_owl, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[night_owl], title="Round", category=Category.MEDICATION)
    message = OutboundMessage.objects.get(channel="sms")
    assert message.status == Status.DEFERRED
    expected_end = messaging.quiet_hours_end(
        timezone.now(), night_owl.quiet_hours_start, night_owl.quiet_hours_end
    )
    assert message.send_after == expected_end
    job = Job.objects.get(name="ehr.core.messaging.outbound_deliver")
    assert job.run_after == message.send_after  # queued for then, not dropped
    assert sms.outbox == []


def test_an_urgent_text_goes_through_quiet_hours(
    night_owl, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[night_owl],
            title="Critical potassium",
            category=Category.CRITICAL_RESULTS,
            level=Notification.Level.CRITICAL,
        )
        notification_send(
            recipients=[night_owl], title="Stat dose", category=Category.MEDICATION, urgent=True
        )
    assert set(OutboundMessage.objects.values_list("status", "send_after")) == {
        (Status.QUEUED, None)
    }
    assert set(Job.objects.values_list("run_after", flat=True)) == {None}


# --- After commit, recorded -------------------------------------------------------------------


def test_a_rolled_back_workflow_sends_nothing(
    make_user, mailoutbox, django_capture_on_commit_callbacks
):
    nurse = make_user(roles.NURSE, email_notifications=True)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_send(recipients=[nurse], title="Never")
        raise RuntimeError
    assert callbacks == [] and mailoutbox == []
    assert not OutboundMessage.objects.exists()


def test_in_app_only_sends_no_email_or_text(make_user, send, mailoutbox):
    nurse = make_user(roles.NURSE, email_notifications=True, mobile_phone=MOBILE)
    prefer(nurse, Category.GENERAL, email=True, sms=True)
    send(recipients=[nurse], title="Bell only", outbound=False)
    assert Notification.objects.filter(recipient=nurse).count() == 1
    assert mailoutbox == [] and sms.outbox == []


def test_the_email_records_its_notification_and_a_delivery_sets_emailed_at(make_user, send):
    nurse = make_user(roles.NURSE, email_notifications=True)
    [notification] = send(recipients=[nurse], title="Shift swap", body="Secret detail")
    message = notification.outbound_messages.get()
    assert message.to == nurse.email and message.status == Status.SENT
    assert message.sent_at is not None and message.attempts == 1
    assert "Secret detail" not in message.body
    notification.refresh_from_db()
    assert notification.emailed_at == message.sent_at


def test_a_message_is_delivered_once_even_if_its_job_runs_again(make_user, send, mailoutbox):
    nurse = make_user(roles.NURSE, email_notifications=True)
    [notification] = send(recipients=[nurse], title="Once")
    message = notification.outbound_messages.get()
    jobs.enqueue(messaging.outbound_deliver, str(message.pk))  # queued twice by mistake
    assert len(mailoutbox) == 1


def test_one_message_per_reference_and_channel(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = messaging.outbound_queue(
            channel="sms", to=MOBILE, body="Hello", reference="appointment:1:reminder"
        )
        second = messaging.outbound_queue(
            channel="sms", to=MOBILE, body="Hello", reference="appointment:1:reminder"
        )
    assert first is not None and second is None
    assert len(sms.outbox) == 1


# --- Numbers and backends ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(202) 555-0143", "+12025550143"),
        ("+44 20 7946 0958", "+442079460958"),
        ("011 44 20 7946 0958", "+442079460958"),  # dialled from the US
        ("+1 202-555-0143", "+12025550143"),
    ],
)
def test_numbers_are_normalised_to_e164(settings, raw, e164):
    settings.PHONENUMBER_DEFAULT_REGION = "US"
    assert sms.normalize_number(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "not a number", "+1 000"])
def test_what_is_not_a_phone_number_is_refused(raw):
    with pytest.raises(ValueError):
        sms.normalize_number(raw)


def test_a_text_is_stored_in_e164_and_the_database_refuses_another_form():
    message = messaging.outbound_queue(channel="sms", to="(202) 555-0143", body="Hi")
    assert message.to == "+12025550143"
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundMessage.objects.create(channel="sms", to="2025550143", body="Hi")


def test_the_console_backend_writes_the_message():
    stream = StringIO()
    result = sms.get_backend("ehr.core.sms.ConsoleSmsBackend", stream=stream).send(
        to=MOBILE, body="Your appointment is booked."
    )
    assert f"To: {MOBILE}" in stream.getvalue()
    assert "Your appointment is booked." in stream.getvalue()
    assert result.provider_id.startswith("console-") and result.status == "sent"


def test_the_file_backend_writes_one_file_per_message(tmp_path):
    backend = sms.get_backend("ehr.core.sms.FileSmsBackend", file_path=tmp_path)
    backend.send(to=MOBILE, body="One")
    backend.send(to=MOBILE, body="Two")
    texts = sorted(Path(p).read_text() for p in tmp_path.iterdir())
    assert len(texts) == 2 and all(f"To: {MOBILE}" in t for t in texts)
