"""Merge the duplicate problems of the problem list and link encounter diagnoses to
their problems, before 0015 makes the rule "one problem per condition per patient".

For each patient and ICD-10-CM code listed more than once (not entered in error), the
survivor is the active entry (else the first recorded); it takes the earliest onset and
the other entries' notes. Each other entry keeps its row and its history:

- one recorded in an encounter becomes that encounter's diagnosis, linked to the
  survivor (the encounter still shows it);
- any other is marked merged into the survivor (`merged_into`), out of the lists.

Encounter diagnoses (not entered in error) then link the problem of the same code, if
the patient has one. Every changed row gets a history entry saying why, so "what
changed" is answered for the merge as for any edit; no history row is deleted.

`merge_duplicate_problems` takes the models, so tests run it on today's models too; it
uses only portable ORM calls (SQLite and PostgreSQL).
"""

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

PROBLEM = "problem-list-item"
DIAGNOSIS = "encounter-diagnosis"
ACTIVE = "active"
NOTE_MAX = 2000


def _write(Condition, Historical, row, at, reason, **changes):
    """Change `row` without signals (the history entry is written here, once), and
    record the change in its history."""
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = at
    Condition.objects.filter(pk=row.pk).update(updated_at=at, **changes)
    values = {f.attname: getattr(row, f.attname) for f in Condition._meta.concrete_fields}
    Historical.objects.create(
        **values,
        history_date=at,
        history_type="~",
        history_change_reason=reason,
        history_user_id=None,
    )


def merge_duplicate_problems(Condition, Historical, at=None):
    """Merge each patient's duplicate problems into one and link encounter diagnoses
    to their problems; return {"merged": n, "linked": m}."""
    at = at or timezone.now()
    live = Condition.objects.filter(
        category=PROBLEM, entered_in_error=False, merged_into__isnull=True
    )
    duplicated = (
        live.values("patient_id", "code_id")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .order_by("patient_id", "code_id")
    )
    merged = 0
    for key in list(duplicated):
        rows = list(
            live.filter(patient_id=key["patient_id"], code_id=key["code_id"]).order_by(
                "created_at", "id"
            )
        )
        survivor = min(rows, key=lambda r: (r.clinical_status != ACTIVE, r.created_at))
        others = [r for r in rows if r.pk != survivor.pk]
        onsets = [r.onset for r in rows if r.onset]
        notes = [survivor.note] if survivor.note else []
        for other in others:
            if other.note and other.note not in notes:
                notes.append(other.note)
        _write(
            Condition,
            Historical,
            survivor,
            at,
            "Problem list: duplicates merged into this entry ("
            + ", ".join(str(o.pk) for o in others)
            + ")",
            onset=min(onsets) if onsets else None,
            note="\n".join(notes)[:NOTE_MAX],
        )
        for other in others:
            for diagnosis in Condition.objects.filter(problem_id=other.pk):
                _write(
                    Condition,
                    Historical,
                    diagnosis,
                    at,
                    f"Problem list: its problem was merged into {survivor.pk}",
                    problem_id=survivor.pk,
                )
            if other.encounter_id:
                _write(
                    Condition,
                    Historical,
                    other,
                    at,
                    f"Problem list: duplicate of {survivor.pk}, kept as the diagnosis of "
                    "its encounter",
                    category=DIAGNOSIS,
                    problem_id=survivor.pk,
                )
            else:
                _write(
                    Condition,
                    Historical,
                    other,
                    at,
                    f"Problem list: duplicate merged into {survivor.pk}",
                    merged_into_id=survivor.pk,
                )
            merged += 1
    problems = {
        (row.patient_id, row.code_id): row.pk
        for row in Condition.objects.filter(
            category=PROBLEM, entered_in_error=False, merged_into__isnull=True
        )
    }
    linked = 0
    unlinked = Condition.objects.filter(
        category=DIAGNOSIS, entered_in_error=False, problem__isnull=True
    ).order_by("created_at", "id")
    for diagnosis in unlinked:
        problem = problems.get((diagnosis.patient_id, diagnosis.code_id))
        if problem is not None:
            _write(
                Condition,
                Historical,
                diagnosis,
                at,
                "Problem list: linked to the problem of the same code",
                problem_id=problem,
            )
            linked += 1
    return {"merged": merged, "linked": linked}


def forwards(apps, schema_editor):
    merge_duplicate_problems(
        apps.get_model("clinical", "Condition"), apps.get_model("clinical", "HistoricalCondition")
    )


class Migration(migrations.Migration):
    dependencies = [("clinical", "0015_condition_problem_link")]

    # Backwards keeps the merge: the rows and their history say what it did.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
