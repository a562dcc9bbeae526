"""The MRN sequence: a PostgreSQL SEQUENCE, or on SQLite an AUTOINCREMENT table (whose
ids are never reused either). MRNs are never drawn with count()+1."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("CREATE SEQUENCE IF NOT EXISTS patient_mrn_seq START 1000")
        else:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS patient_mrn_sequence "
                "(id INTEGER PRIMARY KEY AUTOINCREMENT)"
            )
            # Start at 1000 like PostgreSQL, so MRNs look alike on both.
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'patient_mrn_sequence', 999 "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence "
                "WHERE name = 'patient_mrn_sequence')"
            )


def drop_sequence(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP SEQUENCE IF EXISTS patient_mrn_seq")
        else:
            cursor.execute("DROP TABLE IF EXISTS patient_mrn_sequence")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
