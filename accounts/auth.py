"""Sign-in for the two surfaces, staff and portal, each refusing the other kind of account.

The forms and the base sign-in view live here (not in `forms.py`/`views.py`) because the
portal app builds its own sign-in page on them, and no app imports another's views or
forms.
"""

from allauth.account.forms import LoginForm
from allauth.account.views import LoginView
from django import forms
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(LoginForm):
    """Staff sign-in: refuses patient accounts and points them to the portal."""

    wrong_surface_message = _("This is the staff sign-in. Patients sign in at the patient portal.")

    def clean(self):
        cleaned_data = super().clean()
        if self.user is not None and not self.accepts(self.user):
            self.user = None
            raise forms.ValidationError(self.wrong_surface_message, code="wrong_surface")
        return cleaned_data

    def accepts(self, user):
        """Return True if `user` may sign in here."""
        return not user.is_portal_user


class PortalLoginForm(StaffLoginForm):
    """Patient portal sign-in: refuses staff accounts and points them to the staff page."""

    wrong_surface_message = _(
        "This is the patient portal. Hospital staff sign in at the staff sign-in page."
    )

    def accepts(self, user):
        return user.is_portal_user


class SurfaceLoginView(LoginView):
    """allauth's sign-in page with the form of one surface (`form_class`)."""

    form_class = StaffLoginForm
    template_name = "account/login.html"
