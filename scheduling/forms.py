"""Scheduling forms: shape only (and looking up what the user picked among what they may
see); the services decide every rule (availability, double booking, transitions)."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Specialty
from accounts.selectors import active_doctors
from ehr.core.models import TEXT_MAX_LENGTH
from patients.models import Patient
from patients.selectors import patient_list_for_user
from scheduling.models import (
    AppointmentSeries,
    AppointmentType,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
    ScheduleException,
    WaitlistEntry,
    Weekday,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def parse_moment(value):
    """Return an aware datetime from an ISO 8601 string (a naive one is local time), or
    None if it is not one."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip().replace(" ", "+"))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class DoctorChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", active_doctors())
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"Dr {obj.get_full_name()}"


class PatientPickField(forms.ModelChoiceField):
    """A patient picked with the search picker (the form carries the id), among the
    patients the user may see."""

    widget = forms.HiddenInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Patient"))
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Search for the patient and pick them."),
                "invalid_choice": _("Pick a patient from the search results."),
            },
        )
        # The form sets the queryset to the patients its user may see.
        super().__init__(Patient.objects.none(), *args, **kwargs)


class SlotField(forms.CharField):
    """A free slot picked from the list: "<doctor id>|<start ISO>". Returns
    (doctor, start); the doctor is looked up among the active doctors."""

    widget = forms.HiddenInput

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        doctor_id, _sep, start = value.partition("|")
        moment = parse_moment(start)
        doctor = active_doctors().filter(pk=doctor_id).first() if moment else None
        if doctor is None:
            raise forms.ValidationError(_("Pick a slot from the list."), code="bad_slot")
        return doctor, moment


# --- Booking ------------------------------------------------------------------------------


class SlotSearchForm(forms.Form):
    """What the free-slot list shows: a doctor's slots on a date, or the next free slots
    across a specialty; the slots last as long as the chosen appointment type."""

    doctor = DoctorChoiceField(label=_("Doctor"), required=False, empty_label=_("Any doctor"))
    specialty = forms.ModelChoiceField(
        label=_("Specialty"),
        queryset=Specialty.objects.order_by("name"),
        required=False,
        empty_label=_("Any specialty"),
    )
    date = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT)
    appointment_type = forms.ModelChoiceField(
        label=_("Type"), queryset=AppointmentType.objects.filter(is_active=True), required=False
    )

    def clean_date(self):
        return self.cleaned_data.get("date") or timezone.localdate()


