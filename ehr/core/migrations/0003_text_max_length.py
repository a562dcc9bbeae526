"""Free-text fields get a maximum length (ehr.core.models.BoundedTextField): notes
50,000 characters, other text 2,000. It is checked by model validation, forms and the
API; the column stays `text`, so nothing changes in the database. The change is made in
the migration state only: on SQLite an AlterField would rebuild each table, and a rebuilt
table loses its triggers (the signed-note triggers of clinical 0002, 0007 and 0009)."""

from django.db import migrations

import ehr.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_create_cache_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalhospital",
                    name="address",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="address"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalnotification",
                    name="body",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=4000, verbose_name="body"
                    ),
                ),
                migrations.AlterField(
                    model_name="hospital",
                    name="address",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=2000, verbose_name="address"
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="body",
                    field=ehr.core.models.BoundedTextField(
                        blank=True, max_length=4000, verbose_name="body"
                    ),
                ),
            ],
        ),
    ]
