"""Context for the patients app's chart tabs and home-page panels."""

from django.utils import timezone

from patients.models import BreakGlassAccess, ChartAccess
from patients.selectors import (
    can_manage_care_team,
    care_relationships_for,
    care_relationships_to_review,
    care_team_for,
    patients_on_care_team_of,
)

HISTORY_PAGE = 50


def demographics_tab(request, patient):
    """Identifiers, emergency contacts and the demographic fields."""
    return {
        "identifiers": list(patient.identifiers.all()),
        "contacts": list(patient.emergency_contacts.all()),
        "can_edit": request.user.has_perm("patients.change_patient"),
    }


def history_tab(request, patient):
    """Field-level changes of the patient record: who, when, old → new."""
    records = list(
        patient.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_PAGE + 1
        ]
    )
    changes = []
    ignored = {"updated_at", "updated_by", "first_name_phonetic", "last_name_phonetic"}
    for newer, older in zip(records, [*records[1:], None], strict=False):
        if len(changes) == HISTORY_PAGE:
            break
        if older is None:
            diffs = []
        else:
            delta = newer.diff_against(older, excluded_fields=ignored)
            diffs = [
                {
                    "field": patient._meta.get_field(c.field).verbose_name,
                    "old": _display(patient, c.field, c.old),
                    "new": _display(patient, c.field, c.new),
                }
                for c in delta.changes
            ]
        changes.append({"record": newer, "changes": diffs, "created": older is None})
    return {"changes": changes, "truncated": len(records) > HISTORY_PAGE}


def _display(patient, field_name, value):
    field = patient._meta.get_field(field_name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    return value


def care_team_tab(request, patient):
    """The care team, with who may change it."""
    return {
        "members": list(care_team_for(patient)),
        "relationships": list(care_relationships_for(patient)),
        "can_manage": can_manage_care_team(request.user, patient),
    }


def search(request):
    """Whether the user may register patients from the search panel."""
    return {"can_register": request.user.has_perm("patients.add_patient")}


def my_patients(request):
    """The patients whose charts the user may open (care team)."""
    queryset = patients_on_care_team_of(request.user).order_by("last_name", "first_name")
    return {"patients": list(queryset[:10]), "count": queryset.count()}


def break_glass_queue(request):
    """Break-the-glass accesses and self-assigned care relationships waiting for a
    privacy review."""
    pending = BreakGlassAccess.objects.filter(reviewed_at__isnull=True).select_related(
        "user", "patient"
    )
    return {
        "pending": list(pending[:5]),
        "count": pending.count(),
        "self_assigned_count": care_relationships_to_review().count(),
    }


def access_log(request):
    """The latest chart reads and how many there were today (the access log's panel)."""
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    recent = ChartAccess.objects.select_related("user", "patient").order_by("-accessed_at")
    return {
        "recent": list(recent[:5]),
        "today": ChartAccess.objects.filter(accessed_at__gte=start_of_day).count(),
    }
