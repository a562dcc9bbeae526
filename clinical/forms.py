"""Forms of clinical documentation. They check the shape of the input; the services
check the rules (and the views show the services' errors on these forms)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import active_doctors
from clinical.models import (
    NOTE_CONTENT_FIELDS,
    NOTE_SOAP_FIELDS,
    AlcoholUse,
    Allergy,
    AllergyClinicalStatus,
    ClinicalNote,
    ClinicalStatus,
    ConditionCategory,
    EncounterClass,
    FamilyHistory,
    NoteType,
    SmokingStatus,
    SurgicalHistory,
    VitalSigns,
    default_note_type_for,
    note_types_signable_by,
)
from clinical.selectors import diagnosis_code_get, open_admission_of, open_encounters
from ehr.core.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _now_minutes():
    return timezone.localtime().replace(second=0, microsecond=0)


class EncounterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{timezone.localtime(obj.started_at):%d %b %Y %H:%M} · "
            f"{obj.get_encounter_class_display()} · {obj.get_status_display()}"
        )


def _encounter_field(patient, required=False):
    return EncounterChoiceField(
        queryset=open_encounters(patient),
        required=required,
        label=_("Encounter"),
        empty_label=_("— none —"),
        help_text=_("Only planned and running encounters of this patient."),
    )


class EncounterStartForm(forms.Form):
    """Start an encounter: its class, doctor and chief complaint; with an open admission,
    whether it is that stay's inpatient encounter (`from_admission`)."""

    encounter_class = forms.ChoiceField(
        label=_("Class"), choices=EncounterClass.choices, initial=EncounterClass.OUTPATIENT
    )
    doctor = forms.ModelChoiceField(label=_("Doctor"), queryset=active_doctors())
    chief_complaint = forms.CharField(
        label=_("Chief complaint"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. chest pain for two days")}),
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.admission = open_admission_of(patient)
        if self.admission is not None:
            self.fields["from_admission"] = forms.BooleanField(
                label=_("This is the inpatient encounter of the current admission"),
                help_text=_(
                    "Admitted %(date)s: %(reason)s. The class becomes inpatient and the "
                    "doctor the attending doctor."
                )
                % {
                    "date": f"{timezone.localtime(self.admission.admitted_at):%d %b %Y}",
                    "reason": self.admission.reason[:120],
                },
                required=False,
                initial=True,
            )
            self.order_fields(["from_admission"])


class EncounterCancelForm(forms.Form):
    cancel_reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VitalSignsForm(forms.ModelForm):
    """The measures of one set; the model's limits give the field errors."""

    class Meta:
        model = VitalSigns
        fields = [
            "recorded_at",
            "encounter",
            "systolic_bp",
            "diastolic_bp",
            "heart_rate",
            "respiratory_rate",
            "temperature_c",
            "spo2",
            "weight_kg",
            "height_cm",
            "pain_score",
        ]
        widgets = {"recorded_at": DateTimeInput()}

    def __init__(self, *args, patient, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("recorded_at", _now_minutes())
        super().__init__(*args, **kwargs)
        self.fields["encounter"] = _encounter_field(patient)
        self.fields["recorded_at"].widget = DateTimeInput()
        for name in ("temperature_c", "weight_kg", "height_cm"):
            self.fields[name].widget.attrs["step"] = "0.1"
        for name, field in self.fields.items():
            if name not in ("recorded_at", "encounter"):
                field.widget.attrs.setdefault("inputmode", "decimal")

    def measures(self):
        """Return the measures entered, for the service."""
        data = self.cleaned_data
        return {
            name: data.get(name)
            for name in self.Meta.fields
            if name not in ("recorded_at", "encounter")
        }


class NoteForm(forms.ModelForm):
    """A note: its type (only those the user may sign; a nurse's starts as a nursing
    note), and the SOAP fields or free text, not both."""

    class Meta:
        model = ClinicalNote
        fields = ["note_type", "encounter", "subjective", "objective", "assessment", "plan", "text"]
        widgets = {
            "subjective": forms.Textarea(attrs={"rows": 3}),
            "objective": forms.Textarea(attrs={"rows": 3}),
            "assessment": forms.Textarea(attrs={"rows": 3}),
            "plan": forms.Textarea(attrs={"rows": 3}),
            "text": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "subjective": _("What the patient reports: symptoms, history of the complaint."),
            "objective": _("Findings: examination, vital signs, results."),
            "assessment": _("Diagnosis or differential."),
            "plan": _("Investigations, treatment, follow-up."),
            "text": _("Free text, instead of the SOAP fields."),
        }

    def __init__(self, *args, patient, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["encounter"] = _encounter_field(patient)
        if self.instance.pk and self.instance.encounter_id:
            # A draft keeps its encounter even if it has since finished.
            self.fields["encounter"].queryset = (
                open_encounters(patient)
                | type(self.instance.encounter).objects.filter(pk=self.instance.encounter_id)
            ).distinct()
        types = note_types_signable_by(user)
        editing = not self.instance._state.adding
        if editing and self.instance.note_type not in types:
            # A draft keeps its type (an addendum to another role's note, for one).
            types = [t for t in NoteType if t in {*types, self.instance.note_type}]
        self.fields["note_type"].choices = [(t.value, t.label) for t in types]
        if not editing:
            self.fields["note_type"].initial = default_note_type_for(user)

    def clean(self):
        data = super().clean()
        if any(f in self.errors for f in NOTE_CONTENT_FIELDS):
            return data  # a section was refused (too long): its error says enough
        soap = any((data.get(f) or "").strip() for f in NOTE_SOAP_FIELDS)
        text = (data.get("text") or "").strip()
        if not soap and not text:
            raise forms.ValidationError(_("Write the note: the SOAP fields or free text."))
        if soap and text:
            self.add_error(
                "text",
                _(
                    "Write the note as SOAP or as free text, not both: move this text into "
                    "the SOAP fields, or empty them."
                ),
            )
        return data

    def content(self):
        """Return the note's fields, for the service."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The correction or completion; the signed note stays as it was."),
    )


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it wrong?"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "E.g. “written in the wrong patient's chart”. The record is kept, hidden "
            "from the usual lists."
        ),
    )


class ConditionForm(forms.Form):
    """A problem for the problem list, or (with an encounter) a diagnosis of that
    encounter, which the doctor may add to the problem list."""

    code = forms.CharField(
        label=_("Diagnosis (ICD-10-CM)"),
        max_length=60,
        help_text=_("Type a code or words (e.g. “diabetes”) and pick from the list."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    clinical_status = forms.ChoiceField(
        label=_("Clinical status"), choices=ClinicalStatus.choices, initial=ClinicalStatus.ACTIVE
    )
    onset = forms.DateField(label=_("Onset"), required=False, widget=DateInput())
    is_primary = forms.BooleanField(label=_("Primary diagnosis of the encounter"), required=False)
    add_to_problem_list = forms.BooleanField(
        label=_("Add to the problem list"),
        required=False,
        help_text=_(
            "For a diagnosis of an encounter. Not added, it stays a diagnosis of this "
            "encounter only; a condition already on the problem list is linked to it "
            "either way (and made active again if added)."
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["encounter"] = _encounter_field(patient)
        self.fields["encounter"].help_text = _(
            "With an encounter, a diagnosis of that encounter; without, a problem for the "
            "problem list."
        )
        self.order_fields(
            [
                "code",
                "clinical_status",
                "encounter",
                "is_primary",
                "add_to_problem_list",
                "onset",
                "note",
            ]
        )

    def clean_code(self):
        diagnosis = diagnosis_code_get(self.cleaned_data["code"])
        if diagnosis is None:
            raise forms.ValidationError(
                _("This is not a known ICD-10-CM code. Search by words and pick one."),
                code="unknown_code",
            )
        return diagnosis

    def category(self):
        """Return the category the input makes: a diagnosis with an encounter, else a
        problem."""
        if self.cleaned_data.get("encounter"):
            return ConditionCategory.ENCOUNTER_DIAGNOSIS
        return ConditionCategory.PROBLEM_LIST_ITEM


class DiagnosisUpdateForm(forms.Form):
    """What changes on an encounter diagnosis (its status is its problem's to change)."""

    onset = forms.DateField(label=_("Onset"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConditionUpdateForm(forms.Form):
    clinical_status = forms.ChoiceField(label=_("Clinical status"), choices=ClinicalStatus.choices)
    onset = forms.DateField(label=_("Onset"), required=False, widget=DateInput())
    resolved_on = forms.DateField(
        label=_("Resolved on"),
        required=False,
        widget=DateInput(),
        help_text=_("Today if left empty when resolved."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = [
            "allergen",
            "allergen_ingredient",
            "allergen_class",
            "category",
            "severity",
            "reaction",
        ]
        widgets = {
            "allergen": forms.TextInput(attrs={"placeholder": _("e.g. Penicillin")}),
            "reaction": forms.TextInput(attrs={"placeholder": _("e.g. hives, anaphylaxis")}),
        }
        help_texts = {
            "allergen_ingredient": _("For a drug allergy: the ingredient, if known."),
            "allergen_class": _("For a drug allergy: the drug class, if known."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allergen"].required = False

    def clean(self):
        cleaned = super().clean()
        if not (
            cleaned.get("allergen")
            or cleaned.get("allergen_ingredient")
            or cleaned.get("allergen_class")
        ):
            self.add_error("allergen", _("Name the allergen, or choose an ingredient or class."))
        return cleaned

    def validate_unique(self):
        pass  # the service refuses a duplicate active allergen (AllergyAlreadyRecorded)

    def validate_constraints(self):
        pass


class AllergyUpdateForm(forms.Form):
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Allergy._meta.get_field("severity").choices
    )
    reaction = forms.CharField(label=_("Reaction"), max_length=300, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (AllergyClinicalStatus.ACTIVE, AllergyClinicalStatus.ACTIVE.label),
            (AllergyClinicalStatus.INACTIVE, AllergyClinicalStatus.INACTIVE.label),
        ],
    )
    status_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. “tolerated amoxicillin in 2024”."),
    )


class SurgicalHistoryForm(forms.ModelForm):
    class Meta:
        model = SurgicalHistory
        fields = ["procedure", "performed_on", "notes"]
        widgets = {"performed_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}


class FamilyHistoryForm(forms.ModelForm):
    class Meta:
        model = FamilyHistory
        fields = ["relationship", "condition", "age_at_onset", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class SocialHistoryForm(forms.Form):
    smoking_status = forms.ChoiceField(label=_("Smoking"), choices=SmokingStatus.choices)
    alcohol = forms.ChoiceField(label=_("Alcohol"), choices=AlcoholUse.choices)
    occupation = forms.CharField(label=_("Occupation"), max_length=100, required=False)
    living_situation = forms.CharField(
        label=_("Living situation"),
        max_length=200,
        required=False,
        help_text=_("Who the patient lives with, housing, support at home."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
