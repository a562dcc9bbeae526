from django.contrib.auth.decorators import login_not_required
from django.urls import path

from accounts.views import PortalLoginView
from portal import views

app_name = "portal"

urlpatterns = [
    path("login/", login_not_required(PortalLoginView.as_view()), name="login"),
    path("", login_not_required(views.PortalHomeView.as_view()), name="home"),
]
