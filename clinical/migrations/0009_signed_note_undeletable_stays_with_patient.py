"""The signed-note trigger (0002, 0007) also refuses to delete a signed note and to move
it to another patient, whoever tries (raw SQL, `QuerySet.delete()`, `.update()`).

One move stays possible: a patient merge. `patients.services.patient_merge` marks the
duplicate record merged into the survivor *before* it moves the records, so a signed note
may move from a record to the one it is merged into; `patient_merge_undo` moves them back
before it clears the mark, so the opposite move is allowed while the mark is set.

SQLite and PostgreSQL each get their own triggers; both raise an integrity error.
(PostgreSQL's TRUNCATE, which fires no row trigger, is left to the database owner.)
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
    "admission_id",
)
MESSAGE = "clinicalnote_signed_immutable: a signed note cannot be changed"
MOVE_MESSAGE = (
    "clinicalnote_signed_immutable: a signed note moves only to the record its patient "
    "was merged into"
)
DELETE_MESSAGE = "clinicalnote_signed_undeletable: a signed note cannot be deleted"

# True when the note's old and new patient are a merged pair (either direction: the merge
# and its undo).
MERGE_MOVE = """EXISTS (
        SELECT 1 FROM patients_patient AS p
        WHERE (p.id = OLD.patient_id AND p.merged_into_id = NEW.patient_id)
           OR (p.id = NEW.patient_id AND p.merged_into_id = OLD.patient_id)
    )"""

SQLITE_DELETE_TRIGGER = "clinicalnote_signed_undeletable"
SQLITE_MOVE_TRIGGER = "clinicalnote_signed_stays_with_patient"

SQLITE_CREATE_DELETE = f"""
CREATE TRIGGER IF NOT EXISTS {SQLITE_DELETE_TRIGGER}
BEFORE DELETE ON clinical_clinicalnote
FOR EACH ROW WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, '{DELETE_MESSAGE}');
END
"""
SQLITE_CREATE_MOVE = f"""
CREATE TRIGGER IF NOT EXISTS {SQLITE_MOVE_TRIGGER}
BEFORE UPDATE OF patient_id ON clinical_clinicalnote
FOR EACH ROW WHEN OLD.status = 'signed'
    AND NEW.patient_id IS NOT OLD.patient_id
    AND NOT {MERGE_MOVE}
BEGIN
    SELECT RAISE(ABORT, '{MOVE_MESSAGE}');
END
"""

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION clinicalnote_signed_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION '{DELETE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'signed' AND (
        {" OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in GUARDED)}
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'signed' AND NEW.patient_id IS DISTINCT FROM OLD.patient_id
        AND NOT {MERGE_MOVE} THEN
        RAISE EXCEPTION '{MOVE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

# 0007's function, for the way back.
POSTGRESQL_FUNCTION_BEFORE = f"""
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
"""


def _postgresql_trigger(events):
    return [
        "DROP TRIGGER IF EXISTS clinicalnote_signed_immutable ON clinical_clinicalnote",
        f"""
CREATE TRIGGER clinicalnote_signed_immutable
BEFORE {events} ON clinical_clinicalnote
FOR EACH ROW EXECUTE FUNCTION clinicalnote_signed_immutable()
""",
    ]


FORWARD = {
    "sqlite": [SQLITE_CREATE_DELETE, SQLITE_CREATE_MOVE],
    "postgresql": [POSTGRESQL_FUNCTION, *_postgresql_trigger("UPDATE OR DELETE")],
}
BACKWARD = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {SQLITE_DELETE_TRIGGER}",
        f"DROP TRIGGER IF EXISTS {SQLITE_MOVE_TRIGGER}",
    ],
    "postgresql": [POSTGRESQL_FUNCTION_BEFORE, *_postgresql_trigger("UPDATE")],
}


def _run(statements):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in statements.get(schema_editor.connection.vendor, []):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0008_encounter_care_relationships"),
        ("patients", "0007_care_grants_become_relationships"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
