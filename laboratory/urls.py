"""Pages of the laboratory."""

from django.urls import path

from laboratory import views

app_name = "laboratory"
urlpatterns = [
    path("worklist/", views.WorklistView.as_view(), name="worklist"),
    path("turnaround/", views.TurnaroundView.as_view(), name="turnaround"),
    path("receive/", views.ReceiveView.as_view(), name="specimen_receive"),
    path(
        "patients/<uuid:patient_pk>/orders/new/",
        views.LabOrderCreateView.as_view(),
        name="laborder_create",
    ),
    path(
        "patients/<uuid:patient_pk>/documents/new/",
        views.DocumentUploadView.as_view(),
        name="document_upload",
    ),
    path(
        "patients/<uuid:patient_pk>/imaging/new/",
        views.ImagingOrderCreateView.as_view(),
        name="imagingorder_create",
    ),
    path(
        "imaging/<uuid:pk>/perform/",
        views.ImagingOrderPerformView.as_view(),
        name="imagingorder_perform",
    ),
    path("imaging/<uuid:pk>/report/", views.ImagingReportSignView.as_view(), name="imaging_report"),
    path("documents/<uuid:pk>/file/", views.DocumentFileView.as_view(), name="document_file"),
    path("orders/<uuid:pk>/", views.LabOrderDetailView.as_view(), name="laborder_detail"),
    path("orders/<uuid:pk>/collect/", views.LabOrderCollectView.as_view(), name="laborder_collect"),
    path("orders/<uuid:pk>/label/", views.SpecimenLabelView.as_view(), name="specimen_label"),
    path("orders/<uuid:pk>/results/", views.ResultEntryView.as_view(), name="labresult_enter"),
    path("orders/<uuid:pk>/verify/", views.LabOrderVerifyView.as_view(), name="laborder_verify"),
    path("orders/<uuid:pk>/cancel/", views.LabOrderCancelView.as_view(), name="laborder_cancel"),
    path("orders/<uuid:pk>/reject/", views.LabOrderRejectView.as_view(), name="laborder_reject"),
    path("results/<uuid:pk>/correct/", views.ResultCorrectView.as_view(), name="labresult_correct"),
    path("results/<uuid:pk>/review/", views.ResultReviewView.as_view(), name="labresult_review"),
    path(
        "alerts/<uuid:pk>/acknowledge/",
        views.CriticalAlertAcknowledgeView.as_view(),
        name="criticalalert_acknowledge",
    ),
]
