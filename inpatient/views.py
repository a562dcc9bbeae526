"""Inpatient pages: the bed board (with its actions and htmx refresh), the admission
request queue, the admission, transfer and discharge forms, admissions, and the census
with its CSV export.

Each view declares its role permission; objects come through the selectors (unknown or
out of scope: 404). Form pages are `ServiceFormView`s: the service decides, its domain
errors go onto the form (400). The board's actions answer with the bed's panel (htmx) or
go back to the board. The board shows names, age, sex and the attending doctor (ADT,
demographic level); clinical content stays in the chart. Reasons for admission (of
requests and admissions) only users with chart access read
(`clinical_reason_visibility`); others see "Reason recorded".
"""

import csv
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from accounts.selectors import is_active_doctor
from ehr.core import parameters
from ehr.core.exports import csv_cell
from ehr.core.models import NOTE_MAX_LENGTH
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import ServiceFormView, StaffViewMixin
from inpatient import forms, services
from inpatient.exceptions import DischargeNotOrdered
from inpatient.models import AdmissionRequest, Bed, Priority, WardNurse
from inpatient.selectors import (
    admission_get,
    admission_list_for_user,
    admission_request_get,
    admission_request_queue,
    admissions_with_location,
    bed_board,
    bed_board_tile,
    bed_detail,
    bed_get,
    bed_list_for_user,
    census,
    current_stay_of,
    discharge_summary,
    patient_search_results,
    ward_list_for_user,
)
from patients.access import ChartPageMixin
from patients.selectors import chart_access_for, clinical_reason_visibility, patient_get


class InpatientViewMixin(StaffViewMixin, RolePermissionRequiredMixin):
    """Base of the inpatient pages: staff only, and the role gate."""


def board_url(ward_id=None, bed_id=None):
    """Return the bed board's address, showing `ward_id` (and bed `bed_id`) if given."""
    url = reverse("inpatient:bed_board")
    query = {k: v for k, v in (("ward", ward_id), ("bed", bed_id)) if v}
    return f"{url}?{urlencode(query)}" if query else url


def board_flags(user):
    """Return what the user may do from the board (the templates read these flags)."""
    can_assign = user.has_perm("inpatient.assign_bed")
    can_admit_direct = user.has_perm("inpatient.add_admission")
    return {
        "can_admit": can_assign or can_admit_direct,
        "can_transfer": user.has_perm("inpatient.transfer_admission"),
        "can_order_discharge": user.has_perm("inpatient.order_discharge"),
        "can_discharge": user.has_perm("inpatient.discharge_admission"),
        # The ward completes a discharge only once a doctor ordered it (the service's
        # rule); templates combine this flag with the admission's state.
        "can_complete_discharge": not user.has_perm("inpatient.discharge_admission")
        and user.has_perm("inpatient.complete_ordered_discharge"),
        "can_set_status": user.has_perm("inpatient.set_bed_status"),
        "can_view_admission": user.has_perm("inpatient.view_admission"),
    }


def panel_context(request, bed_pk, *, error=None, done=None):
    """Return the context of the bed panel: one bed with its patient and the actions the
    user may take on it (with the forms of its actions: built only for a shown bed)."""
    return {
        "detail": bed_detail(request.user, bed_pk),
        "panel_error": error,
        "panel_done": done,
        "now": timezone.now(),
        "block_form": forms.BedBlockForm(),
        "reserve_form": forms.BedReserveForm(
            initial={"hours": parameters.get("bed_reservation_hours")}
        ),
        **board_flags(request.user),
    }


# --- The bed board ----------------------------------------------------------------------------


