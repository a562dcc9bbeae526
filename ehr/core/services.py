"""Kernel writes: notifications (in the app, by email, by text message) and system
parameters."""

import logging
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from ehr.core import messaging, parameters
from ehr.core.models import (
    LOCKED_FOR_STAFF,
    Notification,
    NotificationCategory,
    NotificationPreference,
    OutboundMessage,
    SystemParameter,
)

logger = logging.getLogger(__name__)

# Category names callers used before the fixed set, and what they mean now.
CATEGORY_ALIASES = {
    "": NotificationCategory.GENERAL,
    "scheduling": NotificationCategory.APPOINTMENTS,
    "privacy": NotificationCategory.SECURITY,
    "accounts": NotificationCategory.SECURITY,
}


def notification_category(value):
    """Return the NotificationCategory `value` names (a category, or one of the older
    names in CATEGORY_ALIASES); ValueError for anything else."""
    if value in CATEGORY_ALIASES:
        return CATEGORY_ALIASES[value]
    return NotificationCategory(value)


@dataclass(frozen=True)
class Channels:
    """How a user hears about a category besides the bell."""

    email: bool
    sms: bool


def is_locked(user, category):
    """Return True if `user` may not switch off `category` by email or text: the critical
    categories (critical results, security), for staff."""
    return category in LOCKED_FOR_STAFF and bool(getattr(user, "is_hospital_staff", False))


def notification_channels(user, category, preference=None):
    """Return the Channels by which `user` hears about `category` (besides the bell).

    Email: the user's master switch ("email me my notifications") and the category's
    email preference (on unless switched off). Text: the category's text preference
    (off unless switched on) and a mobile number. The critical categories go out by
    every channel the user has an address for if he is staff, whatever is stored.
    `preference` is the user's NotificationPreference row for the category, if known
    (None: looked up).
    """
    category = notification_category(category)
    if preference is None:
        preference = NotificationPreference.objects.filter(user=user, category=category).first()
    wants = (
        {"email": preference.email, "sms": preference.sms}
        if preference is not None
        else dict(NotificationPreference.DEFAULTS)
    )
    has_email = bool(user.email)
    has_mobile = bool(getattr(user, "mobile_phone", None))
    if is_locked(user, category):
        return Channels(email=has_email, sms=has_mobile)
    return Channels(
        email=has_email and bool(getattr(user, "email_notifications", False)) and wants["email"],
        sms=has_mobile and wants["sms"],
    )


def notification_send(
    *,
    recipients,
    title,
    body="",
    url="",
    level=Notification.Level.INFO,
    category="",
    actor=None,
    urgent=None,
    outbound=True,
):
    """Notify each of `recipients`: always in the app (the bell), and by email and text
    message as each one's preferences for `category` say (`notification_channels`).

    `category` is a NotificationCategory (older names are mapped: CATEGORY_ALIASES).
    `urgent` (default: a critical `level`) lets a text through the recipient's quiet
    hours; other texts wait for their end. `outbound=False` notifies in the app only
    (the caller tells the person by its own message). Emails and texts carry the title
    and a link, never the body: the details stay behind the sign-in. They are recorded
    as OutboundMessages and leave by a job after the surrounding transaction commits,
    so a rolled-back workflow sends nothing and no request waits for a mail server.
    Return the created notifications.
    """
    category = notification_category(category)
    if urgent is None:
        urgent = level == Notification.Level.CRITICAL
    people = [r for r in {r.pk: r for r in recipients}.values() if r.is_active]
    preferences = {}
    if outbound and people:
        preferences = {
            p.user_id: p
            for p in NotificationPreference.objects.filter(
                user__in=[r.pk for r in people], category=category
            )
        }
    created = []
    for recipient in people:
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
        if outbound:
            channels = notification_channels(
                recipient, category, preferences.get(recipient.pk) or _DEFAULTS
            )
            _notification_outbound(notification, channels, urgent=urgent, actor=actor)
    return created


# Stands for "no row": the defaults, without a query per recipient.
_DEFAULTS = SimpleNamespace(**NotificationPreference.DEFAULTS)


def _notification_outbound(notification, channels, *, urgent, actor):
    recipient = notification.recipient
    link = f"{settings.SITE_URL.rstrip('/')}{notification.get_absolute_url()}"
    if channels.email:
        context = {"notification": notification, "site_url": settings.SITE_URL.rstrip("/")}
        messaging.outbound_queue(
            channel=OutboundMessage.Channel.EMAIL,
            to=recipient.email,
            subject=f"[EHR] {notification.title}"[:200],
            body=render_to_string("core/email/notification.txt", context),
            category=notification.category,
            urgent=urgent,
            notification=notification,
            actor=actor,
        )
    if channels.sms:
        try:
            messaging.outbound_queue(
                channel=OutboundMessage.Channel.SMS,
                to=recipient.mobile_phone,
                body=render_to_string(
                    "core/email/notification_sms.txt",
                    {"notification": notification, "link": link},
                ).strip(),
                category=notification.category,
                urgent=urgent,
                notification=notification,
                quiet_hours=(
                    getattr(recipient, "quiet_hours_start", None),
                    getattr(recipient, "quiet_hours_end", None),
                ),
                actor=actor,
            )
        except ValueError:  # a stored number no gateway takes: the bell still has it
            logger.warning("User %s has an unusable mobile number", recipient.pk)


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
