"""A note is SOAP or free text, never both: the database, the model, the service, the
form and the API refuse both, and migration 0017 brings existing notes under the rule.
Who may sign which type is the model's rule; the note form reads it (a nurse's form
offers nursing notes only, and starts as one)."""

from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from clinical import services
from clinical.forms import NoteForm
from clinical.models import (
    ClinicalNote,
    NoteStatus,
    NoteType,
    default_note_type_for,
    note_types_signable_by,
)
from tests.factories.clinical import ClinicalNoteFactory

pytestmark = pytest.mark.django_db

BOTH = {"assessment": "Stable angina.", "text": "Seen with his daughter."}


def test_the_database_refuses_a_note_written_both_ways(patient, doctor):
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicalNote.objects.create(patient=patient, author=doctor, **BOTH)


def test_the_model_refuses_both_with_an_error_on_the_text(patient, doctor):
    note = ClinicalNote(patient=patient, author=doctor, **BOTH)
    with pytest.raises(ValidationError) as exc_info:
        note.clean()
    assert "text" in exc_info.value.error_dict


def test_the_service_refuses_both_on_create_and_on_update(patient, doctor):
    with pytest.raises(ValidationError) as exc_info:
        services.note_create(patient=patient, actor=doctor, **BOTH)
    assert "text" in exc_info.value.error_dict
    draft = services.note_create(patient=patient, actor=doctor, assessment="Stable angina.")
    with pytest.raises(ValidationError):
        services.note_update(note=draft, actor=doctor, text="Seen with his daughter.")
    draft.refresh_from_db()
    assert draft.text == ""
    # Moving from SOAP to free text in one change is fine.
    services.note_update(note=draft, actor=doctor, assessment="", text="Seen.")


def test_the_form_refuses_both_under_the_text_and_keeps_what_was_typed(signed_in, doctor, patient):
    response = signed_in(doctor).post(
        reverse("clinical:note_create", args=[patient.pk]), {"note_type": "progress", **BOTH}
    )
    assert response.status_code == 400
    assert "text" in response.context["form"].errors
    assert b"Stable angina." in response.content and b"Seen with his daughter." in response.content
    assert not ClinicalNote.objects.exists()


def test_the_api_refuses_both_with_a_field_error(client, doctor, patient):
    client.force_login(doctor)
    url = f"/api/v1/patients/{patient.pk}/notes"
    response = client.post(url, BOTH, content_type="application/json")
    assert response.status_code == 400 and "text" in response.json()
    draft = services.note_create(patient=patient, actor=doctor, plan="Review in 2 weeks.")
    response = client.patch(
        f"/api/v1/notes/{draft.pk}", {"text": "Also this."}, content_type="application/json"
    )
    assert response.status_code == 400 and "text" in response.json()


def test_who_signs_which_type_is_the_models_rule(doctor, nurse):
    assert note_types_signable_by(doctor) == list(NoteType)
    assert note_types_signable_by(nurse) == [NoteType.NURSING]
    assert default_note_type_for(doctor) == NoteType.PROGRESS
    assert default_note_type_for(nurse) == NoteType.NURSING


def test_a_nurses_note_form_offers_only_nursing_notes_and_starts_as_one(
    signed_in, nurse, doctor, patient
):
    form = NoteForm(patient=patient, user=nurse)
    assert [value for value, _ in form.fields["note_type"].choices] == [NoteType.NURSING]
    assert form.fields["note_type"].initial == NoteType.NURSING
    doctors_form = NoteForm(patient=patient, user=doctor)
    assert len(doctors_form.fields["note_type"].choices) == len(NoteType)
    page = signed_in(nurse).get(reverse("clinical:note_create", args=[patient.pk]))
    content = page.content.decode()
    assert 'value="nursing" selected' in content and 'value="progress"' not in content


def test_a_nurse_writes_and_signs_a_nursing_note_from_the_form(signed_in, nurse, patient):
    signed_in(nurse).post(
        reverse("clinical:note_create", args=[patient.pk]),
        {"note_type": "nursing", "text": "Pressure areas intact.", "sign": "1"},
    )
    note = ClinicalNote.objects.get()
    assert note.note_type == NoteType.NURSING and note.is_signed


# --- Migration 0017 ---------------------------------------------------------------------------

MIGRATION = import_module("clinical.migrations.0019_notes_soap_or_text")


@pytest.fixture
def without_note_format_rule():
    """Let this test's transaction write notes both ways (as before the rule)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            cursor.execute(
                "ALTER TABLE clinical_clinicalnote DROP CONSTRAINT clinicalnote_soap_or_text"
            )
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_the_migration_folds_mixed_drafts_and_keeps_signed_notes_as_signed(
    without_note_format_rule, patient, doctor
):
    draft = ClinicalNote.objects.create(
        patient=patient, author=doctor, subjective="Cough for 3 days.", **BOTH
    )
    signed = ClinicalNoteFactory(patient=patient, author=doctor, text="Daughter present.")
    soap_only = ClinicalNoteFactory(patient=patient, author=doctor)
    signed_before = (signed.subjective, signed.assessment, signed.text)
    history_before = draft.history.count()

    assert MIGRATION.notes_soap_or_text(ClinicalNote, ClinicalNote.history.model) == {
        "folded": 1,
        "marked": 1,
    }

    draft.refresh_from_db()
    signed.refresh_from_db()
    soap_only.refresh_from_db()
    assert draft.subjective == draft.assessment == ""
    assert draft.text == (
        "Subjective:\nCough for 3 days.\n\nAssessment:\nStable angina.\n\nSeen with his daughter."
    )
    assert draft.history.count() == history_before + 1
    assert "moved into the free text" in draft.history.first().history_change_reason
    assert signed.legacy_mixed_format and signed.status == NoteStatus.SIGNED
    assert (signed.subjective, signed.assessment, signed.text) == signed_before
    assert not soap_only.legacy_mixed_format
    # Every note now passes the rule (the signed one through its mark).
    mixed = ClinicalNote.objects.exclude(text="").exclude(
        subjective="", objective="", assessment="", plan=""
    )
    assert list(mixed.filter(legacy_mixed_format=False)) == []
