"""API v1: collects each app's endpoints under /api/v1/.

Every API view authenticates and authorises the request itself (JWT or session, then the
DRF permission classes, `RolePermission` by default: deny unless the role allows). DRF
marks its views exempt from the site's sign-in redirect, so an API client gets 401/403,
never a redirect to an HTML page.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from clinical import api as clinical_api
from ehr.core.api.views import NotificationViewSet, api_not_found
from inpatient import api as inpatient_api
from patients import api as patients_api
from scheduling import api as scheduling_api

router = SimpleRouter(trailing_slash=False)
router.register("notifications", NotificationViewSet, basename="notification")
router.register("wards", inpatient_api.WardViewSet, basename="ward")
router.register("beds", inpatient_api.BedViewSet, basename="bed")
router.register("admissions", inpatient_api.AdmissionViewSet, basename="admission")
router.register("patients", patients_api.PatientViewSet, basename="patient")
router.register("appointments", scheduling_api.AppointmentViewSet, basename="appointment")

urlpatterns = [
    path("auth/login", accounts_api.LoginView.as_view(), name="auth_login"),
    path("auth/refresh", accounts_api.RefreshView.as_view(), name="auth_refresh"),
    path("auth/logout", accounts_api.LogoutView.as_view(), name="auth_logout"),
    path("auth/me", accounts_api.MeView.as_view(), name="auth_me"),
    path("doctors", accounts_api.DoctorListView.as_view(), name="doctor_list"),
    path("inpatient/census", inpatient_api.CensusView.as_view(), name="inpatient_census"),
    path("", include(clinical_api.urls)),
    path("", include(scheduling_api.urls)),
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
