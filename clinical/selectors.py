"""Reads of clinical documentation. Every function here returns content of one patient's
chart: callers check chart access first (`patients.services.chart_open`, which also
logs the read), except for the ICD-10-CM catalogue, which is reference data."""

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When

from clinical.icd10 import SEARCH_LIMIT, code_search, normalise_code
from clinical.models import (
    Allergy,
    AllergyClinicalStatus,
    AllergyStatus,
    ClinicalNote,
    ClinicalStatus,
    Condition,
    ConditionCategory,
    DiagnosisCode,
    Encounter,
    FamilyHistory,
    NoteStatus,
    NoteType,
    SocialHistory,
    SurgicalHistory,
    VitalSigns,
)
from ehr.core.permissions import user_has_object_permission
from patients.selectors import patients_on_care_team_of
from scheduling.models import Appointment

# --- ICD-10-CM ------------------------------------------------------------------------------


def diagnosis_code_get(code):
    """Return the DiagnosisCode `code` ("E11.9"; case and a missing dot do not matter),
    or None if it is not in the catalogue."""
    code = normalise_code(code)
    if not code:
        return None
    return DiagnosisCode.objects.filter(code=code).first()


def diagnosis_code_search(query, limit=SEARCH_LIMIT):
    """Return up to `limit` codes matching a search box, best first (a code prefix, or
    words with the administrators' synonyms expanded: see `clinical.icd10.code_search`)."""
    return code_search(query, limit).codes


# --- Encounters -----------------------------------------------------------------------------


def encounter_list_for_patient(patient):
    """Return the patient's encounters, newest first, with the doctor (and what their
    references name: the patient, the appointment and its type)."""
    return encounter_list().filter(patient=patient).order_by("-started_at", "-created_at")


def encounter_list_for_user(user, now=None):
    """Return the encounters of the patients whose chart `user` may open now (care team
    or break-the-glass)."""
    if not user.is_authenticated or not user.has_perm("clinical.view_encounter"):
        return Encounter.objects.none()
    return encounter_list().filter(patient__in=patients_on_care_team_of(user, now=now))


def encounter_list():
    """Return all encounters with their patient, doctor and appointment, for the pages
    and endpoints of one encounter. The caller looks its patient up through
    `patients.selectors.patient_get` (out of scope: 404) and checks chart access, which
    logs the read."""
    return Encounter.objects.select_related("patient", "doctor", "appointment__appointment_type")


def appointment_list():
    """Return all appointments with their patient, doctor and type, for starting an
    appointment's encounter (the caller looks its patient up through `patient_get` and
    checks chart access)."""
    return Appointment.objects.select_related("patient", "doctor", "appointment_type")


def open_encounters(patient):
    """Return the patient's planned and running encounters, newest first."""
    return encounter_list_for_patient(patient).filter(status__in=Encounter.OPEN_STATUSES)


def open_encounter_of(patient, pk):
    """Return the planned or running encounter `pk` of `patient` (an id from a query
    string), or None if there is none (or `pk` is not an id)."""
    if not pk:
        return None
    try:
        return open_encounters(patient).filter(pk=pk).first()
    except ValidationError:
        return None


def open_admission_of(patient):
    """Return the patient's open admission (not yet discharged), or None. Reached
    through the relation: clinical does not import the inpatient app, which records its
    discharge summaries through clinical's services."""
    return patient.admissions.open().first()


def encounter_vital_signs(encounter):
    """Return the vital signs taken in `encounter`, newest first."""
    return encounter.vital_signs.select_related("recorded_by").order_by("-recorded_at")


def encounter_diagnoses(encounter):
    """Return the diagnoses of `encounter` (not those entered in error), the primary
    one first."""
    return (
        encounter.diagnoses.filter(entered_in_error=False)
        .select_related("code")
        .order_by("-is_primary", "created_at")
    )


# --- Vital signs ----------------------------------------------------------------------------


def vital_signs_for_patient(patient):
    """Return the patient's vital signs, newest first."""
    return (
        VitalSigns.objects.filter(patient=patient)
        .select_related("recorded_by", "patient", "encounter")
        .order_by("-recorded_at", "-created_at")
    )


def vital_signs_latest(patient):
    """Return the patient's latest set of vital signs, or None."""
    return vital_signs_for_patient(patient).first()


def vital_signs_series(patient, limit=200):
    """Return the latest `limit` sets of vital signs, oldest first (for trend charts)."""
    latest = list(
        VitalSigns.objects.filter(patient=patient).order_by("-recorded_at", "-created_at")[:limit]
    )
    latest.reverse()
    return latest


