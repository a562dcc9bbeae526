"""Account writes: creating users with roles, assigning roles, editing one's profile,
resetting a second factor."""

import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext_lazy as _lazy

from accounts import roles
from accounts.exceptions import (
    CategoryCannotBeSwitchedOff,
    MobileNumberNeeded,
    QuietHoursIncomplete,
)
from accounts.models import User
from ehr.core.models import NotificationCategory, NotificationPreference
from ehr.core.services import is_locked, notification_category

logger = logging.getLogger(__name__)


@transaction.atomic
def user_create(*, email, password, first_name, last_name, role_names=(), actor=None, **fields):
    """Create an active, email-verified user with the given roles and return it."""
    user = User(
        email=User.objects.normalize_email(email).lower(),
        first_name=first_name,
        last_name=last_name,
        **fields,
    )
    user.set_password(password)
    user.stamp(actor)
    user.full_clean(exclude=["password"])
    user.save()
    user.mark_email_verified()
    if role_names:
        user_set_roles(user=user, role_names=role_names, actor=actor)
    return user


@transaction.atomic
def user_set_roles(*, user, role_names, actor=None):
    """Make `user`'s roles exactly `role_names` (each one of `roles.ALL_ROLES`)."""
    unknown = set(role_names) - set(roles.ALL_ROLES)
    if unknown:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")
    groups = []
    for name in role_names:
        group, _ = Group.objects.get_or_create(name=name)
        groups.append(group)
    user._history_user = actor
    user.groups.set(groups)
    user.__dict__.pop("role_names", None)
    return user


def user_update_profile(*, user, actor, first_name, last_name, phone):
    """Save the fields a user may change about themselves (notification settings:
    `user_notification_settings_update`)."""
    user.first_name = first_name
    user.last_name = last_name
    user.phone = phone
    user.stamp(actor)
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "phone", "updated_by", "updated_at"])


# The categories a patient's account hears about; staff have them all.
PATIENT_CATEGORIES = (
    NotificationCategory.APPOINTMENTS,
    NotificationCategory.RESULTS,
    NotificationCategory.MEDICATION,
    NotificationCategory.MESSAGES,
    NotificationCategory.BILLING,
    NotificationCategory.SECURITY,
)


def notification_categories_for(user):
    """Return the categories `user` chooses channels for, in display order."""
    if user.is_portal_user:
        return list(PATIENT_CATEGORIES)
    return list(NotificationCategory)


def notification_settings_of(user):
    """Return {category: {"email", "sms", "locked"}} for each of `user`'s categories: the
    stored choices, else the defaults; a category staff cannot switch off reads on."""
    stored = {p.category: p for p in NotificationPreference.objects.filter(user=user)}
    settings_ = {}
    for category in notification_categories_for(user):
        row = stored.get(category)
        locked = is_locked(user, category)
        settings_[category] = {
            "email": locked or (row.email if row else NotificationPreference.DEFAULTS["email"]),
            "sms": locked or (row.sms if row else NotificationPreference.DEFAULTS["sms"]),
            "locked": locked,
        }
    return settings_


