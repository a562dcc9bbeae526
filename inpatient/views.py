"""Inpatient pages: the bed board (with its actions and htmx refresh), the admission
request queue, the admission, transfer and discharge forms, admissions, and the census
with its CSV export.

Each view declares its role permission; objects come through the selectors (unknown or
out of scope: 404). The board shows names, age, sex and the attending doctor (ADT,
demographic level); clinical content stays in the chart. Reasons for admission (of
requests and admissions) only users with chart access read
(`clinical_reason_visibility`); others see "Reason recorded".
"""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from ehr.core.exceptions import DomainError
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import StaffViewMixin
from inpatient import forms, services
from inpatient.models import Admission, AdmissionRequest, Bed, Priority, WardNurse
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
    census,
    current_stay_of,
    ward_list_for_user,
)
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
        "can_set_status": user.has_perm("inpatient.set_bed_status"),
        "can_view_admission": user.has_perm("inpatient.view_admission"),
        "block_form": forms.BedBlockForm(),
        "reserve_form": forms.BedReserveForm(
            initial={"hours": services.parameters.get("bed_reservation_hours")}
        ),
    }


def _error_text(exc):
    return " ".join(exc.messages)


# --- The bed board ----------------------------------------------------------------------------


def panel_context(request, bed_pk, *, error=None, done=None):
    """Return the context of the bed panel: one bed with its patient and the actions the
    user may take on it."""
    return {
        "detail": bed_detail(request.user, bed_pk),
        "panel_error": error,
        "panel_done": done,
        "now": timezone.now(),
        **board_flags(request.user),
    }


def render_panel(request, bed_pk, *, error=None, done=None):
    """Render the bed panel, with the bed's tile swapped on the board out of band (the
    answer to an htmx action on the bed)."""
    context = panel_context(request, bed_pk, error=error, done=done)
    tile = bed_board_tile(bed_pk)
    context.update(oob_tile=True, tile=tile, oob_tiles=[tile], selected_bed=tile.id)
    return render(request, "inpatient/partials/bed_panel.html", context)


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


class BedPanelView(InpatientViewMixin, View):
    """One bed's panel (htmx); without htmx, the board with the bed selected."""

    permission_required = "inpatient.view_bed"

    def get(self, request, pk):
        bed = bed_get(request.user, pk)
        if not request.htmx:
            return HttpResponseRedirect(board_url(bed.room.ward_id, bed.pk))
        return render(request, "inpatient/partials/bed_panel.html", panel_context(request, pk))


class BedActionView(InpatientViewMixin, View):
    """Housekeeping on one bed (POST): mark clean, block, unblock, reserve, release a
    reservation, isolation on/off. htmx gets the bed's panel and tile back."""

    permission_required = "inpatient.set_bed_status"
    ACTIONS = ("clean", "block", "unblock", "reserve", "release", "isolate", "end-isolation")

    def post(self, request, pk, action):
        if action not in self.ACTIONS:
            raise Http404
        bed = bed_get(request.user, pk)
        error = done = None
        try:
            done = self.perform(request, bed, action)
        except DomainError as exc:
            error = _error_text(exc)
        if request.htmx:
            return render_panel(request, pk, error=error, done=done)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return HttpResponseRedirect(board_url(bed.room.ward_id, bed.pk))

    def perform(self, request, bed, action):
        actor = request.user
        if action == "clean":
            services.bed_mark_clean(bed=bed, actor=actor)
            return _("Bed %(bed)s is clean and available.") % {"bed": bed.label}
        if action == "block":
            form = forms.BedBlockForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Choose why the bed is blocked."))
            services.bed_block(bed=bed, reason=form.cleaned_data["reason"], actor=actor)
            return _("Bed %(bed)s is blocked.") % {"bed": bed.label}
        if action == "unblock":
            services.bed_unblock(bed=bed, actor=actor)
            return _("Bed %(bed)s is back in use.") % {"bed": bed.label}
        if action == "reserve":
            form = forms.BedReserveForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Choose how long to hold the bed."))
            services.bed_reserve(
                bed=bed, actor=actor, until=form.until(), reason=form.cleaned_data["reason"]
            )
            return _("Bed %(bed)s is reserved.") % {"bed": bed.label}
        if action == "release":
            services.bed_reservation_release(bed=bed, actor=actor)
            return _("The reservation of bed %(bed)s was released.") % {"bed": bed.label}
        services.bed_set_isolation(bed=bed, isolation=action == "isolate", actor=actor)
        return _("Isolation updated.")


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


