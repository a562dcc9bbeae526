"""Give every existing admission the status-change rows its time stamps record: admitted
(by whoever created it), discharge ordered (if an order stands or preceded the
discharge), discharged. A withdrawn discharge order left no stamp and gets no row."""

from django.db import migrations


def forwards(apps, schema_editor):
    Admission = apps.get_model("inpatient", "Admission")
    AdmissionStatusChange = apps.get_model("inpatient", "AdmissionStatusChange")
    rows = []
    for admission in Admission.objects.filter(status_changes__isnull=True).iterator():
        steps = [("", "admitted", admission.admitted_at, admission.created_by_id)]
        if admission.discharge_ordered_at is not None:
            steps.append(
                (
                    "admitted",
                    "discharge_ordered",
                    admission.discharge_ordered_at,
                    admission.discharge_ordered_by_id,
                )
            )
        if admission.discharged_at is not None:
            steps.append(
                (
                    steps[-1][1],
                    "discharged",
                    admission.discharged_at,
                    admission.discharged_by_id,
                )
            )
        for from_status, to_status, at, by in steps:
            rows.append(
                AdmissionStatusChange(
                    admission_id=admission.pk,
                    from_status=from_status,
                    to_status=to_status,
                    at=at,
                    by_id=by,
                    created_at=at,
                    created_by_id=by,
                    updated_by_id=by,
                )
            )
    AdmissionStatusChange.objects.bulk_create(rows, batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("inpatient", "AdmissionStatusChange").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inpatient", "0005_admission_status_change"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
