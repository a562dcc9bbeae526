"""The staff sign-in page in place of allauth's, under allauth's URL name
(`account_login`): ehr/urls.py includes this before allauth's URLs, at /accounts/."""

from django.urls import path

from accounts.views import StaffLoginView

urlpatterns = [path("login/", StaffLoginView.as_view(), name="account_login")]
