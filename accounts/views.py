"""Account pages: the staff sign-in and the user's own profile. (The portal's sign-in
is the portal app's, on the same base: `accounts.auth`.)"""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import UpdateView

from accounts.auth import StaffLoginForm, SurfaceLoginView
from accounts.forms import ProfileForm
from accounts.services import user_update_profile


class StaffLoginView(SurfaceLoginView):
    """Staff sign-in at /accounts/login/."""

    form_class = StaffLoginForm
    template_name = "account/login.html"


class ProfileView(UpdateView):
    """Let a user edit their name, phone and notification preference."""

    form_class = ProfileForm
    template_name = "accounts/profile_form.html"
    success_url = reverse_lazy("accounts:profile")

    def get_object(self, queryset=None):
        return self.request.user

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = (
            "layouts/portal.html" if self.request.user.is_portal_user else "layouts/staff.html"
        )
        context["mfa_enabled"] = is_mfa_enabled(self.request.user)
        return context

    def form_valid(self, form):
        user_update_profile(user=self.object, actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Your profile was saved."))
        return HttpResponseRedirect(self.success_url)
