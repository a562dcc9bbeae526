"""Inpatient forms: shape only (and looking up what the user typed); the services decide
the rules."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import active_doctors
from ehr.core import parameters
from ehr.core.models import NOTE_MAX_LENGTH
from inpatient.models import Bed, Disposition, Priority
from inpatient.selectors import admission_request_queue, bed_picker, ward_list_for_user
from patients.selectors import patient_list_for_user

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

BLOCK_REASONS = [
    _("Maintenance"),
    _("Broken equipment"),
    _("Infection control"),
    _("Deep cleaning"),
    _("Staffing"),
    _("Other"),
]
RESERVATION_HOURS = [1, 2, 4, 8, 12, 24]


def local_datetime_field(label, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"Dr {obj.get_full_name()}"


class PatientMRNField(forms.CharField):
    """A patient given by MRN (with or without the site's prefix), looked up in the
    patients the user may see."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        kwargs.setdefault("max_length", 30)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        mrn = value.strip().upper()
        prefix = parameters.get("mrn_prefix").upper()
        if prefix and mrn.startswith(prefix):
            mrn = mrn[len(prefix) :]
        patient = patient_list_for_user(self.user).filter(mrn=mrn.strip()).first()
        if patient is None:
            raise forms.ValidationError(_("No patient has this MRN."), code="unknown_mrn")
        return patient


def bed_label(option, current_bed=None):
    """Return a bed's line in the picker: room and bed, what it is, and why it does not
    fit (the misfit's words) when it does not."""
    bed = option.bed
    label = _("Room %(room)s bed %(bed)s") % {"room": bed.room.number, "bed": bed.number}
    extras = []
    if current_bed is not None and bed.pk == current_bed.pk:
        extras.append(str(_("the patient's bed now")))
    elif option.misfit is not None:
        extras.append(str(option.misfit.reason))
    else:
        if bed.status == Bed.Status.RESERVED:
            extras.append(str(_("reserved")))
        if bed.isolation:
            extras.append(str(_("isolation bed")))
        if bed.room.ward.sex_restriction:
            extras.append(bed.room.ward.get_sex_restriction_display().lower())
    return f"{label} — {', '.join(extras)}" if extras else label


class BedSelect(forms.Select):
    """A select whose beds that do not fit are shown, disabled, with the reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = set()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class BedChoiceField(forms.ChoiceField):
    """A bed chosen in the picker (`inpatient.selectors.bed_picker`): grouped by ward and
    room, the requested ward first; beds that do not fit are listed disabled with the
    reason (`Bed.misfit`, the rule the services enforce)."""

    widget = BedSelect

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_picker([])

    def set_picker(self, wards, current_bed=None):
        self.beds, self.misfits = {}, {}
        choices = [("", "—")]
        for block in wards:
            for row in block.rooms:
                room = row.room
                group = _("%(ward)s · room %(room)s (%(class)s)") % {
                    "ward": block.ward.name,
                    "room": room.number,
                    "class": room.room_class.name,
                }
                options = []
                for option in row.options:
                    key = str(option.bed.pk)
                    if option.fits:
                        self.beds[key] = option.bed
                    else:
                        self.misfits[key] = option
                    options.append((key, bed_label(option, current_bed)))
                choices.append((group, options))
        self.choices = choices
        self.widget.disabled_values = set(self.misfits)

    def clean(self, value):
        if value in self.misfits:
            option = self.misfits[value]
            raise forms.ValidationError(
                _("Room %(room)s bed %(bed)s cannot take the patient: %(reason)s.")
                % {
                    "room": option.bed.room.number,
                    "bed": option.bed.number,
                    "reason": option.misfit.reason,
                },
                code="bed_misfit",
            )
        if value and value not in self.beds:
            raise forms.ValidationError(
                _("This bed cannot take a patient now; choose another."), code="bed_taken"
            )
        value = super().clean(value)
        return self.beds.get(value)


class BoardFilterForm(forms.Form):
    """The bed board's filters: ward (or all wards) and state."""

    ALL = "all"

    ward = forms.ChoiceField(
        label=_("Ward"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    status = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), *Bed.Status.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, wards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.wards = {str(w.pk): w for w in wards}
        self.fields["ward"].choices = [(self.ALL, _("All wards"))] + [
            (str(w.pk), w.name) for w in wards
        ]


class PatientPickField(forms.ModelChoiceField):
    """A patient picked from the search results (the form carries the id), among the
    patients the user may see (`patient_list_for_user`: anyone else is an invalid
    choice, as if unknown)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Search for the patient and pick them."),
                "invalid_choice": _("Pick a patient from the search results."),
            },
        )
        super().__init__(*args, queryset=None, **kwargs)


class AdmissionRequestForm(forms.Form):
    """A doctor's request to admit a patient, picked with the patient search."""

    patient = PatientPickField(label=_("Patient"))
    ward_preference = forms.ModelChoiceField(
        label=_("Preferred ward"), queryset=None, required=False, empty_label=_("Any ward")
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.ROUTINE
    )
    reason = forms.CharField(
        label=_("Reason for admission"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, user, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_list_for_user(user).filter(is_active=True)
        self.fields["ward_preference"].queryset = ward_list_for_user(user)
        self.preset_patient = patient
        if patient is not None:
            del self.fields["patient"]

    def clean(self):
        cleaned = super().clean()
        if self.preset_patient is not None:
            cleaned["patient"] = self.preset_patient
        return cleaned


class AdmissionForm(forms.Form):
    """Admit a patient to a bed: from the request queue (nurses, receptionists) or
    directly by MRN (doctors)."""

    admission_request = forms.ModelChoiceField(
        label=_("Admission request"),
        queryset=None,
        required=False,
        empty_label=_("— none: admit directly —"),
    )
    patient = PatientMRNField(label=_("Patient MRN"), required=False)
    bed = BedChoiceField(label=_("Bed"))
    attending_doctor = DoctorChoiceField(label=_("Attending doctor"), queryset=None)
    reason = forms.CharField(
        label=_("Reason for admission"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Taken from the request when left empty."),
    )
    expected_discharge = forms.DateField(
        label=_("Expected discharge"), required=False, widget=DATE_INPUT
    )
    admitted_at = local_datetime_field(
        _("Admitted at"), _("Leave empty for now; fill in to record an earlier time.")
    )

    def __init__(
        self, *args, user, can_assign, can_admit, preset_request=None, patient=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.can_assign, self.can_admit = can_assign, can_admit
        self.fields["patient"].user = user
        self.fields["attending_doctor"].queryset = active_doctors()
        if can_assign:
            field = self.fields["admission_request"]
            field.queryset = admission_request_queue(user)
            field.label_from_instance = _request_label
            if not can_admit:
                field.required = True
                field.empty_label = "—"
        else:
            del self.fields["admission_request"]
        if not can_admit:
            del self.fields["patient"]
        preferred = preset_request.ward_preference if preset_request else None
        self.fields["bed"].set_picker(
            bed_picker(
                patient=preset_request.patient if preset_request else patient,
                preferred_ward=preferred,
            )
        )

    def clean(self):
        cleaned = super().clean()
        request, patient = cleaned.get("admission_request"), cleaned.get("patient")
        if "admission_request" in self.errors or "patient" in self.errors:
            return cleaned
        if request and patient and request.patient_id != patient.pk:
            raise forms.ValidationError(
                _("Choose a request or a patient, not both."), code="request_and_patient"
            )
        if not request and not patient:
            if self.can_admit:
                self.add_error("patient", _("Give the patient's MRN, or choose a request."))
            else:
                self.add_error("admission_request", _("Choose the request to assign a bed to."))
        if not request and not (cleaned.get("reason") or "").strip() and patient:
            self.add_error("reason", _("Give the reason for admission."))
        return cleaned


def _request_label(request):
    patient = request.patient
    return f"{patient.full_name} ({patient.display_mrn}) · {request.get_priority_display()}" + (
        f" · {request.ward_preference.name}" if request.ward_preference_id else ""
    )


class TransferForm(forms.Form):
    """Move the patient to another bed, saying why."""

    bed = BedChoiceField(label=_("New bed"))
    reason = forms.CharField(
        label=_("Reason for the transfer"),
        max_length=200,
        help_text=_("For example: step-down from ICU, isolation needed, closer to the station."),
    )

    def __init__(self, *args, admission, current_bed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bed"].set_picker(
            bed_picker(admission=admission, preferred_ward=current_bed.room.ward), current_bed
        )


class DischargeForm(forms.Form):
    """Complete the discharge: when, where to, and the summary."""

    disposition = forms.ChoiceField(
        label=_("Disposition"), choices=Disposition.choices, widget=forms.RadioSelect
    )
    summary = forms.CharField(
        label=_("Discharge summary"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Course in hospital, condition at discharge, medicines and follow-up."),
    )
    discharged_at = local_datetime_field(_("Discharged at"), _("Leave empty for now."))


class DischargeCompleteForm(forms.Form):
    """The ward completes a discharge a doctor ordered: when, and where to."""

    disposition = forms.ChoiceField(
        label=_("Disposition"), choices=Disposition.choices, widget=forms.RadioSelect
    )
    discharged_at = local_datetime_field(_("Discharged at"), _("Leave empty for now."))


class DischargeOrderForm(forms.Form):
    """Order the discharge (with the summary, if written now, so the ward can complete
    it), or (`cancel`) withdraw the order."""

    cancel = forms.BooleanField(required=False)
    summary = forms.CharField(
        label=_("Discharge summary"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Optional now. Written with the order, it becomes your draft summary note "
            "when the ward completes the discharge."
        ),
    )


class AdmissionRequestCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why cancel?"), max_length=200, required=False)


class BedBlockForm(forms.Form):
    prefix = "block"

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(str(r), r) for r in BLOCK_REASONS],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class BedReserveForm(forms.Form):
    prefix = "reserve"

    hours = forms.TypedChoiceField(
        label=_("Hold for"),
        coerce=int,
        choices=[(h, _("%(h)d h") % {"h": h}) for h in RESERVATION_HOURS],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label=_("For whom / why"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "placeholder": _("for whom (optional)"),
                "aria-label": _("For whom / why"),
            }
        ),
    )

    def until(self):
        return timezone.now() + timedelta(hours=self.cleaned_data["hours"])
