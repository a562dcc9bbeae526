"""A note is SOAP or free text, never both (0017 made the existing notes follow the
rule). On SQLite adding a constraint rebuilds the table: the signed-note triggers are
put back, as in 0016."""

from importlib import import_module

from django.db import migrations, models

_TRIGGERS = import_module("clinical.migrations.0018_clinicalnote_legacy_mixed_format")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0019_notes_soap_or_text")]

    operations = [
        migrations.AddConstraint(
            model_name='clinicalnote',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assessment', ''), ('objective', ''), ('plan', ''), ('subjective', '')), ('text', ''), ('legacy_mixed_format', True), _connector='OR'), name='clinicalnote_soap_or_text', violation_error_message='Write the note as SOAP or as free text, not both.'),
        ),
        migrations.AddConstraint(
            model_name='clinicalnote',
            constraint=models.CheckConstraint(condition=models.Q(('legacy_mixed_format', False), ('status', 'signed'), _connector='OR'), name='clinicalnote_legacy_mixed_format_signed'),
        ),
        migrations.RunPython(
            _TRIGGERS.sqlite_signed_note_triggers, _TRIGGERS.sqlite_signed_note_triggers
        ),
    ]
