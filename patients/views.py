"""Patient pages: list and search, registration, demographics, the chart with its tabs,
care team, break-the-glass, deactivation and death, and the administrators' pages
(break-glass review, access log, merges)."""

from django.contrib import messages
from django.db.models import Q
from django.db.models.functions import Upper
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.models import User
from ehr.core import chart
from ehr.core.exceptions import DomainError
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import StaffViewMixin
from patients import forms, services
from patients.access import PatientScopeMixin, chart_denied
from patients.exceptions import CareTeamSelfAdd, ChartAccessDenied, PossibleDuplicatePatient
from patients.models import BreakGlassAccess, CareRelationship, ChartAccess, Patient, PatientMerge
from patients.selectors import (
    AGE_GROUPS,
    age_filter,
    can_manage_care_team,
    care_relationships_to_review,
    patient_get,
    patient_list_for_user,
    patient_search,
    patient_statistics_cached,
)

# --- List, search and statistics --------------------------------------------------------------


class PatientListView(PatientScopeMixin, ListView):
    """Search and browse patients, with filters and statistics."""

    template_name = "patients/patient_list.html"
    context_object_name = "patients"
    paginate_by = 25

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
        if not query:
            # Without a search the whole table is listed: walk the index on the upper-cased
            # names instead of sorting every row (0.5 ms against 100+ ms at 100,000).
            return queryset.order_by(Upper("last_name"), Upper("first_name"), "mrn")
        return patient_search(queryset, query).order_by("last_name", "first_name", "mrn")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _queryset, query = self.filtered()
        context["filter_form"] = self.get_filter_form()
        context["query"] = query
        context["can_register"] = self.request.user.has_perm("patients.add_patient")
        if self.request.user.has_perm("patients.view_patient_statistics"):
            context["statistics"] = patient_statistics_cached()
        return context


# --- Registration and demographics ------------------------------------------------------------


class PatientFormMixin:
    def render_form(self, form, identifier_formset, contact_formset, candidates=(), **extra):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "identifier_formset": identifier_formset,
                "contact_formset": contact_formset,
                "candidates": candidates,
                **extra,
            },
        )


class PatientCreateView(PatientScopeMixin, PatientFormMixin, View):
    """Register a patient; warn about possible duplicates and ask for confirmation."""

    permission_required = "patients.add_patient"
    template_name = "patients/patient_form.html"

    def get(self, request):
        return self.render_form(
            forms.PatientForm(),
            forms.IdentifierFormSet(prefix="identifiers"),
            forms.EmergencyContactFormSet(prefix="contacts"),
        )

    def post(self, request):
        confirming = "confirm_not_duplicate" in request.POST
        form = forms.PatientForm(request.POST, show_duplicate_confirmation=confirming)
        identifiers = forms.IdentifierFormSet(request.POST, prefix="identifiers")
        contacts = forms.EmergencyContactFormSet(request.POST, prefix="contacts")
        if not (form.is_valid() and identifiers.is_valid() and contacts.is_valid()):
            return self.render_form(form, identifiers, contacts)
        try:
            patient = services.patient_register(
                actor=request.user,
                allow_duplicate=bool(form.cleaned_data.get("confirm_not_duplicate")),
                identifiers=forms.identifiers_from(identifiers),
                contacts=forms.contacts_from(contacts),
                **form.demographics(),
            )
        except PossibleDuplicatePatient as exc:
            form = forms.PatientForm(request.POST, show_duplicate_confirmation=True)
            form.is_valid()
            form.add_error(None, exc)
            return self.render_form(form, identifiers, contacts, candidates=exc.candidates)
        except DomainError as exc:
            form.add_error(None, exc)
            return self.render_form(form, identifiers, contacts)
        messages.success(
            request,
            _("%(name)s is registered with MRN %(mrn)s.")
            % {"name": patient.full_name, "mrn": patient.display_mrn},
        )
        return redirect(patient)


class PatientUpdateView(PatientScopeMixin, PatientFormMixin, View):
    """Edit a patient's demographics, identifiers and emergency contacts."""

    permission_required = "patients.change_patient"
    template_name = "patients/patient_form.html"

    def get(self, request, pk):
        patient = self.get_patient()
        return self.render_form(
            forms.PatientForm(instance=patient),
            forms.IdentifierFormSet(
                prefix="identifiers",
                initial=[{"type": i.type, "value": i.value} for i in patient.identifiers.all()],
            ),
            forms.EmergencyContactFormSet(
                prefix="contacts",
                initial=[
                    {"name": c.name, "relationship": c.relationship, "phone": c.phone}
                    for c in patient.emergency_contacts.all()
                ],
            ),
            patient=patient,
        )

    def post(self, request, pk):
        patient = self.get_patient()
        form = forms.PatientForm(request.POST, instance=Patient.objects.get(pk=patient.pk))
        identifiers = forms.IdentifierFormSet(request.POST, prefix="identifiers")
        contacts = forms.EmergencyContactFormSet(request.POST, prefix="contacts")
        if not (form.is_valid() and identifiers.is_valid() and contacts.is_valid()):
            return self.render_form(form, identifiers, contacts, patient=patient)
        try:
            services.patient_edit(
                patient=patient,
                actor=request.user,
                identifiers=forms.identifiers_from(identifiers),
                contacts=forms.contacts_from(contacts),
                **form.demographics(),
            )
        except DomainError as exc:
            form.add_error(None, exc)
            return self.render_form(form, identifiers, contacts, patient=patient)
        messages.success(request, _("The patient record was saved."))
        return redirect(patient)


