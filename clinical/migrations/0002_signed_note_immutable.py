"""A signed note is immutable, also for code that bypasses the service (raw updates,
`QuerySet.update()`): a trigger refuses any change to the content, type, author,
encounter, addendum link or signature of a signed note. Marking it entered in error
(its own columns) and moving it in a patient merge stay possible.

SQLite and PostgreSQL each get their own trigger; both raise an integrity error.
"""

from django.db import migrations

GUARDED = (
    "status",
    "note_type",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "text",
    "author_id",
    "encounter_id",
    "amends_id",
    "signed_by_id",
    "signed_at",
)
MESSAGE = "clinicalnote_signed_immutable: a signed note cannot be changed"

SQLITE_CREATE = f"""
CREATE TRIGGER IF NOT EXISTS clinicalnote_signed_immutable
BEFORE UPDATE ON clinical_clinicalnote
FOR EACH ROW WHEN OLD.status = 'signed' AND (
    {" OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in GUARDED)}
)
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END
"""

POSTGRESQL_CREATE = [
    f"""
CREATE OR REPLACE FUNCTION clinicalnote_signed_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' AND (
        {" OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in GUARDED)}
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS clinicalnote_signed_immutable ON clinical_clinicalnote",
    """
CREATE TRIGGER clinicalnote_signed_immutable
BEFORE UPDATE ON clinical_clinicalnote
FOR EACH ROW EXECUTE FUNCTION clinicalnote_signed_immutable()
""",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(SQLITE_CREATE)
        elif vendor == "postgresql":
            for statement in POSTGRESQL_CREATE:
                cursor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS clinicalnote_signed_immutable")
        elif vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER IF EXISTS clinicalnote_signed_immutable ON clinical_clinicalnote"
            )
            cursor.execute("DROP FUNCTION IF EXISTS clinicalnote_signed_immutable()")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
