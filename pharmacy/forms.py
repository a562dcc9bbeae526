"""Forms of the pharmacy pages: shape only; the service decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ehr.core.models import TEXT_MAX_LENGTH
from pharmacy.models import Drug, Frequency, Route


class PrescribeForm(forms.Form):
    """One medication line (the API takes several)."""

    drug = forms.ModelChoiceField(
        label=_("Drug"), queryset=Drug.objects.filter(is_active=True).order_by("generic_name")
    )
    dose = forms.DecimalField(label=_("Dose"), min_value=0.001, max_digits=10, decimal_places=3)
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    duration_days = forms.IntegerField(
        label=_("Duration (days)"), min_value=1, max_value=3650, required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity to dispense"), min_value=0.01, max_digits=10, decimal_places=2
    )
    refills = forms.IntegerField(label=_("Refills"), min_value=0, max_value=12, initial=0)
    prn_reason = forms.CharField(label=_("Reason when needed"), max_length=200, required=False)
    instructions = forms.CharField(
        label=_("Instructions for the patient"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=_("Override reason"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        help_text=_("Only to go ahead despite a blocking alert: say why."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class HomeMedicationForm(forms.Form):
    drug = forms.ModelChoiceField(
        label=_("Drug"), queryset=Drug.objects.filter(is_active=True).order_by("generic_name")
    )
    dose = forms.DecimalField(
        label=_("Dose"), min_value=0.001, max_digits=10, decimal_places=3, required=False
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=[("", "—"), *Frequency.choices], required=False
    )
    notes = forms.CharField(label=_("Notes"), max_length=TEXT_MAX_LENGTH, required=False)


class SignForm(forms.Form):
    """Signing takes no input: the button is the form."""