class PatientStatusView(PatientScopeMixin, View):
    """Deactivate, reactivate (front desk: `change_patient`), or record the death of a
    patient (POST; a clinician with chart access, checked by the service)."""

    def get_permission_required(self):
        if self.kwargs.get("action") == "death":
            return ("patients.view_patient",)
        return ("patients.change_patient",)

    def post(self, request, pk, action):
        patient = self.get_patient()
        try:
            if action == "deactivate":
                services.patient_deactivate(patient=patient, actor=request.user)
                messages.success(request, _("The record was deactivated."))
            elif action == "reactivate":
                services.patient_reactivate(patient=patient, actor=request.user)
                messages.success(request, _("The record was reactivated."))
            elif action == "death":
                form = forms.DeathForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Enter a valid date of death."))
                else:
                    services.patient_record_death(
                        patient=patient,
                        actor=request.user,
                        deceased_on=form.cleaned_data["deceased_on"],
                    )
                    messages.success(request, _("The death was recorded."))
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(patient)


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
                "banner_items": chart.banner_items_for(
                    self.request, patient, clinical_access=allowed
                ),
                "tab_context": self.tab.context(self.request, patient) if self.tab.context else {},
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


class PatientDetailView(PatientScopeMixin, View):
    """The chart's first tab."""

    def get(self, request, pk):
        patient = self.get_patient()
        return redirect("patients:patient_chart", pk=patient.pk, tab="demographics")


class CareTeamView(PatientScopeMixin, View):
    """Add (POST user) or remove (POST remove=<user id>) care-team members."""

    permission_required = "patients.manage_care_team"

    def post(self, request, pk):
        patient = self.get_patient()
        target = reverse("patients:patient_chart", args=[patient.pk, "care-team"])
        if not can_manage_care_team(request.user, patient):
            messages.error(request, _("Only members of the care team can change it."))
            return HttpResponseRedirect(target)
        if "remove" in request.POST:
            if not _is_uuid(request.POST["remove"]):
                raise Http404
            user = get_object_or_404(User, pk=request.POST["remove"])
            services.care_team_remove(patient=patient, user=user, actor=request.user)
            messages.success(request, _("%(user)s left the care team.") % {"user": user})
            return HttpResponseRedirect(target)
        form = forms.CareTeamAddForm(request.POST)
        if form.is_valid():
            user = form.cleaned_data["user"]
            try:
                services.care_team_add(patient=patient, user=user, actor=request.user)
                messages.success(request, _("%(user)s joined the care team.") % {"user": user})
            except DomainError as exc:
                messages.error(request, " ".join(exc.messages))
            except CareTeamSelfAdd as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, _("Choose a doctor or nurse."))
        return HttpResponseRedirect(target)


class BreakGlassView(PatientScopeMixin, View):
    """Break the glass: state a reason, get time-limited access to this chart."""

    permission_required = "patients.break_glass"

    def post(self, request, pk):
        patient = self.get_patient()
        form = forms.BreakGlassForm(request.POST)
        if form.is_valid():
            try:
                services.break_glass_open(
                    patient=patient, user=request.user, reason=form.cleaned_data["reason"]
                )
                messages.warning(
                    request,
                    _("Emergency access granted. It is logged and will be reviewed."),
                )
                next_tab = request.POST.get("next_tab", "")
                if next_tab not in {t.key for t in chart.tabs_for(request.user)}:
                    next_tab = "demographics"
                return redirect("patients:patient_chart", pk=patient.pk, tab=next_tab)
            except DomainError as exc:
                form.add_error(None, exc)
        tab = next(
            (t for t in chart.tabs_for(request.user) if t.key == request.POST.get("next_tab")),
            None,
        )
        return render(
            request,
            "patients/chart_denied.html",
            {
                "patient": patient,
                "tab": tab,
                "break_glass_form": form,
                "can_break_glass": True,
                "message": _("State a reason to open this chart."),
            },
            status=400,
        )


# --- Administrators: break-glass review, access log, merges ----------------------------------


class BreakGlassReviewListView(StaffViewMixin, RolePermissionRequiredMixin, ListView):
    """The privacy review queue of break-the-glass accesses."""

    permission_required = "patients.review_breakglassaccess"
    template_name = "patients/breakglass_review_list.html"
    context_object_name = "accesses"
    paginate_by = 25

    def get_queryset(self):
        queryset = BreakGlassAccess.objects.select_related("user", "patient", "reviewed_by")
        if self.request.GET.get("show") != "all":
            queryset = queryset.filter(reviewed_at__isnull=True)
        return queryset.order_by("-granted_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_all"] = self.request.GET.get("show") == "all"
        context["review_form"] = forms.BreakGlassReviewForm()
        context["self_assigned_pending"] = care_relationships_to_review().count()
        return context


