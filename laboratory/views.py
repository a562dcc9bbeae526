"""Laboratory pages: ordering from the chart, the order page with its actions (collect,
label, receive, enter, verify, reject, cancel, correct, review), the worklist, receiving
by accession number, and acknowledging critical results.

A page about one order is a page inside its patient's chart (`ChartPageMixin`): the role
permission, the patient through the one selector (404), then chart access for the
`results` part (care team, break-the-glass, or the lab's worklist provider), logged.
Forms call `laboratory.services` with the signed-in user as the actor.
"""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from ehr.core.exports import csv_cell
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import FormActionView, ServiceFormView, StaffViewMixin
from laboratory import forms, selectors, services
from laboratory.documents import document_response, document_upload
from laboratory.labels import specimen_label_pdf
from laboratory.models import (
    CriticalAlert,
    LabOrderStatus,
    LabResult,
    LabResultStatus,
    Priority,
    Section,
)
from laboratory.reports import STAGE_LABELS, default_period, turnaround_rows
from patients.access import ChartPageMixin
from patients.selectors import patient_get


class LabOrderPageMixin(ChartPageMixin):
    """A page of the order of the URL (`pk`): the order through the selector (404), its
    patient through the one patient selector (404), chart access to `results`."""

    chart_part = "results"
    back_tab = "results"

    def get_object(self, queryset=None):
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                selectors.laborder_detail_queryset(self.request.user), pk=self.kwargs["pk"]
            )
        return self._object

    def get_patient(self):
        # The order's own patient: the order came through the selector, and the chart
        # gate (ChartAccessMixin) decides access to its `results` part.
        return self.get_object().patient

    def get_success_url(self):
        return self.get_object().get_absolute_url()


class LabOrderCreateView(ChartPageMixin, ServiceFormView):
    permission_required = ("patients.view_patient", "laboratory.add_laborder")
    patient_url_kwarg = "patient_pk"
    chart_part = "results:order"
    back_tab = "results"
    title = gettext_lazy("Order lab tests")
    form_class = forms.LabOrderForm
    template_name = "clinical/form_page.html"
    extra_context = {"submit_label": gettext_lazy("Order")}
    success_message = gettext_lazy("Lab tests ordered.")

    def perform(self, form):
        return services.lab_order_create(
            patient=self.get_patient(),
            actor=self.request.user,
            tests=list(form.cleaned_data["tests"]),
            priority=form.cleaned_data["priority"],
            fasting=form.cleaned_data["fasting"],
            clinical_notes=form.cleaned_data["clinical_notes"],
        )


class LabOrderDetailView(LabOrderPageMixin, DetailView):
    """One order: its lines with values and flags, specimens, states, and the actions
    the user may take now."""

    permission_required = "laboratory.view_labresult"
    template_name = "laboratory/laborder_detail.html"
    title = gettext_lazy("Lab order")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order, user = self.object, self.request.user
        can_work = user.has_perm("laboratory.change_laborder")
        lines = list(order.results.all())
        alerts = {a.result_id: a for a in CriticalAlert.objects.filter(result__order=order)}
        context.update(
            {
                "lines": [(line, alerts.get(line.pk)) for line in lines],
                "specimens": sorted(order.specimens.all(), key=lambda s: s.collected_at),
                "status_changes": list(order.status_changes.all()),
                "can_collect": user.has_perm("laboratory.add_specimen")
                and order.can_transition_to(LabOrderStatus.COLLECTED),
                "can_enter": user.has_perm("laboratory.enter_labresult")
                and order.status
                in (LabOrderStatus.RECEIVED, LabOrderStatus.IN_PROGRESS, LabOrderStatus.RESULTED),
                "can_verify": user.has_perm("laboratory.verify_labresult")
                and order.can_transition_to(LabOrderStatus.VERIFIED),
                "can_reject": can_work
                and user.has_perm("laboratory.change_specimen")
                and order.can_transition_to(LabOrderStatus.REJECTED),
                "can_cancel": can_work and order.can_transition_to(LabOrderStatus.CANCELLED),
                "can_correct": user.has_perm("laboratory.verify_labresult"),
                "can_review": user.has_perm("laboratory.review_labresult"),
                "can_acknowledge": user.has_perm("laboratory.change_criticalalert"),
                "reject_form": forms.RejectForm(),
                "cancel_form": forms.ReasonForm(),
                "acknowledge_form": forms.AcknowledgeForm(),
                "final": LabResultStatus.FINAL,
                "is_late": order.is_late(),
            }
        )
        return context