class BedBoardView(InpatientViewMixin, TemplateView):
    """The bed board: the rooms and beds of a ward (or of all wards), coloured by state,
    with the patient in each occupied bed. Selecting a bed (`?bed=`) opens its panel
    with the actions the user may take."""

    permission_required = "inpatient.view_bed"
    template_name = "inpatient/bed_board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        wards = list(ward_list_for_user(user))
        form = forms.BoardFilterForm(self.request.GET, wards=wards)
        values = form.cleaned_data if form.is_valid() else {}
        choice = values.get("ward") or self._default_ward(wards)
        shown = wards if choice == forms.BoardFilterForm.ALL else [form.wards[choice]]
        status = values.get("status") or None
        query = {"ward": choice, **({"status": status} if status else {})}
        if values.get("ward") != choice or form.errors:
            form = forms.BoardFilterForm(query, wards=wards)
            form.is_valid()
        context.update(
            board=bed_board(wards=shown, status=status) if wards else None,
            filter_form=form,
            wards=wards,
            selected_ward=shown[0] if len(shown) == 1 else None,
            status=status,
            statuses=Bed.Status.choices,
            board_query=urlencode(query),
            grid_url=f"{reverse('inpatient:bed_board_grid')}?{urlencode(query)}",
            now=timezone.now(),
            can_request=user.has_perm("inpatient.add_admissionrequest"),
            **board_flags(user),
        )
        selected = self.request.GET.get("bed")
        if selected:
            try:
                context.update(panel_context(self.request, selected))
                context["selected_bed"] = context["detail"].id
            except Http404:
                pass
        return context

    def _default_ward(self, wards):
        """A nurse's own ward; everyone else (doctors follow patients across wards) sees
        all wards."""
        mine = (
            WardNurse.objects.filter(user=self.request.user)
            .order_by("ward__name")
            .values_list("ward_id", flat=True)
            .first()
        )
        if mine and str(mine) in {str(w.pk) for w in wards}:
            return str(mine)
        return forms.BoardFilterForm.ALL


class BedBoardGridView(BedBoardView):
    """The board's grid alone: what its htmx polling swaps in every few seconds (with
    the selected bed's panel out of band)."""

    template_name = "inpatient/partials/bed_grid_refresh.html"


class BedPanelView(InpatientViewMixin, DetailView):
    """One bed's panel (htmx); without htmx, the board with the bed selected."""

    permission_required = "inpatient.view_bed"
    template_name = "inpatient/partials/bed_panel.html"
    context_object_name = "bed"

    def get_queryset(self):
        return bed_list_for_user(self.request.user)

    def get(self, request, *args, **kwargs):
        if not request.htmx:
            bed = self.get_object()
            return HttpResponseRedirect(board_url(bed.room.ward_id, bed.pk))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(panel_context(self.request, self.object.pk))
        return context


