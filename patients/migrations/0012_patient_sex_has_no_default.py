"""Sex has no default: registration asks, and "unknown" is a choice someone made. The
database refuses any other value (an empty one included): a CHECK constraint on
PostgreSQL; on SQLite, where adding a constraint would rebuild the table and a rebuilt
table breaks the signed-note triggers of clinical 0009 (see 0008), two triggers that
raise the same constraint error. Dropping the default changes nothing in the database
(Django applies defaults in Python), so that part is in the migration state only."""

from django.db import migrations, models

SEXES = ("female", "male", "other", "unknown")
CHOICES = [("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown")]
ALLOWED = ", ".join(f"'{value}'" for value in SEXES)
NAME = "patient_sex_recorded"

FORWARD = {
    "postgresql": [
        f"ALTER TABLE patients_patient ADD CONSTRAINT {NAME} CHECK (sex IN ({ALLOWED}))",
    ],
    "sqlite": [
        f"""
CREATE TRIGGER IF NOT EXISTS {NAME}_insert BEFORE INSERT ON patients_patient
WHEN NEW.sex NOT IN ({ALLOWED})
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}');
END
""",
        f"""
CREATE TRIGGER IF NOT EXISTS {NAME}_update BEFORE UPDATE OF sex ON patients_patient
WHEN NEW.sex NOT IN ({ALLOWED})
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}');
END
""",
    ],
}
BACKWARD = {
    "postgresql": [f"ALTER TABLE patients_patient DROP CONSTRAINT IF EXISTS {NAME}"],
    "sqlite": [f"DROP TRIGGER IF EXISTS {NAME}_insert", f"DROP TRIGGER IF EXISTS {NAME}_update"],
}


def _run(statements):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in statements.get(schema_editor.connection.vendor, []):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0011_phonetic_keys_read_th_as_t"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalpatient",
                    name="sex",
                    field=models.CharField(choices=CHOICES, max_length=10, verbose_name="sex"),
                ),
                migrations.AlterField(
                    model_name="patient",
                    name="sex",
                    field=models.CharField(choices=CHOICES, max_length=10, verbose_name="sex"),
                ),
                migrations.AddConstraint(
                    model_name="patient",
                    constraint=models.CheckConstraint(
                        condition=models.Q(sex__in=list(SEXES)), name=NAME
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_run(FORWARD), _run(BACKWARD))],
        ),
    ]
