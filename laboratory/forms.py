"""Forms of the laboratory pages: shape only; the services decide the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from laboratory.models import DocumentCategory, Modality, Priority, RejectionReason
from laboratory.selectors import lab_test_search


class LabOrderForm(forms.Form):
    tests = forms.ModelMultipleChoiceField(
        label=_("Tests and panels"),
        queryset=lab_test_search(),
        widget=forms.SelectMultiple(attrs={"size": 14}),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    fasting = forms.BooleanField(label=_("Fasting"), required=False)
    clinical_notes = forms.CharField(
        label=_("Clinical notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tests"].queryset = lab_test_search()


class ReceiveForm(forms.Form):
    accession_number = forms.CharField(
        label=_("Accession number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
        help_text=_("Scan the label's barcode or type the number."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RejectionReason.choices)


class ResultEntryForm(forms.Form):
    """One field per open result line: `value_<line id>`."""

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            test = line.test
            label = f"{test.name} ({test.unit})" if test.unit else test.name
            if test.allowed_values:
                field = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[("", "—")] + [(v, v) for v in test.allowed_values],
                )
            else:
                field = forms.CharField(label=label, required=False, max_length=500)
            field.initial = line.display_value if line.entered_at else ""
            self.fields[f"value_{line.pk}"] = field

    def values(self):
        return {line.pk: self.cleaned_data.get(f"value_{line.pk}") for line in self.lines}


class CorrectionForm(forms.Form):
    value = forms.CharField(label=_("Corrected value"), max_length=500)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=2000)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Read-back note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you read back, and what you will do."),
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {"start": data.get("from", ""), "end": data.get("to", "")}
        super().__init__(data, **kwargs)


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PNG, JPEG, GIF, BMP, TIFF, PDF or DICOM."))
    category = forms.ChoiceField(label=_("Category"), choices=DocumentCategory.choices)
    remark = forms.CharField(
        label=_("Remark"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ImagingOrderForm(forms.Form):
    modality = forms.ChoiceField(label=_("Modality"), choices=Modality.choices)
    body_part = forms.CharField(label=_("Body part"), max_length=100)
    clinical_question = forms.CharField(
        label=_("Clinical question"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class ImagingReportForm(forms.Form):
    report = forms.CharField(
        label=_("Report"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Signing makes the report final: it cannot be changed afterwards."),
    )