class AdmissionRequestCreateView(InpatientViewMixin, View):
    """A doctor requests a patient's admission (`?patient=<id>` preselects the patient)."""

    permission_required = "inpatient.add_admissionrequest"
    template_name = "inpatient/admissionrequest_form.html"

    def patient(self):
        pk = self.request.GET.get("patient")
        return patient_get(self.request.user, pk) if pk else None

    def get(self, request):
        patient = self.patient()
        return self.render(forms.AdmissionRequestForm(user=request.user, patient=patient), patient)

    def post(self, request):
        patient = self.patient()
        form = forms.AdmissionRequestForm(request.POST, user=request.user, patient=patient)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.admission_request_create(
                    patient=data["patient"],
                    reason=data["reason"],
                    priority=data["priority"],
                    ward_preference=data["ward_preference"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(patient)s is in the admission queue.")
                    % {"patient": data["patient"].full_name},
                )
                return redirect("inpatient:admissionrequest_list")
        return self.render(form, patient, status=400)

    def render(self, form, patient, status=200):
        return render(
            self.request, self.template_name, {"form": form, "patient": patient}, status=status
        )


class AdmissionRequestCancelView(InpatientViewMixin, View):
    """Take a request out of the queue (POST, with an optional reason)."""

    permission_required = "inpatient.change_admissionrequest"

    def post(self, request, pk):
        admission_request = admission_request_get(request.user, pk)
        form = forms.AdmissionRequestCancelForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.admission_request_cancel(
                request=admission_request, actor=request.user, reason=reason
            )
            messages.success(request, _("The request was cancelled."))
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("inpatient:admissionrequest_list")


# --- Admission --------------------------------------------------------------------------------


class AdmissionCreateView(InpatientViewMixin, View):
    """Admit a patient to a bed. Nurses and receptionists assign a bed to a queued request
    (`?admission_request=`); doctors may also admit directly by MRN. `?bed=` preselects
    the bed (from the board), `?patient=` the patient."""

    template_name = "inpatient/admission_form.html"

    def has_permission(self):
        user = self.request.user
        return user.is_authenticated and (
            user.has_perm("inpatient.assign_bed") or user.has_perm("inpatient.add_admission")
        )

    def make_form(self, data=None):
        user = self.request.user
        get = self.request.GET
        preset_request = None
        if pk := get.get("admission_request"):
            preset_request = admission_request_get(user, pk)
            clinical_reason_visibility(user, [preset_request])
        initial = {}
        if preset_request is not None:
            initial.update(
                admission_request=preset_request.pk,
                attending_doctor=preset_request.requested_by_id,
            )
        elif user.has_role("Doctor"):
            initial["attending_doctor"] = user.pk
        if bed_id := get.get("bed"):
            initial["bed"] = str(bed_get(user, bed_id).pk)
        if patient_id := get.get("patient"):
            initial["patient"] = patient_get(user, patient_id).display_mrn
        return forms.AdmissionForm(
            data,
            initial=initial,
            user=user,
            can_assign=user.has_perm("inpatient.assign_bed"),
            can_admit=user.has_perm("inpatient.add_admission"),
            preset_request=preset_request,
        ), preset_request

    def get(self, request):
        form, preset_request = self.make_form()
        return self.render(form, preset_request)

    def post(self, request):
        form, preset_request = self.make_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                admission = services.admission_create(
                    bed=data["bed"],
                    attending_doctor=data["attending_doctor"],
                    actor=request.user,
                    patient=data.get("patient"),
                    request=data.get("admission_request"),
                    reason=data["reason"],
                    expected_discharge=data["expected_discharge"],
                    admitted_at=data["admitted_at"],
                )
            except DomainError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(patient)s is admitted to bed %(bed)s.")
                    % {"patient": admission.patient.full_name, "bed": data["bed"].label},
                )
                return HttpResponseRedirect(board_url(data["bed"].room.ward_id))
        return self.render(form, preset_request, status=400)

    def render(self, form, preset_request, status=200):
        return render(
            self.request,
            self.template_name,
            {"form": form, "preset_request": preset_request},
            status=status,
        )


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
            queryset = queryset.exclude(status=Admission.Status.DISCHARGED)
        elif f["show"] == "discharged":
            queryset = queryset.filter(status=Admission.Status.DISCHARGED)
        queryset = admissions_with_location(queryset)
        if f["ward"] is not None:
            queryset = queryset.filter(ward_id=f["ward"].pk)
        order = "-discharged_at" if f["show"] == "discharged" else "-admitted_at"
        return queryset.order_by(order, "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(filters=self.filters(), show_choices=self.SHOW.items(), now=timezone.now())
        return context


class AdmissionScopeMixin(InpatientViewMixin):
    """Views about one admission: looked up through the selector (else 404)."""

    def get_admission(self):
        if not hasattr(self, "_admission"):
            self._admission = admission_get(self.request.user, self.kwargs["pk"])
        return self._admission

    def closed_redirect(self):
        admission = self.get_admission()
        messages.error(self.request, _("This admission has been discharged."))
        return redirect(admission)


class AdmissionDetailView(AdmissionScopeMixin, TemplateView):
    """One admission: status, bed stays, discharge; the actions the user may take."""

    permission_required = "inpatient.view_admission"
    template_name = "inpatient/admission_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        admission = self.get_admission()
        user = self.request.user
        stays = list(admission.stays.select_related("bed__room__ward", "created_by"))
        clinical_reason_visibility(user, [admission])
        context.update(
            admission=admission,
            patient=admission.patient,
            stays=stays,
            current_stay=next((s for s in stays if s.ended_at is None), None),
            show_summary=chart_access_for(user, admission.patient).allowed,
            now=timezone.now(),
            **board_flags(user),
        )
        return context


class AdmissionTransferView(AdmissionScopeMixin, View):
    """Move the patient to another bed, with a reason."""

    permission_required = "inpatient.transfer_admission"
    template_name = "inpatient/admission_transfer.html"

    def get(self, request, pk):
        admission = self.get_admission()
        if not admission.is_open:
            return self.closed_redirect()
        stay = current_stay_of(admission)
        initial = {}
        if bed_id := request.GET.get("bed"):
            initial["bed"] = str(bed_get(request.user, bed_id).pk)
        return self.render(forms.TransferForm(initial=initial, current_bed=stay.bed), stay)

    def post(self, request, pk):
        admission = self.get_admission()
        if not admission.is_open:
            return self.closed_redirect()
        stay = current_stay_of(admission)
        form = forms.TransferForm(request.POST, current_bed=stay.bed)
        if form.is_valid():
            bed = form.cleaned_data["bed"]
            try:
                services.admission_transfer(
                    admission=admission,
                    bed=bed,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(patient)s moved from %(old)s to %(new)s.")
                    % {
                        "patient": admission.patient.full_name,
                        "old": stay.bed.label,
                        "new": bed.label,
                    },
                )
                return HttpResponseRedirect(board_url(bed.room.ward_id))
        return self.render(form, stay, status=400)

    def render(self, form, stay, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "admission": self.get_admission(),
                "patient": self.get_admission().patient,
                "stay": stay,
            },
            status=status,
        )


