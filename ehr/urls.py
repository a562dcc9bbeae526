"""The site's URLs: staff pages, the portal, the admin, the API and health."""

from django.contrib import admin
from django.urls import include, path

from ehr.core.views import HealthView, favicon

handler400 = "ehr.core.views.error_400"
handler403 = "ehr.core.views.error_403"
handler404 = "ehr.core.views.error_404"
handler500 = "ehr.core.views.error_500"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("favicon.ico", favicon),
    path("accounts/", include("accounts.login_urls")),  # the staff sign-in, before allauth's
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("ehr.api", "api"))),
    path("portal/", include("portal.urls")),
    path("patients/", include("patients.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("clinical/", include("clinical.urls")),
    path("inpatient/", include("inpatient.urls")),
    path("tasks/", include("workflow.urls")),
    path("lab/", include("laboratory.urls")),
    path("pharmacy/", include("pharmacy.urls")),
    path("", include("ehr.core.urls")),
]
