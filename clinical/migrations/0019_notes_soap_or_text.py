"""Make the existing notes follow "SOAP or free text, never both" before 0018 adds the
constraint.

- A draft written both ways becomes free text: each SOAP section as a labelled
  paragraph, then the free text. Nothing is lost, and its author can still edit it.
- A signed note written both ways is the legal record and stays as signed (the
  signed-note trigger refuses any change to its content anyway): it is marked
  `legacy_mixed_format`, which the constraint accepts for signed notes only.

Each changed note gets a history entry saying why. `notes_soap_or_text` takes the
models, so tests run it on today's models too (portable ORM calls only).
"""

from django.db import migrations
from django.utils import timezone

SECTIONS = (
    ("subjective", "Subjective"),
    ("objective", "Objective"),
    ("assessment", "Assessment"),
    ("plan", "Plan"),
)


def _write(ClinicalNote, Historical, note, at, reason, **changes):
    for name, value in changes.items():
        setattr(note, name, value)
    note.updated_at = at
    ClinicalNote.objects.filter(pk=note.pk).update(updated_at=at, **changes)
    values = {f.attname: getattr(note, f.attname) for f in ClinicalNote._meta.concrete_fields}
    Historical.objects.create(
        **values,
        history_date=at,
        history_type="~",
        history_change_reason=reason,
        history_user_id=None,
    )


def notes_soap_or_text(ClinicalNote, Historical, at=None):
    """Fold mixed drafts into free text and mark mixed signed notes; return
    {"folded": n, "marked": m}."""
    at = at or timezone.now()
    mixed = (
        ClinicalNote.objects.exclude(text="")
        .exclude(subjective="", objective="", assessment="", plan="")
        .order_by("created_at", "id")
    )
    folded = marked = 0
    for note in mixed:
        if note.status == "signed":
            _write(
                ClinicalNote,
                Historical,
                note,
                at,
                "Signed with SOAP and free text before notes became one or the other; "
                "kept as signed",
                legacy_mixed_format=True,
            )
            marked += 1
            continue
        paragraphs = [
            f"{label}:\n{getattr(note, name).strip()}"
            for name, label in SECTIONS
            if getattr(note, name).strip()
        ]
        paragraphs.append(note.text.strip())
        _write(
            ClinicalNote,
            Historical,
            note,
            at,
            "Draft written as SOAP and free text: the SOAP sections moved into the free text",
            text="\n\n".join(paragraphs),
            subjective="",
            objective="",
            assessment="",
            plan="",
        )
        folded += 1
    return {"folded": folded, "marked": marked}


def forwards(apps, schema_editor):
    notes_soap_or_text(
        apps.get_model("clinical", "ClinicalNote"),
        apps.get_model("clinical", "HistoricalClinicalNote"),
    )


class Migration(migrations.Migration):
    dependencies = [("clinical", "0018_clinicalnote_legacy_mixed_format")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
