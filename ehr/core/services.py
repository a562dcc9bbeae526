"""Kernel writes: notifications and system parameters."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ehr.core import parameters
from ehr.core.models import Notification, SystemParameter

logger = logging.getLogger(__name__)


def notification_send(
    *, recipients, title, body="", url="", level=Notification.Level.INFO, category="", actor=None
):
    """Notify each of `recipients` in the app, and by email those who opted in.

    Emails leave after the surrounding transaction commits, so a rolled-back workflow
    sends nothing. Return the created notifications.
    """
    created = []
    for recipient in {r.pk: r for r in recipients}.values():
        if not recipient.is_active:
            continue
        notification = Notification(
            recipient=recipient,
            title=title,
            body=body,
            url=url,
            level=level,
            category=category,
        )
        notification.stamp(actor)
        notification.full_clean()
        notification.save()
        created.append(notification)
        if recipient.email_notifications and recipient.email:
            transaction.on_commit(lambda n=notification: _notification_email(n.pk))
    return created


def _notification_email(notification_pk):
    notification = Notification.objects.select_related("recipient").get(pk=notification_pk)
    if notification.emailed_at:
        return
    context = {"notification": notification, "site_url": settings.SITE_URL}
    try:
        send_mail(
            subject=f"[EHR] {notification.title}",
            message=render_to_string("core/email/notification.txt", context),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except (OSError, smtplib.SMTPException):
        # The notification is in the app already; a mail outage must not fail the
        # request that caused it. emailed_at stays empty, so the failure is visible.
        logger.exception("Could not email notification %s", notification_pk)
        return
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])


def notification_mark_read(*, notification, actor):
    """Mark one notification read (its recipient is the only one who can)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.stamp(actor)
        notification.save(update_fields=["read_at", "updated_at", "updated_by"])
    return notification


def notification_mark_all_read(*, user):
    """Mark every unread notification of `user` read; return how many there were."""
    unread = list(Notification.objects.filter(recipient=user, read_at__isnull=True))
    for notification in unread:
        notification_mark_read(notification=notification, actor=user)
    return len(unread)


def system_parameter_set(*, key, value, actor=None):
    """Validate and store a new value for system parameter `key`; return the typed value."""
    definition = parameters.REGISTRY[key]
    typed = definition.clean(value)
    row, _ = SystemParameter.objects.get_or_create(
        key=key, defaults={"value": definition.to_json(definition.default)}
    )
    row.value = definition.to_json(typed)
    row.stamp(actor)
    row.save()
    parameters.invalidate()
    return typed
