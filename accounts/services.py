"""Account writes: creating users with roles, assigning roles, editing one's profile."""

from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.models import User


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