class LabOrderActionView(LabOrderPageMixin, FormActionView):
    """A button on the order page (POST): the service's answer is a message there."""

    action = None

    def perform(self, form):
        order, user = self.get_object(), self.request.user
        if self.action == "collect":
            specimen = services.lab_order_collect(order=order, actor=user)
            messages.success(
                self.request,
                _("Specimen collected: accession number %(number)s.")
                % {"number": specimen.accession_number},
            )
        elif self.action == "verify":
            services.lab_order_verify(order=order, actor=user)
            messages.success(self.request, _("Results verified."))
        elif self.action == "cancel":
            services.lab_order_cancel(order=order, actor=user, reason=form.cleaned_data["reason"])
            messages.success(self.request, _("Order cancelled."))
        elif self.action == "reject":
            services.lab_order_reject(order=order, actor=user, reason=form.cleaned_data["reason"])
            messages.success(self.request, _("Specimen rejected; a new collection is needed."))
        return order


class LabOrderCollectView(LabOrderActionView):
    permission_required = "laboratory.add_specimen"
    chart_part = "results:collect"
    action = "collect"


class LabOrderVerifyView(LabOrderActionView):
    permission_required = "laboratory.verify_labresult"
    chart_part = "results:verify"
    action = "verify"


class LabOrderCancelView(LabOrderActionView):
    permission_required = "laboratory.change_laborder"
    chart_part = "results:cancel"
    action = "cancel"
    form_class = forms.ReasonForm
    invalid_message = gettext_lazy("Give the reason for cancelling.")


class LabOrderRejectView(LabOrderActionView):
    permission_required = (
        "laboratory.change_laborder",
        "laboratory.change_specimen",
    )
    chart_part = "results:reject"
    action = "reject"
    form_class = forms.RejectForm
    invalid_message = gettext_lazy("Choose why the specimen is rejected.")


class SpecimenLabelView(LabOrderPageMixin, DetailView):
    """The label PDF of the order's current specimen."""

    permission_required = "laboratory.add_specimen"
    chart_part = "results:label"

    def get(self, request, *args, **kwargs):
        specimen = self.get_object().current_specimen
        if specimen is None:
            messages.error(request, _("No specimen has been collected yet."))
            return redirect(self.get_object())
        response = HttpResponse(specimen_label_pdf(specimen), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="label-{specimen.accession_number}.pdf"'
        )
        return response


class ResultEntryView(LabOrderPageMixin, ServiceFormView):
    permission_required = "laboratory.enter_labresult"
    chart_part = "results:enter"
    title = gettext_lazy("Enter results")
    template_name = "laboratory/result_form.html"
    form_class = forms.ResultEntryForm
    success_message = gettext_lazy("Results saved.")

    def get_form_kwargs(self):
        lines = [line for line in self.get_object().results.all() if line.status != "corrected"]
        return {**super().get_form_kwargs(), "lines": lines}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["order"] = self.get_object()
        return context

    def perform(self, form):
        return services.lab_results_enter(
            order=self.get_object(), actor=self.request.user, values=form.values()
        )


class ResultPageMixin(LabOrderPageMixin):
    """A page of one result line (`pk` is the result's)."""

    def get_result(self):
        if not hasattr(self, "_result"):
            self._result = get_object_or_404(
                LabResult.objects.filter(
                    order__in=selectors.laborder_list_for_user(self.request.user)
                ).select_related("test", "order"),
                pk=self.kwargs["pk"],
            )
        return self._result

    def get_object(self, queryset=None):
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                selectors.laborder_detail_queryset(self.request.user),
                pk=self.get_result().order_id,
            )
        return self._object


