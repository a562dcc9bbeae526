from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("", views.PortalHomeView.as_view(), name="home"),
]
