"""Clinical pages: start and close encounters, record vital signs, write, sign, amend
and withdraw notes, diagnoses with the ICD-10-CM search, allergies, the histories.

Every page declares two gates: the role permission (`permission_required`) and chart
access to the patient (care team or break-the-glass), checked by `patients.services.
chart_open`, which also writes the access log, on every request. Outside the care team
the page answers 403 with the break-the-glass form, as the chart does. Writes go through
`clinical.services` with the signed-in user as the actor.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clinical import forms, selectors, services
from clinical.models import (
    AllergyClinicalStatus,
    EncounterStatus,
    FamilyHistory,
    SurgicalHistory,
)
from ehr.core import chart
from ehr.core.exceptions import DomainPermissionDenied
from ehr.core.views import StaffViewMixin, add_service_error
from patients.access import ChartAccessMixin, PatientScopeMixin
from patients.selectors import patient_get


class ClinicalView(PatientScopeMixin, ChartAccessMixin, View):
    """Base of the clinical pages of one patient (`pk` in the URL is the patient): staff
    only, the role permission, the patient through the one selector (404), then chart
    access (403, logged)."""

    permission_required = ("patients.view_patient",)
    template_name = "clinical/form_page.html"
    title = ""

    def back_url(self):
        return reverse("patients:patient_chart", args=[self.get_patient().pk, self.back_tab])

    def page_context(self, **extra):
        patient = self.get_patient()
        return {
            "patient": patient,
            "access": self.access,
            "banner_items": chart.banner_items_for(self.request, patient, clinical_access=True),
            "title": self.title,
            "back_url": self.back_url(),
            "back_tab": chart.TABS.get(self.back_tab),
            **extra,
        }

    def render_page(self, status=200, **extra):
        return render(self.request, self.template_name, self.page_context(**extra), status=status)


class ClinicalFormView(ClinicalView):
    """A clinical form page: GET shows the form, POST validates it and calls
    `perform(form)` (a service); the service's errors are shown on the form, which
    keeps everything typed."""

    form_class = None
    submit_label = gettext_lazy("Save")
    success_message = ""

    def get_form_kwargs(self):
        return {}

    def get_initial(self):
        return {}

    def get_form(self, data=None):
        return self.form_class(data, initial=self.get_initial(), **self.get_form_kwargs())

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                result = self.perform(form)
            except DomainPermissionDenied as exc:
                form.add_error(None, str(exc))
                return self.render_form(form, status=403)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                if self.success_message:
                    messages.success(request, self.success_message)
                return HttpResponseRedirect(self.get_success_url(result))
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        return self.render_page(
            status=status, form=form, submit_label=self.submit_label, **self.form_context()
        )

    def form_context(self):
        return {}

    def perform(self, form):
        raise NotImplementedError

    def get_success_url(self, result):
        return self.back_url()


def _encounter_from_query(request, patient):
    """Return the open encounter named in ?encounter=, if it is this patient's."""
    pk = request.GET.get("encounter")
    if not pk:
        return None
    return selectors.open_encounters(patient).filter(pk=pk).first() if _is_uuid(pk) else None


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- Encounters -----------------------------------------------------------------------------


class EncounterCreateView(ClinicalFormView):
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
        return {"doctor": user.pk} if user.has_role("Doctor") else {}

    def get_form_kwargs(self):
        return {"patient": self.get_patient()}

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

    def get_success_url(self, encounter):
        return encounter.get_absolute_url()


class AppointmentEncounterStartView(ClinicalView):
    """Start the encounter of a checked-in appointment (POST; `pk` is the appointment)
    and open it. Only the appointment's doctor may; a second click opens the encounter
    already started. A refusal (not checked in, another doctor's appointment) goes back
    to `next` (or the chart's encounters) with the reason."""

    permission_required = ("patients.view_patient", "clinical.add_encounter")
    http_method_names = ["post"]
    chart_part = "encounters:start"
    back_tab = "encounters"

    def get_appointment(self):
        if not hasattr(self, "_appointment"):
            self._appointment = selectors.appointment_get(self.kwargs["pk"])
        return self._appointment

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_appointment().patient_id)
        return self._patient

    def post(self, request, pk):
        try:
            encounter = services.encounter_start_for_appointment(
                appointment=self.get_appointment(), actor=request.user
            )
        except (ValidationError, DomainPermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = self.back_url()
            return HttpResponseRedirect(target)
        messages.success(request, _("The encounter is open."))
        return redirect(encounter)


class EncounterMixin:
    """The encounter of the URL (`pk`); its patient through the one selector."""

    def get_encounter(self):
        if not hasattr(self, "_encounter"):
            self._encounter = selectors.encounter_get(self.kwargs["pk"])
        return self._encounter

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_encounter().patient_id)
        return self._patient


