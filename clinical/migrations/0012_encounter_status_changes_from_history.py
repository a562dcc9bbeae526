"""Write the status changes of the encounters recorded before `EncounterStatusChange`
existed, from their row history (each historical row whose status differs from the one
before it is a change: by its history user, at the time the encounter keeps for that
status, else the history date). An encounter without history gets its changes from its
own time stamps. The rows are written with their own history ("+", the migration)."""

from django.db import migrations
from django.utils import timezone

REASON_LENGTH = 255


def _at(row, status):
    if status == "in_progress":
        return row.started_at
    if status == "finished":
        return row.ended_at or row.history_date
    if status == "cancelled":
        return row.cancelled_at or row.history_date
    return row.history_date


def _from_history(encounter, history):
    changes, previous = [], ""
    for row in history:
        if row.status == previous:
            continue
        changes.append(
            {
                "from_status": previous,
                "to_status": row.status,
                "at": _at(row, row.status),
                "by_id": row.history_user_id,
                "reason": row.cancel_reason if row.status == "cancelled" else "",
            }
        )
        previous = row.status
    return changes


def _from_stamps(encounter):
    # Without history: the encounter began running (or was planned) and then ended.
    first = "planned" if encounter.status == "planned" else "in_progress"
    changes = [
        {
            "from_status": "",
            "to_status": first,
            "at": encounter.started_at if first == "in_progress" else encounter.created_at,
            "by_id": encounter.created_by_id,
            "reason": "",
        }
    ]
    if encounter.status in ("finished", "cancelled"):
        changes.append(
            {
                "from_status": first,
                "to_status": encounter.status,
                "at": encounter.ended_at or encounter.cancelled_at or encounter.updated_at,
                "by_id": encounter.updated_by_id,
                "reason": encounter.cancel_reason if encounter.status == "cancelled" else "",
            }
        )
    return changes


def forwards(apps, schema_editor):
    Encounter = apps.get_model("clinical", "Encounter")
    HistoricalEncounter = apps.get_model("clinical", "HistoricalEncounter")
    Change = apps.get_model("clinical", "EncounterStatusChange")
    HistoricalChange = apps.get_model("clinical", "HistoricalEncounterStatusChange")
    now = timezone.now()
    for encounter in Encounter.objects.filter(status_changes__isnull=True).iterator():
        history = list(
            HistoricalEncounter.objects.filter(id=encounter.pk).order_by(
                "history_date", "history_id"
            )
        )
        specs = _from_history(encounter, history) if history else _from_stamps(encounter)
        rows = Change.objects.bulk_create(
            [
                Change(
                    encounter_id=encounter.pk,
                    created_at=spec["at"],
                    created_by_id=spec["by_id"],
                    updated_by_id=spec["by_id"],
                    **{**spec, "reason": spec["reason"][:REASON_LENGTH]},
                )
                for spec in specs
            ]
        )
        fields = [f.attname for f in Change._meta.concrete_fields]
        HistoricalChange.objects.bulk_create(
            [
                HistoricalChange(
                    **{name: getattr(row, name) for name in fields},
                    history_date=now,
                    history_type="+",
                    history_change_reason="Written from the encounter's history",
                )
                for row in rows
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("clinical", "0011_encounter_status_change")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
