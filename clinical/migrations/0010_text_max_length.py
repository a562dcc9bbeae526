"""Free-text fields get a maximum length (ehr.core.models.BoundedTextField): notes
50,000 characters, other text 2,000. It is checked by model validation, forms and the
API; the column stays `text`, so nothing changes in the database. The change is made in
the migration state only: on SQLite an AlterField would rebuild each table, and a rebuilt
table loses its triggers (the signed-note triggers of clinical 0002, 0007 and 0009)."""

from django.db import migrations

import ehr.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0009_signed_note_undeletable_stays_with_patient"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="allergy",
                    name="status_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason for the status"
                    ),
                ),
                migrations.AlterField(
                    model_name="clinicalnote",
                    name="assessment",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="assessment"
                    ),
                ),
                migrations.AlterField(
                    model_name="clinicalnote",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="clinicalnote",
                    name="objective",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="objective"
                    ),
                ),
                migrations.AlterField(
                    model_name="clinicalnote",
                    name="plan",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="plan"
                    ),
                ),
                migrations.AlterField(
                    model_name="clinicalnote",
                    name="subjective",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="subjective"
                    ),
                ),
                migrations.AlterField(
                    model_name="clinicalnote",
                    name="text",
                    field=ehr.core.models.BoundedTextField(
                        blank=True,
                        help_text="Free text, instead of SOAP.",
                        max_length=50000,
                        verbose_name="text",
                    ),
                ),
                migrations.AlterField(
                    model_name="condition",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="condition",
                    name="note",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="note"
                    ),
                ),
                migrations.AlterField(
                    model_name="encounter",
                    name="cancel_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason for cancelling"
                    ),
                ),
                migrations.AlterField(
                    model_name="familyhistory",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="familyhistory",
                    name="notes",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="notes"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalallergy",
                    name="status_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason for the status"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalclinicalnote",
                    name="assessment",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="assessment"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalclinicalnote",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalclinicalnote",
                    name="objective",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="objective"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalclinicalnote",
                    name="plan",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="plan"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalclinicalnote",
                    name="subjective",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="subjective"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalclinicalnote",
                    name="text",
                    field=ehr.core.models.BoundedTextField(
                        blank=True,
                        help_text="Free text, instead of SOAP.",
                        max_length=50000,
                        verbose_name="text",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcondition",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcondition",
                    name="note",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="note"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalencounter",
                    name="cancel_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason for cancelling"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalfamilyhistory",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalfamilyhistory",
                    name="notes",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="notes"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalsocialhistory",
                    name="notes",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="notes"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalsurgicalhistory",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalsurgicalhistory",
                    name="notes",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="notes"
                    ),
                ),
                migrations.AlterField(
                    model_name="socialhistory",
                    name="notes",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="notes"
                    ),
                ),
                migrations.AlterField(
                    model_name="surgicalhistory",
                    name="entered_in_error_reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason it was entered in error"
                    ),
                ),
                migrations.AlterField(
                    model_name="surgicalhistory",
                    name="notes",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="notes"
                    ),
                ),
            ],
        ),
    ]
