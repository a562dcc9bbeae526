"""Settings and URLs of the site as `bench/pages.py` serves it: the production settings,
plus the floor page in front of the project's URLs.

This module is both the settings module (DJANGO_SETTINGS_MODULE=pages_site) and the
URLconf (ROOT_URLCONF = "pages_site"); `bench/` must be on the Python path.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from ehr.settings.production import *  # noqa: F403

ROOT_URLCONF = "pages_site"

_FLOOR = None


def floor_page(request):
    """The floor: a signed-in page that runs one query of its own (ten specialties) and
    renders them in a small template, through the whole middleware stack (sessions, the
    user, CSRF, CSP, the idle timeout, MFA, history). It renders without the request, so
    no context processor runs: the site's layout (navigation, the bell) is part of what a
    key page must earn."""
    global _FLOOR
    from django.http import HttpResponse
    from django.template import engines

    from accounts.models import Specialty

    if _FLOOR is None:
        _FLOOR = engines["django"].from_string(
            "<!doctype html><title>floor</title><ul>{% for s in rows %}"
            "<li>{{ s.name }}</li>{% endfor %}</ul>"
        )
    rows = list(Specialty.objects.order_by("name")[:10])
    return HttpResponse(_FLOOR.render({"rows": rows}))


def _urlpatterns():
    from django.urls import include, path

    return [path("bench/floor/", floor_page), path("", include("ehr.urls"))]


def __getattr__(name):
    # The URLconf is resolved lazily, after settings are loaded (this module is both).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
