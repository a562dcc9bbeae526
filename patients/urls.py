from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.PatientListView.as_view(), name="patient_list"),
    path("register/", views.PatientCreateView.as_view(), name="patient_create"),
    path("search/", views.PatientSearchView.as_view(), name="patient_search"),
    path("break-glass/", views.BreakGlassReviewListView.as_view(), name="breakglass_review_list"),
    path(
        "break-glass/<uuid:pk>/review/",
        views.BreakGlassReviewView.as_view(),
        name="breakglass_review",
    ),
    path(
        "self-assigned/",
        views.SelfAssignedReviewListView.as_view(),
        name="self_assigned_review_list",
    ),
    path(
        "self-assigned/<uuid:pk>/review/",
        views.SelfAssignedReviewView.as_view(),
        name="self_assigned_review",
    ),
    path("access-log/", views.AccessLogView.as_view(), name="access_log"),
    path("access-log/export/", views.AccessLogExportView.as_view(), name="access_log_export"),
    path("merges/<uuid:pk>/undo/", views.PatientMergeUndoView.as_view(), name="patient_merge_undo"),
    path("<uuid:pk>/", views.PatientDetailView.as_view(), name="patient_detail"),
    path("<uuid:pk>/edit/", views.PatientUpdateView.as_view(), name="patient_update"),
    path("<uuid:pk>/print/", views.PatientPrintView.as_view(), name="patient_print"),
    path(
        "<uuid:pk>/status/<slug:action>/", views.PatientStatusView.as_view(), name="patient_status"
    ),
    path("<uuid:pk>/chart/<slug:tab>/", views.PatientChartView.as_view(), name="patient_chart"),
    path("<uuid:pk>/care-team/", views.CareTeamView.as_view(), name="patient_care_team"),
    path("<uuid:pk>/break-glass/", views.BreakGlassView.as_view(), name="patient_break_glass"),
    path("<uuid:pk>/merge/", views.PatientMergeView.as_view(), name="patient_merge"),
]
