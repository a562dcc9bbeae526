"""The rules of clinical documentation, through the services: vital signs, notes
(sign, immutability, addenda, entered in error, who edits and signs), conditions,
allergies and the allergy assessment, encounters and their transitions, histories."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.exceptions import NotADoctor
from clinical import selectors, services
from clinical.exceptions import (
    ActiveAllergiesRecorded,
    AllergyAlreadyRecorded,
    AllergyStatusFinal,
    CancelReasonRequired,
    EncounterClosed,
    InvalidEncounter,
    NoteAlreadySigned,
    NoteContentRequired,
    NoteEditDenied,
    NoteEmpty,
    NoteNotSigned,
    NoteSignDenied,
    PrimaryDiagnosisExists,
    ReasonRequired,
    UnknownDiagnosisCode,
)
from clinical.models import (
    AllergyClinicalStatus,
    AllergyStatus,
    ClinicalNote,
    ClinicalStatus,
    Condition,
    Encounter,
    EncounterStatus,
    EncounterStatusChange,
    NoteStatus,
    NoteType,
    VitalSigns,
)
from ehr.core.exceptions import InvalidTransition, TimeInFuture
from patients.exceptions import ChartAccessDenied
from patients.models import AccessReason, CareRelationship
from patients.selectors import chart_access_for
from patients.services import break_glass_open

pytestmark = pytest.mark.django_db


def field_errors(exc_info):
    return {
        field: [str(m) for e in errors for m in e.messages]
        for field, errors in exc_info.value.error_dict.items()
    }


# --- Vital signs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("heart_rate", 19),
        ("heart_rate", 301),
        ("temperature_c", Decimal("24.9")),
        ("temperature_c", Decimal("45.1")),
        ("spo2", 101),
        ("respiratory_rate", 0),
        ("respiratory_rate", 101),
        ("systolic_bp", 301),
        ("diastolic_bp", 9),
        ("weight_kg", Decimal("0.1")),
        ("weight_kg", Decimal("501")),
        ("height_cm", Decimal("19")),
        ("height_cm", Decimal("281")),
        ("pain_score", 11),
    ],
)
def test_an_impossible_vital_sign_is_refused_with_a_field_error(patient, nurse, field, value):
    measures = {"heart_rate": 80, field: value}
    with pytest.raises(ValidationError) as exc_info:
        services.vital_signs_record(patient=patient, actor=nurse, **measures)
    assert field in field_errors(exc_info)
    assert not VitalSigns.objects.exists()


def test_the_field_error_says_the_possible_range(patient, nurse):
    with pytest.raises(ValidationError) as exc_info:
        services.vital_signs_record(patient=patient, actor=nurse, spo2=101, heart_rate=10)
    errors = field_errors(exc_info)
    assert errors["spo2"] == ["Impossible value: enter 0–100 %."]
    assert errors["heart_rate"] == ["Impossible value: enter 20–300 /min."]


def test_the_limits_themselves_are_accepted(patient, nurse):
    vitals = services.vital_signs_record(
        patient=patient,
        actor=nurse,
        heart_rate=20,
        temperature_c=Decimal("45.0"),
        spo2=0,
        respiratory_rate=100,
        systolic_bp=300,
        diastolic_bp=200,
        pain_score=10,
        weight_kg=Decimal("0.2"),
        height_cm=Decimal("280"),
    )
    assert vitals.pk


def test_a_diastolic_pressure_not_below_the_systolic_is_refused(patient, nurse):
    with pytest.raises(ValidationError) as exc_info:
        services.vital_signs_record(patient=patient, actor=nurse, systolic_bp=120, diastolic_bp=130)
    assert "diastolic_bp" in field_errors(exc_info)


def test_half_a_blood_pressure_and_an_empty_set_are_refused(patient, nurse):
    with pytest.raises(ValidationError) as exc_info:
        services.vital_signs_record(patient=patient, actor=nurse, systolic_bp=120)
    assert "diastolic_bp" in field_errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        services.vital_signs_record(patient=patient, actor=nurse)
    assert "__all__" in field_errors(exc_info)


def test_the_database_refuses_impossible_values_that_bypass_the_service(patient, nurse):
    for measures in ({"heart_rate": 400}, {"systolic_bp": 120, "diastolic_bp": 140}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            VitalSigns.objects.create(patient=patient, recorded_by=nurse, **measures)


def test_bmi_is_derived_from_weight_and_height(patient, nurse):
    vitals = services.vital_signs_record(
        patient=patient, actor=nurse, weight_kg=Decimal("80"), height_cm=Decimal("180")
    )
    assert vitals.bmi == Decimal("24.7")


def test_bmi_uses_the_latest_height_when_the_set_has_none(patient, nurse):
    services.vital_signs_record(
        patient=patient,
        actor=nurse,
        height_cm=Decimal("160"),
        recorded_at=timezone.now() - timedelta(days=30),
    )
    vitals = services.vital_signs_record(patient=patient, actor=nurse, weight_kg=Decimal("64"))
    assert vitals.bmi == Decimal("25.0")
    only_weight = services.vital_signs_record(
        patient=patient,
        actor=nurse,
        weight_kg=Decimal("64"),
        recorded_at=timezone.now() - timedelta(days=60),
    )
    assert only_weight.bmi is None  # no height measured before that


def test_vitals_flags_follow_the_normal_ranges_in_the_system_parameters(patient, nurse):
    from ehr.core import parameters
    from ehr.core.models import SystemParameter

    vitals = services.vital_signs_record(
        patient=patient,
        actor=nurse,
        heart_rate=110,
        spo2=91,
        temperature_c=Decimal("37.0"),
        systolic_bp=150,
        diastolic_bp=85,
    )
    assert vitals.flags == {"heart_rate": "high", "spo2": "low", "systolic_bp": "high"}
    SystemParameter.objects.update_or_create(key="vitals_heart_rate_high", defaults={"value": 120})
    parameters.invalidate()
    assert "heart_rate" not in vitals.flags


def test_vitals_of_another_patients_encounter_are_refused(patient, stranger, doctor, nurse):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    on_team = stranger
    from tests.factories.patients import on_care_team

    on_care_team(on_team, nurse)
    with pytest.raises(InvalidEncounter):
        services.vital_signs_record(
            patient=on_team, actor=nurse, encounter=encounter, heart_rate=70
        )


def test_vitals_in_the_future_are_refused(patient, nurse):
    with pytest.raises(TimeInFuture) as exc_info:
        services.vital_signs_record(
            patient=patient,
            actor=nurse,
            heart_rate=70,
            recorded_at=timezone.now() + timedelta(hours=2),
        )
    assert "recorded_at" in exc_info.value.error_dict


def test_writing_outside_the_care_team_is_refused(stranger, doctor):
    with pytest.raises(ChartAccessDenied):
        services.vital_signs_record(patient=stranger, actor=doctor, heart_rate=70)
    with pytest.raises(ChartAccessDenied):
        services.note_create(patient=stranger, actor=doctor, text="x")


# --- Notes ----------------------------------------------------------------------------------


def test_a_signed_note_is_immutable_and_an_edit_is_refused_by_the_service(patient, doctor):
    note = services.note_create(
        patient=patient, actor=doctor, subjective="Cough", assessment="Viral URTI"
    )
    note = services.note_sign(note=note, actor=doctor)
    assert note.status == NoteStatus.SIGNED
    assert note.signed_by == doctor and note.signed_at is not None
    with pytest.raises(NoteAlreadySigned) as exc_info:
        services.note_update(note=note, actor=doctor, assessment="Pneumonia")
    assert exc_info.value.status_code == 409
    note.refresh_from_db()
    assert note.assessment == "Viral URTI"
    with pytest.raises(NoteAlreadySigned):
        services.note_sign(note=note, actor=doctor)


def test_the_database_refuses_changes_to_a_signed_note_that_bypass_the_service(patient, doctor):
    note = services.note_create(patient=patient, actor=doctor, text="Original", sign=True)
    for change in (
        {"text": "Rewritten"},
        {"status": NoteStatus.DRAFT},
        {"signed_at": timezone.now() - timedelta(days=1)},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            ClinicalNote.objects.filter(pk=note.pk).update(**change)
    # Marking it entered in error (its own columns) stays possible.
    services.note_mark_entered_in_error(note=note, actor=doctor, reason="Wrong patient")


def test_only_the_author_edits_a_draft_through_an_object_permission(patient, doctor, make_user):
    from tests.factories.patients import on_care_team

    colleague = make_user("Doctor")
    on_care_team(patient, colleague)
    note = services.note_create(patient=patient, actor=doctor, subjective="Draft")
    assert doctor.has_perm("clinical.change_clinicalnote", note)
    assert not doctor.has_perm("clinical.change_clinicalnote")  # no role-wide permission
    assert not colleague.has_perm("clinical.change_clinicalnote", note)
    with pytest.raises(NoteEditDenied):
        services.note_update(note=note, actor=colleague, subjective="Changed")
    with pytest.raises(NoteEditDenied):
        services.note_sign(note=note, actor=colleague)
    services.note_update(note=note, actor=doctor, subjective="Changed")
    note.refresh_from_db()
    assert note.subjective == "Changed"


def test_signing_removes_the_authors_edit_permission(patient, doctor):
    note = services.note_create(patient=patient, actor=doctor, text="Done", sign=True)
    assert not doctor.has_perm("clinical.change_clinicalnote", note)


def test_a_nurse_cannot_sign_a_progress_note_but_signs_a_nursing_note(patient, nurse):
    progress = services.note_create(
        patient=patient, actor=nurse, note_type=NoteType.PROGRESS, text="Observations"
    )
    with pytest.raises(NoteSignDenied):
        services.note_sign(note=progress, actor=nurse)
    nursing = services.note_create(
        patient=patient, actor=nurse, note_type=NoteType.NURSING, text="Wound dressed"
    )
    nursing = services.note_sign(note=nursing, actor=nurse)
    assert nursing.is_signed and nursing.signed_by == nurse


def test_a_doctor_signs_any_type_of_their_notes(patient, doctor):
    for note_type in NoteType.values:
        note = services.note_create(
            patient=patient, actor=doctor, note_type=note_type, text="Content", sign=True
        )
        assert note.is_signed


def test_an_empty_note_is_refused_by_the_service_when_written_or_changed(patient, doctor):
    with pytest.raises(NoteContentRequired) as exc_info:
        services.note_create(patient=patient, actor=doctor, text="  ")
    assert field_errors(exc_info) == {"text": ["Write the note: the SOAP fields or free text."]}
    note = services.note_create(patient=patient, actor=doctor, text="Draft")
    with pytest.raises(NoteContentRequired):
        services.note_update(note=note, actor=doctor, text="")
    assert not ClinicalNote.objects.filter(text="").exists()


def test_an_empty_note_cannot_be_signed(patient, doctor):
    note = services.note_create(patient=patient, actor=doctor, text="Draft")
    ClinicalNote.objects.filter(pk=note.pk).update(text="")  # an empty draft of old
    with pytest.raises(NoteEmpty):
        services.note_sign(note=note, actor=doctor)


def test_an_addendum_amends_a_signed_note_and_leaves_it_unchanged(patient, doctor, nurse):
    note = services.note_create(patient=patient, actor=doctor, text="BP 150/90", sign=True)
    addendum = services.note_addendum_create(
        note=note, actor=doctor, text="Repeat BP 138/85", sign=True
    )
    assert addendum.amends == note and addendum.is_signed
    assert addendum.patient == note.patient and addendum.note_type == note.note_type
    nursing_draft = services.note_addendum_create(note=note, actor=nurse, text="Seen again")
    assert nursing_draft.status == NoteStatus.DRAFT and nursing_draft.author == nurse
    note.refresh_from_db()
    assert note.text == "BP 150/90"
    assert list(selectors.note_addenda(note, doctor)) == [addendum]  # nurse's draft hidden


def test_a_draft_takes_no_addendum(patient, doctor):
    note = services.note_create(patient=patient, actor=doctor, text="Draft")
    with pytest.raises(NoteNotSigned):
        services.note_addendum_create(note=note, actor=doctor, text="More")


def test_a_note_entered_in_error_is_hidden_by_default_and_kept(patient, doctor):
    note = services.note_create(patient=patient, actor=doctor, text="Wrong chart", sign=True)
    with pytest.raises(ReasonRequired):
        services.note_mark_entered_in_error(note=note, actor=doctor, reason=" ")
    services.note_mark_entered_in_error(note=note, actor=doctor, reason="Wrong patient")
    assert note not in selectors.note_list_for_patient(patient, doctor)
    shown = selectors.note_list_for_patient(patient, doctor, include_entered_in_error=True)
    kept = ClinicalNote.objects.get(pk=note.pk)
    assert kept in shown
    assert kept.entered_in_error_reason == "Wrong patient"
    assert kept.entered_in_error_by == doctor and kept.text == "Wrong chart"


def test_only_the_author_marks_a_note_entered_in_error(patient, doctor, make_user):
    from tests.factories.patients import on_care_team

    colleague = make_user("Doctor")
    on_care_team(patient, colleague)
    note = services.note_create(patient=patient, actor=doctor, text="Note", sign=True)
    with pytest.raises(NoteEditDenied):
        services.note_mark_entered_in_error(note=note, actor=colleague, reason="No")


def test_other_peoples_drafts_are_not_listed(patient, doctor, nurse):
    draft = services.note_create(patient=patient, actor=nurse, note_type="nursing", text="x")
    signed = services.note_create(
        patient=patient, actor=nurse, note_type="nursing", text="y", sign=True
    )
    assert list(selectors.note_list_for_patient(patient, doctor)) == [signed]
    assert set(selectors.note_list_for_patient(patient, nurse)) == {draft, signed}


# --- Conditions -----------------------------------------------------------------------------


def test_an_unknown_icd10_code_is_refused_with_a_field_error(patient, doctor):
    with pytest.raises(UnknownDiagnosisCode) as exc_info:
        services.condition_create(patient=patient, actor=doctor, code="X99.999")
    assert "code" in exc_info.value.error_dict
    assert exc_info.value.status_code == 400


def test_a_code_is_found_whatever_its_case_or_dot(patient, doctor):
    condition = services.condition_create(patient=patient, actor=doctor, code="e119")
    assert condition.code_id == "E11.9"


def test_one_primary_diagnosis_per_encounter(patient, doctor):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    services.condition_create(
        patient=patient,
        actor=doctor,
        code="I10",
        encounter=encounter,
        category="encounter-diagnosis",
        is_primary=True,
    )
    with pytest.raises(PrimaryDiagnosisExists) as exc_info:
        services.condition_create(
            patient=patient,
            actor=doctor,
            code="E11.9",
            encounter=encounter,
            category="encounter-diagnosis",
            is_primary=True,
        )
    assert exc_info.value.status_code == 409
    secondary = services.condition_create(
        patient=patient,
        actor=doctor,
        code="E11.9",
        encounter=encounter,
        category="encounter-diagnosis",
    )
    assert not secondary.is_primary


def test_the_database_keeps_one_primary_diagnosis_per_encounter(patient, doctor, codes):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    Condition.objects.create(
        patient=patient, code=codes["I10"], encounter=encounter, is_primary=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Condition.objects.create(
            patient=patient, code=codes["E11.9"], encounter=encounter, is_primary=True
        )
    # A primary diagnosis entered in error frees the place.
    first = Condition.objects.get(encounter=encounter)
    services.condition_mark_entered_in_error(condition=first, actor=doctor, reason="Wrong")
    services.condition_create(
        patient=patient,
        actor=doctor,
        code="E11.9",
        encounter=encounter,
        category="encounter-diagnosis",
        is_primary=True,
    )


def test_a_primary_diagnosis_or_encounter_diagnosis_needs_an_encounter(patient, doctor):
    with pytest.raises(ValidationError) as exc_info:
        services.condition_create(patient=patient, actor=doctor, code="I10", is_primary=True)
    assert "is_primary" in exc_info.value.error_dict
    with pytest.raises(ValidationError) as exc_info:
        services.condition_create(
            patient=patient, actor=doctor, code="I10", category="encounter-diagnosis"
        )
    assert "encounter" in exc_info.value.error_dict


def test_resolving_a_condition_dates_it_and_moves_it_to_past_history(patient, doctor):
    condition = services.condition_create(
        patient=patient, actor=doctor, code="J18.9", onset=timezone.localdate() - timedelta(days=20)
    )
    assert list(selectors.problem_list(patient)) == [condition]
    condition = services.condition_resolve(condition=condition, actor=doctor)
    assert condition.clinical_status == ClinicalStatus.RESOLVED
    assert condition.resolved_on == timezone.localdate()
    assert list(selectors.problem_list(patient)) == []
    assert list(selectors.past_medical_history(patient)) == [condition]


def test_a_condition_resolved_before_its_onset_is_refused(patient, doctor):
    with pytest.raises(ValidationError) as exc_info:
        services.condition_create(
            patient=patient,
            actor=doctor,
            code="J18.9",
            clinical_status="resolved",
            onset=timezone.localdate() - timedelta(days=2),
            resolved_on=timezone.localdate() - timedelta(days=5),
        )
    assert "resolved_on" in exc_info.value.error_dict


# --- Allergies ------------------------------------------------------------------------------


def test_no_known_allergies_is_refused_while_active_allergies_exist(patient, nurse):
    assert selectors.allergy_state(patient) == selectors.NOT_ASKED
    services.allergy_record(patient=patient, actor=nurse, allergen="Penicillin", severity="severe")
    assert selectors.allergy_state(patient) == selectors.HAS_ALLERGIES
    with pytest.raises(ActiveAllergiesRecorded) as exc_info:
        services.allergy_status_set_none_known(patient=patient, actor=nurse)
    assert exc_info.value.status_code == 409


def test_no_known_allergies_is_distinct_from_not_asked_and_cleared_by_an_allergy(patient, nurse):
    services.allergy_status_set_none_known(patient=patient, actor=nurse)
    assert selectors.allergy_state(patient) == selectors.NO_KNOWN_ALLERGIES
    services.allergy_record(patient=patient, actor=nurse, allergen="Latex")
    assert selectors.allergy_state(patient) == selectors.HAS_ALLERGIES
    assert not AllergyStatus.objects.get(patient=patient).no_known_allergies


def test_an_allergy_entered_in_error_stays_and_allows_no_known_allergies(patient, nurse):
    allergy = services.allergy_record(patient=patient, actor=nurse, allergen="Penicillin")
    with pytest.raises(ReasonRequired):
        services.allergy_mark_entered_in_error(allergy=allergy, actor=nurse, reason="")
    services.allergy_mark_entered_in_error(allergy=allergy, actor=nurse, reason="Other patient")
    allergy.refresh_from_db()
    assert allergy.status == AllergyClinicalStatus.ENTERED_IN_ERROR
    assert allergy not in selectors.allergy_list_for_patient(patient)
    assert allergy in selectors.allergy_list_for_patient(patient, include_entered_in_error=True)
    with pytest.raises(AllergyStatusFinal):
        services.allergy_update(allergy=allergy, actor=nurse, status="active")
    services.allergy_status_set_none_known(patient=patient, actor=nurse)


def test_the_same_active_allergen_twice_is_refused(patient, nurse):
    services.allergy_record(patient=patient, actor=nurse, allergen="Penicillin")
    with pytest.raises(AllergyAlreadyRecorded):
        services.allergy_record(patient=patient, actor=nurse, allergen="penicillin ")


def test_an_inactive_allergy_can_be_recorded_again(patient, nurse):
    allergy = services.allergy_record(patient=patient, actor=nurse, allergen="Aspirin")
    services.allergy_update(
        allergy=allergy, actor=nurse, status="inactive", status_reason="Tolerated in 2025"
    )
    services.allergy_record(patient=patient, actor=nurse, allergen="Aspirin")


# --- Encounters -----------------------------------------------------------------------------


def test_starting_an_encounter_grants_care_team_access(stranger, doctor, make_user):
    colleague = make_user("Doctor")
    from tests.factories.patients import on_care_team

    on_care_team(stranger, doctor)
    assert not chart_access_for(colleague, stranger).allowed
    encounter = services.encounter_start(
        patient=stranger, actor=doctor, doctor=colleague, chief_complaint="Chest pain"
    )
    assert encounter.status == EncounterStatus.IN_PROGRESS
    assert chart_access_for(colleague, stranger).allowed
    relationship = CareRelationship.objects.get(user=colleague, patient=stranger)
    assert relationship.reason == AccessReason.ENCOUNTER and relationship.closes_at is None
    assert relationship.source_id == encounter.pk and not relationship.self_assigned
    finished = services.encounter_finish(encounter=encounter, actor=doctor)
    relationship.refresh_from_db()
    assert relationship.closes_at == finished.ended_at + timedelta(days=30)


def test_an_encounter_after_breaking_the_glass_lasts_and_is_reviewed(stranger, doctor):
    break_glass_open(
        patient=stranger,
        user=doctor,
        reason="emergency_care",
        details="Collapsed in the waiting room",
    )
    encounter = services.encounter_start(patient=stranger, actor=doctor)
    relationship = CareRelationship.objects.get(user=doctor, patient=stranger)
    assert relationship.closes_at is None and relationship.reason == AccessReason.ENCOUNTER
    # Care begun under break-the-glass is self-assigned: the privacy reviewers see it.
    assert relationship.self_assigned
    services.encounter_cancel(encounter=encounter, actor=doctor, reason="Wrong patient")
    relationship.refresh_from_db()
    assert not relationship.is_current()


def test_encounter_transitions_follow_the_table(patient, doctor):
    planned = services.encounter_plan(
        patient=patient, actor=doctor, doctor=doctor, planned_for=timezone.now() + timedelta(days=1)
    )
    with pytest.raises(InvalidTransition):
        services.encounter_finish(encounter=planned, actor=doctor)
    running = services.encounter_begin(encounter=planned, actor=doctor)
    assert running.status == EncounterStatus.IN_PROGRESS
    finished = services.encounter_finish(encounter=running, actor=doctor)
    assert finished.status == EncounterStatus.FINISHED and finished.ended_at is not None
    for change in (services.encounter_begin, services.encounter_finish):
        with pytest.raises(InvalidTransition):
            change(encounter=finished, actor=doctor)
    with pytest.raises(InvalidTransition):
        services.encounter_cancel(encounter=finished, actor=doctor, reason="x")
    with pytest.raises(EncounterClosed):
        services.encounter_update(encounter=finished, actor=doctor, chief_complaint="x")


def test_cancelling_needs_a_reason_and_is_time_stamped(patient, doctor):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    with pytest.raises(CancelReasonRequired):
        services.encounter_cancel(encounter=encounter, actor=doctor, reason="")
    encounter = services.encounter_cancel(encounter=encounter, actor=doctor, reason="Patient left")
    assert encounter.status == EncounterStatus.CANCELLED and encounter.cancelled_at


def test_an_encounter_needs_a_doctor(patient, doctor, nurse):
    with pytest.raises(NotADoctor):
        services.encounter_start(patient=patient, actor=nurse)
    with pytest.raises(NotADoctor):
        services.encounter_start(patient=patient, actor=doctor, doctor=nurse)


def test_the_transition_table_is_explicit():
    assert {
        "planned": {"in_progress", "cancelled"},
        "in_progress": {"finished", "cancelled"},
        "finished": set(),
        "cancelled": set(),
    } == Encounter.TRANSITIONS


def _changes(encounter):
    return [
        (c.from_status, c.to_status, c.by, c.at, c.reason)
        for c in EncounterStatusChange.objects.filter(encounter=encounter).order_by("created_at")
    ]


def test_each_encounter_transition_writes_one_status_change_with_actor_and_time(patient, doctor):
    planned_for = timezone.now() + timedelta(hours=1)
    encounter = services.encounter_plan(
        patient=patient, actor=doctor, doctor=doctor, planned_for=planned_for
    )
    assert [(f, t, by) for f, t, by, _at, _r in _changes(encounter)] == [("", "planned", doctor)]
    begun_at = timezone.now() - timedelta(minutes=2)
    encounter = services.encounter_begin(encounter=encounter, actor=doctor, at=begun_at)
    finished_at = timezone.now()
    encounter = services.encounter_finish(encounter=encounter, actor=doctor, at=finished_at)
    changes = _changes(encounter)
    assert len(changes) == 3
    assert changes[1] == ("planned", "in_progress", doctor, begun_at, "")
    assert changes[2] == ("in_progress", "finished", doctor, finished_at, "")
    assert (encounter.started_at, encounter.ended_at) == (begun_at, finished_at)


def test_starting_and_cancelling_an_encounter_log_the_change_and_the_reason(patient, doctor):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    services.encounter_cancel(encounter=encounter, actor=doctor, reason="Wrong patient")
    changes = _changes(encounter)
    assert [(f, t, by, r) for f, t, by, _at, r in changes] == [
        ("", "in_progress", doctor, ""),
        ("in_progress", "cancelled", doctor, "Wrong patient"),
    ]
    encounter.refresh_from_db()
    assert encounter.cancelled_at == changes[1][3]


def test_a_transition_the_table_forbids_is_refused_and_nothing_is_written(patient, doctor):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    services.encounter_finish(encounter=encounter, actor=doctor)
    with pytest.raises(InvalidTransition):
        services.encounter_begin(encounter=encounter, actor=doctor)
    with pytest.raises(InvalidTransition):
        services.encounter_set_status(encounter=encounter, actor=doctor, status="planned")
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.FINISHED
    assert EncounterStatusChange.objects.filter(encounter=encounter).count() == 2


def test_a_time_beyond_the_clock_tolerance_is_refused_and_three_minutes_ahead_is_now(
    patient, doctor, nurse
):
    with pytest.raises(TimeInFuture) as exc_info:
        services.encounter_start(
            patient=patient, actor=doctor, started_at=timezone.now() + timedelta(minutes=10)
        )
    assert set(exc_info.value.error_dict) == {"started_at"}
    with pytest.raises(TimeInFuture) as exc_info:
        services.vital_signs_record(
            patient=patient,
            actor=nurse,
            heart_rate=70,
            recorded_at=timezone.now() + timedelta(minutes=6),
        )
    assert set(exc_info.value.error_dict) == {"recorded_at"}
    with pytest.raises(TimeInFuture) as exc_info:
        services.condition_create(
            patient=patient, actor=doctor, code="I10", onset=timezone.localdate() + timedelta(1)
        )
    assert set(exc_info.value.error_dict) == {"onset"}
    ahead = timezone.now() + timedelta(minutes=3)
    vitals = services.vital_signs_record(
        patient=patient, actor=nurse, heart_rate=70, recorded_at=ahead
    )
    assert vitals.recorded_at == ahead
    encounter = services.encounter_start(patient=patient, actor=doctor, started_at=ahead)
    assert encounter.started_at == ahead


# --- History --------------------------------------------------------------------------------


def test_histories_are_recorded_and_entries_entered_in_error_are_hidden(patient, doctor):
    surgery = services.surgical_history_create(
        patient=patient, actor=doctor, procedure="Appendectomy"
    )
    family = services.family_history_create(
        patient=patient, actor=doctor, relationship="father", condition="MI", age_at_onset=58
    )
    services.social_history_update(
        patient=patient,
        actor=doctor,
        smoking_status="former",
        alcohol="occasional",
        living_situation="Lives alone",
    )
    services.social_history_update(patient=patient, actor=doctor, occupation="Teacher")
    social = selectors.social_history_get(patient)
    assert (social.smoking_status, social.occupation) == ("former", "Teacher")
    services.history_mark_entered_in_error(record=surgery, actor=doctor, reason="Duplicate")
    assert list(selectors.surgical_history_for_patient(patient)) == []
    assert list(selectors.family_history_for_patient(patient)) == [family]


def test_a_procedure_in_the_future_is_refused(patient, doctor):
    with pytest.raises(TimeInFuture):
        services.surgical_history_create(
            patient=patient,
            actor=doctor,
            procedure="Hip replacement",
            performed_on=timezone.localdate() + timedelta(days=3),
        )


def test_every_write_is_attributed_in_the_history(patient, doctor):
    note = services.note_create(patient=patient, actor=doctor, text="x", sign=True)
    assert {h.history_user for h in note.history.all()} == {doctor}
    assert note.created_by == doctor
