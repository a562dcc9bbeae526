"""The bell's poller, carried by the bell of every layout (ehr.core.bell)."""

from django import template
from django.utils import timezone

from ehr.core import bell

register = template.Library()


@register.inclusion_tag("partials/notification_poller.html", takes_context=True)
def notification_poller(context):
    """Render the element that polls the bell in the background: it has seen nothing
    newer than now, and shows the count the page was drawn with."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return bell.poller_context(
        since=timezone.now(),
        shown=context.get("unread_notifications") or 0,
        on_list=bool(match and match.view_name == "core:notification_list"),
    )
