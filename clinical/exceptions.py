"""Domain errors of clinical documentation."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import (
    Conflict,
    DomainError,
    DomainPermissionDenied,
    FieldDomainError,
)


class UnknownDiagnosisCode(FieldDomainError):
    """The code is not in the ICD-10-CM table."""

    field = "code"
    default_message = _("This is not a known ICD-10-CM code.")
    default_code = "unknown_code"


class PrimaryDiagnosisExists(Conflict):
    """The encounter already has a primary diagnosis."""

    default_message = _("This encounter already has a primary diagnosis.")
    default_code = "primary_diagnosis_exists"


class InvalidEncounter(FieldDomainError):
    """The encounter named belongs to another patient, or no longer takes records."""

    field = "encounter"
    default_message = _("Choose an encounter of this patient.")
    default_code = "invalid_encounter"


class AdmissionClosed(Conflict):
    """A discharged admission takes no new encounter."""

    default_message = _("This admission is closed (the patient was discharged).")
    default_code = "admission_closed"


class EncounterClosed(Conflict):
    """A finished or cancelled encounter cannot be changed."""

    default_message = _("This encounter is closed and cannot be changed.")
    default_code = "encounter_closed"


class NoteAlreadySigned(Conflict):
    """A signed note is immutable: correct it with an addendum."""

    default_message = _(
        "This note is signed and cannot be changed. Add an addendum to correct or complete it."
    )
    default_code = "note_signed"


class NoteNotSigned(Conflict):
    """Only a signed note takes addenda."""

    default_message = _("Only a signed note takes addenda; edit the draft instead.")
    default_code = "note_not_signed"


class NoteContentRequired(FieldDomainError):
    """A note (or addendum) is saved only with content: a SOAP field or free text."""

    field = "text"
    default_message = _("Write the note: the SOAP fields or free text.")
    default_code = "note_empty"


class NoteEmpty(DomainError):
    """A note is signed only with content."""

    default_message = _("Write the note before signing it.")
    default_code = "note_empty"


class NoteEnteredInError(Conflict):
    """A note marked entered in error takes no changes, signatures or addenda."""

    default_message = _("This note was marked entered in error.")
    default_code = "note_entered_in_error"


class NoteEditDenied(DomainPermissionDenied):
    """Only the author edits (and signs) a draft note."""

    def __init__(self, message=None):
        super().__init__(message or _("Only the author of a draft note may change it."))


class NoteSignDenied(DomainPermissionDenied):
    """The user's role may not sign this type of note."""

    def __init__(self, message=None):
        super().__init__(
            message or _("Your role cannot sign this type of note (nurses sign nursing notes).")
        )


class AlreadyEnteredInError(Conflict):
    """The record was already marked entered in error."""

    default_message = _("This record was already marked entered in error.")
    default_code = "already_entered_in_error"


class ReasonRequired(FieldDomainError):
    """Marking a record entered in error (or inactive) needs a reason."""

    field = "reason"
    default_message = _("Say why this record is wrong.")
    default_code = "reason_required"


class ActiveAllergiesRecorded(Conflict):
    """ "No known allergies" cannot be recorded while active allergies are listed."""

    default_message = _(
        "This patient has active allergies; mark them inactive or entered in error before "
        "recording “no known allergies”."
    )
    default_code = "active_allergies"


class AllergyAlreadyRecorded(Conflict):
    """The allergen is already an active allergy of the patient."""

    default_message = _("This allergen is already recorded as an active allergy.")
    default_code = "allergy_exists"


class CancelReasonRequired(FieldDomainError):
    """Cancelling an encounter needs a reason."""

    field = "cancel_reason"
    default_message = _("Say why the encounter is cancelled.")
    default_code = "reason_required"


class AllergyStatusFinal(Conflict):
    """An allergy entered in error stays so; record the allergy anew if it is real."""

    default_message = _("An allergy entered in error cannot be changed; record it anew.")
    default_code = "allergy_entered_in_error"


class AppointmentNotCheckedIn(Conflict):
    """An encounter starts from an appointment whose patient has arrived (checked in)."""

    default_message = _(
        "The patient of this appointment has not been checked in; check them in first."
    )
    default_code = "appointment_not_checked_in"


class NotTheAppointmentDoctor(DomainPermissionDenied):
    """Only the doctor an appointment is booked with starts its encounter."""

    def __init__(self, message=None):
        super().__init__(
            message or _("Only the doctor of this appointment may start its encounter.")
        )


class DischargeSummaryExists(Conflict):
    """An admission has one discharge summary; corrections are its addenda."""

    default_message = _("This admission already has a discharge summary; add an addendum.")
    default_code = "discharge_summary_exists"


class ProblemAlreadyListed(Conflict):
    """The condition is already on the patient's problem list (one problem per
    condition): change that problem instead (its status, to record a recurrence)."""

    default_message = _(
        "This condition is already on the problem list. Change that problem instead "
        "(set it active again for a recurrence)."
    )
    default_code = "problem_already_listed"


class DiagnosisNotResolvable(Conflict):
    """An encounter diagnosis records what was found at that encounter; the condition
    is resolved on its problem."""

    default_message = _(
        "An encounter diagnosis records what was found at that encounter; resolve the "
        "condition on the problem list."
    )
    default_code = "diagnosis_not_resolvable"


class NotAnEncounterDiagnosis(Conflict):
    """Only an encounter diagnosis is added to the problem list (a problem already is)."""

    default_message = _("Only an encounter diagnosis can be added to the problem list.")
    default_code = "not_an_encounter_diagnosis"