class ResultCorrectView(ResultPageMixin, ServiceFormView):
    permission_required = "laboratory.verify_labresult"
    chart_part = "results:correct"
    title = gettext_lazy("Correct a result")
    template_name = "laboratory/result_form.html"
    form_class = forms.CorrectionForm
    success_message = gettext_lazy("Result corrected; the ordering doctor is notified.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["order"] = self.get_object()
        context["result"] = self.get_result()
        return context

    def perform(self, form):
        services.lab_result_correct(
            result=self.get_result(), actor=self.request.user, **form.cleaned_data
        )
        return self.get_object()


class ResultReviewView(ResultPageMixin, FormActionView):
    permission_required = ("patients.view_patient", "laboratory.review_labresult")
    chart_part = "results:review"
    success_message = gettext_lazy("Marked as reviewed.")

    def perform(self, form):
        services.lab_result_review(result=self.get_result(), actor=self.request.user)
        return self.get_object()


class CriticalAlertAcknowledgeView(ResultPageMixin, FormActionView):
    """Acknowledge a critical alert (`pk` is the alert's) with a read-back note."""

    permission_required = ("patients.view_patient", "laboratory.change_criticalalert")
    chart_part = "results:acknowledge"
    form_class = forms.AcknowledgeForm
    invalid_message = gettext_lazy("Write the read-back note.")
    success_message = gettext_lazy("Critical result acknowledged.")

    def get_alert(self):
        if not hasattr(self, "_alert"):
            self._alert = get_object_or_404(
                selectors.critical_alert_list_for_user(self.request.user), pk=self.kwargs["pk"]
            )
        return self._alert

    def get_result(self):
        return self.get_alert().result

    def perform(self, form):
        services.critical_alert_acknowledge(
            alert=self.get_alert(), actor=self.request.user, note=form.cleaned_data["note"]
        )
        return self.get_object()


class WorklistView(StaffViewMixin, RolePermissionRequiredMixin, TemplateView):
    """The lab's worklist: collected and open orders, stat first, filtered by state,
    priority and section; orders past their priority's target are highlighted."""

    permission_required = "laboratory.enter_labresult"
    template_name = "laboratory/worklist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        status = query.get("status", "")
        priority = query.get("priority", "")
        section = query.get("section", "")
        if section not in Section.values:
            section = ""
        orders = selectors.worklist(
            self.request.user, status=status, priority=priority, section=section
        )[:200]
        context.update(
            {
                "orders": [(o, o.is_late()) for o in orders],
                "statuses": LabOrderStatus.choices,
                "priorities": Priority.choices,
                "sections": Section.choices,
                "status_filter": status,
                "priority_filter": priority,
                "section_filter": section,
                "receive_form": forms.ReceiveForm(),
            }
        )
        return context


class ReceiveView(StaffViewMixin, RolePermissionRequiredMixin, ServiceFormView):
    """Receive a specimen in the lab by scanning or typing its accession number."""

    permission_required = "laboratory.change_specimen"
    template_name = "laboratory/receive_form.html"
    form_class = forms.ReceiveForm
    success_message = gettext_lazy("Specimen received.")

    def get_success_url(self):
        return reverse("laboratory:worklist")

    def perform(self, form):
        return services.lab_order_receive(
            accession_number=form.cleaned_data["accession_number"], actor=self.request.user
        )


class TurnaroundView(StaffViewMixin, RolePermissionRequiredMixin, TemplateView):
    """The turnaround-time report: per ordered test and priority, the median and 90th
    percentile of each stage over a date range (`?from=&to=`), with a Chart.js bar chart
    of the medians; `?format=csv` exports the table."""

    permission_required = "laboratory.view_turnaround"
    template_name = "laboratory/turnaround.html"

    def period(self):
        form = forms.PeriodForm(self.request.GET or None)
        start, end = default_period()
        if form.is_bound and form.is_valid():
            start = form.cleaned_data.get("start") or start
            end = form.cleaned_data.get("end") or end
        return form, start, end

    def get(self, request, *args, **kwargs):
        form, start, end = self.period()
        rows = turnaround_rows(start=start, end=end)
        if request.GET.get("format") == "csv":
            return self.csv(rows, start, end)
        return self.render_to_response(
            self.get_context_data(form=form, rows=rows, start=start, end=end)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["rows"]
        context["stages"] = [(key, label) for key, label in STAGE_LABELS]
        context["chart_data"] = {
            "labels": [f"{r['test']} · {r['priority']}" for r in rows][:30],
            "stages": [
                {"label": str(label), "values": [r[f"{key}_median"] for r in rows][:30]}
                for key, label in STAGE_LABELS[:4]
            ],
        }
        context["csv_query"] = f"from={context['start']:%Y-%m-%d}&to={context['end']:%Y-%m-%d}"
        return context

    def csv(self, rows, start, end):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="lab-turnaround-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
        )
        writer = csv.writer(response)
        stage_columns = [f"{key}_{m}" for key, _ in STAGE_LABELS for m in ("median", "p90")]
        writer.writerow(["test", "name", "priority", "count", *stage_columns])
        for row in rows:
            writer.writerow(
                [
                    csv_cell(row["test"]),
                    csv_cell(row["name"]),
                    row["priority"],
                    row["count"],
                    *[row[c] if row[c] is not None else "" for c in stage_columns],
                ]
            )
        return response


# --- Documents and images -------------------------------------------------------------------


class DocumentUploadView(ChartPageMixin, ServiceFormView):
    permission_required = ("patients.view_patient", "laboratory.add_patientdocument")
    patient_url_kwarg = "patient_pk"
    chart_part = "documents:upload"
    back_tab = "documents"
    title = gettext_lazy("Upload a document or image")
    form_class = forms.DocumentForm
    template_name = "clinical/form_page.html"
    extra_context = {"submit_label": gettext_lazy("Upload")}
    success_message = gettext_lazy("Document uploaded.")

    def perform(self, form):
        document = document_upload(
            patient=self.get_patient(),
            actor=self.request.user,
            upload=form.cleaned_data["file"],
            category=form.cleaned_data["category"],
            remark=form.cleaned_data["remark"],
        )
        if document.warning:
            messages.warning(self.request, document.warning)
        return redirect(self.back_url())


class DocumentFileView(ChartPageMixin, View):
    """The file of a document, after the chart-access check (each download is logged as
    a read of `documents:download`), with the content type read at upload and a
    Content-Disposition; images and PDFs inline, DICOM as an attachment."""

    permission_required = ("patients.view_patient", "laboratory.view_patientdocument")
    chart_part = "documents:download"
    back_tab = "documents"

    def get_document(self):
        if not hasattr(self, "_document"):
            self._document = get_object_or_404(
                selectors.document_list_for_user(self.request.user), pk=self.kwargs["pk"]
            )
        return self._document

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_document().patient_id)
        return self._patient

    def get(self, request, pk):
        return document_response(self.get_document())


