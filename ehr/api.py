"""API v1: collects each installed app's endpoints under /api/v1/.

Each app serves its API from its own `api.py` (or the module its AppConfig names in
`api_module`): `routes`, a list of (prefix, viewset, basename) for the router, and
`urlpatterns` for the other endpoints. This module only loops over the installed apps,
so a new app's endpoints appear by installing it.

Every API view authenticates and authorises the request itself (JWT or session, then the
DRF permission classes, `RolePermission` by default: deny unless the role allows). DRF
marks its views exempt from the site's sign-in redirect, so an API client gets 401/403,
never a redirect to an HTML page.
"""

import importlib

from django.apps import apps
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from ehr.core.api.views import api_not_found


def app_api_modules():
    """Yield the API module of every installed app that has one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        name = getattr(config, "api_module", f"{config.name}.api")
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


router = SimpleRouter(trailing_slash=False)
app_urlpatterns = []
for module in app_api_modules():
    for prefix, viewset, basename in getattr(module, "routes", ()):
        router.register(prefix, viewset, basename=basename)
    app_urlpatterns += getattr(module, "urlpatterns", [])

urlpatterns = [
    *app_urlpatterns,
    path("", include(router.urls)),
    # The schema and its browsable docs are for signed-in users only.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # An HTML page: OPTIONS has no description to render there (405, not a 500).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", metadata_class=None),
        name="docs",
    ),
    # Last: any other URL (an id in a form no route takes, an unknown path) is a JSON 404.
    re_path(r"^(?P<path>[\s\S]*)$", api_not_found, name="not_found"),  # newlines too
]
