from django.urls import path

from inpatient import views

app_name = "inpatient"

urlpatterns = [
    path("beds/", views.BedBoardView.as_view(), name="bed_board"),
    path("beds/grid/", views.BedBoardGridView.as_view(), name="bed_board_grid"),
    path("beds/<uuid:pk>/", views.BedPanelView.as_view(), name="bed_detail"),
    path("beds/<uuid:pk>/<slug:action>/", views.BedActionView.as_view(), name="bed_action"),
    path("requests/", views.AdmissionRequestListView.as_view(), name="admissionrequest_list"),
    path(
        "requests/new/", views.AdmissionRequestCreateView.as_view(), name="admissionrequest_create"
    ),
    path("requests/patients/", views.PatientSearchView.as_view(), name="patient_search"),
    path(
        "requests/<uuid:pk>/cancel/",
        views.AdmissionRequestCancelView.as_view(),
        name="admissionrequest_cancel",
    ),
    path("admissions/", views.AdmissionListView.as_view(), name="admission_list"),
    path("admissions/new/", views.AdmissionCreateView.as_view(), name="admission_create"),
    path("admissions/<uuid:pk>/", views.AdmissionDetailView.as_view(), name="admission_detail"),
    path(
        "admissions/<uuid:pk>/summary/",
        views.AdmissionSummaryPrintView.as_view(),
        name="admission_summary",
    ),
    path(
        "admissions/<uuid:pk>/transfer/",
        views.AdmissionTransferView.as_view(),
        name="admission_transfer",
    ),
    path(
        "admissions/<uuid:pk>/order-discharge/",
        views.AdmissionOrderDischargeView.as_view(),
        name="admission_order_discharge",
    ),
    path(
        "admissions/<uuid:pk>/discharge/",
        views.AdmissionDischargeView.as_view(),
        name="admission_discharge",
    ),
    path("census/", views.CensusView.as_view(), name="census"),
    path("census/export/", views.CensusExportView.as_view(), name="census_export"),
]
