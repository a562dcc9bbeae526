"""The accession-number sequence (a PostgreSQL SEQUENCE, or on SQLite an AUTOINCREMENT
table whose ids are never reused, as the MRN's), and on PostgreSQL the exclusion
constraint that keeps reference ranges of the same test and sex from overlapping in age
under concurrent writes (`ReferenceRange.clean()` refuses it on every database)."""

from django.db import migrations


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("CREATE SEQUENCE IF NOT EXISTS lab_accession_seq START 100000")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            cursor.execute(
                "ALTER TABLE laboratory_referencerange "
                "ADD CONSTRAINT referencerange_no_overlap EXCLUDE USING gist "
                "(test_id WITH =, sex WITH =, "
                "int4range(age_from_days, age_to_days) WITH &&)"
            )
        else:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS lab_accession_sequence "
                "(id INTEGER PRIMARY KEY AUTOINCREMENT)"
            )
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'lab_accession_sequence', 99999 "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence "
                "WHERE name = 'lab_accession_sequence')"
            )


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE laboratory_referencerange "
                "DROP CONSTRAINT IF EXISTS referencerange_no_overlap"
            )
            cursor.execute("DROP SEQUENCE IF EXISTS lab_accession_seq")
        else:
            cursor.execute("DROP TABLE IF EXISTS lab_accession_sequence")


class Migration(migrations.Migration):
    dependencies = [("laboratory", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
