"""Chart access that came from care (appointment, encounter, admission, ward) was a
permanent care-team permission; it is now a windowed care relationship, created from
the care itself by the scheduling, clinical and inpatient migrations. Remove the old
permanent grants (explicit memberships and break-the-glass grants stay)."""

from django.db import migrations
from django.utils import timezone

CARE_REASONS = ["appointment", "encounter", "admission", "ward"]


def forwards(apps, schema_editor):
    Permission = apps.get_model("patients", "PatientUserObjectPermission")
    Historical = apps.get_model("patients", "HistoricalPatientUserObjectPermission")
    rows = list(Permission.objects.filter(reason__in=CARE_REASONS))
    now = timezone.now()
    fields = [f.attname for f in Permission._meta.concrete_fields]
    Historical.objects.bulk_create(
        [
            Historical(
                **{name: getattr(row, name) for name in fields},
                history_date=now,
                history_type="-",
                history_change_reason="Replaced by a windowed care relationship",
            )
            for row in rows
        ],
        batch_size=1000,
    )
    Permission.objects.filter(pk__in=[row.pk for row in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_care_relationships")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
