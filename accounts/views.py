"""Account pages: the staff sign-in and the user's own profile. (The portal's sign-in
is the portal app's, on the same base: `accounts.auth`.)"""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import UpdateView

from accounts.auth import StaffLoginForm, SurfaceLoginView
from accounts.forms import NotificationSettingsForm, ProfileForm
from accounts.services import (
    notification_settings_of,
    user_notification_settings_update,
    user_update_profile,
)
from ehr.core.views import ServiceFormView


class StaffLoginView(SurfaceLoginView):
    """Staff sign-in at /accounts/login/."""

    form_class = StaffLoginForm
    template_name = "account/login.html"


def _layout(user):
    return "layouts/portal.html" if user.is_portal_user else "layouts/staff.html"


class ProfileView(UpdateView):
    """Let a user edit their name and phone."""

    form_class = ProfileForm
    template_name = "accounts/profile_form.html"
    success_url = reverse_lazy("accounts:profile")

    def get_object(self, queryset=None):
        return self.request.user

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = _layout(self.request.user)
        context["mfa_enabled"] = is_mfa_enabled(self.request.user)
        return context

    def form_valid(self, form):
        user_update_profile(user=self.object, actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Your profile was saved."))
        return HttpResponseRedirect(self.success_url)


class NotificationSettingsView(ServiceFormView):
    """Let a user (staff or patient) choose how he hears about notifications besides the
    bell: email and text per category, a mobile number, quiet hours."""

    form_class = NotificationSettingsForm
    template_name = "accounts/notification_settings_form.html"
    success_url = reverse_lazy("accounts:notification_preferences")
    success_message = _("Your notification settings were saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.request.user
        kwargs["settings"] = notification_settings_of(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = _layout(self.request.user)
        context["patient_consent"] = getattr(self.request.user, "patient", None)
        return context

    def perform(self, form):
        data = form.cleaned_data
        return user_notification_settings_update(
            user=self.request.user,
            actor=self.request.user,
            email_notifications=data["email_notifications"],
            mobile_phone=data["mobile_phone"],
            quiet_hours_start=data["quiet_hours_start"],
            quiet_hours_end=data["quiet_hours_end"],
            channels=form.channels(),
        )
