"""Staff pages of the pharmacy: prescribing from the chart, the prescription page and
its PDF, signing, home medications."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from ehr.core.views import FormActionView, ServiceFormView
from patients.access import ChartPageMixin
from pharmacy import forms, pdf, selectors, services
from pharmacy.exceptions import MedicationAlertBlocked
from pharmacy.models import Prescription

PART = "medications"


class PrescriptionCreateView(ChartPageMixin, ServiceFormView):
    """Prescribe a medication; the check's alerts are listed, a blocking one needs an
    override reason."""

    permission_required = ("patients.view_patient", "pharmacy.prescribe")
    patient_url_kwarg = "patient_pk"
    chart_part = PART
    back_tab = "medications"
    title = _("Prescribe")
    form_class = forms.PrescribeForm
    template_name = "pharmacy/prescription_form.html"
    success_message = _("Prescription written. Sign it to make it valid.")
    alerts = ()

    def perform(self, form):
        data = dict(form.cleaned_data)
        override_reason = data.pop("override_reason", "")
        try:
            return services.prescription_create(
                patient=self.get_patient(),
                actor=self.request.user,
                items=[data],
                override_reason=override_reason,
            )
        except MedicationAlertBlocked as exc:
            self.alerts = exc.alerts
            raise

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["alerts"] = self.alerts
        return context


class PrescriptionPageMixin(ChartPageMixin):
    permission_required = ("patients.view_patient", "pharmacy.view_prescription")
    chart_part = PART
    back_tab = "medications"

    def get_prescription(self):
        if not hasattr(self, "_prescription"):
            self._prescription = get_object_or_404(
                Prescription.objects.only("pk", "patient_id"), pk=self.kwargs["pk"]
            )
        return self._prescription

    def get_patient_pk(self):
        return self.get_prescription().patient_id


class PrescriptionDetailView(PrescriptionPageMixin, TemplateView):
    """The prescription page: lines in words, alerts and overrides, PDF, sign."""

    template_name = "pharmacy/prescription_detail.html"
    title = _("Prescription")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        prescription = selectors.prescription_get(self.get_prescription().pk)
        context.update(
            prescription=prescription,
            can_sign=prescription.can_transition_to(Prescription.Status.SIGNED)
            and prescription.prescriber_id == self.request.user.pk,
        )
        return context


class PrescriptionPdfView(PrescriptionPageMixin, View):
    """The prescription as a PDF download."""

    def get(self, request, *args, **kwargs):
        prescription = selectors.prescription_get(self.get_prescription().pk)
        response = HttpResponse(pdf.prescription_pdf(prescription), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="prescription.pdf"'
        return response


class PrescriptionSignView(PrescriptionPageMixin, FormActionView):
    """Sign a draft prescription (its prescriber)."""

    permission_required = ("patients.view_patient", "pharmacy.prescribe")
    form_class = forms.SignForm
    success_message = _("Prescription signed.")

    def perform(self, form):
        return services.prescription_sign(
            prescription=self.get_prescription(), actor=self.request.user
        )

    def get_success_url(self):
        return reverse("pharmacy:prescription_detail", args=[self.get_prescription().pk])


class HomeMedicationCreateView(ChartPageMixin, ServiceFormView):
    """Record a medication the patient takes at home."""

    permission_required = ("patients.view_patient", "pharmacy.record_homemedication")
    patient_url_kwarg = "patient_pk"
    chart_part = PART
    back_tab = "medications"
    title = _("Record a home medication")
    form_class = forms.HomeMedicationForm
    template_name = "pharmacy/form_page.html"
    success_message = _("Home medication recorded.")

    def perform(self, form):
        return services.home_medication_record(
            patient=self.get_patient(), actor=self.request.user, **form.cleaned_data
        )

    def get_success_url(self):
        return self.back_url()
