"""Sign-in forms for the two surfaces. Each refuses the other kind of account."""

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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


class ProfileForm(forms.ModelForm):
    """The fields a user may change about themselves."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "email_notifications"]
