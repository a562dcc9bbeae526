"""The demo clinical records read like real ones and follow the problem-list rule: each
visit's diagnosis of a listed condition links its problem, acute ones stay encounter
diagnoses, notes are SOAP or free text and of realistic length, with nursing notes and
a discharge summary among them."""

import pytest
from django.db.models import Count

from accounts.demo import seed_accounts
from clinical.demo import seed_clinical
from clinical.models import ClinicalNote, Condition, ConditionCategory, NoteType
from patients.demo import seed_patients

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-Passw0rd!"
# Claims about modules this site does not have (pharmacy dispensing, attached results).
MISSING_MODULES = ("dispensed", "attached", "lab module", "pharmacy")


@pytest.fixture
def demo():
    seed_accounts(password=PASSWORD)
    seed_patients(password=PASSWORD, options={"patients": 30})
    seed_clinical(password=PASSWORD)


def _content(note):
    return " ".join(
        getattr(note, f) for f in ("subjective", "objective", "assessment", "plan", "text")
    )


def test_demo_diagnoses_link_the_problem_of_their_condition(demo):
    problems = Condition.objects.filter(category=ConditionCategory.PROBLEM_LIST_ITEM)
    assert not problems.values("patient", "code").annotate(n=Count("id")).filter(n__gt=1)
    diagnoses = Condition.objects.filter(category=ConditionCategory.ENCOUNTER_DIAGNOSIS)
    listed = {(p.patient_id, p.code_id): p.pk for p in problems}
    linked = unlinked = 0
    for diagnosis in diagnoses:
        problem = listed.get((diagnosis.patient_id, diagnosis.code_id))
        assert diagnosis.problem_id == problem
        linked += problem is not None
        unlinked += problem is None
    assert linked and unlinked  # chronic follow-ups linked; acute visits not listed


def test_demo_notes_are_realistic_varied_and_soap_or_text(demo):
    notes = list(ClinicalNote.objects.all())
    progress = [n for n in notes if n.note_type == NoteType.PROGRESS and not n.amends_id]
    assert all(n.is_soap and not n.text for n in progress)
    assert sum(len(_content(n)) for n in progress) / len(progress) > 500
    assert len({_content(n) for n in progress}) > len(progress) / 2
    nursing = [n for n in notes if n.note_type == NoteType.NURSING]
    assert nursing and all(n.text and not n.is_soap for n in nursing)
    assert len({n.text for n in nursing}) > 2
    summaries = [n for n in notes if n.note_type == NoteType.DISCHARGE_SUMMARY]
    assert summaries and all(len(n.text) > 600 and n.is_signed for n in summaries)
    for note in notes:
        text = _content(note).lower()
        assert not any(word in text for word in MISSING_MODULES), text
