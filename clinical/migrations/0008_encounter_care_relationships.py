"""Give every running or finished encounter its windowed care relationship (see
patients 0007)."""

from django.db import migrations

from patients.migrations import _care_backfill


def forwards(apps, schema_editor):
    Encounter = apps.get_model("clinical", "Encounter")
    _prep, follow = _care_backfill.windows(apps)
    specs = [
        {
            "patient_id": encounter.patient_id,
            "user_id": encounter.doctor_id,
            "reason": "encounter",
            "source_type": "clinical.encounter",
            "source_id": encounter.pk,
            "opens_at": encounter.started_at,
            "closes_at": (
                encounter.ended_at + follow
                if encounter.status == "finished" and encounter.ended_at
                else None
            ),
        }
        for encounter in Encounter.objects.filter(status__in=["in_progress", "finished"]).iterator()
    ]
    _care_backfill.create(apps, specs)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("patients", "0007_care_grants_become_relationships"),
        ("clinical", "0007_signed_note_admission_immutable"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
