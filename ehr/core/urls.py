from django.urls import path

from ehr.core import sms_views, views

app_name = "core"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path(
        "notifications/read-all/",
        views.NotificationMarkAllReadView.as_view(),
        name="notification_mark_all_read",
    ),
    path("notifications/poll/", views.NotificationPollView.as_view(), name="notification_poll"),
    path(
        "notifications/<uuid:pk>/", views.NotificationOpenView.as_view(), name="notification_open"
    ),
    path(
        "notifications/<uuid:pk>/read/",
        views.NotificationMarkReadView.as_view(),
        name="notification_mark_read",
    ),
    path("sms/status/", sms_views.sms_status_callback, name="sms_status"),
    path("jobs/", views.JobListView.as_view(), name="job_list"),
    path("jobs/<uuid:pk>/", views.JobDetailView.as_view(), name="job_detail"),
    path("jobs/<uuid:pk>/download/", views.JobDownloadView.as_view(), name="job_download"),
]
