"""Free-text fields get a maximum length (ehr.core.models.BoundedTextField): notes
50,000 characters, other text 2,000. It is checked by model validation, forms and the
API; the column stays `text`, so nothing changes in the database. The change is made in
the migration state only: on SQLite an AlterField would rebuild each table, and a rebuilt
table loses its triggers (the signed-note triggers of clinical 0002, 0007 and 0009)."""

from django.db import migrations

import ehr.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0007_care_grants_become_relationships"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="breakglassaccess",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(max_length=2000, verbose_name="reason"),
                ),
                migrations.AlterField(
                    model_name="breakglassaccess",
                    name="review_comment",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="review comment"
                    ),
                ),
                migrations.AlterField(
                    model_name="carerelationship",
                    name="review_comment",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="review comment"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalbreakglassaccess",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(max_length=2000, verbose_name="reason"),
                ),
                migrations.AlterField(
                    model_name="historicalbreakglassaccess",
                    name="review_comment",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="review comment"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcarerelationship",
                    name="review_comment",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="review comment"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalpatientmerge",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason"
                    ),
                ),
                migrations.AlterField(
                    model_name="patientmerge",
                    name="reason",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="reason"
                    ),
                ),
            ],
        ),
    ]
