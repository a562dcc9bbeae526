from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path(
        "notifications/",
        views.NotificationSettingsView.as_view(),
        name="notification_preferences",
    ),
]
