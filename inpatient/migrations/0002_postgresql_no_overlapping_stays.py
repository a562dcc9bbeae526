"""PostgreSQL-only hardening: bed stays and admissions never overlap in time.

The partial unique constraints (SQLite and PostgreSQL) guard the present: one current
occupant per bed, one current bed per admission, one open admission per patient. These
exclusion constraints also guard the past, e.g. a back-dated admission into a bed that
was occupied at that time. The services apply the same rule on every database (a bed or
a patient can be given a time only after their last change).
"""

from django.db import migrations

CONSTRAINTS = [
    # One patient per bed at any moment, present or past.
    (
        "inpatient_bedstay",
        "bedstay_no_overlap_per_bed",
        "EXCLUDE USING gist (bed_id WITH =, tstzrange(started_at, ended_at, '[)') WITH &&)",
    ),
    # One bed per admission at any moment: a transfer ends one stay where the next begins.
    (
        "inpatient_bedstay",
        "bedstay_no_overlap_per_admission",
        "EXCLUDE USING gist (admission_id WITH =, tstzrange(started_at, ended_at, '[)') WITH &&)",
    ),
    # A patient is in hospital once at a time, also in the record of past stays.
    (
        "inpatient_admission",
        "admission_no_overlap_per_patient",
        "EXCLUDE USING gist (patient_id WITH =, tstzrange(admitted_at, discharged_at, '[)') "
        "WITH &&)",
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
    dependencies = [("inpatient", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
