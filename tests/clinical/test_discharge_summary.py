"""The discharge summary of an admission is a clinical note: signed by the discharging
doctor, linked to the admission and its inpatient encounter (which ends), immutable
once signed, corrected by addenda, shown on the admission page with chart access only."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinical import services
from clinical.exceptions import DischargeSummaryExists, NoteAlreadySigned
from clinical.models import ClinicalNote, EncounterStatus, NoteStatus, NoteType
from clinical.selectors import discharge_summary_of
from inpatient import services as inpatient_services
from patients.models import ChartAccess
from patients.services import break_glass_open
from tests.factories.inpatient import BedFactory, admit

pytestmark = pytest.mark.django_db

SUMMARY = "Pneumonia treated with IV antibiotics.\nHome on oral amoxicillin for five days."


@pytest.fixture
def admission(patient, doctor):
    bed = BedFactory()
    # The bed stood empty for days, so the admission can be recorded two days ago.
    bed.status_changed_at = timezone.now() - timedelta(days=3)
    bed.save(update_fields=["status_changed_at"])
    return admit(
        patient,
        bed,
        doctor,
        reason="Community-acquired pneumonia",
        admitted_at=timezone.now() - timedelta(days=2),
    )


def discharge(admission, actor, **kwargs):
    return inpatient_services.admission_discharge(
        admission=admission, disposition="home", summary=SUMMARY, actor=actor, **kwargs
    )


def test_discharging_writes_a_signed_discharge_summary_note(admission, doctor, patient):
    discharge(admission, doctor)
    note = ClinicalNote.objects.get(admission=admission)
    assert note.note_type == NoteType.DISCHARGE_SUMMARY
    assert (note.patient, note.author, note.signed_by) == (patient, doctor, doctor)
    assert note.status == NoteStatus.SIGNED and note.text == SUMMARY
    admission.refresh_from_db()
    assert note.signed_at == admission.discharged_at
    # The admission keeps its own copy, as before.
    assert admission.discharge_summary == SUMMARY
    assert discharge_summary_of(admission) == note


def test_a_discharge_recorded_later_is_signed_at_the_discharge_time(admission, doctor):
    at = timezone.now() - timedelta(minutes=30)
    discharge(admission, doctor, discharged_at=at)
    note = ClinicalNote.objects.get(admission=admission)
    assert note.signed_at == at and note.created_at == at


def test_the_running_inpatient_encounter_ends_and_holds_the_summary(admission, doctor, nurse):
    encounter = services.encounter_start_from_admission(admission=admission, actor=nurse)
    discharge(admission, doctor)
    encounter.refresh_from_db()
    admission.refresh_from_db()
    assert encounter.status == EncounterStatus.FINISHED
    assert encounter.ended_at == admission.discharged_at
    assert ClinicalNote.objects.get(admission=admission).encounter == encounter


def test_without_an_encounter_the_note_is_linked_to_the_admission_only(admission, doctor):
    discharge(admission, doctor)
    note = ClinicalNote.objects.get(admission=admission)
    assert note.encounter is None


def test_the_summary_is_immutable_and_corrected_by_an_addendum(admission, doctor):
    discharge(admission, doctor)
    note = ClinicalNote.objects.get(admission=admission)
    with pytest.raises(NoteAlreadySigned):
        services.note_update(note=note, actor=doctor, text="Changed")
    addendum = services.note_addendum_create(
        note=note, actor=doctor, text="Amoxicillin for seven days, not five.", sign=True
    )
    assert addendum.amends == note and addendum.note_type == NoteType.DISCHARGE_SUMMARY
    assert discharge_summary_of(admission) == note
    assert discharge_summary_of(admission).addendum_count == 1


def test_an_admission_has_one_discharge_summary(admission, doctor):
    discharge(admission, doctor)
    with pytest.raises(DischargeSummaryExists):
        services.discharge_summary_record(admission=admission, text="Again", actor=doctor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicalNote.objects.create(
            patient=admission.patient,
            admission=admission,
            author=doctor,
            note_type=NoteType.DISCHARGE_SUMMARY,
            text="A second one written around the service",
        )


def test_a_system_discharge_leaves_a_draft_for_the_attending_doctor(admission, doctor, make_user):
    discharge(admission, None)
    note = ClinicalNote.objects.get(admission=admission)
    assert note.status == NoteStatus.DRAFT and note.author == doctor
    other = make_user("Doctor")
    from clinical.selectors import note_editable_by

    assert note_editable_by(note, doctor) and not note_editable_by(note, other)
    signed = services.note_sign(note=note, actor=doctor)
    assert signed.signed_by == doctor


def test_a_failed_discharge_leaves_no_note(admission, doctor):
    with pytest.raises(Exception):  # noqa: B017 - any refusal of the discharge
        discharge(admission, doctor, discharged_at=timezone.now() + timedelta(hours=2))
    assert not ClinicalNote.objects.exists()


def test_the_summary_is_in_the_chart_notes(admission, doctor):
    discharge(admission, doctor)
    from clinical.selectors import note_list_for_patient

    notes = note_list_for_patient(admission.patient, doctor, addenda=False)
    assert notes.filter(note_type=NoteType.DISCHARGE_SUMMARY, admission=admission).exists()


# --- The admission page ------------------------------------------------------------------------


def admission_url(admission):
    return reverse("inpatient:admission_detail", args=[admission.pk])


def test_the_admission_page_shows_the_signed_note_to_the_care_team(signed_in, admission, doctor):
    discharge(admission, doctor)
    note = ClinicalNote.objects.get(admission=admission)
    body = signed_in(doctor).get(admission_url(admission)).content.decode()
    assert 'data-testid="discharge-summary-note"' in body
    assert "Signed by Dr Gregory House" in body
    assert note.get_absolute_url() in body
    assert "Home on oral amoxicillin" in body


@pytest.mark.parametrize("persona", ["receptionist", "outsider"])
def test_outside_the_care_team_the_page_hides_the_summary(
    signed_in, admission, doctor, receptionist, make_user, persona
):
    discharge(admission, doctor)
    user = receptionist if persona == "receptionist" else make_user("Doctor")
    page = signed_in(user).get(admission_url(admission))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Home on oral amoxicillin" not in body
    assert 'data-testid="discharge-summary-note"' not in body


def test_after_breaking_the_glass_the_note_shows_and_opens(signed_in, admission, doctor, make_user):
    discharge(admission, doctor)
    note = ClinicalNote.objects.get(admission=admission)
    outsider = make_user("Doctor")
    client = signed_in(outsider)
    assert client.get(note.get_absolute_url()).status_code == 403
    break_glass_open(
        patient=admission.patient,
        user=outsider,
        reason="emergency_care",
        details="Readmitted via A&E",
    )
    assert "Home on oral amoxicillin" in client.get(admission_url(admission)).content.decode()
    assert client.get(note.get_absolute_url()).status_code == 200
    assert ChartAccess.objects.filter(user=outsider, patient=admission.patient).exists()


def test_the_discharge_form_writes_the_note(signed_in, admission, doctor):
    response = signed_in(doctor).post(
        reverse("inpatient:admission_discharge", args=[admission.pk]),
        {"disposition": "home", "summary": SUMMARY, "discharged_at": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    note = ClinicalNote.objects.get(admission=admission)
    assert note.signed_by == doctor


def test_the_database_keeps_a_signed_summary_on_its_admission(admission, doctor):
    discharge(admission, doctor)
    note = ClinicalNote.objects.get(admission=admission)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).update(admission=None)  # around the service
    note.refresh_from_db()
    assert note.admission == admission
