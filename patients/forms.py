"""Patient forms: shape only; the services decide the rules."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from accounts.models import User
from accounts.selectors import active_clinicians
from ehr.core.models import TEXT_MAX_LENGTH
from patients.models import BreakGlassAccess, IdentifierType, Patient, Sex
from patients.services import DEMOGRAPHIC_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):
    """Demographics of a patient (registration and edits)."""

    class Meta:
        model = Patient
        fields = list(DEMOGRAPHIC_FIELDS)
        widgets = {"date_of_birth": DATE_INPUT}

    def __init__(self, *args, show_duplicate_confirmation=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing preselected: the clerk asks and picks, "Unknown" included.
        self.fields["sex"].choices = [("", _("Choose…")), *Sex.choices]
        if show_duplicate_confirmation:
            self.offer_duplicate_confirmation()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sms_messages") and not cleaned.get("phone"):
            self.add_error("sms_messages", _("Text messages need a phone number."))
        return cleaned

    def offer_duplicate_confirmation(self):
        """Add the box that confirms a registration despite possible duplicates."""
        self.fields["confirm_not_duplicate"] = forms.BooleanField(
            label=_("I checked the possible duplicates: this is a different person."),
            required=False,
        )

    def demographics(self):
        """Return the cleaned demographic fields for the service."""
        return {name: self.cleaned_data[name] for name in DEMOGRAPHIC_FIELDS}


class IdentifierForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", "—"), *IdentifierType.choices], required=False
    )
    value = forms.CharField(label=_("Value"), max_length=64, required=False)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("type")) != bool(cleaned.get("value", "").strip()):
            raise forms.ValidationError(_("Give both the type and the value."))
        return cleaned


class EmergencyContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    relationship = forms.CharField(label=_("Relationship"), max_length=50, required=False)
    phone = PhoneNumberField(label=_("Phone"), required=False)

    def clean(self):
        cleaned = super().clean()
        given = [bool(cleaned.get(f)) for f in ("name", "relationship", "phone")]
        if any(given) and not all(given):
            raise forms.ValidationError(_("Give the name, relationship and phone."))
        return cleaned


IdentifierFormSet = formset_factory(IdentifierForm, extra=2, max_num=10)
EmergencyContactFormSet = formset_factory(EmergencyContactForm, extra=2, max_num=10)


def identifiers_from(formset):
    """Return [{type, value}] of the filled rows of an identifier formset."""
    return [
        {"type": f.cleaned_data["type"], "value": f.cleaned_data["value"].strip()}
        for f in formset.forms
        if f.cleaned_data.get("type")
    ]


def contacts_from(formset):
    """Return [{name, relationship, phone}] of the filled rows of a contact formset."""
    return [
        {k: f.cleaned_data[k] for k in ("name", "relationship", "phone")}
        for f in formset.forms
        if f.cleaned_data.get("name")
    ]


class PatientSearchForm(forms.Form):
    """The "search first" box of the registration form."""

    q = forms.CharField(label=_("Search first"), required=False, max_length=200)


class PatientFilterForm(forms.Form):
    """The list's search box and filters (values from fixed lists only)."""

    AGE_CHOICES = [
        ("", _("Any age")),
        ("0-17", "0–17"),
        ("18-39", "18–39"),
        ("40-64", "40–64"),
        ("65+", "65+"),
    ]

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("yes", _("Active")), ("no", _("Inactive")), ("all", _("All"))],
    )
    sex = forms.ChoiceField(
        label=_("Sex"), required=False, choices=[("", _("Any sex")), *Sex.choices]
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)


class DeathForm(forms.Form):
    deceased_on = forms.DateField(label=_("Date of death"), widget=DATE_INPUT)


class BreakGlassForm(forms.ModelForm):
    """The reason for breaking the glass; the model requires details for "other"."""

    class Meta:
        model = BreakGlassAccess
        fields = ["reason", "details"]
        labels = {"reason": _("Reason for emergency access")}
        help_texts = {"reason": _("Your access is logged, and the privacy officer reviews it.")}
        widgets = {"details": forms.Textarea(attrs={"rows": 3})}


class CareTeamAddForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_clinicians()


class CareTeamRemoveForm(forms.Form):
    """Take a member off the care team (the button of the member's row)."""

    remove = forms.ModelChoiceField(queryset=User.objects.all())


class AccessLogFilterForm(forms.Form):
    """The access log's filters (ids in the query string)."""

    patient = forms.UUIDField(required=False)
    user = forms.ModelChoiceField(queryset=User.objects.all(), required=False)


class AccessLogExportForm(forms.Form):
    """The dates of an access-log export (both included)."""

    date_from = forms.DateField(label=_("From"), widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), widget=DATE_INPUT)


class BreakGlassReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Review comment"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(forms.Form):
    duplicate_mrn = forms.CharField(
        label=_("MRN of the duplicate record"),
        help_text=_("Its records move to this patient; the duplicate is deactivated."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("I checked that both records are the same person."), required=False
    )
    # The duplicate whose preview the user saw: the merge runs only for that one.
    previewed = forms.UUIDField(required=False, widget=forms.HiddenInput)
