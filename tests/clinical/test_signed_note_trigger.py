"""The database keeps a signed note where it is: no DELETE and no change of patient,
whatever the code path (raw SQL, the ORM), except the move of a patient merge and its
undo. Drafts stay deletable."""

import pytest
from django.db import DatabaseError, connection, transaction

from clinical.models import ClinicalNote, NoteStatus
from patients import services as patient_services
from tests.factories.accounts import UserFactory
from tests.factories.clinical import ClinicalNoteFactory
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def _db_id(obj):
    return type(obj)._meta.pk.get_db_prep_value(obj.pk, connection)


def test_raw_sql_cannot_delete_a_signed_note():
    note = ClinicalNoteFactory()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinical_clinicalnote WHERE id = %s", [_db_id(note)])
    assert ClinicalNote.objects.filter(pk=note.pk).exists()


def test_the_orm_cannot_delete_a_signed_note():
    note = ClinicalNoteFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        note.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).delete()
    assert ClinicalNote.objects.filter(pk=note.pk).exists()


def test_the_database_refuses_to_move_a_signed_note_to_another_patient():
    note = ClinicalNoteFactory()
    other = PatientFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).update(patient=other)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clinical_clinicalnote SET patient_id = %s WHERE id = %s",
            [_db_id(other), _db_id(note)],
        )
    note.refresh_from_db()
    assert note.patient_id != other.pk


def test_a_signed_note_moves_only_to_the_record_its_patient_was_merged_into():
    """The merge's exception is narrow: merged into B, a note of A still cannot go to C."""
    admin = UserFactory(roles=["Administrator"])
    survivor, duplicate, third = PatientFactory(), PatientFactory(), PatientFactory()
    note = ClinicalNoteFactory(patient=duplicate)
    patient_services.patient_merge(survivor=survivor, duplicate=duplicate, actor=admin)
    note.refresh_from_db()
    assert note.patient_id == survivor.pk
    with pytest.raises(DatabaseError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).update(patient=third)


def test_merging_two_patients_moves_their_signed_notes_and_the_undo_moves_them_back():
    admin = UserFactory(roles=["Administrator"])
    survivor, duplicate = PatientFactory(), PatientFactory()
    signed = ClinicalNoteFactory(patient=duplicate)
    kept = ClinicalNoteFactory(patient=survivor)
    merge = patient_services.patient_merge(survivor=survivor, duplicate=duplicate, actor=admin)
    assert set(ClinicalNote.objects.filter(patient=survivor)) == {signed, kept}
    patient_services.patient_merge_undo(merge=merge, actor=admin)
    assert list(ClinicalNote.objects.filter(patient=duplicate)) == [signed]
    assert list(ClinicalNote.objects.filter(patient=survivor)) == [kept]


def test_a_draft_note_can_still_be_deleted_and_moved():
    draft = ClinicalNoteFactory(status=NoteStatus.DRAFT, signed_by=None, signed_at=None)
    ClinicalNote.objects.filter(pk=draft.pk).update(patient=PatientFactory())
    draft.delete()
    assert not ClinicalNote.objects.filter(pk=draft.pk).exists()


def test_a_signed_note_can_still_be_marked_entered_in_error():
    note = ClinicalNoteFactory()
    ClinicalNote.objects.filter(pk=note.pk).update(
        entered_in_error=True,
        entered_in_error_reason="Wrong patient",
        entered_in_error_at=note.signed_at,
    )
    note.refresh_from_db()
    assert note.entered_in_error


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_may_leave_signed_notes_behind():
    """On SQLite the flush after this test deletes rows one by one; the conftest lets it
    pass the DELETE trigger (and puts the trigger back)."""
    ClinicalNoteFactory()
    assert ClinicalNote.objects.filter(status=NoteStatus.SIGNED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_transactional_test_the_delete_trigger_is_back():
    note = ClinicalNoteFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        note.delete()
