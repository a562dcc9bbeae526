"""Writes of clinical documentation: encounters, vital signs, notes (sign, addenda,
entered in error), conditions, allergies and the histories.

The preconditions are the project's one helper each: an active patient record
(`Patient.ensure_active`; a deceased patient's record still takes documentation), an
active doctor (`accounts.selectors.ensure_active_doctor`) and no time in the future
(`ehr.core.clock.ensure_not_in_future`, with the clock tolerance).

Every service takes the acting user (`actor`), checks that they may open the patient's
chart (care team or break-the-glass; None is a system job and skips the check), runs in
a transaction, locks the rows it decides on, and turns a database refusal into a
domain error (`clinical.exceptions`).
"""

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.selectors import ensure_active_doctor
from clinical.exceptions import (
    ActiveAllergiesRecorded,
    AdmissionClosed,
    AllergyAlreadyRecorded,
    AllergyStatusFinal,
    AlreadyEnteredInError,
    AppointmentNotCheckedIn,
    CancelReasonRequired,
    DiagnosisNotResolvable,
    DischargeSummaryExists,
    EncounterClosed,
    InvalidEncounter,
    NotAnEncounterDiagnosis,
    NoteAlreadySigned,
    NoteContentRequired,
    NoteEditDenied,
    NoteEmpty,
    NoteEnteredInError,
    NoteNotSigned,
    NoteSignDenied,
    NotTheAppointmentDoctor,
    PrimaryDiagnosisExists,
    ProblemAlreadyListed,
    ReasonRequired,
    UnknownDiagnosisCode,
)
from clinical.models import (
    NOTE_CONTENT_FIELDS,
    VITAL_MEASURES,
    Allergy,
    AllergyCategory,
    AllergyClinicalStatus,
    AllergySeverity,
    AllergyStatus,
    ClinicalNote,
    ClinicalNoteUserObjectPermission,
    ClinicalStatus,
    Condition,
    ConditionCategory,
    DiagnosisCode,
    Encounter,
    EncounterClass,
    EncounterStatus,
    FamilyHistory,
    NoteStatus,
    NoteType,
    SocialHistory,
    SurgicalHistory,
    VitalSigns,
    body_mass_index,
    note_type_signable_by,
)
from clinical.selectors import diagnosis_code_get, note_editable_by, problem_of
from ehr.core import events
from ehr.core.clock import ensure_not_in_future
from patients.exceptions import ChartAccessDenied
from patients.models import Patient
from patients.selectors import chart_access_for
from patients.services import care_relationships_sync
from scheduling import services as scheduling_services
from scheduling.models import Appointment, AppointmentStatus


def _check_chart_access(actor, patient):
    if actor is not None and not chart_access_for(actor, patient).allowed:
        raise ChartAccessDenied()


def _sync_care(encounter, actor):
    """Give the encounter's doctor the chart access its state allows (a running
    encounter opens the chart, a finished one keeps it open for the follow-up time, a
    cancelled one closes it at once)."""
    care_relationships_sync(
        source=encounter, patient=encounter.patient, windows=encounter.care_windows(), actor=actor
    )


def _check_encounter(encounter, patient):
    if encounter is None:
        return
    if encounter.patient_id != patient.pk:
        raise InvalidEncounter()
    if encounter.status == EncounterStatus.CANCELLED:
        raise InvalidEncounter("This encounter was cancelled; choose another.")


def _save(obj, actor):
    obj.full_clean()
    obj.stamp(actor)
    obj.save()
    return obj


