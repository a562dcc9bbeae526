"""Staff pages of the pharmacy app."""

from django.urls import path

from pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path(
        "patients/<uuid:patient_pk>/prescribe/",
        views.PrescriptionCreateView.as_view(),
        name="prescription_create",
    ),
    path(
        "patients/<uuid:patient_pk>/home-medications/add/",
        views.HomeMedicationCreateView.as_view(),
        name="homemedication_create",
    ),
    path(
        "prescriptions/<uuid:pk>/",
        views.PrescriptionDetailView.as_view(),
        name="prescription_detail",
    ),
    path(
        "prescriptions/<uuid:pk>/pdf/", views.PrescriptionPdfView.as_view(), name="prescription_pdf"
    ),
    path(
        "prescriptions/<uuid:pk>/sign/",
        views.PrescriptionSignView.as_view(),
        name="prescription_sign",
    ),
]
