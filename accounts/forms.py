"""Account forms: the user's own profile. (The sign-in forms are in `accounts.auth`.)"""

from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    """The fields a user may change about themselves."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "email_notifications"]