class BoardActionView(InpatientViewMixin, ServiceFormView):
    """An action from the bed board (POST): htmx gets the bed's panel back, with what
    was done or why not, and the bed's tile swapped out of band; without htmx the user
    goes back to the board (or `fallback_url()`) with a message. Subclasses give
    `panel_bed_pk()`, `perform(form)` and `done_message(form)`."""

    http_method_names = ["post"]
    template_name = "inpatient/partials/bed_panel.html"
    form_class = django_forms.Form

    def panel_bed_pk(self):
        raise NotImplementedError

    def fallback_url(self):
        return board_url()

    def answer(self, *, error=None, done=None):
        """Answer with the bed's panel (htmx), else go back with a message."""
        if self.answers_with_panel():
            bed_pk = self.panel_bed_pk()
            context = panel_context(self.request, bed_pk, error=error, done=done)
            tile = bed_board_tile(bed_pk)
            context.update(oob_tile=True, tile=tile, oob_tiles=[tile], selected_bed=tile.id)
            return render(self.request, self.template_name, context)
        if error:
            messages.error(self.request, error)
        else:
            messages.success(self.request, done)
        return HttpResponseRedirect(self.fallback_url())

    def done_message(self, form):
        """Return what was done, for the panel or the message."""
        raise NotImplementedError

    def answers_with_panel(self):
        return bool(self.request.htmx) and self.panel_bed_pk() is not None

    def get_success_message(self, form):
        # The panel says what was done: no message waits for the next page.
        return "" if self.answers_with_panel() else self.done_message(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        if hasattr(self, "result") and self.answers_with_panel():
            return self.answer(done=self.done_message(form))
        return response

    def form_invalid(self, form):
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return self.answer(error=" ".join(errors))

    def get_success_url(self):
        return self.fallback_url()


class BedActionView(BoardActionView):
    """Housekeeping on one bed (POST): mark clean, block, unblock, reserve, release a
    reservation, isolation on/off."""

    permission_required = "inpatient.set_bed_status"
    FORMS = {"block": forms.BedBlockForm, "reserve": forms.BedReserveForm}
    MESSAGES = {
        "clean": _("Bed %(bed)s is clean and available."),
        "block": _("Bed %(bed)s is blocked."),
        "unblock": _("Bed %(bed)s is back in use."),
        "reserve": _("Bed %(bed)s is reserved."),
        "release": _("The reservation of bed %(bed)s was released."),
        "isolate": _("Isolation updated."),
        "end-isolation": _("Isolation updated."),
    }

    def dispatch(self, request, *args, **kwargs):
        if kwargs["action"] not in self.MESSAGES:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @property
    def bed(self):
        if not hasattr(self, "_bed"):
            self._bed = bed_get(self.request.user, self.kwargs["pk"])
        return self._bed

    def panel_bed_pk(self):
        return self.bed.pk

    def fallback_url(self):
        return board_url(self.bed.room.ward_id, self.bed.pk)

    def get_form_class(self):
        return self.FORMS.get(self.kwargs["action"], django_forms.Form)

    def form_invalid(self, form):
        if self.kwargs["action"] == "block" and "__all__" not in form.errors:
            return self.answer(error=_("Choose why the bed is blocked."))
        if self.kwargs["action"] == "reserve" and "__all__" not in form.errors:
            return self.answer(error=_("Choose how long to hold the bed."))
        return super().form_invalid(form)

    def done_message(self, form):
        return self.MESSAGES[self.kwargs["action"]] % {"bed": self.bed.label}

    def perform(self, form):
        action, bed, actor = self.kwargs["action"], self.bed, self.request.user
        data = form.cleaned_data
        if action == "clean":
            return services.bed_mark_clean(bed=bed, actor=actor)
        if action == "block":
            return services.bed_block(bed=bed, reason=data["reason"], actor=actor)
        if action == "unblock":
            return services.bed_unblock(bed=bed, actor=actor)
        if action == "reserve":
            return services.bed_reserve(
                bed=bed, actor=actor, until=form.until(), reason=data["reason"]
            )
        if action == "release":
            return services.bed_reservation_release(bed=bed, actor=actor)
        return services.bed_set_isolation(bed=bed, isolation=action == "isolate", actor=actor)


# --- Admission requests -----------------------------------------------------------------------


class AdmissionRequestListView(InpatientViewMixin, ListView):
    """The admission request queue: pending requests, most urgent and oldest first;
    nurses and receptionists assign beds from here."""

    permission_required = "inpatient.view_admissionrequest"
    template_name = "inpatient/admissionrequest_list.html"
    context_object_name = "requests"
    paginate_by = 25

    def filters(self):
        if not hasattr(self, "_filters"):
            get = self.request.GET
            status = get.get("status", AdmissionRequest.Status.PENDING)
            if status not in {"", *AdmissionRequest.Status.values}:
                status = AdmissionRequest.Status.PENDING
            priority = get.get("priority", "")
            if priority not in Priority.values:
                priority = ""
            wards = {str(w.pk): w for w in ward_list_for_user(self.request.user)}
            self._filters = {
                "status": status,
                "pending_only": status == AdmissionRequest.Status.PENDING,
                "priority": priority,
                "ward": wards.get(get.get("ward", "")),
                "wards": wards.values(),
            }
        return self._filters

    def get_queryset(self):
        f = self.filters()
        return admission_request_queue(
            self.request.user, status=f["status"], priority=f["priority"] or None, ward=f["ward"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        bed = None
        if bed_id := self.request.GET.get("bed"):
            bed = bed_get(user, bed_id)
        context["requests"] = clinical_reason_visibility(user, context["requests"])
        context.update(
            filters=self.filters(),
            statuses=AdmissionRequest.Status.choices,
            priorities=Priority.choices,
            bed=bed,
            can_assign=user.has_perm("inpatient.assign_bed"),
            can_request=user.has_perm("inpatient.add_admissionrequest"),
            can_cancel=user.has_perm("inpatient.change_admissionrequest"),
            now=timezone.now(),
        )
        return context


class AdmissionRequestCreateView(InpatientViewMixin, ServiceFormView):
    """A doctor requests a patient's admission (`?patient=<id>` preselects the patient)."""

    permission_required = "inpatient.add_admissionrequest"
    template_name = "inpatient/admissionrequest_form.html"
    form_class = forms.AdmissionRequestForm
    success_url = reverse_lazy("inpatient:admissionrequest_list")

    def get_patient(self):
        if not hasattr(self, "_patient"):
            pk = self.request.GET.get("patient")
            self._patient = patient_get(self.request.user, pk) if pk else None
        return self._patient

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "patient": self.get_patient(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(patient=self.get_patient(), **kwargs)
        if self.get_patient() is None:
            data = self.request.POST
            query = data.get("patient_q", "").strip()[:200] if self.request.method == "POST" else ""
            results = patient_search_results(self.request.user, query)
            # The patient picked before an error stays picked (and listed).
            chosen = patient_search_results(self.request.user, "", pk=data.get("patient"))
            if chosen and chosen[0] not in results:
                results = chosen + results
            context.update(
                patient_query=query,
                patient_results=results,
                chosen_patient=chosen[0] if chosen else None,
                too_short=0 < len(query) < 2,
            )
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("search"):
            # Without JavaScript the Search button posts the form: show the results and
            # keep what was typed, without checking the rest yet.
            form = self.get_form_class()(initial=request.POST.dict(), **self._form_init_kwargs())
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def _form_init_kwargs(self):
        return {"user": self.request.user, "patient": self.get_patient()}

    def perform(self, form):
        data = form.cleaned_data
        return services.admission_request_create(
            patient=data["patient"],
            reason=data["reason"],
            priority=data["priority"],
            ward_preference=data["ward_preference"],
            actor=self.request.user,
        )

    def get_success_message(self, form):
        return _("%(patient)s is in the admission queue.") % {
            "patient": form.cleaned_data["patient"].full_name
        }


class PatientSearchView(InpatientViewMixin, View):
    """The request form's patient search results (htmx POST, so that no name travels in
    an address): patients the user may see (`patient_list_for_user`), as choices."""

    permission_required = ("patients.view_patient", "inpatient.add_admissionrequest")

    def post(self, request):
        query = request.POST.get("patient_q", "").strip()[:200]
        return render(
            request,
            "inpatient/partials/patient_results.html",
            {
                "patient_query": query,
                "patient_results": patient_search_results(request.user, query),
                "too_short": 0 < len(query) < 2,
            },
        )


class AdmissionRequestCancelView(InpatientViewMixin, ServiceFormView):
    """Take a request out of the queue (POST, with an optional reason); back to the
    queue either way, with what happened."""

    permission_required = "inpatient.change_admissionrequest"
    http_method_names = ["post"]
    form_class = forms.AdmissionRequestCancelForm
    success_url = reverse_lazy("inpatient:admissionrequest_list")
    success_message = _("The request was cancelled.")

    def post(self, request, *args, **kwargs):
        self.admission_request = admission_request_get(request.user, kwargs["pk"])
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        return services.admission_request_cancel(
            request=self.admission_request,
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )

    def form_invalid(self, form):
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(self.request, " ".join(errors))
        return redirect(self.success_url)


# --- Admission --------------------------------------------------------------------------------


class AdmissionCreateView(InpatientViewMixin, ServiceFormView):
    """Admit a patient to a bed. Nurses and receptionists assign a bed to a queued request
    (`?admission_request=`); doctors may also admit directly by MRN. `?bed=` preselects
    the bed (from the board), `?patient=` the patient."""

    template_name = "inpatient/admission_form.html"
    form_class = forms.AdmissionForm

    def has_permission(self):
        user = self.request.user
        return user.is_authenticated and (
            user.has_perm("inpatient.assign_bed") or user.has_perm("inpatient.add_admission")
        )

    def get_preset_request(self):
        if not hasattr(self, "_preset_request"):
            self._preset_request = None
            if pk := self.request.GET.get("admission_request"):
                self._preset_request = admission_request_get(self.request.user, pk)
                clinical_reason_visibility(self.request.user, [self._preset_request])
        return self._preset_request

    def get_initial(self):
        user, get = self.request.user, self.request.GET
        preset_request = self.get_preset_request()
        initial = {}
        if preset_request is not None:
            initial.update(
                admission_request=preset_request.pk,
                attending_doctor=preset_request.requested_by_id,
            )
        elif is_active_doctor(user):
            initial["attending_doctor"] = user.pk
        if bed_id := get.get("bed"):
            initial["bed"] = str(bed_get(user, bed_id).pk)
        if patient := self.get_preset_patient():
            initial["patient"] = patient.display_mrn
        return initial

    def get_preset_patient(self):
        """The patient named by `?patient=` (through the selector: out of scope, 404)."""
        if not hasattr(self, "_preset_patient"):
            pk = self.request.GET.get("patient")
            self._preset_patient = patient_get(self.request.user, pk) if pk else None
        return self._preset_patient

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "user": user,
            "can_assign": user.has_perm("inpatient.assign_bed"),
            "can_admit": user.has_perm("inpatient.add_admission"),
            "preset_request": self.get_preset_request(),
            "patient": self.get_preset_patient(),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(preset_request=self.get_preset_request(), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        self.admitted_bed = data["bed"]
        return services.admission_create(
            bed=data["bed"],
            attending_doctor=data["attending_doctor"],
            actor=self.request.user,
            patient=data.get("patient"),
            request=data.get("admission_request"),
            reason=data["reason"],
            expected_discharge=data["expected_discharge"],
            admitted_at=data["admitted_at"],
        )

    def get_success_message(self, form):
        return _("%(patient)s is admitted to bed %(bed)s.") % {
            "patient": self.result.patient.full_name,
            "bed": form.cleaned_data["bed"].label,
        }

    def get_success_url(self):
        return board_url(self.admitted_bed.room.ward_id)


class AdmissionListView(InpatientViewMixin, ListView):
    """Admissions: current inpatients (default), discharged, or all; by ward."""

    permission_required = "inpatient.view_admission"
    template_name = "inpatient/admission_list.html"
    context_object_name = "admissions"
    paginate_by = 25
    SHOW = {"open": _("In hospital"), "discharged": _("Discharged"), "all": _("All")}

    def filters(self):
        if not hasattr(self, "_filters"):
            show = self.request.GET.get("show", "open")
            wards = {str(w.pk): w for w in ward_list_for_user(self.request.user)}
            self._filters = {
                "show": show if show in self.SHOW else "open",
                "ward": wards.get(self.request.GET.get("ward", "")),
                "wards": wards.values(),
            }
        return self._filters

    def get_queryset(self):
        f = self.filters()
        queryset = admission_list_for_user(self.request.user).select_related(
            "patient", "attending_doctor"
        )
        if f["show"] == "open":
            queryset = queryset.open()
        elif f["show"] == "discharged":
            queryset = queryset.discharged()
        queryset = admissions_with_location(queryset)
        if f["ward"] is not None:
            queryset = queryset.filter(ward_id=f["ward"].pk)
        order = "-discharged_at" if f["show"] == "discharged" else "-admitted_at"
        return queryset.order_by(order, "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(filters=self.filters(), show_choices=self.SHOW.items(), now=timezone.now())
        return context


class AdmissionDetailView(InpatientViewMixin, DetailView):
    """One admission: status, bed stays, discharge; the actions the user may take."""

    permission_required = "inpatient.view_admission"
    template_name = "inpatient/admission_detail.html"
    context_object_name = "admission"

    def get_queryset(self):
        return admission_list_for_user(self.request.user).select_related(
            "patient",
            "attending_doctor",
            "admitting_doctor",
            "discharged_by",
            "discharge_ordered_by",
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        admission, user = self.object, self.request.user
        stays = list(admission.stays.select_related("bed__room__ward", "created_by"))
        clinical_reason_visibility(user, [admission])
        context.update(
            patient=admission.patient,
            stays=stays,
            current_stay=next((s for s in stays if s.is_current), None),
            show_summary=chart_access_for(user, admission.patient).allowed,
            summary_max_length=NOTE_MAX_LENGTH,
            now=timezone.now(),
            **board_flags(user),
        )
        return context


class AdmissionSummaryPrintView(ChartPageMixin, TemplateView):
    """The printable discharge summary of an admission: admission, stay, diagnoses, the
    doctor's discharge-summary note and the disposition. The admission comes through the
    selector (out of scope: 404); the page is clinical, so it needs chart access like
    the summary on the admission page (403 with break-the-glass otherwise), logged."""

    permission_required = ("patients.view_patient", "inpatient.view_admission")
    template_name = "inpatient/admission_summary_print.html"
    chart_part = "notes"
    back_tab = "admissions"

    def get_admission(self):
        if not hasattr(self, "_admission"):
            self._admission = admission_get(self.request.user, self.kwargs["pk"])
        return self._admission

    def get_patient_pk(self):
        return self.get_admission().patient_id

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(summary=discharge_summary(self.get_admission()), printed_at=timezone.now())
        return context


class AdmissionScopeMixin(InpatientViewMixin):
    """Pages about one open admission, looked up through the selector (else 404); a
    discharged one sends the user back to it with a message."""

    def get_admission(self):
        if not hasattr(self, "_admission"):
            self._admission = admission_get(self.request.user, self.kwargs["pk"])
        return self._admission

    def get_stay(self):
        if not hasattr(self, "_stay"):
            self._stay = current_stay_of(self.get_admission())
        return self._stay

    def closed_redirect(self):
        messages.error(self.request, _("This admission has been discharged."))
        return redirect(self.get_admission())

    def get(self, request, *args, **kwargs):
        if not self.get_admission().is_open:
            return self.closed_redirect()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.get_admission().is_open:
            return self.closed_redirect()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        admission = self.get_admission()
        return super().get_context_data(
            admission=admission, patient=admission.patient, stay=self.get_stay(), **kwargs
        )


class AdmissionTransferView(AdmissionScopeMixin, ServiceFormView):
    """Move the patient to another bed, with a reason."""

    permission_required = "inpatient.transfer_admission"
    template_name = "inpatient/admission_transfer.html"
    form_class = forms.TransferForm

    def get_initial(self):
        if bed_id := self.request.GET.get("bed"):
            return {"bed": str(bed_get(self.request.user, bed_id).pk)}
        return {}

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "admission": self.get_admission(),
            "current_bed": self.get_stay().bed,
        }

    def perform(self, form):
        return services.admission_transfer(
            admission=self.get_admission(),
            bed=form.cleaned_data["bed"],
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
        )

    def get_success_message(self, form):
        return _("%(patient)s moved from %(old)s to %(new)s.") % {
            "patient": self.get_admission().patient.full_name,
            "old": self.get_stay().bed.label,
            "new": self.result.bed.label,
        }

    def get_success_url(self):
        return board_url(self.result.bed.room.ward_id)


class AdmissionOrderDischargeView(AdmissionScopeMixin, BoardActionView):
    """The doctor orders the discharge (POST `order`), or withdraws the order (POST
    `cancel`). The bed stays occupied until the discharge is completed."""

    permission_required = "inpatient.order_discharge"
    form_class = forms.DischargeOrderForm

    def panel_bed_pk(self):
        stay = self.get_stay()
        return stay.bed_id if stay is not None else None

    def fallback_url(self):
        return self.get_admission().get_absolute_url()

    def perform(self, form):
        admission, actor = self.get_admission(), self.request.user
        if form.cleaned_data["cancel"]:
            return services.admission_discharge_order_cancel(admission=admission, actor=actor)
        return services.admission_order_discharge(
            admission=admission, actor=actor, summary=form.cleaned_data["summary"]
        )

    def done_message(self, form):
        if form.cleaned_data["cancel"]:
            return _("The discharge order was withdrawn.")
        return _("Discharge ordered. The bed stays occupied until the discharge is completed.")


class AdmissionDischargeView(AdmissionScopeMixin, ServiceFormView):
    """Complete the discharge. A doctor: disposition, summary, time. The ward (nurses,
    receptionists): disposition and time of a discharge a doctor ordered, the summary
    being the doctor's. The bed goes to cleaning."""

    template_name = "inpatient/admission_discharge.html"

    def has_permission(self):
        user = self.request.user
        return user.is_authenticated and (
            user.has_perm("inpatient.discharge_admission")
            or user.has_perm("inpatient.complete_ordered_discharge")
        )

    def by_doctor(self):
        return self.request.user.has_perm("inpatient.discharge_admission")

    def get_form_class(self):
        return forms.DischargeForm if self.by_doctor() else forms.DischargeCompleteForm

    def get(self, request, *args, **kwargs):
        # The ward's form has nothing to complete until a doctor orders the discharge;
        # a POST still goes to the service, whose rule (DischargeNotOrdered) decides.
        admission = self.get_admission()
        if admission.is_open and not self.by_doctor() and not admission.discharge_is_ordered:
            raise PermissionDenied(DischargeNotOrdered.default_message)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(by_doctor=self.by_doctor(), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        self.get_stay()  # the bed the patient leaves, for the message
        if not self.by_doctor():
            return services.admission_discharge_complete(
                admission=self.get_admission(),
                disposition=data["disposition"],
                discharged_at=data["discharged_at"],
                actor=self.request.user,
            )
        return services.admission_discharge(
            admission=self.get_admission(),
            disposition=data["disposition"],
            summary=data["summary"],
            discharged_at=data["discharged_at"],
            actor=self.request.user,
        )

    def get_success_message(self, form):
        return _("%(patient)s is discharged. Bed %(bed)s is waiting for cleaning.") % {
            "patient": self.result.patient.full_name,
            "bed": self.get_stay().bed.label,
        }

    def get_success_url(self):
        return board_url(self.get_stay().bed.room.ward_id)


# --- Census -----------------------------------------------------------------------------------


class CensusMixin(InpatientViewMixin):
    permission_required = "inpatient.view_census"

    def get_census(self):
        wards = {str(w.pk): w for w in ward_list_for_user(self.request.user)}
        self.wards = list(wards.values())
        self.ward = wards.get(self.request.GET.get("ward", ""))
        return census(ward=self.ward)


class CensusView(CensusMixin, TemplateView):
    """Occupancy per ward now; the last 30 days (occupancy at midnight from the bed
    stays, admissions, discharges, transfers, average length of stay), with charts."""

    template_name = "inpatient/census.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.get_census()
        context.update(
            census=report,
            alos_days=(
                round(report.average_length_of_stay.total_seconds() / 86400, 1)
                if report.average_length_of_stay is not None
                else None
            ),
            wards=self.wards,
            ward=self.ward,
            export_query=urlencode({"ward": self.ward.pk}) if self.ward else "",
            chart_data={
                "days": [d.day.strftime("%d %b") for d in report.days],
                "occupancy": [d.occupancy for d in report.days],
                "occupied": [d.occupied_at_midnight for d in report.days],
                "admissions": [d.admissions for d in report.days],
                "discharges": [d.discharges for d in report.days],
                "transfers": [d.transfers for d in report.days],
                "wards": [w["name"] for w in report.wards],
                "states": [
                    {"key": key, "label": str(label), "values": [w[key] for w in report.wards]}
                    for key, label in Bed.Status.choices
                ],
                "labels": {
                    "occupancy": _("Occupancy at midnight (%)"),
                    "admissions": _("Admissions"),
                    "discharges": _("Discharges"),
                    "transfers": _("Transfers"),
                },
            },
        )
        return context


class CensusExportView(CensusMixin, View):
    """The census as CSV: `?table=days` (default, the last 30 days) or `?table=wards`
    (occupancy per ward now)."""

    def get(self, request):
        table = request.GET.get("table", "days")
        if table not in ("days", "wards"):
            raise Http404
        report = self.get_census()
        stamp = timezone.localtime(report.now).strftime("%Y-%m-%d")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="census-{table}-{stamp}.csv"'
        writer = csv.writer(response)
        if table == "wards":
            writer.writerow(["ward", "total", *Bed.Status.values, "occupancy_percent"])
            for row in [*report.wards, {"name": "All wards", **report.totals}]:
                writer.writerow(
                    [
                        csv_cell(row["name"]),
                        row["total"],
                        *[row[s] for s in Bed.Status.values],
                        row["occupancy"],
                    ]
                )
        else:
            writer.writerow(
                [
                    "date",
                    "occupied_at_midnight",
                    "beds",
                    "occupancy_percent",
                    "admissions",
                    "discharges",
                    "transfers",
                ]
            )
            for day in report.days:
                writer.writerow(
                    [
                        day.day.isoformat(),
                        day.occupied_at_midnight,
                        report.totals["total"],
                        day.occupancy,
                        day.admissions,
                        day.discharges,
                        day.transfers,
                    ]
                )
        return response