# --- Imaging --------------------------------------------------------------------------------


class ImagingOrderCreateView(ChartPageMixin, ServiceFormView):
    permission_required = ("patients.view_patient", "laboratory.add_imagingorder")
    patient_url_kwarg = "patient_pk"
    chart_part = "documents:order"
    back_tab = "documents"
    title = gettext_lazy("Order an imaging study")
    form_class = forms.ImagingOrderForm
    template_name = "clinical/form_page.html"
    extra_context = {"submit_label": gettext_lazy("Order")}
    success_message = gettext_lazy("Imaging study ordered.")

    def perform(self, form):
        services.imaging_order_create(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )
        return redirect(self.back_url())


class ImagingOrderPageMixin(ChartPageMixin):
    """A page of the imaging order of the URL (`pk`)."""

    back_tab = "documents"

    def get_imaging_order(self):
        if not hasattr(self, "_imaging_order"):
            self._imaging_order = get_object_or_404(
                selectors.imaging_order_list_for_user(self.request.user), pk=self.kwargs["pk"]
            )
        return self._imaging_order

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_imaging_order().patient_id)
        return self._patient


class ImagingOrderPerformView(ImagingOrderPageMixin, FormActionView):
    permission_required = ("patients.view_patient", "laboratory.change_imagingorder")
    chart_part = "documents:perform"
    success_message = gettext_lazy("Study marked as performed.")

    def perform(self, form):
        services.imaging_order_perform(order=self.get_imaging_order(), actor=self.request.user)
        return redirect(self.back_url())


class ImagingReportSignView(ImagingOrderPageMixin, ServiceFormView):
    permission_required = ("patients.view_patient", "laboratory.sign_imagingreport")
    chart_part = "documents:report"
    title = gettext_lazy("Sign the imaging report")
    form_class = forms.ImagingReportForm
    template_name = "clinical/form_page.html"
    extra_context = {"submit_label": gettext_lazy("Sign report")}
    success_message = gettext_lazy("Report signed.")

    def perform(self, form):
        services.imaging_report_sign(
            order=self.get_imaging_order(), actor=self.request.user, **form.cleaned_data
        )
        return redirect(self.back_url())
