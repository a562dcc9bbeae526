"""Recompute the names' sound keys now that TH is read as T (Thomas finds Tomas).

Only names with a TH change key. The keys are derived search columns, not part of the
record: they are written without history rows, as the bulk load writes them.
"""

from django.db import migrations
from django.db.models import Q

from patients.selectors import phonetic

BATCH = 2000


def recompute(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    changed = []
    rows = (
        Patient.objects.filter(Q(first_name__icontains="th") | Q(last_name__icontains="th"))
        .only("first_name", "last_name", "first_name_phonetic", "last_name_phonetic")
        .iterator(chunk_size=BATCH)
    )
    for patient in rows:
        first, last = phonetic(patient.first_name), phonetic(patient.last_name)
        if (first, last) != (patient.first_name_phonetic, patient.last_name_phonetic):
            patient.first_name_phonetic, patient.last_name_phonetic = first, last
            changed.append(patient)
        if len(changed) >= BATCH:
            Patient.objects.bulk_update(changed, ["first_name_phonetic", "last_name_phonetic"])
            changed = []
    Patient.objects.bulk_update(changed, ["first_name_phonetic", "last_name_phonetic"])


class Migration(migrations.Migration):
    dependencies = [("patients", "0010_postgresql_phone_suffix_index")]

    # Backwards: the old keys differ only for names with a TH; a search still works.
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
