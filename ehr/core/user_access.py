"""A user's roles and role permissions, read once and kept briefly in the `bulk` cache.

Every staff page asks who the user is: the layout (portal or staff surface, the admin
link), the navigation (one permission per entry) and the view's own permission check.
Without this, each request ran three queries for it (the user's groups, direct
permissions and group permissions). Here they come from one cache read, keyed by user.

Freshness: a change of a user's own groups or permissions drops that user's entry; an
entry is valid only under the current *generation*, a token in the same cache that a
change of a group's permissions, or a group or permission saved or deleted, replaces
(signals below); both at once and again when the transaction commits. With a shared
cache (Redis in production) a role change therefore applies on the next request in every
worker. With a per-process cache (no REDIS_URL), other processes see it within TTL
seconds. Entries also expire after TTL seconds whatever happens (changes made behind
the ORM's back, e.g. raw SQL). An entry records the user's `is_superuser` and
`is_active` too: changing either ignores it. If the cache is down, every read goes to the
database, as before.
"""

from uuid import uuid4

from django.core.cache import caches
from django.db import transaction

TTL = 60  # seconds: the longest a role change can go unseen (per-process cache only)
GENERATION_KEY = "ehr:access:generation"
MEMO = "_ehr_access"  # the per-request memo on the user instance


def _cache():
    return caches["bulk"]


def _key(user_pk):
    return f"ehr:access:{user_pk}"


def _load(user):
    """Read the user's role names and role permissions from the database."""
    from django.contrib.auth.backends import ModelBackend

    backend = ModelBackend()
    roles = frozenset(user.groups.values_list("name", flat=True))
    if user.is_active:
        perms = frozenset(
            {*backend.get_user_permissions(user), *backend.get_group_permissions(user)}
        )
    else:
        perms = frozenset()
    return roles, perms


def snapshot(user):
    """Return (role names, permissions "app_label.codename") of `user`, from the cache
    when it holds a valid entry; kept on the instance for the rest of the request."""
    memo = user.__dict__.get(MEMO)
    if memo is not None:
        return memo
    cache = _cache()
    key = _key(user.pk)
    values = cache.get_many([GENERATION_KEY, key])
    generation = values.get(GENERATION_KEY)
    if generation is None:
        # Start a generation before reading, so a change made meanwhile replaces it.
        cache.add(GENERATION_KEY, uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY)
    stamp = (generation, user.is_superuser, user.is_active)
    entry = values.get(key)
    if generation is not None and entry is not None and entry[0] == stamp:
        data = entry[1]
    else:
        data = _load(user)
        if generation is not None:
            cache.set(key, (stamp, data), TTL)
    user.__dict__[MEMO] = data
    return data


def role_names(user):
    """Return the names of `user`'s roles (groups)."""
    return snapshot(user)[0]


def permissions(user):
    """Return `user`'s role and direct permissions (empty when inactive)."""
    return snapshot(user)[1]


def forget(user):
    """Drop what `user` (this instance) remembers of its roles and permissions."""
    for name in (MEMO, "role_names", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(name, None)


def new_generation():
    """Invalidate every cached entry: now, and again when the transaction commits (a
    request reading between the two would otherwise keep the old roles)."""

    def bump():
        _cache().set(GENERATION_KEY, uuid4().hex, timeout=None)

    bump()
    transaction.on_commit(bump)


# --- Invalidation ----------------------------------------------------------------------


def forget_users(user_pks):
    """Drop the cached entries of the users `user_pks` (their own roles or permissions
    changed): now, and again when the transaction commits."""
    keys = [_key(pk) for pk in user_pks]

    def drop():
        _cache().delete_many(keys)

    if keys:
        drop()
        transaction.on_commit(drop)


def _on_user_m2m_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # A user's groups or direct permissions: only the users concerned.
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth import get_user_model

    if isinstance(instance, get_user_model()):
        forget(instance)
        forget_users([instance.pk])
    elif action == "post_clear" or pk_set is None:
        new_generation()  # a group cleared of all its users: who they were is gone
    else:
        forget_users(pk_set)


def _on_group_m2m_changed(sender, action, **kwargs):
    # A group's permissions: every member.
    if action in ("post_add", "post_remove", "post_clear"):
        new_generation()


def _on_changed(sender, **kwargs):
    new_generation()


def connect_signals():
    """Connect the invalidation signals (from CoreConfig.ready)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    User = get_user_model()
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(
            _on_user_m2m_changed, sender=through, dispatch_uid=f"ehr-access-{through}"
        )
    m2m_changed.connect(
        _on_group_m2m_changed, sender=Group.permissions.through, dispatch_uid="ehr-access-gp"
    )
    for model in (Group, Permission):
        post_save.connect(_on_changed, sender=model, dispatch_uid=f"ehr-access-save-{model}")
        post_delete.connect(_on_changed, sender=model, dispatch_uid=f"ehr-access-del-{model}")
