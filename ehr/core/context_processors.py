"""Template context every page needs: the hospital name, navigation and the bell."""

from django.conf import settings
from django.urls import resolve

from ehr.core import navigation
from ehr.core.selectors import notification_unread_count


def site(request):
    """Return the site name, the navigation entries of the user's surface (staff or
    portal) and the unread notification count."""
    context = {"SITE_NAME": settings.SITE_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = notification_unread_count(user)
        match = getattr(request, "resolver_match", None) or _resolve(request.path_info)
        current = (
            f"{match.namespace}:{match.url_name}"
            if match and match.namespace
            else (match.url_name if match else "")
        )
        surface = "portal" if user.is_portal_user else "staff"
        context["nav_items"] = [
            {"item": item, "url": url, "active": item.url_name == current}
            for item, url in navigation.items_for(user, surface)
        ]
    return context


def _resolve(path):
    try:
        return resolve(path)
    except Exception:  # a 404 page has no route
        return None
