"""The default appointment types every hospital starts with (data migration).

Each colour keeps a contrast of at least 4.5:1 against white text (WCAG AA), so the
calendar's events stay readable, and the six are told apart by hue. A type whose code
already exists is left as it is (an administrator may have changed it), so the migration
is idempotent. Reversing it removes nothing: appointments may already use the types.
"""

from django.db import migrations
from django.utils import timezone

# code, name, default duration (minutes), colour, description
DEFAULT_TYPES = [
    ("consultation", "Consultation", 20, "#0b5ed7", "A first visit about a new problem."),
    ("follow-up", "Follow-up", 15, "#146c43", "A return visit about a known problem."),
    ("emergency", "Emergency", 30, "#b02a37", "An urgent visit, booked at short notice."),
    ("check-up", "Check-up", 30, "#6f42c1", "A routine examination without a complaint."),
    ("surgery", "Surgery", 120, "#495057", "An operation in a planned session."),
    ("procedure", "Procedure", 60, "#ab4e00", "A minor procedure or investigation."),
]


def create_types(apps, schema_editor):
    AppointmentType = apps.get_model("scheduling", "AppointmentType")
    HistoricalAppointmentType = apps.get_model("scheduling", "HistoricalAppointmentType")
    now = timezone.now()
    for code, name, minutes, colour, description in DEFAULT_TYPES:
        if AppointmentType.objects.filter(code=code).exists():
            continue
        if AppointmentType.objects.filter(name=name).exists():
            continue  # a type of that name under another code: the administrator's choice
        row = AppointmentType.objects.create(
            code=code,
            name=name,
            default_duration=minutes,
            colour=colour,
            description=description,
            created_at=now,
            updated_at=now,
        )
        # Migrations use frozen models without simple-history; write the "created"
        # history row ourselves so every type has its history from the start.
        HistoricalAppointmentType.objects.create(
            id=row.id,
            created_at=now,
            updated_at=now,
            additional_data={},
            name=name,
            code=code,
            default_duration=minutes,
            colour=colour,
            is_active=True,
            description=description,
            history_date=now,
            history_type="+",
            history_change_reason="Default appointment types",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_postgresql_no_double_booking"),
    ]

    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
