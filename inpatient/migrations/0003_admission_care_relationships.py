"""Give every admission its attending doctor's windowed care relationship, and every
current bed stay its ward nurses' (see patients 0007)."""

from django.db import migrations

from patients.migrations import _care_backfill


def forwards(apps, schema_editor):
    Admission = apps.get_model("inpatient", "Admission")
    BedStay = apps.get_model("inpatient", "BedStay")
    WardNurse = apps.get_model("inpatient", "WardNurse")
    _prep, follow = _care_backfill.windows(apps)
    specs = [
        {
            "patient_id": admission.patient_id,
            "user_id": admission.attending_doctor_id,
            "reason": "admission",
            "source_type": "inpatient.admission",
            "source_id": admission.pk,
            "opens_at": admission.admitted_at,
            "closes_at": admission.discharged_at + follow if admission.discharged_at else None,
        }
        for admission in Admission.objects.iterator()
    ]
    nurses = {}
    for assignment in WardNurse.objects.filter(
        user__is_active=True, user__groups__name="Nurse"
    ).distinct():
        nurses.setdefault(assignment.ward_id, []).append(assignment.user_id)
    for stay in BedStay.objects.filter(ended_at__isnull=True).select_related(
        "admission", "bed__room"
    ):
        for nurse_id in nurses.get(stay.bed.room.ward_id, []):
            specs.append(
                {
                    "patient_id": stay.admission.patient_id,
                    "user_id": nurse_id,
                    "reason": "ward",
                    "source_type": "inpatient.bedstay",
                    "source_id": stay.pk,
                    "opens_at": stay.started_at,
                    "closes_at": None,
                }
            )
    _care_backfill.create(apps, specs)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("patients", "0007_care_grants_become_relationships"),
        ("inpatient", "0002_postgresql_no_overlapping_stays"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
