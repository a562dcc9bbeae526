"""A page or an endpoint about one patient: the public home other apps import.

The gates, as they really work, in order:
1. **Role** (`permission_required` on pages, `RolePermission` on endpoints): without the
   role's permission, 403.
2. **Scope**: the patient of the URL is looked up through the one selector
   (`patients.selectors.patient_get`); a patient out of scope is 404.
3. **Chart access** for clinical content: the care team (explicit members, care
   relationships, the ward's nurses), break-the-glass, or a worklist that opens the part
   asked for (`ehr.core.access` providers). Without it, 403: pages show the patient
   banner, why, and the break-the-glass form; endpoints answer ChartAccessDenied. Every
   read, allowed or demographic, is written to the access log with its part and grant.

Pages: `PatientScopeMixin` (gates 1 and 2) and `ChartPageMixin` (1 to 3, with the
banner context). Endpoints: `require_chart_access` (and `log_demographic_read`).
Serializers: `PatientReferenceSerializer` and `UserReferenceSerializer`, the shape every
endpoint names a patient or a user in, and `ClinicalReasonSerializerMixin` for records
whose free-text reason only the care team reads.
"""

from django.db.models import Manager
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from ehr.core import chart
from ehr.core.api.serializers import ReferenceSerializer
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import StaffViewMixin
from patients.exceptions import ChartAccessDenied
from patients.forms import BreakGlassForm
from patients.models import BANNER, ChartAccess
from patients.selectors import (
    ChartAccessDecision,
    chart_access_for,
    clinical_reason_for,
    clinical_reason_visibility,
    patient_get,
)
from patients.services import chart_access_record, chart_open, chart_open_many

BREAK_GLASS_PERMISSION = "patients.break_glass"


# --- Pages ------------------------------------------------------------------------------------


class PatientScopeMixin(StaffViewMixin, RolePermissionRequiredMixin):
    """Base of every staff page about one patient: staff only, the role gate
    (`permission_required`, by default `patients.view_patient`), and `get_patient()`,
    the patient of the URL (`pk`, or override `get_patient_pk`) through the one selector
    (out of scope: 404)."""

    permission_required = "patients.view_patient"
    patient_url_kwarg = "pk"

    def get_patient_pk(self):
        return self.kwargs[self.patient_url_kwarg]

    def get_patient(self):
        if not hasattr(self, "_patient"):
            self._patient = patient_get(self.request.user, self.get_patient_pk())
        return self._patient


def chart_banner(request, patient, *, access):
    """Return the banner items of `patient`'s chart for the requesting user, as
    `ehr.core.chart.banner_items_for` does, and log each item that only the user's role
    opens (allergies for every doctor and nurse) as a read with the reason "banner"."""
    items = chart.banner_items_for(request, patient, access=access)
    for item, _context in items:
        if item.opened_by_role(request.user, access):
            chart_access_record(
                patient=patient,
                user=request.user,
                part=f"{item.key}:banner",
                request=request,
                decision=ChartAccessDecision(False, BANNER),
            )
    return items


def denied_banner(request, patient):
    """Return the banner context of a refused chart read: {"banner_items", "assets"},
    the items the user's role (or worklist) opens, such as allergies, read and logged."""
    items = chart_banner(request, patient, access=chart_access_for(request.user, patient))
    return {
        "banner_items": items,
        "assets": chart.assets_for(None, [item for item, _context in items]),
    }


def chart_denied(request, patient, exc, tab=None, *, status=403, form=None):
    """Answer a refused chart read: the patient banner (with the items the user's role
    opens, such as allergies), why, and (for roles that may) the break-the-glass form."""
    can_break_glass = request.user.has_perm(BREAK_GLASS_PERMISSION)
    message = str(exc)
    if not can_break_glass:
        message = _(
            "This part of the chart is for the patient's care team. Ask a member of the "
            "team to add you if you need it."
        )
    return render(
        request,
        "patients/chart_denied.html",
        {
            **denied_banner(request, patient),
            "patient": patient,
            "tab": tab,
            "message": message,
            "can_break_glass": can_break_glass,
            "break_glass_form": form or BreakGlassForm(),
        },
        status=status,
    )


