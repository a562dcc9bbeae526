"""Clinical pages: start and close encounters, record vital signs, write, sign, amend
and withdraw notes, diagnoses with the ICD-10-CM search, allergies, the histories.

Every page is a page inside one patient's chart (`patients.access.ChartPageMixin`): the
role permission (`permission_required`), the patient through the one selector (404),
then chart access (care team, break-the-glass or a worklist), checked and logged by
`patients.services.chart_open` on every request; outside the care team the page answers
403 with the break-the-glass form, as the chart does. Forms are `ServiceFormView`s whose
`perform(form)` calls `clinical.services` with the signed-in user as the actor; record
pages are `DetailView`s over the clinical selectors.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from accounts.selectors import is_active_doctor
from clinical import forms, icd10, selectors, services
from clinical.models import EncounterStatus, FamilyHistory, SurgicalHistory
from clinical.parameters import normal_ranges
from ehr.core.exceptions import DomainPermissionDenied
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import FormActionView, ServiceFormView, StaffViewMixin
from patients.access import ChartPageMixin
from patients.selectors import patient_get


class FormPageMixin:
    """The context of `clinical/form_page.html` and the pages built on it: the label of
    the submit button."""

    template_name = "clinical/form_page.html"
    submit_label = gettext_lazy("Save")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_label"] = self.submit_label
        return context


class ChartRecordMixin(ChartPageMixin):
    """A page about one record of a chart (`pk` in the URL is the record's): the record
    through the clinical selector `get_queryset()` (not found: 404), once per request,
    and its patient through the one patient selector (out of scope: 404)."""

    def get_queryset(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_queryset().")

    def get_object(self, queryset=None):
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                queryset if queryset is not None else self.get_queryset(), pk=self.kwargs["pk"]
            )
        return self._object

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_object().patient_id)
        return self._patient


class PatientFormMixin:
    """A form of one patient's chart: the form takes the patient (its encounter choices),
    and `?encounter=` names one of the patient's open encounters to document."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "patient": self.get_patient()}

    def encounter_from_query(self):
        return selectors.open_encounter_of(self.get_patient(), self.request.GET.get("encounter"))

    def success_url_for(self, record):
        """Return the encounter's page when the form was opened from it, else the tab."""
        if record.encounter_id and "encounter" in self.request.GET:
            return record.encounter.get_absolute_url()
        return self.back_url()


def _refusal_message(exc):
    return " ".join(getattr(exc, "messages", [str(exc)]))


# --- Encounters -----------------------------------------------------------------------------


class EncounterCreateView(PatientFormMixin, FormPageMixin, ChartPageMixin, ServiceFormView):
    """Start an encounter with this patient (the doctor joins the care team)."""

    permission_required = ("patients.view_patient", "clinical.add_encounter")
    form_class = forms.EncounterStartForm
    chart_part = "encounters:start"
    back_tab = "encounters"
    title = gettext_lazy("Start an encounter")
    submit_label = gettext_lazy("Start encounter")
    success_message = gettext_lazy("The encounter started.")

    def get_initial(self):
        user = self.request.user
        return {"doctor": user.pk} if is_active_doctor(user) else {}

    def perform(self, form):
        data = form.cleaned_data
        if data.get("from_admission"):
            return services.encounter_start_from_admission(
                admission=form.admission,
                actor=self.request.user,
                chief_complaint=data["chief_complaint"],
            )
        return services.encounter_start(
            patient=self.get_patient(),
            actor=self.request.user,
            doctor=data["doctor"],
            encounter_class=data["encounter_class"],
            chief_complaint=data["chief_complaint"],
        )

    def get_success_url(self):
        return self.result.get_absolute_url()


class AppointmentEncounterStartView(ChartRecordMixin, View):
    """Start the encounter of a checked-in appointment (POST; `pk` is the appointment)
    and open it. Only the appointment's doctor may; a second click opens the encounter
    already started. A refusal (not checked in, another doctor's appointment) goes back
    to `next` (or the chart's encounters) with the reason."""

    permission_required = ("patients.view_patient", "clinical.add_encounter")
    http_method_names = ["post"]
    chart_part = "encounters:start"
    back_tab = "encounters"

    def get_queryset(self):
        return selectors.appointment_list()

    def post(self, request, pk):
        try:
            encounter = services.encounter_start_for_appointment(
                appointment=self.get_object(), actor=request.user
            )
        except (ValidationError, DomainPermissionDenied) as exc:
            messages.error(request, _refusal_message(exc))
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = self.back_url()
            return HttpResponseRedirect(target)
        messages.success(request, _("The encounter is open."))
        return redirect(encounter)


class EncounterPageMixin(ChartRecordMixin):
    """A page of the encounter of the URL (`pk`)."""

    back_tab = "encounters"

    def get_queryset(self):
        return selectors.encounter_list()


class EncounterDetailView(EncounterPageMixin, DetailView):
    """One encounter: its vital signs, notes and diagnoses, and what can be done next."""

    permission_required = ("patients.view_patient", "clinical.view_encounter")
    template_name = "clinical/encounter_detail.html"
    chart_part = "encounter"
    title = gettext_lazy("Encounter")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        encounter = self.object
        user = self.request.user
        can_change = user.has_perm("clinical.change_encounter")
        notes = selectors.note_list_for_patient(encounter.patient, user, addenda=False).filter(
            encounter=encounter, amends__isnull=True
        )
        context.update(
            {
                "vitals": [(v, v.flags) for v in selectors.encounter_vital_signs(encounter)[:50]],
                "notes": list(notes[:50]),
                "diagnoses": list(selectors.encounter_diagnoses(encounter)),
                "can_begin": can_change
                and encounter.can_transition_to(EncounterStatus.IN_PROGRESS),
                "can_finish": can_change and encounter.can_transition_to(EncounterStatus.FINISHED),
                "can_cancel": can_change and encounter.can_transition_to(EncounterStatus.CANCELLED),
                "can_document": not encounter.is_cancelled,
                "can_record_vitals": user.has_perm("clinical.add_vitalsigns"),
                "can_write_note": user.has_perm("clinical.add_clinicalnote"),
                "can_add_condition": user.has_perm("clinical.add_condition"),
            }
        )
        return context


class EncounterTransitionView(EncounterPageMixin, View):
    """Start a planned encounter or finish a running one (POST)."""

    permission_required = ("patients.view_patient", "clinical.change_encounter")
    http_method_names = ["post"]
    chart_part = "encounter:status"
    action = None

    def post(self, request, pk):
        encounter = self.get_object()
        try:
            if self.action == "begin":
                services.encounter_begin(encounter=encounter, actor=request.user)
                messages.success(request, _("The encounter started."))
            else:
                services.encounter_finish(encounter=encounter, actor=request.user)
                messages.success(request, _("The encounter is finished."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(encounter)


class EncounterCancelView(EncounterPageMixin, FormPageMixin, ServiceFormView):
    """Cancel an encounter, saying why."""

    permission_required = ("patients.view_patient", "clinical.change_encounter")
    form_class = forms.EncounterCancelForm
    chart_part = "encounter:cancel"
    title = gettext_lazy("Cancel the encounter")
    submit_label = gettext_lazy("Cancel encounter")
    success_message = gettext_lazy("The encounter was cancelled.")

    def perform(self, form):
        return services.encounter_cancel(
            encounter=self.get_object(),
            actor=self.request.user,
            reason=form.cleaned_data["cancel_reason"],
        )

    def back_url(self):
        return self.get_object().get_absolute_url()


# --- Vital signs ----------------------------------------------------------------------------


class VitalSignsCreateView(PatientFormMixin, FormPageMixin, ChartPageMixin, ServiceFormView):
    """Record a set of vital signs (impossible values: field errors)."""

    permission_required = ("patients.view_patient", "clinical.add_vitalsigns")
    form_class = forms.VitalSignsForm
    template_name = "clinical/vitalsigns_form.html"
    chart_part = "vitals:record"
    back_tab = "vitals"
    title = gettext_lazy("Record vital signs")
    submit_label = gettext_lazy("Save vital signs")
    success_message = gettext_lazy("The vital signs were recorded.")

    def get_initial(self):
        encounter = self.encounter_from_query()
        return {"encounter": encounter.pk} if encounter else {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(ranges=normal_ranges(), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.vital_signs_record(
            patient=self.get_patient(),
            actor=self.request.user,
            encounter=data.get("encounter"),
            recorded_at=data.get("recorded_at"),
            **form.measures(),
        )

    def get_success_url(self):
        return self.success_url_for(self.result)


# --- Notes ----------------------------------------------------------------------------------


class NoteSaveMixin:
    """Save a note's form ("sign" in the POST: save and sign it); the message says which."""

    template_name = "clinical/note_form.html"

    def signing(self):
        return "sign" in self.request.POST

    def get_success_message(self, form):
        return _("The note was signed.") if self.signing() else _("The draft was saved.")

    def get_success_url(self):
        return self.result.get_absolute_url()


class NoteCreateView(NoteSaveMixin, PatientFormMixin, ChartPageMixin, ServiceFormView):
    """Write a note: save it as a draft, or save and sign it."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.NoteForm
    chart_part = "notes:write"
    back_tab = "notes"
    title = gettext_lazy("Write a note")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        encounter = self.encounter_from_query()
        return {"encounter": encounter.pk} if encounter else {}

    def perform(self, form):
        content = form.content()
        return services.note_create(
            patient=self.get_patient(),
            actor=self.request.user,
            note_type=content.pop("note_type"),
            encounter=content.pop("encounter"),
            sign=self.signing(),
            **content,
        )


class NotePageMixin(ChartRecordMixin):
    """A page of the note of the URL (`pk`): signed, or the user's own draft, else 404."""

    back_tab = "notes"

    def get_queryset(self):
        return selectors.note_list_for_user(self.request.user)

    def back_url(self):
        return self.get_object().get_absolute_url()


class NoteDetailView(NotePageMixin, DetailView):
    """One note with its addenda and the actions the user may take."""

    permission_required = ("patients.view_patient", "clinical.view_clinicalnote")
    template_name = "clinical/note_detail.html"
    context_object_name = "note"
    chart_part = "note"

    def back_url(self):
        return ChartPageMixin.back_url(self)

    def get_context_data(self, **kwargs):
        note = self.object
        user = self.request.user
        editable = selectors.note_editable_by(note, user)
        can_write = user.has_perm("clinical.add_clinicalnote")
        return super().get_context_data(
            title=note.get_note_type_display(),
            addenda=list(selectors.note_addenda(note, user)),
            can_edit=editable,
            can_sign=editable and note.signable_by(user),
            can_add_addendum=can_write and note.is_signed and not note.entered_in_error,
            can_mark_error=can_write
            and not note.entered_in_error
            and user.pk in (note.author_id, note.signed_by_id),
            **kwargs,
        )


class NoteUpdateView(NoteSaveMixin, NotePageMixin, ServiceFormView):
    """Edit a draft note (its author only); save, or save and sign."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.NoteForm
    chart_part = "note:edit"
    title = gettext_lazy("Edit the draft note")

    def get(self, request, *args, **kwargs):
        return self.refusal() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refusal() or super().post(request, *args, **kwargs)

    def refusal(self):
        """Send a signed note back to its page; refuse (403) another user's draft."""
        note = self.get_object()
        if note.is_signed:
            messages.error(
                self.request,
                _("This note is signed and cannot be changed. Add an addendum instead."),
            )
            return redirect(note)
        if not selectors.note_editable_by(note, self.request.user):
            context = self.get_context_data(
                form=None, message=_("Only the author of a draft note may change it.")
            )
            return TemplateResponse(self.request, "clinical/refused.html", context, status=403)
        return None

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": self.get_object(),
            "patient": self.get_patient(),
            "user": self.request.user,
        }

    def perform(self, form):
        note = services.note_update(
            note=self.get_object(), actor=self.request.user, **form.content()
        )
        if self.signing():
            note = services.note_sign(note=note, actor=self.request.user)
        return note


class NoteSignView(NotePageMixin, View):
    """Sign a draft note (POST)."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    http_method_names = ["post"]
    chart_part = "note:sign"

    def post(self, request, pk):
        note = self.get_object()
        try:
            services.note_sign(note=note, actor=request.user)
            messages.success(request, _("The note was signed."))
        except (ValidationError, DomainPermissionDenied) as exc:
            messages.error(request, _refusal_message(exc))
        return redirect(note)


class NoteAddendumCreateView(NotePageMixin, ServiceFormView):
    """Add an addendum to a signed note."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.AddendumForm
    template_name = "clinical/note_addendum_form.html"
    chart_part = "note:addendum"
    title = gettext_lazy("Add an addendum")

    def get_context_data(self, **kwargs):
        return super().get_context_data(note=self.get_object(), **kwargs)

    def perform(self, form):
        return services.note_addendum_create(
            note=self.get_object(),
            actor=self.request.user,
            text=form.cleaned_data["text"],
            sign="sign" in self.request.POST,
        )

    def get_success_message(self, form):
        if "sign" in self.request.POST:
            return _("The addendum was signed.")
        return _("The addendum was saved as a draft.")

    def get_success_url(self):
        return self.back_url()


class NoteEnteredInErrorView(NotePageMixin, FormPageMixin, ServiceFormView):
    """Mark a note entered in error, with the reason (kept, hidden)."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.EnteredInErrorForm
    chart_part = "note:entered-in-error"
    title = gettext_lazy("Mark the note entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy(
        "The note was marked entered in error. It stays in the record, hidden from the usual lists."
    )

    def get_context_data(self, **kwargs):
        return super().get_context_data(record_label=str(self.get_object()), danger=True, **kwargs)

    def perform(self, form):
        return services.note_mark_entered_in_error(
            note=self.get_object(), actor=self.request.user, reason=form.cleaned_data["reason"]
        )


# --- Conditions -----------------------------------------------------------------------------


class ConditionCreateView(PatientFormMixin, FormPageMixin, ChartPageMixin, ServiceFormView):
    """Add a diagnosis, searched in ICD-10-CM as one types."""

    permission_required = ("patients.view_patient", "clinical.add_condition")
    form_class = forms.ConditionForm
    template_name = "clinical/condition_form.html"
    chart_part = "problems:add"
    back_tab = "problems"
    title = gettext_lazy("Add a diagnosis")
    submit_label = gettext_lazy("Add diagnosis")
    success_message = gettext_lazy("The diagnosis was added.")

    def get_initial(self):
        encounter = self.encounter_from_query()
        return {"encounter": encounter.pk} if encounter else {}

    def get_context_data(self, **kwargs):
        chosen = ""
        if self.request.method == "POST":
            chosen = selectors.diagnosis_code_get(self.request.POST.get("code", ""))
        return super().get_context_data(chosen_code=chosen, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.condition_create(
            patient=self.get_patient(),
            actor=self.request.user,
            code=data["code"],
            clinical_status=data["clinical_status"],
            category=form.category(),
            onset=data.get("onset"),
            encounter=data.get("encounter"),
            is_primary=data.get("is_primary", False),
            add_to_problem_list=data.get("add_to_problem_list", False),
            note=data.get("note", ""),
        )

    def get_success_url(self):
        return self.success_url_for(self.result)


class DiagnosisCodeSearchView(StaffViewMixin, RolePermissionRequiredMixin, TemplateView):
    """The ICD-10-CM search as one types (htmx): a short list of codes and titles, the
    synonyms searched for instead of what was typed ("T2DM"), partial matches marked."""

    permission_required = "clinical.view_diagnosiscode"
    template_name = "clinical/partials/diagnosis_code_results.html"

    def get_context_data(self, **kwargs):
        search = icd10.code_search(self.request.GET.get("q") or self.request.GET.get("code"))
        return super().get_context_data(
            codes=search.codes,
            synonyms=search.synonyms,
            query=search.query,
            too_short=search.too_short,
            **kwargs,
        )


class ConditionPageMixin(ChartRecordMixin):
    """A page of the condition of the URL (`pk`)."""

    back_tab = "problems"

    def get_queryset(self):
        return selectors.condition_list()

    def get_context_data(self, **kwargs):
        return super().get_context_data(record_label=str(self.get_object().code), **kwargs)


class ConditionUpdateView(ConditionPageMixin, FormPageMixin, ServiceFormView):
    """Change a problem's status (resolve it), onset, resolution date or note; an
    encounter diagnosis's onset or note (its status is its problem's)."""

    permission_required = ("patients.view_patient", "clinical.change_condition")
    chart_part = "problems:edit"
    title = gettext_lazy("Update the diagnosis")
    success_message = gettext_lazy("The diagnosis was updated.")

    def get_form_class(self):
        if self.get_object().is_problem:
            return forms.ConditionUpdateForm
        return forms.DiagnosisUpdateForm

    def get_initial(self):
        condition = self.get_object()
        return {name: getattr(condition, name) for name in self.get_form_class().base_fields}

    def perform(self, form):
        return services.condition_update(
            condition=self.get_object(), actor=self.request.user, **form.cleaned_data
        )


class ConditionResolveView(ConditionPageMixin, View):
    """Mark a condition resolved today (POST)."""

    permission_required = ("patients.view_patient", "clinical.change_condition")
    http_method_names = ["post"]
    chart_part = "problems:resolve"

    def post(self, request, pk):
        try:
            services.condition_resolve(condition=self.get_object(), actor=request.user)
            messages.success(request, _("The diagnosis was marked resolved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(self.back_url())


class DiagnosisAddToProblemListView(ConditionPageMixin, FormActionView):
    """Add an encounter diagnosis's condition to the problem list (POST)."""

    permission_required = ("patients.view_patient", "clinical.add_condition")
    chart_part = "problems:add"
    success_message = gettext_lazy("The condition is on the problem list.")

    def perform(self, form):
        return services.diagnosis_add_to_problem_list(
            diagnosis=self.get_object(), actor=self.request.user
        )

    def get_success_url(self):
        return self.back_url()


class ConditionEnteredInErrorView(ConditionPageMixin, FormPageMixin, ServiceFormView):
    """Mark a condition entered in error, with the reason (kept, hidden)."""

    permission_required = ("patients.view_patient", "clinical.change_condition")
    form_class = forms.EnteredInErrorForm
    chart_part = "problems:entered-in-error"
    title = gettext_lazy("Mark the diagnosis entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy("The diagnosis was marked entered in error.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(danger=True, **kwargs)

    def perform(self, form):
        return services.condition_mark_entered_in_error(
            condition=self.get_object(),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )


# --- Allergies ------------------------------------------------------------------------------


class AllergyCreateView(FormPageMixin, ChartPageMixin, ServiceFormView):
    """Record an allergy."""

    permission_required = ("patients.view_patient", "clinical.add_allergy")
    form_class = forms.AllergyForm
    chart_part = "allergies:add"
    back_tab = "allergies"
    title = gettext_lazy("Record an allergy")
    submit_label = gettext_lazy("Record allergy")
    success_message = gettext_lazy("The allergy was recorded.")

    def perform(self, form):
        return services.allergy_record(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )


class AllergyNoneKnownView(ChartPageMixin, View):
    """Record "no known allergies" (POST)."""

    permission_required = ("patients.view_patient", "clinical.add_allergystatus")
    http_method_names = ["post"]
    chart_part = "allergies:none-known"
    back_tab = "allergies"

    def post(self, request, pk):
        try:
            services.allergy_status_set_none_known(patient=self.get_patient(), actor=request.user)
            messages.success(request, _("Recorded: no known allergies."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(self.back_url())


class AllergyPageMixin(ChartRecordMixin):
    """A page of the allergy of the URL (`pk`)."""

    back_tab = "allergies"

    def get_queryset(self):
        return selectors.allergy_list()

    def get_context_data(self, **kwargs):
        return super().get_context_data(record_label=self.get_object().allergen, **kwargs)


class AllergyUpdateView(AllergyPageMixin, FormPageMixin, ServiceFormView):
    """Change an allergy's severity, reaction or status."""

    permission_required = ("patients.view_patient", "clinical.change_allergy")
    form_class = forms.AllergyUpdateForm
    chart_part = "allergies:edit"
    title = gettext_lazy("Update the allergy")
    success_message = gettext_lazy("The allergy was updated.")

    def get_initial(self):
        allergy = self.get_object()
        return {name: getattr(allergy, name) for name in forms.AllergyUpdateForm.base_fields}

    def get(self, request, *args, **kwargs):
        if self.get_object().is_entered_in_error:
            messages.error(request, _("An allergy entered in error cannot be changed."))
            return HttpResponseRedirect(self.back_url())
        return super().get(request, *args, **kwargs)

    def perform(self, form):
        return services.allergy_update(
            allergy=self.get_object(), actor=self.request.user, **form.cleaned_data
        )


class AllergyEnteredInErrorView(AllergyPageMixin, FormPageMixin, ServiceFormView):
    """Mark an allergy entered in error, with the reason (kept, hidden)."""

    permission_required = ("patients.view_patient", "clinical.change_allergy")
    form_class = forms.EnteredInErrorForm
    chart_part = "allergies:entered-in-error"
    title = gettext_lazy("Mark the allergy entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy("The allergy was marked entered in error.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(danger=True, **kwargs)

    def perform(self, form):
        return services.allergy_mark_entered_in_error(
            allergy=self.get_object(),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )


# --- History --------------------------------------------------------------------------------


class HistoryFormMixin(FormPageMixin, ChartPageMixin):
    """A form of the medical history tab."""

    back_tab = "medical-history"


class SurgicalHistoryCreateView(HistoryFormMixin, ServiceFormView):
    """Add a past operation or procedure."""

    permission_required = ("patients.view_patient", "clinical.add_surgicalhistory")
    form_class = forms.SurgicalHistoryForm
    chart_part = "medical-history:surgical"
    title = gettext_lazy("Add a past operation or procedure")
    success_message = gettext_lazy("The surgical history was updated.")

    def perform(self, form):
        return services.surgical_history_create(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )


class FamilyHistoryCreateView(HistoryFormMixin, ServiceFormView):
    """Add a condition of a blood relative."""

    permission_required = ("patients.view_patient", "clinical.add_familyhistory")
    form_class = forms.FamilyHistoryForm
    chart_part = "medical-history:family"
    title = gettext_lazy("Add to the family history")
    success_message = gettext_lazy("The family history was updated.")

    def perform(self, form):
        return services.family_history_create(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )


class SocialHistoryUpdateView(HistoryFormMixin, ServiceFormView):
    """Record or change the social history."""

    permission_required = ("patients.view_patient", "clinical.change_socialhistory")
    form_class = forms.SocialHistoryForm
    chart_part = "medical-history:social"
    title = gettext_lazy("Social history")
    success_message = gettext_lazy("The social history was saved.")

    def get_initial(self):
        record = selectors.social_history_get(self.get_patient())
        if record is None:
            return {"occupation": self.get_patient().occupation}
        return {name: getattr(record, name) for name in services.SOCIAL_HISTORY_FIELDS}

    def perform(self, form):
        return services.social_history_update(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )


class HistoryEnteredInErrorView(FormPageMixin, ChartRecordMixin, ServiceFormView):
    """Mark a surgical or family history entry entered in error."""

    form_class = forms.EnteredInErrorForm
    back_tab = "medical-history"
    title = gettext_lazy("Mark the entry entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy("The entry was marked entered in error.")
    model = None

    def get_queryset(self):
        return selectors.history_record_list(self.model)

    def get_context_data(self, **kwargs):
        return super().get_context_data(record_label=str(self.get_object()), danger=True, **kwargs)

    def perform(self, form):
        return services.history_mark_entered_in_error(
            record=self.get_object(),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )


class SurgicalHistoryEnteredInErrorView(HistoryEnteredInErrorView):
    permission_required = ("patients.view_patient", "clinical.change_surgicalhistory")
    chart_part = "medical-history:surgical:entered-in-error"
    model = SurgicalHistory


class FamilyHistoryEnteredInErrorView(HistoryEnteredInErrorView):
    permission_required = ("patients.view_patient", "clinical.change_familyhistory")
    chart_part = "medical-history:family:entered-in-error"
    model = FamilyHistory