def _mark_entered_in_error(record, actor, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if record.entered_in_error:
        raise AlreadyEnteredInError()
    record.entered_in_error = True
    record.entered_in_error_reason = reason
    record.entered_in_error_at = timezone.now()
    record.entered_in_error_by = actor
    return _save(record, actor)


def _locked(model, record):
    return model.objects.select_for_update().get(pk=record.pk)


# --- Encounters -----------------------------------------------------------------------------


@transaction.atomic
def encounter_start(
    *,
    patient,
    actor,
    doctor=None,
    encounter_class=EncounterClass.OUTPATIENT,
    chief_complaint="",
    started_at=None,
):
    """Start an encounter (in progress, from now or `started_at`) with `doctor` (the
    actor by default), and put the doctor on the patient's care team. Return it."""
    return _encounter_open(
        patient=patient,
        actor=actor,
        doctor=doctor or actor,
        encounter_class=encounter_class,
        chief_complaint=chief_complaint,
        started_at=started_at,
    )


def _encounter_open(
    *, patient, actor, doctor, encounter_class, chief_complaint, started_at, appointment=None
):
    _check_chart_access(actor, patient)
    patient.ensure_active(allow_deceased=True)
    ensure_active_doctor(doctor)
    ensure_not_in_future(started_at, field="started_at")
    encounter = Encounter(
        patient=patient,
        doctor=doctor,
        encounter_class=encounter_class,
        chief_complaint=(chief_complaint or "").strip()[:500],
        status=EncounterStatus.IN_PROGRESS,
        started_at=started_at or timezone.now(),
        appointment=appointment,
    )
    _save(encounter, actor)
    encounter.log_status_change("", encounter.status, actor=actor, at=encounter.started_at)
    _sync_care(encounter, actor)
    return encounter


@transaction.atomic
def encounter_start_for_appointment(*, appointment, actor, at=None):
    """Start the outpatient encounter of a checked-in appointment and return it: the
    appointment's patient, doctor and reason (as chief complaint); the appointment moves
    to in progress in the same transaction.

    Only the appointment's doctor may (NotTheAppointmentDoctor, 403): the visit is theirs,
    and booking already put them on the care team; chart access is checked as for any
    encounter. Starting twice returns the running encounter (a double click, two tabs).
    An appointment already in progress without an encounter (its encounter was cancelled,
    or the scheduling pages started it) gets one; any other state is refused
    (AppointmentNotCheckedIn, 409).
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor")
        .get(pk=appointment.pk)
    )
    if actor is not None and actor.pk != appointment.doctor_id:
        raise NotTheAppointmentDoctor()
    existing = (
        Encounter.objects.filter(appointment=appointment)
        .exclude(status=EncounterStatus.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    if appointment.status not in (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS):
        raise AppointmentNotCheckedIn()
    try:
        with transaction.atomic():
            encounter = _encounter_open(
                patient=appointment.patient,
                actor=actor,
                doctor=appointment.doctor,
                encounter_class=EncounterClass.OUTPATIENT,
                chief_complaint=appointment.reason,
                started_at=at,
                appointment=appointment,
            )
    except IntegrityError:
        # encounter_one_per_appointment: another request started it first.
        return (
            Encounter.objects.filter(appointment=appointment)
            .exclude(status=EncounterStatus.CANCELLED)
            .get()
        )
    if appointment.status == AppointmentStatus.CHECKED_IN:
        scheduling_services.appointment_start(
            appointment=appointment, actor=actor, at=encounter.started_at
        )
    return encounter


@transaction.atomic
def encounter_start_from_admission(*, admission, actor, chief_complaint=""):
    """Start the inpatient encounter of an open admission (its attending doctor, whose
    chart access it extends); if one is already running, return that one."""
    # Locked through its own manager: clinical does not import the inpatient app.
    admission = type(admission)._default_manager.select_for_update().get(pk=admission.pk)
    if not admission.is_open:
        raise AdmissionClosed()
    running = Encounter.objects.filter(
        admission=admission, status=EncounterStatus.IN_PROGRESS
    ).first()
    if running is not None:
        return running
    encounter = encounter_start(
        patient=admission.patient,
        actor=actor,
        doctor=admission.attending_doctor,
        encounter_class=EncounterClass.INPATIENT,
        chief_complaint=chief_complaint or admission.reason[:500],
    )
    encounter.admission = admission
    return _save(encounter, actor)


@transaction.atomic
def encounter_plan(
    *,
    patient,
    actor,
    doctor,
    planned_for,
    encounter_class=EncounterClass.OUTPATIENT,
    chief_complaint="",
):
    """Plan an encounter for `planned_for`. The doctor's chart access through it opens
    when it starts (`encounter_begin`). Return it."""
    _check_chart_access(actor, patient)
    patient.ensure_active(allow_deceased=True)
    ensure_active_doctor(doctor)
    encounter = Encounter(
        patient=patient,
        doctor=doctor,
        encounter_class=encounter_class,
        chief_complaint=(chief_complaint or "").strip(),
        status=EncounterStatus.PLANNED,
        started_at=planned_for,
    )
    _save(encounter, actor)
    encounter.log_status_change("", encounter.status, actor=actor, at=encounter.created_at)
    return encounter


@transaction.atomic
def encounter_begin(*, encounter, actor, at=None):
    """Start a planned encounter (now, or `at`); its doctor's chart access opens."""
    encounter = _locked(Encounter, encounter)
    _check_chart_access(actor, encounter.patient)
    ensure_not_in_future(at, field="started_at")
    encounter.transition_to(EncounterStatus.IN_PROGRESS, actor=actor, at=at)
    _sync_care(encounter, actor)
    return encounter


@transaction.atomic
def encounter_finish(*, encounter, actor, at=None):
    """Finish a running encounter (now, or at `at`). The appointment it was started
    from, if still in progress, is completed at the same time."""
    encounter = _locked(Encounter, encounter)
    _check_chart_access(actor, encounter.patient)
    ensure_not_in_future(at, field="ended_at")
    encounter.transition_to(EncounterStatus.FINISHED, actor=actor, at=at)
    _sync_care(encounter, actor)
    if encounter.appointment_id is not None:
        _complete_appointment(encounter, actor)
    return encounter


def _complete_appointment(encounter, actor):
    appointment = encounter.appointment
    if appointment.status == AppointmentStatus.IN_PROGRESS:
        scheduling_services.appointment_complete(
            appointment=appointment, actor=actor, at=encounter.ended_at
        )


@transaction.atomic
def encounter_cancel(*, encounter, actor, reason):
    """Cancel a planned or running encounter, saying why. Its records stay."""
    encounter = _locked(Encounter, encounter)
    _check_chart_access(actor, encounter.patient)
    reason = (reason or "").strip()
    if not reason:
        raise CancelReasonRequired()
    encounter.transition_to(EncounterStatus.CANCELLED, actor=actor, reason=reason)
    _sync_care(encounter, actor)
    return encounter


ENCOUNTER_EDITABLE = ("encounter_class", "chief_complaint", "doctor")


@transaction.atomic
def encounter_update(*, encounter, actor, **fields):
    """Change the class, chief complaint or doctor of an open encounter (a new doctor
    of a running encounter takes over its chart access)."""
    encounter = _locked(Encounter, encounter)
    _check_chart_access(actor, encounter.patient)
    if not encounter.is_open:
        raise EncounterClosed()
    for name, value in fields.items():
        if name not in ENCOUNTER_EDITABLE:
            raise ValueError(f"{name} cannot be changed here")
        setattr(encounter, name, value.strip() if name == "chief_complaint" else value)
    if "doctor" in fields:
        ensure_active_doctor(encounter.doctor)
    _save(encounter, actor)
    if "doctor" in fields:
        _sync_care(encounter, actor)
    return encounter


def encounter_set_status(*, encounter, actor, status, reason=""):
    """Move an encounter to `status` through the matching service (API PATCH); a change
    the transition table forbids raises InvalidTransition."""
    if status == encounter.status:
        return encounter
    if status == EncounterStatus.IN_PROGRESS:
        return encounter_begin(encounter=encounter, actor=actor)
    if status == EncounterStatus.FINISHED:
        return encounter_finish(encounter=encounter, actor=actor)
    if status == EncounterStatus.CANCELLED:
        return encounter_cancel(encounter=encounter, actor=actor, reason=reason)
    # Nothing goes back to planned: the table refuses it (InvalidTransition), unsaved.
    encounter.transition_to(status, actor=actor)
    return encounter


# --- Vital signs ----------------------------------------------------------------------------


def _bmi(vitals):
    if vitals.weight_kg is None:
        return None
    height = vitals.height_cm
    if height is None:
        # Adults' height rarely changes: use the latest height measured before.
        height = (
            VitalSigns.objects.filter(
                patient=vitals.patient,
                height_cm__isnull=False,
                recorded_at__lte=vitals.recorded_at,
            )
            .order_by("-recorded_at")
            .values_list("height_cm", flat=True)
            .first()
        )
    return body_mass_index(vitals.weight_kg, height)


@transaction.atomic
def vital_signs_record(*, patient, actor, encounter=None, recorded_at=None, **measures):
    """Record a set of vital signs taken at `recorded_at` (now by default) by the
    actor. Impossible values, a diastolic pressure not below the systolic and an empty
    set are refused with field errors (ValidationError). BMI is derived from the weight
    and the height (this set's, or the latest one measured before). Return the set."""
    _check_chart_access(actor, patient)
    unknown = set(measures) - set(VITAL_MEASURES)
    if unknown:
        raise TypeError(f"Unknown measures: {', '.join(sorted(unknown))}")
    _check_encounter(encounter, patient)
    ensure_not_in_future(recorded_at, field="recorded_at")
    vitals = VitalSigns(
        patient=patient,
        encounter=encounter,
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor,
        **measures,
    )
    vitals.full_clean()
    vitals.bmi = _bmi(vitals)
    _save(vitals, actor)
    events.publish("vitals.recorded", _vitals_event(vitals), actor=actor)
    return vitals


def _vitals_event(vitals):
    """The payload of `vitals.recorded` (ehr.core.events): measures as numbers."""
    payload = {
        "vital_signs_id": str(vitals.pk),
        "patient_id": str(vitals.patient_id),
        "encounter_id": str(vitals.encounter_id) if vitals.encounter_id else None,
        "recorded_by_id": str(vitals.recorded_by_id),
        "recorded_at": vitals.recorded_at.isoformat(),
    }
    for name in events.VITAL_FIELDS:
        value = getattr(vitals, name)
        kind = events.VITAL_FIELDS[name][0]
        payload[name] = None if value is None else kind(value)
    return payload


# --- Clinical notes -------------------------------------------------------------------------

NOTE_EDITABLE = (*NOTE_CONTENT_FIELDS, "note_type", "encounter")


def _change_note_permission():
    return Permission.objects.get(
        content_type__app_label="clinical", codename="change_clinicalnote"
    )


def _grant_note_edit(note, user, actor):
    ClinicalNoteUserObjectPermission(
        user=user, permission=_change_note_permission(), content_object=note
    ).stamp(actor).save()


def _revoke_note_edit(note, actor):
    for row in ClinicalNoteUserObjectPermission.objects.filter(content_object=note):
        row._history_user = actor
        row.delete()


def _check_note_editable(note, actor):
    if note.entered_in_error:
        raise NoteEnteredInError()
    if note.status == NoteStatus.SIGNED:
        raise NoteAlreadySigned()
    if actor is not None and not note_editable_by(note, actor):
        raise NoteEditDenied()


@transaction.atomic
def note_create(
    *, patient, actor, note_type=NoteType.PROGRESS, encounter=None, sign=False, **content
):
    """Write a note (a draft by the actor, who alone may edit it: object permission
    `change_clinicalnote`); with `sign`, sign it at once. `content`: the SOAP fields
    (subjective, objective, assessment, plan) and/or `text`. Return the note."""
    _check_chart_access(actor, patient)
    patient.ensure_active(allow_deceased=True)
    _check_encounter(encounter, patient)
    return _note_create(
        patient=patient,
        actor=actor,
        note_type=note_type,
        encounter=encounter,
        sign=sign,
        content=content,
    )


def _note_create(*, patient, actor, note_type, encounter, sign, content, amends=None):
    unknown = set(content) - set(NOTE_CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown note fields: {', '.join(sorted(unknown))}")
    note = ClinicalNote(
        patient=patient,
        encounter=encounter,
        author=actor,
        note_type=note_type,
        amends=amends,
        **{name: (value or "").strip() for name, value in content.items()},
    )
    if not note.has_content:
        raise NoteContentRequired()
    _save(note, actor)
    _grant_note_edit(note, actor, actor)
    if sign:
        note = note_sign(note=note, actor=actor)
    return note


@transaction.atomic
def note_update(*, note, actor, **fields):
    """Change a draft note (its content, type or encounter). Only its author may; a
    signed note is immutable (NoteAlreadySigned, 409): correct it with an addendum."""
    note = _locked(ClinicalNote, note)
    _check_chart_access(actor, note.patient)
    _check_note_editable(note, actor)
    for name, value in fields.items():
        if name not in NOTE_EDITABLE:
            raise ValueError(f"{name} cannot be changed here")
        if name == "encounter":
            _check_encounter(value, note.patient)
        setattr(note, name, value.strip() if name in NOTE_CONTENT_FIELDS else value)
    if not note.has_content:
        raise NoteContentRequired()
    return _save(note, actor)


@transaction.atomic
def note_sign(*, note, actor):
    """Sign a draft note: record signer and time and make it immutable. Only its author
    signs it, and only if their role signs this type (doctors any note, nurses nursing
    notes). Return the note."""
    note = _locked(ClinicalNote, note)
    _check_chart_access(actor, note.patient)
    _check_note_editable(note, actor)
    if not note.signable_by(actor):
        raise NoteSignDenied()
    if not note.has_content:
        raise NoteEmpty()
    note.status = NoteStatus.SIGNED
    note.signed_by = actor
    note.signed_at = timezone.now()
    _save(note, actor)
    _revoke_note_edit(note, actor)
    events.publish(
        "note.signed",
        {
            "note_id": str(note.pk),
            "patient_id": str(note.patient_id),
            "author_id": str(note.author_id),
            "note_type": str(note.note_type),
            "encounter_id": str(note.encounter_id) if note.encounter_id else None,
            "amends_id": str(note.amends_id) if note.amends_id else None,
        },
        actor=actor,
    )
    return note


@transaction.atomic
def note_addendum_create(*, note, actor, text, sign=False):
    """Add an addendum (free text, a note of the same type that `amends` it) to a
    signed note; with `sign`, sign it at once. Return the addendum."""
    note = _locked(ClinicalNote, note)
    if note.amends_id:  # an addendum to an addendum completes the original note
        note = _locked(ClinicalNote, note.amends)
    _check_chart_access(actor, note.patient)
    if note.entered_in_error:
        raise NoteEnteredInError()
    if note.status != NoteStatus.SIGNED:
        raise NoteNotSigned()
    return _note_create(
        patient=note.patient,
        actor=actor,
        note_type=note.note_type,
        encounter=note.encounter,
        sign=sign,
        content={"text": text},
        amends=note,
    )


@transaction.atomic
def note_mark_entered_in_error(*, note, actor, reason):
    """Mark a note (draft or signed) entered in error, with the reason: it is hidden
    from the usual lists, never deleted. Only its author (or signer) may."""
    note = _locked(ClinicalNote, note)
    _check_chart_access(actor, note.patient)
    if actor is not None and actor.pk not in (note.author_id, note.signed_by_id):
        raise NoteEditDenied("Only the author of a note may mark it entered in error.")
    note = _mark_entered_in_error(note, actor, reason)
    _revoke_note_edit(note, actor)
    return note


# --- Discharge summaries ----------------------------------------------------------------------


@transaction.atomic
def discharge_summary_record(*, admission, text, actor, at=None):
    """Write the discharge summary of `admission` as a clinical note and return it.

    The note (type discharge summary, free text) is linked to the admission and to its
    inpatient encounter, which is finished at the discharge time if still running. It is
    signed by the discharging doctor (`actor`) at the discharge time `at` (now by
    default); a system job (`actor` None) leaves a draft by the attending doctor, who
    alone may edit and sign it. Corrections are addenda; a second summary is refused
    (DischargeSummaryExists, 409).

    Called by `inpatient.services.admission_discharge` inside its transaction, after it
    has authorised the discharge (only doctors discharge), so chart access is not
    checked again: discharging the patient is itself care of them.
    """
    text = (text or "").strip()
    if not text:
        raise NoteEmpty()
    at = at or timezone.now()
    author = actor or admission.attending_doctor
    if actor is not None and not note_type_signable_by(NoteType.DISCHARGE_SUMMARY, actor):
        raise NoteSignDenied()
    if ClinicalNote.objects.filter(
        admission=admission,
        note_type=NoteType.DISCHARGE_SUMMARY,
        amends__isnull=True,
        entered_in_error=False,
    ).exists():
        raise DischargeSummaryExists()
    encounters = Encounter.objects.select_for_update().filter(admission=admission)
    for running in encounters.filter(status=EncounterStatus.IN_PROGRESS):
        running.transition_to(EncounterStatus.FINISHED, actor=actor, at=at)
        _sync_care(running, actor)
    encounter = encounters.exclude(status=EncounterStatus.CANCELLED).order_by("-started_at").first()
    note = ClinicalNote(
        patient=admission.patient,
        admission=admission,
        encounter=encounter,
        author=author,
        note_type=NoteType.DISCHARGE_SUMMARY,
        text=text,
        created_at=at,
    )
    if actor is not None:
        note.status = NoteStatus.SIGNED
        note.signed_by = actor
        note.signed_at = at
    _save(note, actor)
    if actor is None:
        _grant_note_edit(note, author, None)
    return note


# --- Conditions -----------------------------------------------------------------------------


def _check_primary(condition):
    if not condition.is_primary or condition.encounter_id is None:
        return
    Encounter.objects.select_for_update().filter(pk=condition.encounter_id).first()
    others = Condition.objects.filter(
        encounter_id=condition.encounter_id, is_primary=True, entered_in_error=False
    ).exclude(pk=condition.pk)
    if others.exists():
        raise PrimaryDiagnosisExists()


def _save_condition(condition, actor):
    _check_primary(condition)
    try:
        with transaction.atomic():
            return _save(condition, actor)
    except IntegrityError:
        # The unique index is the rule of record under concurrent requests.
        if condition.is_primary:
            raise PrimaryDiagnosisExists() from None
        raise


def _save_problem(problem, actor):
    try:
        with transaction.atomic():
            return _save(problem, actor)
    except IntegrityError:
        # condition_one_problem_per_code, when another request listed it first.
        raise ProblemAlreadyListed() from None


def _link_diagnoses(problem, actor):
    """Link the patient's diagnoses of the problem's code that no problem stands for."""
    diagnoses = Condition.objects.select_for_update(of=("self",)).filter(
        Q(problem__isnull=True) | Q(problem__entered_in_error=True),
        patient_id=problem.patient_id,
        code_id=problem.code_id,
        category=ConditionCategory.ENCOUNTER_DIAGNOSIS,
        entered_in_error=False,
    )
    for diagnosis in diagnoses:
        diagnosis.problem = problem
        _save(diagnosis, actor)


def _problem_for_diagnosis(patient, diagnosis_code, *, actor, add, onset):
    """Return the problem a new diagnosis links: the patient's problem of its code (made
    active again when the doctor adds the diagnosis to the problem list), or a new one
    when added, else None."""
    problem = problem_of(patient, diagnosis_code)
    if problem is not None:
        if add and not problem.is_active:
            problem = _locked(Condition, problem)
            problem.reopen()
            _save(problem, actor)
        return problem
    if not add:
        return None
    problem = Condition(
        patient=patient,
        code=diagnosis_code,
        category=ConditionCategory.PROBLEM_LIST_ITEM,
        clinical_status=ClinicalStatus.ACTIVE,
        onset=onset,
    )
    _save_problem(problem, actor)
    _link_diagnoses(problem, actor)
    return problem


@transaction.atomic
def condition_create(
    *,
    patient,
    actor,
    code,
    clinical_status=ClinicalStatus.ACTIVE,
    category=ConditionCategory.PROBLEM_LIST_ITEM,
    onset=None,
    resolved_on=None,
    encounter=None,
    is_primary=False,
    note="",
    add_to_problem_list=False,
):
    """Record a condition coded in ICD-10-CM (`code`: a DiagnosisCode or "E11.9"; an
    unknown code is refused with a field error) and return it.

    A problem (category problem-list-item) is listed once per patient: a code already
    on the list, whatever its status, is refused (ProblemAlreadyListed, 409); the
    patient's earlier diagnoses of that code are linked to it.

    An encounter diagnosis links the patient's problem of the same code. With
    `add_to_problem_list`, a code not yet on the list becomes a problem (active, from
    the diagnosis's onset) and a resolved or inactive one becomes active again (a
    recurrence); without it, a diagnosis of a code not on the list stays a diagnosis of
    its encounter only. At most one primary diagnosis per encounter
    (PrimaryDiagnosisExists, 409).
    """
    _check_chart_access(actor, patient)
    patient.ensure_active(allow_deceased=True)
    diagnosis_code = code if isinstance(code, DiagnosisCode) else diagnosis_code_get(code)
    if diagnosis_code is None:
        raise UnknownDiagnosisCode()
    _check_encounter(encounter, patient)
    ensure_not_in_future(onset, field="onset")
    ensure_not_in_future(resolved_on, field="resolved_on")
    if clinical_status == ClinicalStatus.RESOLVED and resolved_on is None:
        resolved_on = timezone.localdate()
    # The problem list of one patient changes one request at a time.
    _lock_patient(patient)
    problem = None
    if category == ConditionCategory.PROBLEM_LIST_ITEM:
        if problem_of(patient, diagnosis_code) is not None:
            raise ProblemAlreadyListed()
    else:
        problem = _problem_for_diagnosis(
            patient, diagnosis_code, actor=actor, add=add_to_problem_list, onset=onset
        )
    condition = Condition(
        patient=patient,
        code=diagnosis_code,
        clinical_status=clinical_status,
        category=category,
        onset=onset,
        resolved_on=resolved_on if clinical_status == ClinicalStatus.RESOLVED else None,
        encounter=encounter,
        is_primary=is_primary,
        note=(note or "").strip(),
        problem=problem,
    )
    if condition.is_problem:
        _check_primary(condition)
        _save_problem(condition, actor)
        _link_diagnoses(condition, actor)
        return condition
    return _save_condition(condition, actor)


CONDITION_EDITABLE = ("clinical_status", "onset", "resolved_on", "note", "is_primary")
# An encounter diagnosis records what was found then; its condition resolves on the problem.
PROBLEM_ONLY = ("clinical_status", "resolved_on")


@transaction.atomic
def condition_update(*, condition, actor, **fields):
    """Change a condition's status, onset, resolution date, note or primary flag. A
    condition set to resolved gets today's resolution date unless one is given. The
    status of an encounter diagnosis does not change (DiagnosisNotResolvable, 409):
    its problem is resolved instead."""
    condition = _locked(Condition, condition)
    _check_chart_access(actor, condition.patient)
    if condition.entered_in_error:
        raise AlreadyEnteredInError()
    for name, value in fields.items():
        if name not in CONDITION_EDITABLE:
            raise ValueError(f"{name} cannot be changed here")
        if (
            name in PROBLEM_ONLY
            and not condition.is_problem
            and value not in (None, getattr(condition, name))
        ):
            raise DiagnosisNotResolvable()
        setattr(condition, name, value.strip() if name == "note" else value)
    ensure_not_in_future(condition.onset, field="onset")
    ensure_not_in_future(condition.resolved_on, field="resolved_on")
    if condition.clinical_status == ClinicalStatus.RESOLVED:
        condition.resolved_on = condition.resolved_on or timezone.localdate()
    else:
        condition.resolved_on = None
    return _save_condition(condition, actor)


def condition_resolve(*, condition, actor, resolved_on=None):
    """Mark a problem resolved (today, or on `resolved_on`). An encounter diagnosis is
    not resolved (DiagnosisNotResolvable, 409): its problem is."""
    if not condition.is_problem:
        raise DiagnosisNotResolvable()
    return condition_update(
        condition=condition,
        actor=actor,
        clinical_status=ClinicalStatus.RESOLVED,
        resolved_on=resolved_on,
    )


@transaction.atomic
def diagnosis_add_to_problem_list(*, diagnosis, actor):
    """Add an encounter diagnosis's condition to the problem list: link the patient's
    problem of its code (made active again if resolved or inactive), or list a new one
    from the diagnosis's onset. Return the problem."""
    diagnosis = _locked(Condition, diagnosis)
    _check_chart_access(actor, diagnosis.patient)
    if diagnosis.is_problem:
        raise NotAnEncounterDiagnosis()
    if diagnosis.entered_in_error:
        raise AlreadyEnteredInError()
    _lock_patient(diagnosis.patient)
    problem = _problem_for_diagnosis(
        diagnosis.patient, diagnosis.code, actor=actor, add=True, onset=diagnosis.onset
    )
    if diagnosis.problem_id != problem.pk:
        diagnosis.problem = problem
        _save(diagnosis, actor)
    return problem


@transaction.atomic
def condition_mark_entered_in_error(*, condition, actor, reason):
    """Mark a condition entered in error, with the reason (kept, hidden from lists). The
    diagnoses of a problem entered in error are no longer on the problem list."""
    condition = _locked(Condition, condition)
    _check_chart_access(actor, condition.patient)
    condition = _mark_entered_in_error(condition, actor, reason)
    for diagnosis in Condition.objects.select_for_update().filter(problem=condition):
        diagnosis.problem = None
        _save(diagnosis, actor)
    return condition


# --- Allergies ------------------------------------------------------------------------------


def _lock_patient(patient):
    # Allergy writes of one patient queue on the patient row, so "no known allergies"
    # and a new allergy never both win.
    return Patient.objects.select_for_update().get(pk=patient.pk)


def _active_allergen_exists(patient, allergen, exclude_pk=None):
    allergies = Allergy.objects.filter(
        patient=patient, status=AllergyClinicalStatus.ACTIVE, allergen__iexact=allergen
    )
    if exclude_pk:
        allergies = allergies.exclude(pk=exclude_pk)
    return allergies.exists()


def _save_allergy(allergy, actor):
    try:
        with transaction.atomic():
            return _save(allergy, actor)
    except IntegrityError:
        raise AllergyAlreadyRecorded() from None


@transaction.atomic
def allergy_record(
    *,
    patient,
    actor,
    allergen,
    category=AllergyCategory.DRUG,
    severity=AllergySeverity.MODERATE,
    reaction="",
    recorded_at=None,
    allergen_ingredient=None,
    allergen_class=None,
):
    """Record an active allergy; a "no known allergies" assessment no longer holds and
    is cleared. The same allergen twice as active is refused. A coded allergen (a
    formulary ingredient or drug class) names the allergy when no text is given.
    Return it."""
    _check_chart_access(actor, patient)
    patient.ensure_active(allow_deceased=True)
    _lock_patient(patient)
    allergen = (allergen or "").strip() or str(allergen_ingredient or allergen_class or "")
    ensure_not_in_future(recorded_at, field="recorded_at")
    if allergen and _active_allergen_exists(patient, allergen):
        raise AllergyAlreadyRecorded()
    allergy = Allergy(
        patient=patient,
        allergen=allergen,
        allergen_ingredient=allergen_ingredient,
        allergen_class=allergen_class,
        category=category,
        severity=severity,
        reaction=(reaction or "").strip(),
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor,
    )
    _save_allergy(allergy, actor)
    status = AllergyStatus.objects.filter(patient=patient, no_known_allergies=True).first()
    if status is not None:
        status.no_known_allergies = False
        status.assessed_at = timezone.now()
        status.assessed_by = actor
        _save(status, actor)
    return allergy


ALLERGY_EDITABLE = ("category", "severity", "reaction", "status", "status_reason")


@transaction.atomic
def allergy_update(*, allergy, actor, **fields):
    """Change an allergy's category, severity, reaction or status (inactive, active
    again, or entered in error with a reason). An allergy entered in error stays so."""
    _lock_patient(allergy.patient)
    allergy = _locked(Allergy, allergy)
    _check_chart_access(actor, allergy.patient)
    if allergy.status == AllergyClinicalStatus.ENTERED_IN_ERROR:
        raise AllergyStatusFinal()
    for name, value in fields.items():
        if name not in ALLERGY_EDITABLE:
            raise ValueError(f"{name} cannot be changed here")
        setattr(allergy, name, value.strip() if isinstance(value, str) else value)
    if allergy.status == AllergyClinicalStatus.ENTERED_IN_ERROR and not allergy.status_reason:
        raise ReasonRequired(field="status_reason")
    if allergy.status == AllergyClinicalStatus.ACTIVE and _active_allergen_exists(
        allergy.patient, allergy.allergen, exclude_pk=allergy.pk
    ):
        raise AllergyAlreadyRecorded()
    return _save_allergy(allergy, actor)


def allergy_mark_entered_in_error(*, allergy, actor, reason):
    """Mark an allergy entered in error, with the reason (kept, hidden from lists)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return allergy_update(
        allergy=allergy,
        actor=actor,
        status=AllergyClinicalStatus.ENTERED_IN_ERROR,
        status_reason=reason,
    )


@transaction.atomic
def allergy_status_set_none_known(*, patient, actor):
    """Record that the patient was asked and has no known allergies. Refused while
    active allergies are listed (ActiveAllergiesRecorded, 409). Return the status."""
    _check_chart_access(actor, patient)
    _lock_patient(patient)
    if Allergy.objects.filter(patient=patient, status=AllergyClinicalStatus.ACTIVE).exists():
        raise ActiveAllergiesRecorded()
    status = AllergyStatus.objects.filter(patient=patient).first() or AllergyStatus(patient=patient)
    status.no_known_allergies = True
    status.assessed_at = timezone.now()
    status.assessed_by = actor
    return _save(status, actor)


# --- History --------------------------------------------------------------------------------


@transaction.atomic
def surgical_history_create(*, patient, actor, procedure, performed_on=None, notes=""):
    """Add a past operation or procedure. Return it."""
    _check_chart_access(actor, patient)
    ensure_not_in_future(performed_on, field="performed_on")
    record = SurgicalHistory(
        patient=patient,
        procedure=(procedure or "").strip(),
        performed_on=performed_on,
        notes=(notes or "").strip(),
    )
    return _save(record, actor)


@transaction.atomic
def family_history_create(*, patient, actor, relationship, condition, age_at_onset=None, notes=""):
    """Add a condition of a blood relative. Return it."""
    _check_chart_access(actor, patient)
    record = FamilyHistory(
        patient=patient,
        relationship=relationship,
        condition=(condition or "").strip(),
        age_at_onset=age_at_onset,
        notes=(notes or "").strip(),
    )
    return _save(record, actor)


@transaction.atomic
def history_mark_entered_in_error(*, record, actor, reason):
    """Mark a surgical or family history entry entered in error, with the reason."""
    record = _locked(type(record), record)
    _check_chart_access(actor, record.patient)
    return _mark_entered_in_error(record, actor, reason)


SOCIAL_HISTORY_FIELDS = ("smoking_status", "alcohol", "occupation", "living_situation", "notes")


@transaction.atomic
def social_history_update(*, patient, actor, **fields):
    """Record or change the patient's social history (only the fields given)."""
    _check_chart_access(actor, patient)
    _lock_patient(patient)
    record = SocialHistory.objects.filter(patient=patient).first() or SocialHistory(patient=patient)
    for name, value in fields.items():
        if name not in SOCIAL_HISTORY_FIELDS:
            raise ValueError(f"{name} is not a social history field")
        setattr(record, name, value.strip() if isinstance(value, str) else value)
    return _save(record, actor)