class ChartAccessMixin:
    """Check chart access to `get_patient()` for `chart_part` and log the read before the
    view runs (`self.access` is the decision); outside the care team (and the user's
    worklists) answer 403 with break-the-glass. Mix in after `PatientScopeMixin`, whose
    role gate runs first (as `ChartPageMixin` does)."""

    chart_part = "clinical"
    back_tab = "summary"

    def dispatch(self, request, *args, **kwargs):
        patient = self.get_patient()
        try:
            self.access = chart_open(
                patient=patient, user=request.user, part=self.chart_part, request=request
            )
        except ChartAccessDenied as exc:
            return chart_denied(request, patient, exc, chart.TABS.get(self.back_tab))
        return super().dispatch(request, *args, **kwargs)


class ChartPageMixin(PatientScopeMixin, ChartAccessMixin):
    """Base of a page inside one patient's chart (a form, a record's detail): the three
    gates, and the context every chart page shows (patient, banner, the tab to go back
    to). Use with a Django generic view or `ehr.core.views.ServiceFormView`."""

    title = ""

    def back_url(self):
        return reverse("patients:patient_chart", args=[self.get_patient().pk, self.back_tab])

    def get_success_url(self):
        return self.back_url()

    def get_context_data(self, **kwargs):
        patient = self.get_patient()
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "patient": patient,
                "access": self.access,
                "banner_items": chart_banner(self.request, patient, access=self.access),
                "title": self.title,
                "back_url": self.back_url(),
                "back_tab": chart.TABS.get(self.back_tab),
            }
        )
        return context


# --- Endpoints --------------------------------------------------------------------------------


def require_chart_access(request, patient, part):
    """Check that the requesting user may read `part` of the chart of `patient` and log
    the read with channel "api". Raise ChartAccessDenied (403, naming break-the-glass)
    outside the care team and the user's worklists. Return the access decision.

    Every clinical endpoint calls this before it reads anything of the chart.
    """
    return chart_open(
        patient=patient,
        user=request.user,
        part=part,
        request=request,
        channel=ChartAccess.Channel.API,
    )


def require_chart_access_many(request, patients, part):
    """Check, as `require_chart_access` does, that the requesting user may read `part`
    of the chart of each of `patients` (an endpoint listing records across charts), and
    log one API read per patient in one insert. Return {patient pk: decision}."""
    return chart_open_many(
        patients=patients,
        user=request.user,
        part=part,
        request=request,
        channel=ChartAccess.Channel.API,
    )


def log_demographic_read(request, patient, part):
    """Log an API read of a demographic part of the chart (no chart access needed)."""
    return chart_open(
        patient=patient,
        user=request.user,
        part=part,
        request=request,
        channel=ChartAccess.Channel.API,
        clinical=False,
    )


# --- References -------------------------------------------------------------------------------


class UserReferenceSerializer(ReferenceSerializer):
    """A staff member named by a record: {"id", "name"}."""


class PatientReferenceSerializer(ReferenceSerializer):
    """A patient named by a record: {"id", "name", "mrn"}."""

    mrn = serializers.CharField(source="display_mrn", read_only=True)


# --- Clinical reasons -------------------------------------------------------------------------


def _requesting_user(context):
    return getattr(context.get("request"), "user", None)


class ClinicalReasonListSerializer(serializers.ListSerializer):
    """A list of records with a clinical reason: which reasons the user may read is
    decided for all rows at once (one query), not row by row."""

    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, Manager) else data)
        user = _requesting_user(self.context)
        if user is not None and user.is_authenticated:
            clinical_reason_visibility(user, rows)
        return super().to_representation(rows)


class ClinicalReasonSerializerMixin(serializers.Serializer):
    """`reason` and `reason_recorded` for records with a free-text clinical reason
    (appointments, admissions): the text only for users with chart access to the
    patient (`patients.selectors.clinical_reason_visibility`), else null. Set
    `reason_source` to the model attribute holding the text."""

    reason_source = "reason"

    reason = serializers.SerializerMethodField(
        help_text="The free-text clinical reason; null unless the requesting user may "
        "open the patient's chart (care team, ward, break-the-glass). See `reason_recorded`."
    )
    reason_recorded = serializers.SerializerMethodField(
        help_text="Whether a reason was written (true even when `reason` is withheld)."
    )

    class Meta:
        list_serializer_class = ClinicalReasonListSerializer

    def get_reason(self, obj) -> str | None:
        text = getattr(obj, self.reason_source) or ""
        user = _requesting_user(self.context)
        if user is None or not user.is_authenticated:
            return None
        return clinical_reason_for(user, obj, text)

    def get_reason_recorded(self, obj) -> bool:
        return bool(getattr(obj, self.reason_source))
