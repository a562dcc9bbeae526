"""Email and text messages that leave the site: recorded one by one, delivered by a job.

    messaging.outbound_queue(channel="sms", to=patient.phone, body=text,
                             category="appointments", reference=f"appointment:{pk}:reminder")

`outbound_queue` writes an `OutboundMessage` in the caller's transaction and queues the
`outbound_deliver` job after it commits: a rolled-back workflow sends nothing, and no
page waits for a mail server or an SMS gateway. The job sends the message (email with
`EMAIL_DELIVERY_BACKEND`, text with `SMS_BACKEND`), records the outcome on the row, and
raises on failure so that it is retried with back-off. A text that is not urgent and
falls in the recipient's quiet hours is deferred (not dropped) to their end. The SMS
gateway's delivery reports come back through `outbound_status_record`.

Who is told what by which channel is decided by the caller: the notification service
(staff and portal users, by their preferences) or an app's service (patients, by their
recorded consent).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ehr.core import jobs, sms
from ehr.core.models import NotificationCategory, OutboundMessage

logger = logging.getLogger(__name__)

Channel = OutboundMessage.Channel
Status = OutboundMessage.Status

SMS_MAX_LENGTH = 480  # three segments: a reminder fits, a pasted letter does not

# Twilio's status words, and what they mean for the message.
PROVIDER_STATUSES = {
    "queued": Status.SENT,
    "accepted": Status.SENT,
    "scheduled": Status.SENT,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}


def quiet_hours_end(now, start, end):
    """Return when the quiet hours from `start` to `end` (local times; they may span
    midnight) around `now` end, or None if `now` is not in them."""
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    clock = local.time()
    # A span over midnight (22:00 to 07:00) is everything outside end..start.
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, end), local.tzinfo)


def sms_status_callback_url():
    """Return the absolute URL the SMS gateway reports delivery to, or "" if reports are
    off (SMS_STATUS_CALLBACK)."""
    if not getattr(settings, "SMS_STATUS_CALLBACK", False):
        return ""
    return settings.SITE_URL.rstrip("/") + reverse("core:sms_status")


def outbound_queue(
    *,
    channel,
    to,
    body,
    subject="",
    category=NotificationCategory.GENERAL,
    urgent=False,
    reference="",
    notification=None,
    quiet_hours=None,
    actor=None,
    now=None,
):
    """Record one outbound email or text message and queue its delivery after commit.

    `to` is an email address, or for a text a phone number (normalised to E.164;
    ValueError if it is none). `quiet_hours` is the recipient's (start, end) local times:
    a text that is not `urgent` falling in them waits for their end. `reference` names
    what the message is about: a second message with the same reference and channel is
    not recorded (None is returned), so a step that runs twice sends once. Return the
    message.
    """
    channel = Channel(channel)
    now = now or timezone.now()
    if channel == Channel.SMS:
        to = sms.normalize_number(to)
        body = body[:SMS_MAX_LENGTH]
    send_after = None
    if channel == Channel.SMS and not urgent and quiet_hours:
        send_after = quiet_hours_end(now, *quiet_hours)
    message = OutboundMessage(
        channel=channel,
        to=str(to),
        subject=str(subject)[:200],
        body=str(body),
        category=NotificationCategory(category or NotificationCategory.GENERAL),
        urgent=urgent,
        reference=reference,
        notification=notification,
        status=Status.DEFERRED if send_after else Status.QUEUED,
        send_after=send_after,
    )
    message.stamp(actor)
    message.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if (
            reference
            and OutboundMessage.objects.filter(reference=reference, channel=channel).exists()
        ):
            return None
        raise
    jobs.enqueue_on_commit(
        outbound_deliver,
        str(message.pk),
        label=f"{message.get_channel_display()}: {message.subject or message.body}"[:200],
        run_after=send_after,
    )
    return message


@jobs.job(retries=4, backoff=60, timeout=120)
def outbound_deliver(message_pk):
    """Send one recorded message, once: a message already sent is left alone. A failure
    is recorded on the message and raised, so that the job is retried with back-off."""
    message = OutboundMessage.objects.select_related("notification").get(pk=message_pk)
    if message.status in (Status.SENT, Status.DELIVERED):
        return {"status": message.status, "already": True}
    message.attempts += 1
    try:
        if message.channel == Channel.EMAIL:
            _send_email(message)
        else:
            _send_sms(message)
    except Exception as error:
        message.status = Status.FAILED
        message.error = f"{type(error).__name__}: {error}"[:500]
        message.stamp(None)
        message.save(update_fields=["status", "error", "attempts", "updated_at", "updated_by"])
        raise
    message.status = Status.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.stamp(None)
    message.save()
    if message.channel == Channel.EMAIL and message.notification is not None:
        notification = message.notification
        notification.emailed_at = message.sent_at
        notification.save(update_fields=["emailed_at"])
    return {"status": message.status, "provider_id": message.provider_id}


def _send_email(message):
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        connection=connection,
    ).send(fail_silently=False)


def _send_sms(message):
    result = sms.get_backend().send(
        to=message.to, body=message.body, callback_url=sms_status_callback_url()
    )
    message.provider_id = result.provider_id
    message.provider_status = result.status


@transaction.atomic
def outbound_status_record(*, provider_id, provider_status, error_code=""):
    """Record the delivery status the SMS gateway reported for its message `provider_id`
    and return the message (None if no text message has that id). A late report never
    moves a delivered or failed message back to sent."""
    if not provider_id:
        return None
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(channel=Channel.SMS, provider_id=provider_id)
        .first()
    )
    if message is None:
        return None
    provider_status = str(provider_status or "").lower()[:30]
    status = PROVIDER_STATUSES.get(provider_status)
    message.provider_status = provider_status
    if status == Status.DELIVERED:
        message.status = Status.DELIVERED
        message.delivered_at = message.delivered_at or timezone.now()
    elif status == Status.FAILED and message.status != Status.DELIVERED:
        message.status = Status.FAILED
        message.error = f"The gateway reported {provider_status} (error {error_code or '-'})"
    elif status == Status.SENT and message.status in (Status.QUEUED, Status.DEFERRED):
        message.status = Status.SENT
    if message.status in (Status.SENT, Status.DELIVERED) and message.sent_at is None:
        message.sent_at = timezone.now()
    message.stamp(None)
    message.save()
    return message
