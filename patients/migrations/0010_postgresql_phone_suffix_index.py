"""PostgreSQL-only index for phone searches by the end of the number (the same search
works without it on SQLite).

Phones are stored in E.164 (`+` and digits). "Ends with 5554820" is searched as
`REVERSE(phone) LIKE '0284555%'`, a prefix match that a btree serves when it compares
bytes (`text_pattern_ops`); Django casts the left side to text, which REVERSE() already
is, so the planner matches this expression.
"""

from django.db import migrations

INDEX = "patient_phone_reversed_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient "
            '(REVERSE("phone") text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_worklist_access_reason")]

    operations = [migrations.RunPython(create, drop)]
