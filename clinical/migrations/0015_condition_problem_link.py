"""Conditions get the link of an encounter diagnosis to its problem (`problem`) and the
mark of a duplicate problem merged into its survivor (`merged_into`). The rule of one
problem per condition per patient comes in 0015, after 0014 merged the duplicates."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('clinical', '0014_seed_icd10_synonyms'),
        ('inpatient', '0006_backfill_admission_status_changes'),
        ('patients', '0009_worklist_access_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='condition',
            name='merged_into',
            field=models.ForeignKey(blank=True, editable=False, help_text='The problem this duplicate was merged into.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_duplicates', to='clinical.condition', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='condition',
            name='problem',
            field=models.ForeignKey(blank=True, help_text="The problem-list entry of this diagnosis's condition.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='encounter_diagnoses', to='clinical.condition', verbose_name='problem'),
        ),
        migrations.AddField(
            model_name='historicalcondition',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='The problem this duplicate was merged into.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clinical.condition', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='historicalcondition',
            name='problem',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text="The problem-list entry of this diagnosis's condition.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clinical.condition', verbose_name='problem'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.CheckConstraint(condition=models.Q(('problem__isnull', True), ('category', 'encounter-diagnosis'), _connector='OR'), name='condition_only_diagnosis_links_problem'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.CheckConstraint(condition=models.Q(('merged_into__isnull', True), ('category', 'problem-list-item'), _connector='OR'), name='condition_only_problem_is_merged'),
        ),
    ]
