"""Shared by the data migrations that turn the care that exists (appointments,
encounters, admissions, ward stays) into windowed care relationships. Not a migration
itself (the loader skips modules whose name starts with an underscore)."""

from datetime import timedelta

from django.utils import timezone

DEFAULTS = {"chart_prep_hours": 24, "relationship_followup_days": 30}
REASON = "Care relationship from existing records"


def windows(apps):
    """Return (preparation time, follow-up time) from the stored parameters."""
    SystemParameter = apps.get_model("core", "SystemParameter")
    values = dict(DEFAULTS)
    for key, value in SystemParameter.objects.filter(key__in=DEFAULTS).values_list(
        "key", "value"
    ):
        try:
            values[key] = int(value)
        except (TypeError, ValueError):
            pass
    return (
        timedelta(hours=values["chart_prep_hours"]),
        timedelta(days=values["relationship_followup_days"]),
    )


def create(apps, specs):
    """Create care relationships (with their first history row) from dicts of field
    values: patient_id, user_id, reason, source_type, source_id, opens_at, closes_at."""
    CareRelationship = apps.get_model("patients", "CareRelationship")
    Historical = apps.get_model("patients", "HistoricalCareRelationship")
    rows = []
    for spec in specs:
        if spec["closes_at"] is not None and spec["closes_at"] < spec["opens_at"]:
            spec["closes_at"] = spec["opens_at"]
        rows.append(CareRelationship(**spec))
    CareRelationship.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    now = timezone.now()
    fields = [f.attname for f in CareRelationship._meta.concrete_fields]
    Historical.objects.bulk_create(
        [
            Historical(
                **{name: getattr(row, name) for name in fields},
                history_date=now,
                history_type="+",
                history_change_reason=REASON,
            )
            for row in rows
        ],
        batch_size=1000,
    )
    return len(rows)
