"""Notes signed with both SOAP and free text before the rule "SOAP or free text" get
a mark (set by 0017) that lets them keep their signed content. On SQLite adding the
column rebuilds the table, which loses its triggers: the signed-note triggers (0007,
0009) are put back."""

from importlib import import_module

from django.db import migrations, models

_IMMUTABLE = import_module("clinical.migrations.0007_signed_note_admission_immutable")
_STAYS = import_module("clinical.migrations.0009_signed_note_undeletable_stays_with_patient")


def sqlite_signed_note_triggers(apps, schema_editor):
    """Put back the signed-note triggers of 0007 and 0009 after a rebuild on SQLite."""
    if schema_editor.connection.vendor != "sqlite":
        return
    statements = [
        *_IMMUTABLE._sqlite(_IMMUTABLE.AFTER),
        f"DROP TRIGGER IF EXISTS {_STAYS.SQLITE_DELETE_TRIGGER}",
        f"DROP TRIGGER IF EXISTS {_STAYS.SQLITE_MOVE_TRIGGER}",
        _STAYS.SQLITE_CREATE_DELETE,
        _STAYS.SQLITE_CREATE_MOVE,
    ]
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0017_condition_one_problem_per_code")]

    operations = [
        migrations.AddField(
            model_name='clinicalnote',
            name='legacy_mixed_format',
            field=models.BooleanField(default=False, editable=False, help_text='Signed before notes became SOAP or free text; its content stays as signed.', verbose_name='signed with SOAP and free text'),
        ),
        migrations.AddField(
            model_name='historicalclinicalnote',
            name='legacy_mixed_format',
            field=models.BooleanField(default=False, editable=False, help_text='Signed before notes became SOAP or free text; its content stays as signed.', verbose_name='signed with SOAP and free text'),
        ),
        migrations.RunPython(sqlite_signed_note_triggers, sqlite_signed_note_triggers),
    ]