class AdmissionOrderDischargeView(AdmissionScopeMixin, View):
    """The doctor orders the discharge (POST `order`), or withdraws the order (POST
    `cancel`). The bed stays occupied until the discharge is completed."""

    permission_required = "inpatient.order_discharge"

    def post(self, request, pk):
        admission = self.get_admission()
        error = None
        try:
            if "cancel" in request.POST:
                services.admission_discharge_order_cancel(admission=admission, actor=request.user)
                done = _("The discharge order was withdrawn.")
            else:
                services.admission_order_discharge(admission=admission, actor=request.user)
                done = _(
                    "Discharge ordered. The bed stays occupied until the discharge is completed."
                )
        except DomainError as exc:
            error = _error_text(exc)
        stay = current_stay_of(admission)
        if request.htmx and stay is not None:
            return render_panel(request, stay.bed_id, error=error, done=None if error else done)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return redirect(admission)


class AdmissionDischargeView(AdmissionScopeMixin, View):
    """Complete the discharge: disposition, summary, time. The bed goes to cleaning."""

    permission_required = "inpatient.discharge_admission"
    template_name = "inpatient/admission_discharge.html"

    def get(self, request, pk):
        if not self.get_admission().is_open:
            return self.closed_redirect()
        return self.render(forms.DischargeForm())

    def post(self, request, pk):
        admission = self.get_admission()
        if not admission.is_open:
            return self.closed_redirect()
        stay = current_stay_of(admission)
        form = forms.DischargeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.admission_discharge(
                    admission=admission,
                    disposition=data["disposition"],
                    summary=data["summary"],
                    discharged_at=data["discharged_at"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(patient)s is discharged. Bed %(bed)s is waiting for cleaning.")
                    % {"patient": admission.patient.full_name, "bed": stay.bed.label},
                )
                return HttpResponseRedirect(board_url(stay.bed.room.ward_id))
        return self.render(form, status=400)

    def render(self, form, status=200):
        admission = self.get_admission()
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "admission": admission,
                "patient": admission.patient,
                "stay": current_stay_of(admission),
            },
            status=status,
        )


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


def _csv_cell(value):
    """Neutralise text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
                        _csv_cell(row["name"]),
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
