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
    path(
        "notifications/<uuid:pk>/", views.NotificationOpenView.as_view(), name="notification_open"
    ),
    path(
        "notifications/<uuid:pk>/read/",
        views.NotificationMarkReadView.as_view(),
        name="notification_mark_read",
    ),
    path("sms/status/", sms_views.sms_status_callback, name="sms_status"),
]