class BreakGlassReviewView(StaffViewMixin, RolePermissionRequiredMixin, View):
    """Mark one break-the-glass access reviewed (POST comment)."""

    permission_required = "patients.review_breakglassaccess"

    def post(self, request, pk):
        access = get_object_or_404(BreakGlassAccess, pk=pk)
        form = forms.BreakGlassReviewForm(request.POST)
        if form.is_valid():
            services.break_glass_review(
                access=access, actor=request.user, comment=form.cleaned_data["comment"]
            )
            messages.success(request, _("The access was marked reviewed."))
        else:
            messages.error(request, _("Write a review comment."))
        return redirect("patients:breakglass_review_list")


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
        context["break_glass_pending"] = BreakGlassAccess.objects.filter(
            reviewed_at__isnull=True
        ).count()
        context["now"] = timezone.now()
        return context


class SelfAssignedReviewView(StaffViewMixin, RolePermissionRequiredMixin, View):
    """Mark one self-assigned care relationship reviewed (POST comment)."""

    permission_required = "patients.review_breakglassaccess"

    def post(self, request, pk):
        relationship = get_object_or_404(CareRelationship, pk=pk, self_assigned=True)
        form = forms.BreakGlassReviewForm(request.POST)
        if form.is_valid():
            services.care_relationship_review(
                relationship=relationship,
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("The access was marked reviewed."))
        else:
            messages.error(request, _("Write a review comment."))
        return redirect("patients:self_assigned_review_list")


class AccessLogView(StaffViewMixin, RolePermissionRequiredMixin, ListView):
    """Who looked at which chart: by patient (?patient=<id>) or by user (?user=<id>)."""

    permission_required = "patients.view_chartaccess"
    template_name = "patients/access_log.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        queryset = ChartAccess.objects.select_related(
            "user", "patient", "break_glass", "care_relationship"
        )
        self.patient = self.user_filter = None
        if patient_id := self.request.GET.get("patient"):
            self.patient = patient_get(self.request.user, patient_id)
            queryset = queryset.filter(patient=self.patient)
        if user_id := self.request.GET.get("user"):
            self.user_filter = get_object_or_404(User, pk=user_id) if _is_uuid(user_id) else None
            if self.user_filter is None:
                raise Http404
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
            User.objects.filter(Q(chart_accesses__isnull=False))
            .distinct()
            .order_by("last_name", "first_name")
        )
        return context


def _is_uuid(value):
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


class PatientMergeView(PatientScopeMixin, View):
    """Merge a duplicate record into this patient (Administrators)."""

    permission_required = "patients.merge_patient"
    template_name = "patients/patient_merge.html"

    def get(self, request, pk):
        return self.render(forms.MergeForm())

    def render(self, form, duplicate=None, preview=None, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "patient": self.get_patient(),
                "form": form,
                "duplicate": duplicate,
                "preview": preview,
                "merges": PatientMerge.objects.filter(
                    Q(survivor=self.get_patient()) | Q(duplicate=self.get_patient())
                ).select_related("survivor", "duplicate", "created_by", "undone_by"),
            },
            status=status,
        )

    def post(self, request, pk):
        survivor = self.get_patient()
        form = forms.MergeForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        mrn = form.cleaned_data["duplicate_mrn"].strip()
        prefix = services.parameters.get("mrn_prefix")
        if prefix and mrn.upper().startswith(prefix.upper()):
            mrn = mrn[len(prefix) :]
        duplicate = patient_list_for_user(request.user).filter(mrn=mrn).first()
        if duplicate is None:
            form.add_error("duplicate_mrn", _("No patient has this MRN."))
            return self.render(form, status=400)
        # The merge runs only after its preview was shown for this very duplicate.
        previewed = request.POST.get("previewed") == str(duplicate.pk)
        if not (form.cleaned_data["confirm"] and previewed):
            if previewed:
                form.add_error("confirm", _("Check the preview, then confirm."))
            return self.render(form, duplicate, services.patient_merge_preview(duplicate))
        try:
            services.patient_merge(
                survivor=survivor,
                duplicate=duplicate,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc)
            return self.render(form, duplicate, status=400)
        messages.success(
            request,
            _("%(dup)s was merged into this record.") % {"dup": duplicate.display_mrn},
        )
        return redirect(survivor)


class PatientMergeUndoView(StaffViewMixin, RolePermissionRequiredMixin, View):
    """Undo a merge (POST)."""

    permission_required = "patients.merge_patient"

    def post(self, request, pk):
        merge = get_object_or_404(PatientMerge, pk=pk)
        try:
            services.patient_merge_undo(merge=merge, actor=request.user)
            messages.success(request, _("The merge was undone."))
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("patients:patient_merge", pk=merge.survivor_id)
