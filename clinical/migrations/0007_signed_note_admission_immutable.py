"""The signed-note trigger (0002) also guards the admission link added in 0006: the
discharge summary of one admission cannot be moved to another once signed."""

from django.db import migrations

BEFORE = (
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
AFTER = (*BEFORE, "admission_id")
MESSAGE = "clinicalnote_signed_immutable: a signed note cannot be changed"


def _sqlite(guarded):
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in guarded)
    return [
        "DROP TRIGGER IF EXISTS clinicalnote_signed_immutable",
        f"""
CREATE TRIGGER clinicalnote_signed_immutable
BEFORE UPDATE ON clinical_clinicalnote
FOR EACH ROW WHEN OLD.status = 'signed' AND ({changed})
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END
""",
    ]


def _postgresql(guarded):
    changed = " OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in guarded)
    return [
        f"""
CREATE OR REPLACE FUNCTION clinicalnote_signed_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' AND ({changed}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
    ]


def _apply(guarded):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        statements = {"sqlite": _sqlite, "postgresql": _postgresql}.get(vendor)
        if statements is None:
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements(guarded):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("clinical", "0006_clinicalnote_admission")]

    operations = [migrations.RunPython(_apply(AFTER), _apply(BEFORE))]
