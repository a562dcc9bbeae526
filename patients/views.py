"""Patient pages: list and search, registration, demographics, the chart with its tabs,
care team, break-the-glass, deactivation and death, and the administrators' pages
(break-glass review, access log, merges)."""

from django.contrib import messages
from django.forms import Form
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView, RedirectView, TemplateView

from accounts.models import User
from ehr.core import chart
from ehr.core.pagination import NextPagePaginator
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import FormActionView, ServiceFormView, StaffViewMixin
from patients import forms, services
from patients.access import PatientScopeMixin, chart_banner, chart_denied, denied_banner
from patients.exceptions import ChartAccessDenied, PossibleDuplicatePatient
from patients.models import BreakGlassAccess, CareRelationship, ChartAccess, Patient, PatientMerge
from patients.selectors import (
    AGE_GROUPS,
    MIN_NAME_TERM,
    age_filter,
    break_glass_accesses_to_review,
    care_relationships_to_review,
    patient_get,
    patient_get_by_mrn,
    patient_list_for_user,
    patient_list_search,
    patient_merges_of,
    patient_search,
    patient_statistics_cached,
)

# --- List, search and statistics --------------------------------------------------------------


LIST_ROW_FIELDS = (
    "id",
    "mrn",
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "sex",
    "is_active",
    "is_deceased",
    "deceased_on",
    "merged_into_id",
    "phone_display",
)


class PatientListView(PatientScopeMixin, ListView):
    """Search and browse patients, with filters and statistics."""

    template_name = "patients/patient_list.html"
    context_object_name = "patients"
    paginate_by = 25
    # No COUNT(*) over 100,000 patients per page: one row more than the page says
    # whether there is a next one.
    paginator_class = NextPagePaginator

    def get_filter_form(self):
        if not hasattr(self, "_filter_form"):
            data = self.request.GET.copy()
            data.setdefault("active", "yes")
            self._filter_form = forms.PatientFilterForm(data)
            self._filter_form.is_valid()
        return self._filter_form

    def filtered(self):
        form = self.get_filter_form()
        values = form.cleaned_data if form.is_bound and not form.errors else {"active": "yes"}
        queryset = patient_list_for_user(self.request.user)
        if values.get("active") == "yes":
            queryset = queryset.filter(is_active=True)
        elif values.get("active") == "no":
            queryset = queryset.filter(is_active=False)
        if values.get("sex"):
            queryset = queryset.filter(sex=values["sex"])
        if values.get("age"):
            low, high = next((lo, hi) for key, lo, hi in AGE_GROUPS if key == values["age"])
            queryset = queryset.filter(age_filter(low, high))
        return queryset, values.get("q", "")

    def get_queryset(self):
        queryset, query = self.filtered()
        # The columns a row shows ({% patient_rows %}): not the wide rest (addresses,
        # contacts, the phone number parsed as each row is built).
        return patient_list_search(queryset, query).only(*LIST_ROW_FIELDS)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _queryset, query = self.filtered()
        context["filter_form"] = self.get_filter_form()
        context["query"] = query
        context["can_register"] = self.request.user.has_perm("patients.add_patient")
        if self.request.user.has_perm("patients.view_patient_statistics"):
            context["statistics"] = patient_statistics_cached()
        return context


class PatientSearchView(PatientScopeMixin, View):
    """The registration form's "search first" results (htmx POST, so that no name travels
    in an address): the first matches, each a link to the chart."""

    permission_required = "patients.view_patient"
    limit = 10

    def post(self, request):
        form = forms.PatientSearchForm(request.POST)
        query = form.cleaned_data["q"].strip() if form.is_valid() else ""
        too_short = len(query) < MIN_NAME_TERM
        patients = []
        if not too_short:
            patients = list(
                patient_search(
                    patient_list_for_user(request.user).filter(merged_into__isnull=True), query
                ).order_by("last_name", "first_name", "mrn")[: self.limit + 1]
            )
        return render(
            request,
            "patients/partials/search_results.html",
            {
                "patients": patients[: self.limit],
                "more": len(patients) > self.limit,
                "query": query,
                "too_short": too_short,
            },
        )


# --- Registration and demographics ------------------------------------------------------------


