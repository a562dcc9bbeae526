"""Account forms: the user's own profile and notification settings. (The sign-in forms
are in `accounts.auth`.)"""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ProfileForm(forms.ModelForm):
    """The fields a user may change about themselves."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone"]


class NotificationSettingsForm(forms.ModelForm):
    """How a user hears about notifications besides the bell: the email master switch,
    a mobile number, quiet hours for texts, and per category email and text on or off.

    `settings` is `accounts.services.notification_settings_of(user)`: one pair of boxes
    per category, named `email_<category>` and `sms_<category>`. A category staff cannot
    switch off must stay ticked: unticking it is refused (the service refuses it too)."""

    class Meta:
        model = User
        fields = ["email_notifications", "mobile_phone", "quiet_hours_start", "quiet_hours_end"]
        widgets = {"quiet_hours_start": TIME_INPUT, "quiet_hours_end": TIME_INPUT}
        labels = {"email_notifications": _("Send notifications by email")}
        help_texts = {
            "email_notifications": _(
                "The master switch for email; the boxes below choose per category."
            ),
            "quiet_hours_start": _(
                "Text messages that are not urgent wait until the quiet hours end."
            ),
        }

    def __init__(self, *args, settings, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = []
        for category, choice in settings.items():
            for channel in ("email", "sms"):
                self.fields[f"{channel}_{category.value}"] = forms.BooleanField(
                    label=f"{category.label} · {_('email') if channel == 'email' else _('text')}",
                    required=False,
                    initial=choice[channel],
                )
            self.categories.append((category, choice["locked"]))

    def clean(self):
        cleaned = super().clean()
        for category, locked in self.categories:
            for channel in ("email", "sms"):
                name = f"{channel}_{category.value}"
                if locked and not cleaned.get(name):
                    self.add_error(
                        name,
                        _("Staff cannot switch off %(category)s.")
                        % {"category": category.label.lower()},
                    )
        return cleaned

    def rows(self):
        """Return (category, email field, sms field, locked) per category, for the table."""
        return [
            (category, self[f"email_{category.value}"], self[f"sms_{category.value}"], locked)
            for category, locked in self.categories
        ]

    def channels(self):
        """Return {category: (email, sms)} from the cleaned data, for the service."""
        return {
            category: (
                self.cleaned_data[f"email_{category.value}"],
                self.cleaned_data[f"sms_{category.value}"],
            )
            for category, _locked in self.categories
        }