class BookingForm(forms.Form):
    """Book an appointment: a slot from the list (or, with the override permission, any
    time), the patient, type, reason and notes; optionally a recurring series."""

    doctor = DoctorChoiceField(label=_("Doctor"), required=False, empty_label=_("Any doctor"))
    specialty = forms.ModelChoiceField(
        label=_("Specialty"),
        queryset=Specialty.objects.order_by("name"),
        required=False,
        empty_label=_("Any specialty"),
    )
    date = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT)
    slot = SlotField(label=_("Slot"), required=False)
    start = forms.DateTimeField(
        label=_("Or a time of your choosing"),
        required=False,
        input_formats=[DATETIME_FORMAT],
        widget=DATETIME_INPUT,
        help_text=_("Only with the override permission, outside the doctor's slots."),
    )
    patient = PatientPickField()
    appointment_type = forms.ModelChoiceField(
        label=_("Type"), queryset=AppointmentType.objects.filter(is_active=True)
    )
    reason = forms.CharField(label=_("Reason for visit"), max_length=255, required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override = forms.BooleanField(
        label=_("Override availability (emergency)"),
        required=False,
        help_text=_("Book even though the doctor is not scheduled at this time."),
    )
    allow_patient_overlap = forms.BooleanField(required=False, widget=forms.HiddenInput)
    repeat = forms.BooleanField(label=_("Repeat"), required=False)
    interval = forms.IntegerField(
        label=_("Every"), min_value=1, max_value=365, initial=1, required=False
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=AppointmentSeries.Unit.choices,
        initial=AppointmentSeries.Unit.WEEKS,
        required=False,
    )
    count = forms.IntegerField(label=_("Occurrences"), min_value=2, max_value=52, required=False)
    until = forms.DateField(label=_("Until"), required=False, widget=DATE_INPUT)
    skip = forms.TypedMultipleChoiceField(
        label=_("Skip"), coerce=int, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, user, can_override, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_list_for_user(user).filter(is_active=True)
        self.fields["skip"].choices = [(i, i) for i in range(52)]
        if not can_override:
            del self.fields["override"]
            del self.fields["start"]

    def clean(self):
        cleaned = super().clean()
        slot, start, doctor = cleaned.get("slot"), cleaned.get("start"), cleaned.get("doctor")
        if slot:
            cleaned["doctor"], cleaned["start"] = slot
        elif start:
            if doctor is None:
                self.add_error("doctor", _("Choose the doctor for this time."))
            elif timezone.is_naive(start):
                cleaned["start"] = timezone.make_aware(start)
        elif "slot" not in self.errors:
            self.add_error("slot", _("Pick a free slot."))
        if cleaned.get("repeat"):
            if not cleaned.get("interval"):
                self.add_error("interval", _("Repeat every how many days or weeks?"))
            if not cleaned.get("count") and not cleaned.get("until"):
                self.add_error("count", _("Give a number of occurrences or an end date."))
        return cleaned


class StatusChangeForm(forms.Form):
    """A change of an appointment's state, with its reason (the appointment's rules say
    when one is required: cancelling, completing a checked-in visit)."""

    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class RescheduleForm(forms.Form):
    """A new time for an appointment: a free slot of its doctor (or any time with the
    override permission)."""

    date = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT)
    slot = SlotField(label=_("New slot"), required=False)
    start = forms.DateTimeField(
        label=_("Or a time of your choosing"),
        required=False,
        input_formats=[DATETIME_FORMAT],
        widget=DATETIME_INPUT,
    )
    override = forms.BooleanField(label=_("Override availability (emergency)"), required=False)
    reason = forms.CharField(label=_("Why is it moved?"), max_length=255, required=False)

    def __init__(self, *args, can_override, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override"]
            del self.fields["start"]

    def clean(self):
        cleaned = super().clean()
        slot, start = cleaned.get("slot"), cleaned.get("start")
        if slot:
            cleaned["start"] = slot[1]
        elif start:
            cleaned["start"] = timezone.make_aware(start) if timezone.is_naive(start) else start
        elif "slot" not in self.errors:
            self.add_error("slot", _("Pick a free slot."))
        return cleaned


class MoveForm(forms.Form):
    """A drag on the calendar: the new start and end (ISO 8601 with offset)."""

    start = forms.CharField()
    end = forms.CharField(required=False)

    def clean_start(self):
        moment = parse_moment(self.cleaned_data["start"])
        if moment is None:
            raise forms.ValidationError(_("Give the new start as an ISO 8601 date and time."))
        return moment

    def clean_end(self):
        value = self.cleaned_data.get("end")
        if not value:
            return None
        moment = parse_moment(value)
        if moment is None:
            raise forms.ValidationError(_("Give the new end as an ISO 8601 date and time."))
        return moment


# --- Lists --------------------------------------------------------------------------------


class DayFilterForm(forms.Form):
    """The day list's filters (ids only in the address)."""

    date = forms.DateField(label=_("Date"), required=False, widget=DATE_INPUT)
    clinic = forms.ModelChoiceField(
        label=_("Clinic"),
        queryset=Clinic.objects.filter(is_active=True),
        required=False,
        empty_label=_("All clinics"),
    )
    doctor = DoctorChoiceField(label=_("Doctor"), required=False, empty_label=_("All doctors"))

    def values(self):
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "date": data.get("date") or timezone.localdate(),
            "clinic": data.get("clinic"),
            "doctor": data.get("doctor"),
        }


class CalendarFilterForm(forms.Form):
    """Whose calendar: a doctor, a clinic or a specialty (ids in the address)."""

    doctor = DoctorChoiceField(required=False)
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.filter(is_active=True), required=False)
    specialty = forms.ModelChoiceField(queryset=Specialty.objects.all(), required=False)

    def scope(self):
        """Return (doctor, clinic, specialty) of the valid form, the first one given
        winning (a doctor before a clinic before a specialty)."""
        data = self.cleaned_data
        if data["doctor"] is not None:
            return data["doctor"], None, None
        if data["clinic"] is not None:
            return None, data["clinic"], None
        return None, None, data["specialty"]


class WaitlistFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All states")), *WaitlistEntry.State.choices],
        required=False,
        initial=WaitlistEntry.State.WAITING,
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        coerce=int,
        empty_value=None,
        choices=[("", _("Any priority")), *WaitlistEntry.Priority.choices],
        required=False,
    )


class WaitlistEntryForm(forms.Form):
    """Put a patient on the waitlist for a doctor or any doctor of a specialty."""

    patient = PatientPickField()
    doctor = DoctorChoiceField(label=_("Doctor"), required=False, empty_label=_("Any doctor"))
    specialty = forms.ModelChoiceField(
        label=_("Or any doctor of the specialty"),
        queryset=Specialty.objects.order_by("name"),
        required=False,
        empty_label="—",
    )
    appointment_type = forms.ModelChoiceField(
        label=_("Type"), queryset=AppointmentType.objects.filter(is_active=True)
    )
    earliest = forms.DateField(label=_("Earliest date"), widget=DATE_INPUT)
    latest = forms.DateField(label=_("Latest date"), widget=DATE_INPUT)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        coerce=int,
        choices=WaitlistEntry.Priority.choices,
        initial=WaitlistEntry.Priority.ROUTINE,
    )
    reason = forms.CharField(label=_("Reason for visit"), max_length=255, required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_list_for_user(user).filter(is_active=True)
        today = timezone.localdate()
        self.fields["earliest"].initial = today
        self.fields["latest"].initial = today + timedelta(days=28)


# --- Doctors' schedules -------------------------------------------------------------------


class DoctorScheduleForm(forms.Form):
    """A weekly session of a doctor."""

    weekday = forms.TypedChoiceField(label=_("Day of week"), coerce=int, choices=Weekday.choices)
    start_time = forms.TimeField(label=_("Start"), widget=TIME_INPUT, initial=time(9, 0))
    end_time = forms.TimeField(label=_("End"), widget=TIME_INPUT, initial=time(12, 0))
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"), min_value=5, max_value=480, initial=15
    )
    clinic = forms.ModelChoiceField(
        label=_("Clinic"), queryset=Clinic.objects.filter(is_active=True)
    )
    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=ConsultationRoom.objects.filter(is_active=True).select_related("clinic"),
        required=False,
        empty_label="—",
    )
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE_INPUT)
    effective_to = forms.DateField(label=_("Effective to"), widget=DATE_INPUT, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].initial = timezone.localdate()

    @classmethod
    def initial_from(cls, schedule: DoctorSchedule):
        return {name: getattr(schedule, name) for name in cls.base_fields}


class ScheduleExceptionForm(forms.Form):
    """Leave, blocked time or an extra session."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ScheduleException.Kind.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts"), input_formats=[DATETIME_FORMAT], widget=DATETIME_INPUT
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), input_formats=[DATETIME_FORMAT], widget=DATETIME_INPUT
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    clinic = forms.ModelChoiceField(
        label=_("Clinic (extra session)"),
        queryset=Clinic.objects.filter(is_active=True),
        required=False,
        empty_label="—",
    )
    room = forms.ModelChoiceField(
        label=_("Room (extra session)"),
        queryset=ConsultationRoom.objects.filter(is_active=True).select_related("clinic"),
        required=False,
        empty_label="—",
    )
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"), min_value=5, max_value=480, initial=15
    )

    def clean(self):
        cleaned = super().clean()
        for name in ("starts_at", "ends_at"):
            value = cleaned.get(name)
            if value is not None and timezone.is_naive(value):
                cleaned[name] = timezone.make_aware(value)
        return cleaned