class EncounterDetailView(EncounterMixin, ClinicalView):
    """One encounter: its vital signs, notes and diagnoses, and what can be done next."""

    permission_required = ("patients.view_patient", "clinical.view_encounter")
    template_name = "clinical/encounter_detail.html"
    chart_part = "encounter"
    back_tab = "encounters"

    def get(self, request, pk):
        encounter = self.get_encounter()
        user = request.user
        notes = selectors.note_list_for_patient(encounter.patient, user, addenda=False).filter(
            encounter=encounter, amends__isnull=True
        )
        return self.render_page(
            encounter=encounter,
            title=_("Encounter"),
            vitals=[
                (v, v.flags)
                for v in encounter.vital_signs.select_related("recorded_by").order_by(
                    "-recorded_at"
                )[:50]
            ],
            notes=list(notes[:50]),
            diagnoses=list(
                encounter.diagnoses.filter(entered_in_error=False)
                .select_related("code")
                .order_by("-is_primary", "created_at")
            ),
            can_change=user.has_perm("clinical.change_encounter") and encounter.is_open,
            can_document=encounter.status != EncounterStatus.CANCELLED,
            can_record_vitals=user.has_perm("clinical.add_vitalsigns"),
            can_write_note=user.has_perm("clinical.add_clinicalnote"),
            can_add_condition=user.has_perm("clinical.add_condition"),
            cancel_form=forms.EncounterCancelForm(),
        )


class EncounterTransitionView(EncounterMixin, ClinicalView):
    """Start a planned encounter or finish a running one (POST)."""

    permission_required = ("patients.view_patient", "clinical.change_encounter")
    chart_part = "encounter:status"
    back_tab = "encounters"
    action = None

    def post(self, request, pk):
        encounter = self.get_encounter()
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


class EncounterCancelView(EncounterMixin, ClinicalFormView):
    """Cancel an encounter, saying why."""

    permission_required = ("patients.view_patient", "clinical.change_encounter")
    form_class = forms.EncounterCancelForm
    chart_part = "encounter:cancel"
    back_tab = "encounters"
    title = gettext_lazy("Cancel the encounter")
    submit_label = gettext_lazy("Cancel encounter")
    success_message = gettext_lazy("The encounter was cancelled.")

    def perform(self, form):
        return services.encounter_cancel(
            encounter=self.get_encounter(),
            actor=self.request.user,
            reason=form.cleaned_data["cancel_reason"],
        )

    def back_url(self):
        return self.get_encounter().get_absolute_url()


# --- Vital signs ----------------------------------------------------------------------------


class VitalSignsCreateView(ClinicalFormView):
    """Record a set of vital signs (impossible values: field errors)."""

    permission_required = ("patients.view_patient", "clinical.add_vitalsigns")
    form_class = forms.VitalSignsForm
    template_name = "clinical/vitalsigns_form.html"
    chart_part = "vitals:record"
    back_tab = "vitals"
    title = gettext_lazy("Record vital signs")
    submit_label = gettext_lazy("Save vital signs")
    success_message = gettext_lazy("The vital signs were recorded.")

    def get_form_kwargs(self):
        return {"patient": self.get_patient()}

    def get_initial(self):
        encounter = _encounter_from_query(self.request, self.get_patient())
        return {"encounter": encounter.pk} if encounter else {}

    def form_context(self):
        from clinical.parameters import normal_ranges

        return {"ranges": normal_ranges()}

    def perform(self, form):
        data = form.cleaned_data
        return services.vital_signs_record(
            patient=self.get_patient(),
            actor=self.request.user,
            encounter=data.get("encounter"),
            recorded_at=data.get("recorded_at"),
            **form.measures(),
        )

    def get_success_url(self, vitals):
        if vitals.encounter_id and "encounter" in self.request.GET:
            return vitals.encounter.get_absolute_url()
        return self.back_url()


# --- Notes ----------------------------------------------------------------------------------


