"""Free-text fields get a maximum length (ehr.core.models.BoundedTextField): notes
50,000 characters, other text 2,000. It is checked by model validation, forms and the
API; the column stays `text`, so nothing changes in the database. The change is made in
the migration state only: on SQLite an AlterField would rebuild each table, and a rebuilt
table loses its triggers (the signed-note triggers of clinical 0002, 0007 and 0009)."""

from django.db import migrations

import ehr.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("inpatient", "0003_admission_care_relationships"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="admission",
                    name="discharge_summary",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="discharge summary"
                    ),
                ),
                migrations.AlterField(
                    model_name="admission",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(
                        max_length=2000, verbose_name="reason for admission"
                    ),
                ),
                migrations.AlterField(
                    model_name="admissionrequest",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(
                        max_length=2000, verbose_name="reason for admission"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaladmission",
                    name="discharge_summary",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=50000, verbose_name="discharge summary"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaladmission",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(
                        max_length=2000, verbose_name="reason for admission"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaladmissionrequest",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(
                        max_length=2000, verbose_name="reason for admission"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalroomclass",
                    name="description",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="description"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalward",
                    name="description",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="description"
                    ),
                ),
                migrations.AlterField(
                    model_name="roomclass",
                    name="description",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="description"
                    ),
                ),
                migrations.AlterField(
                    model_name="ward",
                    name="description",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="description"
                    ),
                ),
            ],
        ),
    ]
