"""PostgreSQL-only search indexes (the same search works without them on SQLite).

Django compiles `istartswith`/`icontains` to `UPPER(col) LIKE …`, so the trigram indexes
are on UPPER(col): an index on the bare column would not be used. `fastupdate = off`:
with GIN's pending list, every search scans the not-yet-merged entries until a vacuum, which
made searches right after a bulk load 10-40x slower (measured at 100,000 patients).
"""

from django.db import migrations

COLUMNS = ("last_name", "first_name", "middle_name")
INDEXES = [
    *(
        (
            f"patient_{column}_upper_trgm",
            f'CREATE INDEX IF NOT EXISTS patient_{column}_upper_trgm ON patients_patient '
            f'USING gin (UPPER("{column}") gin_trgm_ops) WITH (fastupdate = off)',
        )
        for column in COLUMNS
    ),
    (
        "patient_phone_trgm",
        'CREATE INDEX IF NOT EXISTS patient_phone_trgm ON patients_patient '
        'USING gin ("phone" gin_trgm_ops) WITH (fastupdate = off)',
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for _name, sql in INDEXES:
            cursor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _sql in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_mrn_sequence")]

    operations = [migrations.RunPython(create, drop)]
