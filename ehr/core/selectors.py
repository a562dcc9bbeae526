"""Kernel reads: what a user may see of notifications and background jobs."""

from django.core.cache import caches
from django.db import transaction

from ehr.core.models import Job, Notification

# The bell's count is kept in the `bulk` cache for this long at most; every save or delete
# of a notification drops its recipient's entry (now and when the transaction commits).
UNREAD_COUNT_TTL = 60


def _unread_key(user_pk):
    return f"ehr:bell:{user_pk}"


def notification_list_for_user(user):
    """Return the notifications addressed to `user`, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at")


def notification_unread_count(user):
    """Return how many unread notifications `user` has (one indexed query, kept in the
    cache until a notification of the user changes)."""
    cache = caches["bulk"]
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_COUNT_TTL)
    return count


def forget_unread_count(user_pk):
    """Drop the cached unread count of the user `user_pk`: now, and again on commit (a
    request counting in between would otherwise keep the old count)."""

    def drop():
        caches["bulk"].delete(_unread_key(user_pk))

    drop()
    transaction.on_commit(drop)


def _on_notification_changed(sender, instance, **kwargs):
    forget_unread_count(instance.recipient_id)


def connect_signals():
    """Keep the cached counts fresh (from CoreConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_notification_changed, sender=Notification, dispatch_uid="ehr-bell")
    post_delete.connect(_on_notification_changed, sender=Notification, dispatch_uid="ehr-bell-d")


def job_list_for_user(user):
    """Return the background jobs `user` started, newest first: a job's page, its result
    and its API answer are for the user who requested it only (administrators see every
    job in the admin)."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(requested_by=user).order_by("-created_at")
