"""Account writes: creating users with roles, assigning roles, editing one's profile,
resetting a second factor."""

import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction

from accounts import roles
from accounts.models import User

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


def user_update_profile(*, user, actor, first_name, last_name, phone, email_notifications):
    """Save the fields a user may change about themselves."""
    user.first_name = first_name
    user.last_name = last_name
    user.phone = phone
    user.email_notifications = email_notifications
    user.stamp(actor)
    user.full_clean(exclude=["password"])
    user.save(
        update_fields=[
            "first_name",
            "last_name",
            "phone",
            "email_notifications",
            "updated_by",
            "updated_at",
        ]
    )
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
        category="accounts",
        actor=actor,
    )
    if user.email and not user.email_notifications:  # opted-in users get it from the notice
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