class NoteCreateView(ClinicalFormView):
    """Write a note: save it as a draft, or save and sign it."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.NoteForm
    template_name = "clinical/note_form.html"
    chart_part = "notes:write"
    back_tab = "notes"
    title = gettext_lazy("Write a note")

    def get_form_kwargs(self):
        return {"patient": self.get_patient()}

    def get_initial(self):
        initial = {}
        if self.request.user.has_role("Nurse") and not self.request.user.has_role("Doctor"):
            initial["note_type"] = "nursing"
        encounter = _encounter_from_query(self.request, self.get_patient())
        if encounter:
            initial["encounter"] = encounter.pk
        return initial

    def perform(self, form):
        content = form.content()
        sign = "sign" in self.request.POST
        note = services.note_create(
            patient=self.get_patient(),
            actor=self.request.user,
            note_type=content.pop("note_type"),
            encounter=content.pop("encounter"),
            sign=sign,
            **content,
        )
        messages.success(
            self.request, _("The note was signed.") if sign else _("The draft was saved.")
        )
        return note

    def get_success_url(self, note):
        return note.get_absolute_url()


class NoteMixin:
    """The note of the URL (`pk`; signed, or the user's own draft, else 404) and its
    patient through the one selector."""

    back_tab = "notes"

    def get_note(self):
        if not hasattr(self, "_note"):
            self._note = selectors.note_get(self.request.user, self.kwargs["pk"])
        return self._note

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_note().patient_id)
        return self._patient

    def back_url(self):
        return self.get_note().get_absolute_url()


class NoteDetailView(NoteMixin, ClinicalView):
    """One note with its addenda and the actions the user may take."""

    permission_required = ("patients.view_patient", "clinical.view_clinicalnote")
    template_name = "clinical/note_detail.html"
    chart_part = "note"

    def back_url(self):
        return reverse("patients:patient_chart", args=[self.get_patient().pk, "notes"])

    def get(self, request, pk):
        note = self.get_note()
        user = request.user
        editable = selectors.note_editable_by(note, user)
        can_write = user.has_perm("clinical.add_clinicalnote")
        return self.render_page(
            note=note,
            title=note.get_note_type_display(),
            addenda=list(selectors.note_addenda(note, user)),
            can_edit=editable,
            can_sign=editable and selectors.note_type_signable_by(note.note_type, user),
            can_add_addendum=can_write and note.is_signed and not note.entered_in_error,
            can_mark_error=can_write
            and not note.entered_in_error
            and user.pk in (note.author_id, note.signed_by_id),
        )


class NoteUpdateView(NoteMixin, ClinicalFormView):
    """Edit a draft note (its author only); save, or save and sign."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.NoteForm
    template_name = "clinical/note_form.html"
    chart_part = "note:edit"
    title = gettext_lazy("Edit the draft note")

    def get(self, request, *args, **kwargs):
        refusal = self._refusal()
        if refusal:
            return refusal
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        refusal = self._refusal()
        if refusal:
            return refusal
        return super().post(request, *args, **kwargs)

    def _refusal(self):
        note = self.get_note()
        if note.is_signed:
            messages.error(
                self.request,
                _("This note is signed and cannot be changed. Add an addendum instead."),
            )
            return redirect(note)
        if not selectors.note_editable_by(note, self.request.user):
            return render(
                self.request,
                "clinical/refused.html",
                self.page_context(
                    message=_("Only the author of a draft note may change it."),
                    title=_("Edit the draft note"),
                ),
                status=403,
            )
        return None

    def get_form(self, data=None):
        return self.form_class(data, instance=self.get_note(), patient=self.get_patient())

    def perform(self, form):
        content = form.content()
        note = services.note_update(note=self.get_note(), actor=self.request.user, **content)
        if "sign" in self.request.POST:
            note = services.note_sign(note=note, actor=self.request.user)
            messages.success(self.request, _("The note was signed."))
        else:
            messages.success(self.request, _("The draft was saved."))
        return note

    def get_success_url(self, note):
        return note.get_absolute_url()


class NoteSignView(NoteMixin, ClinicalView):
    """Sign a draft note (POST)."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    chart_part = "note:sign"

    def post(self, request, pk):
        note = self.get_note()
        try:
            services.note_sign(note=note, actor=request.user)
            messages.success(request, _("The note was signed."))
        except (ValidationError, DomainPermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(note)


class NoteAddendumCreateView(NoteMixin, ClinicalFormView):
    """Add an addendum to a signed note."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.AddendumForm
    template_name = "clinical/note_addendum_form.html"
    chart_part = "note:addendum"
    title = gettext_lazy("Add an addendum")

    def form_context(self):
        return {"note": self.get_note()}

    def perform(self, form):
        sign = "sign" in self.request.POST
        addendum = services.note_addendum_create(
            note=self.get_note(),
            actor=self.request.user,
            text=form.cleaned_data["text"],
            sign=sign,
        )
        messages.success(
            self.request,
            _("The addendum was signed.") if sign else _("The addendum was saved as a draft."),
        )
        return addendum

    def get_success_url(self, addendum):
        return self.get_note().get_absolute_url()


class NoteEnteredInErrorView(NoteMixin, ClinicalFormView):
    """Mark a note entered in error, with the reason (kept, hidden)."""

    permission_required = ("patients.view_patient", "clinical.add_clinicalnote")
    form_class = forms.EnteredInErrorForm
    chart_part = "note:entered-in-error"
    title = gettext_lazy("Mark the note entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy(
        "The note was marked entered in error. It stays in the record, hidden from the usual lists."
    )

    def form_context(self):
        return {"record_label": str(self.get_note()), "danger": True}

    def perform(self, form):
        return services.note_mark_entered_in_error(
            note=self.get_note(), actor=self.request.user, reason=form.cleaned_data["reason"]
        )


# --- Conditions -----------------------------------------------------------------------------


class ConditionCreateView(ClinicalFormView):
    """Add a diagnosis, searched in ICD-10-CM as one types."""

    permission_required = ("patients.view_patient", "clinical.add_condition")
    form_class = forms.ConditionForm
    template_name = "clinical/condition_form.html"
    chart_part = "problems:add"
    back_tab = "problems"
    title = gettext_lazy("Add a diagnosis")
    submit_label = gettext_lazy("Add diagnosis")
    success_message = gettext_lazy("The diagnosis was added.")

    def get_form_kwargs(self):
        return {"patient": self.get_patient()}

    def get_initial(self):
        encounter = _encounter_from_query(self.request, self.get_patient())
        if encounter:
            return {"encounter": encounter.pk, "category": "encounter-diagnosis"}
        return {}

    def form_context(self):
        form_code = ""
        if self.request.method == "POST":
            form_code = selectors.diagnosis_code_get(self.request.POST.get("code", ""))
        return {"chosen_code": form_code}

    def perform(self, form):
        data = form.cleaned_data
        return services.condition_create(
            patient=self.get_patient(),
            actor=self.request.user,
            code=data["code"],
            clinical_status=data["clinical_status"],
            category=data["category"],
            onset=data.get("onset"),
            encounter=data.get("encounter"),
            is_primary=data.get("is_primary", False),
            note=data.get("note", ""),
        )

    def get_success_url(self, condition):
        if condition.encounter_id and "encounter" in self.request.GET:
            return condition.encounter.get_absolute_url()
        return self.back_url()


class DiagnosisCodeSearchView(StaffViewMixin, View):
    """The ICD-10-CM search as one types (htmx): a short list of codes and titles."""

    def get(self, request):
        if not request.user.has_perm("clinical.view_diagnosiscode"):
            return render(request, "errors/403.html", status=403)
        query = request.GET.get("q") or request.GET.get("code") or ""
        return render(
            request,
            "clinical/partials/diagnosis_code_results.html",
            {
                "codes": selectors.diagnosis_code_search(query),
                "query": query.strip(),
                "too_short": len(query.strip()) < selectors.MIN_SEARCH_LENGTH,
            },
        )


class ConditionMixin:
    back_tab = "problems"

    def get_condition(self):
        if not hasattr(self, "_condition"):
            self._condition = selectors.condition_get(self.kwargs["pk"])
        return self._condition

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_condition().patient_id)
        return self._patient