@transaction.atomic
def user_notification_settings_update(
    *,
    user,
    actor,
    email_notifications,
    mobile_phone,
    quiet_hours_start,
    quiet_hours_end,
    channels,
):
    """Save how `user` hears about his notifications besides the bell: the email master
    switch, the mobile number, the quiet hours for texts, and per category (`channels`:
    {category: (email, sms)}) email and text on or off.

    Staff cannot switch off a critical category (CategoryCannotBeSwitchedOff); texts
    need a mobile number (MobileNumberNeeded); quiet hours have both ends
    (QuietHoursIncomplete). Categories left out keep their choice."""
    if (quiet_hours_start is None) != (quiet_hours_end is None) or (
        quiet_hours_start is not None and quiet_hours_start == quiet_hours_end
    ):
        raise QuietHoursIncomplete()
    channels = {notification_category(c): (bool(e), bool(t)) for c, (e, t) in channels.items()}
    for category, (email, sms) in channels.items():
        if is_locked(user, category) and not (email and sms):
            raise CategoryCannotBeSwitchedOff(
                _lazy("Staff cannot switch off %(category)s.")
                % {"category": category.label.lower()},
                field=f"{'email' if not email else 'sms'}_{category.value}",
            )
        if sms and not mobile_phone and not is_locked(user, category):
            raise MobileNumberNeeded()
    user.email_notifications = email_notifications
    user.mobile_phone = mobile_phone or ""
    user.quiet_hours_start = quiet_hours_start
    user.quiet_hours_end = quiet_hours_end
    user.stamp(actor)
    user.full_clean(exclude=["password"])
    user.save(
        update_fields=[
            "email_notifications",
            "mobile_phone",
            "quiet_hours_start",
            "quiet_hours_end",
            "updated_by",
            "updated_at",
        ]
    )
    stored = {
        p.category: p for p in NotificationPreference.objects.select_for_update().filter(user=user)
    }
    for category, (email, sms) in channels.items():
        row = stored.get(category) or NotificationPreference(user=user, category=category)
        if not row._state.adding and (row.email, row.sms) == (email, sms):
            continue
        row.email, row.sms = email, sms
        row.stamp(actor)
        row.save()
    return user
    return user


@transaction.atomic
def user_mfa_reset(*, user, actor):
    """Remove every second factor `user` has (authenticator app and recovery codes), so
    that he enrols again at his next sign-in; revoke his API tokens; record who did it in
    the user's history; and tell him by email and in the app.

    Only a holder of `accounts.reset_mfa` may do it, and never on his own account (that
    would let a stolen session remove the factor that protects it)."""
    from allauth.mfa.models import Authenticator

    from ehr.core.services import notification_send

    if not actor.has_perm("accounts.reset_mfa"):
        raise PermissionDenied("Resetting two-factor authentication needs accounts.reset_mfa.")
    if actor.pk == user.pk:
        raise PermissionDenied("Nobody resets his own two-factor authentication.")
    removed, _ = Authenticator.objects.filter(user=user).delete()
    user.revoke_tokens()
    user._change_reason = f"Two-factor authentication reset by {actor.email}"
    user.stamp(actor)
    user.save(update_fields=["updated_by", "updated_at"])
    logger.warning("Two-factor authentication of user %s reset by %s", user.pk, actor.pk)
    notification_send(
        recipients=[user],
        title="Your two-factor authentication was reset",
        body="An administrator removed your authenticator app and recovery codes. "
        "You will set up a new authenticator at your next sign-in.",
        category=NotificationCategory.SECURITY,
        actor=actor,
        outbound=False,  # the email below says more than a notice may
    )
    if user.email:
        transaction.on_commit(lambda: _mfa_reset_email(user, actor))
    return removed


def _mfa_reset_email(user, actor):
    try:
        send_mail(
            "Your two-factor authentication was reset",
            f"Hello {user.get_short_name() or user.email},\n\n"
            f"{actor.get_full_name() or actor.email} removed the authenticator app and "
            "recovery codes of your hospital account. You will set up a new authenticator "
            "at your next sign-in. If you did not ask for this, tell the IT service desk.\n",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:  # the reset stands; the in-app notification was created
        logger.exception("Could not email user %s about the two-factor reset", user.pk)


@transaction.atomic
def roles_sync():
    """Make each role's Group hold exactly the permissions `accounts.roles` lists.

    Return {role: (added, removed, skipped)}; `skipped` are listed permissions whose app
    is not installed. Safe to run any number of times.
    """
    from django.contrib.auth.models import Permission

    wanted = {p for perms in roles.PERMISSIONS.values() for p in perms}
    by_name = {}
    for perm in Permission.objects.filter(
        content_type__app_label__in={p.split(".")[0] for p in wanted}
    ).select_related("content_type"):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm

    report = {}
    for role in roles.ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        listed = roles.PERMISSIONS.get(role, [])
        target = {by_name[p] for p in listed if p in by_name}
        skipped = sorted(p for p in listed if p not in by_name)
        current = set(group.permissions.all())
        added, removed = target - current, current - target
        if added:
            group.permissions.add(*added)
        if removed:
            group.permissions.remove(*removed)
        report[role] = (len(added), len(removed), skipped)
    return report
