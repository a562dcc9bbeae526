"""PostgreSQL-only: the rule of record against double booking.

A doctor, and a consultation room, hold at most one appointment at any moment among
the appointments that hold their time (every state but cancelled and no-show). Ranges are
half-open, so back-to-back appointments (09:00–09:15, 09:15–09:30) are allowed. The
booking service locks the doctor and checks first, on every database, for a clear
message; these constraints decide when two requests race (SQLSTATE 23P01).
"""

from django.db import migrations

HOLDING = "('requested', 'booked', 'confirmed', 'checked_in', 'in_progress', 'completed')"

CONSTRAINTS = [
    (
        "scheduling_appointment",
        "appointment_no_overlap_per_doctor",
        "EXCLUDE USING gist (doctor_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        f"WHERE (status IN {HOLDING})",
    ),
    (
        "scheduling_appointment",
        "appointment_no_overlap_per_room",
        "EXCLUDE USING gist (room_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        f"WHERE (status IN {HOLDING} AND room_id IS NOT NULL)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for table, name, definition in CONSTRAINTS:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, name, _definition in CONSTRAINTS:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
