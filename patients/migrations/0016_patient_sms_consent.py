"""Patient.sms_messages: the patient's consent to appointment messages by text (off for
every existing patient); the email consent's label says what it now covers.

The column is added in place by SQL: on SQLite, Django would rebuild patients_patient
for a NOT NULL column, and a rebuilt table breaks the signed-note triggers of clinical
0009 (see 0012). SQLite keeps the column's default; PostgreSQL drops it, as Django does."""

from django.db import migrations, models

FORWARD = {
    "postgresql": [
        "ALTER TABLE patients_patient ADD COLUMN sms_messages boolean DEFAULT false NOT NULL",
        "ALTER TABLE patients_patient ALTER COLUMN sms_messages DROP DEFAULT",
    ],
    "sqlite": ["ALTER TABLE patients_patient ADD COLUMN sms_messages bool DEFAULT 0 NOT NULL"],
}
BACKWARD = {
    "postgresql": ["ALTER TABLE patients_patient DROP COLUMN sms_messages"],
    "sqlite": ["ALTER TABLE patients_patient DROP COLUMN sms_messages"],
}


def _run(statements):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in statements.get(schema_editor.connection.vendor, []):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0015_phone_display"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpatient",
            name="sms_messages",
            field=models.BooleanField(
                default=False,
                help_text="Only with the patient's consent: reminders and confirmations to the phone.",
                verbose_name="appointment messages by text",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="patient",
                    name="sms_messages",
                    field=models.BooleanField(
                        default=False,
                        help_text="Only with the patient's consent: reminders and confirmations to the phone.",
                        verbose_name="appointment messages by text",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_run(FORWARD), _run(BACKWARD))],
        ),
        migrations.AlterField(
            model_name="historicalpatient",
            name="appointment_reminders",
            field=models.BooleanField(
                default=True,
                help_text="Reminders and booking confirmations to the email address above.",
                verbose_name="appointment messages by email",
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="appointment_reminders",
            field=models.BooleanField(
                default=True,
                help_text="Reminders and booking confirmations to the email address above.",
                verbose_name="appointment messages by email",
            ),
        ),
    ]