# --- Notes ----------------------------------------------------------------------------------


def _visible_notes(user):
    # Signed notes are the record; an unsigned draft is its author's work in progress.
    return Q(status=NoteStatus.SIGNED) | Q(author=user)


def note_list_for_patient(patient, user, *, include_entered_in_error=False, addenda=True):
    """Return the notes of `patient` that `user` may read, newest first: signed notes
    and the user's own drafts; notes entered in error only when asked. Top-level notes
    only (addenda prefetched as `visible_addenda`) unless `addenda` is False, which
    lists addenda too, flat."""
    notes = ClinicalNote.objects.filter(_visible_notes(user), patient=patient)
    if not include_entered_in_error:
        notes = notes.filter(entered_in_error=False)
    notes = notes.select_related("patient", "author", "signed_by", "encounter", "amends")
    if not addenda:
        return notes.order_by("-created_at")
    addenda_qs = ClinicalNote.objects.filter(_visible_notes(user)).select_related(
        "author", "signed_by"
    )
    if not include_entered_in_error:
        addenda_qs = addenda_qs.filter(entered_in_error=False)
    return (
        notes.filter(amends__isnull=True)
        .prefetch_related(
            Prefetch(
                "addenda", queryset=addenda_qs.order_by("created_at"), to_attr="visible_addenda"
            )
        )
        .order_by("-created_at")
    )


def note_list_for_user(user):
    """Return the notes `user` may read (signed ones and their own drafts) with their
    patient, author, signer, encounter and the note they amend, for the pages and
    endpoints of one note. The caller checks chart access to its patient."""
    return ClinicalNote.objects.filter(_visible_notes(user)).select_related(
        "patient", "author", "signed_by", "encounter", "amends", "entered_in_error_by"
    )


def note_editable_by(note, user):
    """Return True if `user` may change `note`: a draft not entered in error, on which
    they hold the object permission `change_clinicalnote` (its author)."""
    return (
        note.status == NoteStatus.DRAFT
        and not note.entered_in_error
        and user_has_object_permission(
            user, "clinical.change_clinicalnote", note, accept_global_perms=False
        )
    )


def discharge_summary_of(admission):
    """Return the discharge-summary note of `admission` (author, signer and the number
    of addenda loaded), or None. Callers check chart access first."""
    return (
        ClinicalNote.objects.filter(
            admission=admission, note_type=NoteType.DISCHARGE_SUMMARY, amends__isnull=True
        )
        .select_related("author", "signed_by")
        .annotate(addendum_count=Count("addenda"))
        .order_by("entered_in_error", "-created_at")
        .first()
    )


def note_addenda(note, user):
    """Return the addenda of `note` that `user` may read, oldest first."""
    return (
        ClinicalNote.objects.filter(_visible_notes(user), amends=note)
        .select_related("author", "signed_by", "entered_in_error_by")
        .order_by("created_at")
    )


# --- Conditions -----------------------------------------------------------------------------


def condition_list_for_patient(patient, *, include_entered_in_error=False):
    """Return the patient's conditions (problems and encounter diagnoses) with their
    codes, encounters and problems: active first, then by onset. Duplicate problems
    merged into another are left out (their survivor stands for them)."""
    conditions = Condition.objects.filter(patient=patient, merged_into__isnull=True).select_related(
        "code", "encounter", "problem"
    )
    if not include_entered_in_error:
        conditions = conditions.filter(entered_in_error=False)
    return conditions.order_by("clinical_status", "-onset", "-created_at")


def problems_for_patient(patient, *, include_entered_in_error=False):
    """Return the patient's problem list, every status (active first, then by onset),
    each problem with its encounter diagnoses as `visible_diagnoses` (newest first, one
    query for the page) and the number of duplicates merged into it (`merged_count`;
    their rows and history are kept, see migration 0014)."""
    diagnoses = (
        Condition.objects.filter(entered_in_error=False)
        .select_related("encounter")
        .order_by("-created_at")
    )
    return (
        condition_list_for_patient(patient, include_entered_in_error=include_entered_in_error)
        .filter(category=ConditionCategory.PROBLEM_LIST_ITEM)
        .annotate(merged_count=Count("merged_duplicates"))
        .prefetch_related(
            Prefetch("encounter_diagnoses", queryset=diagnoses, to_attr="visible_diagnoses")
        )
    )


