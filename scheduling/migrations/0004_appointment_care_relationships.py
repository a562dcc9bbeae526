"""Give every booked, confirmed, arrived or completed appointment its windowed care
relationship (see patients 0007)."""

from django.db import migrations

from patients.migrations import _care_backfill

OPEN = ["booked", "confirmed", "checked_in", "in_progress"]


def forwards(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    prep, follow = _care_backfill.windows(apps)
    specs = []
    for appointment in Appointment.objects.filter(status__in=[*OPEN, "completed"]).iterator():
        ends = appointment.end
        if appointment.status == "completed" and appointment.completed_at:
            ends = max(appointment.completed_at, appointment.end)
        opens = appointment.start - prep
        specs.append(
            {
                "patient_id": appointment.patient_id,
                "user_id": appointment.doctor_id,
                "reason": "appointment",
                "source_type": "scheduling.appointment",
                "source_id": appointment.pk,
                "opens_at": opens,
                "closes_at": max(ends, opens) + follow,
            }
        )
    _care_backfill.create(apps, specs)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("patients", "0007_care_grants_become_relationships"),
        ("scheduling", "0003_default_appointment_types"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
