"""Kernel reads: what a user may see of notifications."""

from ehr.core.models import Notification


def notification_list_for_user(user):
    """Return the notifications addressed to `user`, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at")


def notification_unread_count(user):
    """Return how many unread notifications `user` has (one indexed query)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