def problem_list(patient):
    """Return the active problem list: the active problems (one per condition), latest
    onset first. Encounter diagnoses belong to their encounters and to their problem."""
    return (
        condition_list_for_patient(patient)
        .filter(clinical_status=ClinicalStatus.ACTIVE, category=ConditionCategory.PROBLEM_LIST_ITEM)
        .order_by("-onset", "-created_at")
    )


def problem_of(patient, code):
    """Return the patient's problem of ICD-10-CM `code` (a DiagnosisCode or its code),
    whatever its status, or None (entries entered in error or merged do not count)."""
    return Condition.objects.filter(
        patient=patient,
        code=code,
        category=ConditionCategory.PROBLEM_LIST_ITEM,
        entered_in_error=False,
        merged_into__isnull=True,
    ).first()


def diagnoses_not_on_problem_list(patient):
    """Return the patient's encounter diagnoses that no problem stands for, newest
    first (a diagnosis the doctor did not add to the problem list)."""
    return (
        condition_list_for_patient(patient)
        .filter(category=ConditionCategory.ENCOUNTER_DIAGNOSIS)
        .filter(Q(problem__isnull=True) | Q(problem__entered_in_error=True))
        .order_by("-encounter__started_at", "-created_at")
    )


def past_medical_history(patient):
    """Return the past medical history: resolved and inactive problem-list items."""
    return condition_list_for_patient(patient).filter(
        category=ConditionCategory.PROBLEM_LIST_ITEM,
        clinical_status__in=[ClinicalStatus.RESOLVED, ClinicalStatus.INACTIVE],
    )


def condition_list():
    """Return all conditions with their patient, code and encounter, for the pages of
    one condition (the caller checks chart access to its patient)."""
    return Condition.objects.select_related("patient", "code", "encounter", "problem")


# --- Allergies ------------------------------------------------------------------------------

NOT_ASKED = "not_asked"
_SEVERITY_RANK = Case(
    When(severity="life_threatening", then=Value(0)),
    When(severity="severe", then=Value(1)),
    When(severity="moderate", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
NO_KNOWN_ALLERGIES = "no_known_allergies"
HAS_ALLERGIES = "has_allergies"


def allergy_list_for_patient(patient, *, include_entered_in_error=False):
    """Return the patient's allergies: active first, most severe first."""
    allergies = Allergy.objects.filter(patient=patient).select_related("recorded_by")
    if not include_entered_in_error:
        allergies = allergies.exclude(status=AllergyClinicalStatus.ENTERED_IN_ERROR)
    return allergies.order_by("status", _SEVERITY_RANK, "allergen")


def active_allergies(patient):
    """Return the patient's active allergies, severe ones first."""
    return list(
        Allergy.objects.filter(patient=patient, status=AllergyClinicalStatus.ACTIVE).order_by(
            _SEVERITY_RANK, "allergen"
        )
    )


def allergy_state(patient, active=None):
    """Return the allergy assessment: HAS_ALLERGIES when active allergies are listed,
    NO_KNOWN_ALLERGIES when recorded so, else NOT_ASKED. `active` (the active
    allergies, if the caller has them) saves a query."""
    if active is None:
        active = Allergy.objects.filter(
            patient=patient, status=AllergyClinicalStatus.ACTIVE
        ).exists()
    if active:
        return HAS_ALLERGIES
    status = AllergyStatus.objects.filter(patient=patient).first()
    if status is not None and status.no_known_allergies:
        return NO_KNOWN_ALLERGIES
    return NOT_ASKED


def allergy_status_get(patient):
    """Return the patient's AllergyStatus row, or None (not yet asked)."""
    return AllergyStatus.objects.filter(patient=patient).select_related("assessed_by").first()


def allergy_list():
    """Return all allergies with their patient, for the pages of one allergy (the
    caller checks chart access to its patient)."""
    return Allergy.objects.select_related("patient")


# --- History --------------------------------------------------------------------------------


def surgical_history_for_patient(patient):
    """Return the patient's past procedures (not those entered in error), newest first."""
    return SurgicalHistory.objects.filter(patient=patient, entered_in_error=False)


def family_history_for_patient(patient):
    """Return the patient's family history (not entries entered in error)."""
    return FamilyHistory.objects.filter(patient=patient, entered_in_error=False)


def social_history_get(patient):
    """Return the patient's social history, or None if none was recorded."""
    return SocialHistory.objects.filter(patient=patient).select_related("updated_by").first()


def history_record_list(model):
    """Return all surgical (or family, `model`) history entries with their patient, for
    the pages of one entry (the caller checks chart access to its patient)."""
    return model.objects.select_related("patient")