class PatientFormView(PatientScopeMixin, ServiceFormView):
    """Registration and demographic edits: the demographics form with the identifier and
    emergency-contact formsets; the service runs only when all three are valid."""

    form_class = forms.PatientForm
    template_name = "patients/patient_form.html"

    def get_formset_initial(self):
        return {"identifiers": None, "contacts": None}

    def get_formsets(self):
        if not hasattr(self, "_formsets"):
            if self.request.method == "POST":
                kwargs = {"identifiers": {"data": self.request.POST}}
                kwargs["contacts"] = {"data": self.request.POST}
            else:  # the current rows, on the edit page
                initial = self.get_formset_initial()
                kwargs = {key: {"initial": initial[key]} for key in ("identifiers", "contacts")}
            self._formsets = (
                forms.IdentifierFormSet(prefix="identifiers", **kwargs["identifiers"]),
                forms.EmergencyContactFormSet(prefix="contacts", **kwargs["contacts"]),
            )
        return self._formsets

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        valid = [f.is_valid() for f in (form, *self.get_formsets())]
        return self.form_valid(form) if all(valid) else self.form_invalid(form)

    def service_kwargs(self, form):
        identifiers, contacts = self.get_formsets()
        return {
            "actor": self.request.user,
            "identifiers": forms.identifiers_from(identifiers),
            "contacts": forms.contacts_from(contacts),
            **form.demographics(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        identifiers, contacts = self.get_formsets()
        context.update(
            {
                "identifier_formset": identifiers,
                "contact_formset": contacts,
                "candidates": getattr(self, "candidates", ()),
            }
        )
        return context


class PatientCreateView(PatientFormView):
    """Register a patient; warn about possible duplicates and ask for confirmation."""

    permission_required = "patients.add_patient"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["show_duplicate_confirmation"] = "confirm_not_duplicate" in self.request.POST
        return kwargs

    def perform(self, form):
        try:
            return services.patient_register(
                allow_duplicate=bool(form.cleaned_data.get("confirm_not_duplicate")),
                **self.service_kwargs(form),
            )
        except PossibleDuplicatePatient as exc:
            self.candidates = exc.candidates
            form.offer_duplicate_confirmation()
            raise

    def get_success_message(self, form):
        return _("%(name)s is registered with MRN %(mrn)s.") % {
            "name": self.result.full_name,
            "mrn": self.result.display_mrn,
        }


class PatientUpdateView(PatientFormView):
    """Edit a patient's demographics, identifiers and emergency contacts."""

    permission_required = "patients.change_patient"
    success_message = gettext_lazy("The patient record was saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # A copy: the form writes the posted values onto its instance while it validates.
        kwargs["instance"] = Patient.objects.get(pk=self.get_patient().pk)
        return kwargs

    def get_formset_initial(self):
        patient = self.get_patient()
        return {
            "identifiers": [{"type": i.type, "value": i.value} for i in patient.identifiers.all()],
            "contacts": [
                {"name": c.name, "relationship": c.relationship, "phone": c.phone}
                for c in patient.emergency_contacts.all()
            ],
        }

    def perform(self, form):
        return services.patient_edit(patient=self.get_patient(), **self.service_kwargs(form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["patient"] = self.get_patient()
        return context


class PatientPrintView(PatientScopeMixin, TemplateView):
    """A printable sheet of the patient's demographics, identifiers and emergency
    contacts; logged as a read of the demographics, as the chart's tab is."""

    template_name = "patients/patient_print.html"

    def get(self, request, *args, **kwargs):
        services.chart_open(
            patient=self.get_patient(),
            user=request.user,
            part="demographics",
            request=request,
            clinical=False,
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        context.update(
            {
                "patient": patient,
                "identifiers": list(patient.identifiers.all()),
                "contacts": list(patient.emergency_contacts.all()),
                "printed_at": timezone.now(),
            }
        )
        return context


class PatientStatusView(PatientScopeMixin, FormActionView):
    """Deactivate, reactivate (front desk: `change_patient`), or record the death of a
    patient (POST; a clinician with chart access, checked by the service)."""

    ACTIONS = {
        "deactivate": (services.patient_deactivate, gettext_lazy("The record was deactivated.")),
        "reactivate": (services.patient_reactivate, gettext_lazy("The record was reactivated.")),
        "death": (services.patient_record_death, gettext_lazy("The death was recorded.")),
    }
    invalid_message = gettext_lazy("Enter a valid date of death.")

    def get_permission_required(self):
        if self.kwargs["action"] == "death":
            return ("patients.view_patient",)
        return ("patients.change_patient",)

    def get_form_class(self):
        if self.kwargs["action"] not in self.ACTIONS:
            raise Http404
        return forms.DeathForm if self.kwargs["action"] == "death" else Form

    def perform(self, form):
        service, _message = self.ACTIONS[self.kwargs["action"]]
        return service(patient=self.get_patient(), actor=self.request.user, **form.cleaned_data)

    def get_success_message(self, form):
        return self.ACTIONS[self.kwargs["action"]][1]

    def get_success_url(self):
        return self.get_patient().get_absolute_url()


# --- The chart --------------------------------------------------------------------------------


class PatientChartView(PatientScopeMixin, TemplateView):
    """A tab of the patient's chart. Demographic tabs need the role permission; clinical
    tabs also need chart access (care team or break-the-glass) or a worklist that opens
    that tab (`ehr.core.access`). Every view is logged."""

    template_name = "patients/chart.html"

    def get(self, request, *args, **kwargs):
        patient = self.get_patient()
        tabs = chart.tabs_for(request.user)
        tab = next((t for t in tabs if t.key == kwargs.get("tab", "demographics")), None)
        if tab is None:
            raise Http404
        try:
            self.decision = services.chart_open(
                patient=patient,
                user=request.user,
                part=tab.key,
                request=request,
                clinical=tab.clinical,
            )
        except ChartAccessDenied as exc:
            return chart_denied(request, patient, exc, tab)
        self.tab, self.tabs = tab, tabs
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        allowed = self.decision.allowed
        banner_items = chart_banner(self.request, patient, access=self.decision)
        context.update(
            {
                "patient": patient,
                "tab": self.tab,
                "tabs": [
                    {
                        "tab": t,
                        "url": reverse("patients:patient_chart", args=[patient.pk, t.key]),
                        "locked": t.clinical and not self.decision.covers(t.key),
                    }
                    for t in self.tabs
                ],
                "access": self.decision,
                "banner_items": banner_items,
                "tab_context": self.tab.context(self.request, patient) if self.tab.context else {},
                "assets": chart.assets_for(self.tab, [item for item, _ in banner_items]),
                "can_edit": self.request.user.has_perm("patients.change_patient"),
                "can_merge": self.request.user.has_perm("patients.merge_patient"),
                # Recording a death needs chart access (checked again by the service).
                "can_record_death": allowed and not patient.is_deceased and patient.is_active,
                "can_break_glass": (
                    not allowed and self.request.user.has_perm("patients.break_glass")
                ),
                "break_glass_form": forms.BreakGlassForm(),
                "care_team_form": forms.CareTeamAddForm(),
                "death_form": forms.DeathForm(),
            }
        )
        return context


class PatientDetailView(PatientScopeMixin, RedirectView):
    """The chart's first tab."""

    http_method_names = ["get", "head"]

    def get_redirect_url(self, *args, **kwargs):
        return reverse("patients:patient_chart", args=[self.get_patient().pk, "demographics"])


class CareTeamView(PatientScopeMixin, FormActionView):
    """Add (POST user) or remove (POST remove=<user id>) care-team members; the service
    checks that the user may change this care team."""

    permission_required = "patients.manage_care_team"
    invalid_message = gettext_lazy("Choose a doctor or nurse.")

    def removing(self):
        return "remove" in self.request.POST

    def get_form_class(self):
        return forms.CareTeamRemoveForm if self.removing() else forms.CareTeamAddForm

    def get_invalid_message(self):
        return _("Choose a member of the care team.") if self.removing() else self.invalid_message

    def perform(self, form):
        patient, actor = self.get_patient(), self.request.user
        if self.removing():
            self.member = form.cleaned_data["remove"]
            return services.care_team_remove(patient=patient, user=self.member, actor=actor)
        self.member = form.cleaned_data["user"]
        return services.care_team_add(patient=patient, user=self.member, actor=actor)

    def get_success_message(self, form):
        if self.removing():
            return _("%(user)s left the care team.") % {"user": self.member}
        return _("%(user)s joined the care team.") % {"user": self.member}

    def get_success_url(self):
        return reverse("patients:patient_chart", args=[self.get_patient().pk, "care-team"])


class BreakGlassView(PatientScopeMixin, ServiceFormView):
    """Break the glass: state a reason, get time-limited access to this chart. A refusal
    shows the restricted-chart page again with the form (400)."""

    permission_required = "patients.break_glass"
    http_method_names = ["post"]
    form_class = forms.BreakGlassForm
    template_name = "patients/chart_denied.html"

    def next_tab(self):
        """Return the chart tab the user asked to open, if it is one of theirs."""
        key = self.request.POST.get("next_tab", "")
        return next((t for t in chart.tabs_for(self.request.user) if t.key == key), None)

    def perform(self, form):
        access = services.break_glass_open(
            patient=self.get_patient(), user=self.request.user, **form.cleaned_data
        )
        # A warning, not a success message: the access is exceptional and reviewed.
        messages.warning(
            self.request, _("Emergency access granted. It is logged and will be reviewed.")
        )
        return access

    def get_success_url(self):
        tab = self.next_tab()
        return reverse(
            "patients:patient_chart",
            args=[self.get_patient().pk, tab.key if tab else "demographics"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                **denied_banner(self.request, self.get_patient()),
                "patient": self.get_patient(),
                "tab": self.next_tab(),
                "break_glass_form": context["form"],
                "can_break_glass": True,
                "message": _("State a reason to open this chart."),
            }
        )
        return context


# --- Administrators: break-glass review, access log, merges ----------------------------------


class BreakGlassReviewListView(StaffViewMixin, RolePermissionRequiredMixin, ListView):
    """The privacy review queue of break-the-glass accesses."""

    permission_required = "patients.review_breakglassaccess"
    template_name = "patients/breakglass_review_list.html"
    context_object_name = "accesses"
    paginate_by = 25

    def get_queryset(self):
        return break_glass_accesses_to_review(
            include_reviewed=self.request.GET.get("show") == "all"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_all"] = self.request.GET.get("show") == "all"
        context["review_form"] = forms.BreakGlassReviewForm()
        context["self_assigned_pending"] = care_relationships_to_review().count()
        return context


class PrivacyReviewView(StaffViewMixin, RolePermissionRequiredMixin, FormActionView):
    """Mark one access reviewed (POST comment); back to the review queue."""

    permission_required = "patients.review_breakglassaccess"
    form_class = forms.BreakGlassReviewForm
    invalid_message = gettext_lazy("Write a review comment.")
    success_message = gettext_lazy("The access was marked reviewed.")


class BreakGlassReviewView(PrivacyReviewView):
    """Mark one break-the-glass access reviewed."""

    success_url = reverse_lazy("patients:breakglass_review_list")

    def perform(self, form):
        access = get_object_or_404(BreakGlassAccess, pk=self.kwargs["pk"])
        return services.break_glass_review(
            access=access, actor=self.request.user, comment=form.cleaned_data["comment"]
        )


class SelfAssignedReviewListView(StaffViewMixin, RolePermissionRequiredMixin, ListView):
    """The privacy review queue of care relationships clinicians gave themselves
    (booking themselves, moving an appointment to themselves, admitting as attending)."""

    permission_required = "patients.review_breakglassaccess"
    template_name = "patients/self_assigned_review_list.html"
    context_object_name = "relationships"
    paginate_by = 25

    def get_queryset(self):
        if self.request.GET.get("show") == "all":
            queryset = CareRelationship.objects.filter(self_assigned=True).select_related(
                "user", "patient", "reviewed_by"
            )
        else:
            queryset = care_relationships_to_review()
        return queryset.order_by("-opens_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_all"] = self.request.GET.get("show") == "all"
        context["review_form"] = forms.BreakGlassReviewForm()
        context["break_glass_pending"] = break_glass_accesses_to_review().count()
        context["now"] = timezone.now()
        return context


class SelfAssignedReviewView(PrivacyReviewView):
    """Mark one self-assigned care relationship reviewed."""

    success_url = reverse_lazy("patients:self_assigned_review_list")

    def perform(self, form):
        relationship = get_object_or_404(CareRelationship, pk=self.kwargs["pk"], self_assigned=True)
        return services.care_relationship_review(
            relationship=relationship, actor=self.request.user, comment=form.cleaned_data["comment"]
        )


class AccessLogView(StaffViewMixin, RolePermissionRequiredMixin, ListView):
    """Who looked at which chart: by patient (?patient=<id>) or by user (?user=<id>)."""

    permission_required = "patients.view_chartaccess"
    template_name = "patients/access_log.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        filters = forms.AccessLogFilterForm(self.request.GET)
        if not filters.is_valid():  # an id that names nothing
            raise Http404
        self.patient = None
        self.user_filter = filters.cleaned_data["user"]
        queryset = ChartAccess.objects.select_related(
            "user", "patient", "break_glass", "care_relationship"
        )
        if patient_id := filters.cleaned_data["patient"]:
            self.patient = patient_get(self.request.user, patient_id)
            queryset = queryset.filter(patient=self.patient)
        if self.user_filter is not None:
            queryset = queryset.filter(user=self.user_filter)
        if self.request.GET.get("break_glass") == "yes":
            queryset = queryset.filter(break_glass__isnull=False)
        if self.request.GET.get("self_assigned") == "yes":
            queryset = queryset.filter(care_relationship__self_assigned=True)
        return queryset.order_by("-accessed_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_patient"] = self.patient
        context["filter_user"] = self.user_filter
        context["users"] = (
            User.objects.filter(chart_accesses__isnull=False)
            .distinct()
            .order_by("last_name", "first_name")
        )
        return context


class AccessLogExportView(StaffViewMixin, RolePermissionRequiredMixin, ServiceFormView):
    """Export the access log of a date range as CSV: a background job, whose page the
    user is sent to (progress, then the file)."""

    permission_required = "patients.view_chartaccess"
    form_class = forms.AccessLogExportForm
    template_name = "patients/access_log_export.html"
    success_message = gettext_lazy("The export has started. Its file will be ready here.")

    def get_initial(self):
        today = timezone.localdate()
        return {"date_from": today.replace(day=1), "date_to": today}

    def perform(self, form):
        return services.access_log_export_start(
            actor=self.request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )


class PatientMergeView(PatientScopeMixin, ServiceFormView):
    """Merge a duplicate record into this patient (Administrators): the MRN of the
    duplicate first shows a preview; the merge runs once it is confirmed for the
    duplicate whose preview was shown."""

    permission_required = "patients.merge_patient"
    form_class = forms.MergeForm
    template_name = "patients/patient_merge.html"

    def perform(self, form):
        survivor = self.get_patient()
        self.duplicate = patient_get_by_mrn(
            self.request.user, form.cleaned_data["duplicate_mrn"], field="duplicate_mrn"
        )
        previewed = form.cleaned_data["previewed"] == self.duplicate.pk
        if not (form.cleaned_data["confirm"] and previewed):
            if previewed:
                form.add_error("confirm", _("Check the preview, then confirm."))
            self.preview = services.patient_merge_preview(self.duplicate)
            return self.render_to_response(self.get_context_data(form=form))
        services.patient_merge(
            survivor=survivor,
            duplicate=self.duplicate,
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        return survivor

    def get_success_message(self, form):
        return _("%(dup)s was merged into this record.") % {"dup": self.duplicate.display_mrn}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        context.update(
            {
                "patient": patient,
                "duplicate": getattr(self, "duplicate", None),
                "preview": getattr(self, "preview", None),
                "merges": patient_merges_of(patient),
            }
        )
        return context


class PatientMergeUndoView(StaffViewMixin, RolePermissionRequiredMixin, FormActionView):
    """Undo a merge (POST); back to the survivor's merge page."""

    permission_required = "patients.merge_patient"
    success_message = gettext_lazy("The merge was undone.")

    def get_merge(self):
        if not hasattr(self, "_merge"):
            self._merge = get_object_or_404(PatientMerge, pk=self.kwargs["pk"])
        return self._merge

    def perform(self, form):
        return services.patient_merge_undo(merge=self.get_merge(), actor=self.request.user)

    def get_success_url(self):
        return reverse("patients:patient_merge", kwargs={"pk": self.get_merge().survivor_id})
