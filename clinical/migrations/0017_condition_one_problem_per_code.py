"""One problem per condition per patient (0014 merged the duplicates first)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinical", "0016_merge_duplicate_problems")]

    operations = [
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.UniqueConstraint(condition=models.Q(('category', 'problem-list-item'), ('entered_in_error', False), ('merged_into__isnull', True)), fields=('patient', 'code'), name='condition_one_problem_per_code', violation_error_message='This condition is already on the problem list.'),
        ),
    ]