class ConditionUpdateView(ConditionMixin, ClinicalFormView):
    """Change a condition's status (resolve it), onset, resolution date or note."""

    permission_required = ("patients.view_patient", "clinical.change_condition")
    form_class = forms.ConditionUpdateForm
    chart_part = "problems:edit"
    title = gettext_lazy("Update the diagnosis")
    success_message = gettext_lazy("The diagnosis was updated.")

    def get_initial(self):
        c = self.get_condition()
        return {
            "clinical_status": c.clinical_status,
            "onset": c.onset,
            "resolved_on": c.resolved_on,
            "note": c.note,
        }

    def form_context(self):
        return {"record_label": str(self.get_condition().code)}

    def perform(self, form):
        return services.condition_update(
            condition=self.get_condition(), actor=self.request.user, **form.cleaned_data
        )


class ConditionResolveView(ConditionMixin, ClinicalView):
    """Mark a condition resolved today (POST)."""

    permission_required = ("patients.view_patient", "clinical.change_condition")
    chart_part = "problems:resolve"

    def post(self, request, pk):
        try:
            services.condition_resolve(condition=self.get_condition(), actor=request.user)
            messages.success(request, _("The diagnosis was marked resolved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(self.back_url())


class ConditionEnteredInErrorView(ConditionMixin, ClinicalFormView):
    permission_required = ("patients.view_patient", "clinical.change_condition")
    form_class = forms.EnteredInErrorForm
    chart_part = "problems:entered-in-error"
    title = gettext_lazy("Mark the diagnosis entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy("The diagnosis was marked entered in error.")

    def form_context(self):
        return {"record_label": str(self.get_condition().code), "danger": True}

    def perform(self, form):
        return services.condition_mark_entered_in_error(
            condition=self.get_condition(),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )


# --- Allergies ------------------------------------------------------------------------------


class AllergyCreateView(ClinicalFormView):
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


class AllergyNoneKnownView(ClinicalView):
    """Record "no known allergies" (POST)."""

    permission_required = ("patients.view_patient", "clinical.add_allergystatus")
    chart_part = "allergies:none-known"
    back_tab = "allergies"

    def post(self, request, pk):
        try:
            services.allergy_status_set_none_known(patient=self.get_patient(), actor=request.user)
            messages.success(request, _("Recorded: no known allergies."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(self.back_url())


class AllergyMixin:
    back_tab = "allergies"

    def get_allergy(self):
        if not hasattr(self, "_allergy"):
            self._allergy = selectors.allergy_get(self.kwargs["pk"])
        return self._allergy

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_allergy().patient_id)
        return self._patient


class AllergyUpdateView(AllergyMixin, ClinicalFormView):
    """Change an allergy's severity, reaction or status."""

    permission_required = ("patients.view_patient", "clinical.change_allergy")
    form_class = forms.AllergyUpdateForm
    chart_part = "allergies:edit"
    title = gettext_lazy("Update the allergy")
    success_message = gettext_lazy("The allergy was updated.")

    def get_initial(self):
        a = self.get_allergy()
        return {
            "severity": a.severity,
            "reaction": a.reaction,
            "status": a.status,
            "status_reason": a.status_reason,
        }

    def form_context(self):
        return {"record_label": self.get_allergy().allergen}

    def get(self, request, *args, **kwargs):
        if self.get_allergy().status == AllergyClinicalStatus.ENTERED_IN_ERROR:
            messages.error(request, _("An allergy entered in error cannot be changed."))
            return HttpResponseRedirect(self.back_url())
        return super().get(request, *args, **kwargs)

    def perform(self, form):
        return services.allergy_update(
            allergy=self.get_allergy(), actor=self.request.user, **form.cleaned_data
        )


class AllergyEnteredInErrorView(AllergyMixin, ClinicalFormView):
    permission_required = ("patients.view_patient", "clinical.change_allergy")
    form_class = forms.EnteredInErrorForm
    chart_part = "allergies:entered-in-error"
    title = gettext_lazy("Mark the allergy entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy("The allergy was marked entered in error.")

    def form_context(self):
        return {"record_label": self.get_allergy().allergen, "danger": True}

    def perform(self, form):
        return services.allergy_mark_entered_in_error(
            allergy=self.get_allergy(),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )


# --- History --------------------------------------------------------------------------------


class SurgicalHistoryCreateView(ClinicalFormView):
    permission_required = ("patients.view_patient", "clinical.add_surgicalhistory")
    form_class = forms.SurgicalHistoryForm
    chart_part = "medical-history:surgical"
    back_tab = "medical-history"
    title = gettext_lazy("Add a past operation or procedure")
    success_message = gettext_lazy("The surgical history was updated.")

    def perform(self, form):
        return services.surgical_history_create(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )


class FamilyHistoryCreateView(ClinicalFormView):
    permission_required = ("patients.view_patient", "clinical.add_familyhistory")
    form_class = forms.FamilyHistoryForm
    chart_part = "medical-history:family"
    back_tab = "medical-history"
    title = gettext_lazy("Add to the family history")
    success_message = gettext_lazy("The family history was updated.")

    def perform(self, form):
        return services.family_history_create(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )


class SocialHistoryUpdateView(ClinicalFormView):
    permission_required = ("patients.view_patient", "clinical.change_socialhistory")
    form_class = forms.SocialHistoryForm
    chart_part = "medical-history:social"
    back_tab = "medical-history"
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


class HistoryEnteredInErrorView(ClinicalFormView):
    """Mark a surgical or family history entry entered in error."""

    form_class = forms.EnteredInErrorForm
    back_tab = "medical-history"
    title = gettext_lazy("Mark the entry entered in error")
    submit_label = gettext_lazy("Mark entered in error")
    success_message = gettext_lazy("The entry was marked entered in error.")
    model = None

    def get_record(self):
        if not hasattr(self, "_record"):
            self._record = selectors.history_record_get(self.model, self.kwargs["pk"])
        return self._record

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_record().patient_id)
        return self._patient

    def form_context(self):
        return {"record_label": str(self.get_record()), "danger": True}

    def perform(self, form):
        return services.history_mark_entered_in_error(
            record=self.get_record(),
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
