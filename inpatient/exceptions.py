"""Domain errors of inpatient ADT. Conflicts with the current state of a bed or an
admission answer 409 in the API; bad requests 400."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import Conflict, DomainError, FieldDomainError


class BedOccupied(Conflict):
    """The bed already holds a patient."""

    default_message = _("This bed is occupied. Choose another bed.")
    default_code = "bed_occupied"


class BedUnavailable(Conflict):
    """The bed cannot take a patient now (being cleaned or blocked)."""

    default_message = _("This bed is not available (being cleaned or blocked).")
    default_code = "bed_unavailable"


class PatientAlreadyAdmitted(Conflict):
    """The patient already has an open admission."""

    default_message = _("This patient is already admitted. Transfer them instead.")
    default_code = "patient_already_admitted"


class AdmissionClosed(Conflict):
    """The admission was discharged; it can no longer change."""

    default_message = _("This admission has been discharged.")
    default_code = "admission_closed"


class RequestNotPending(Conflict):
    """The admission request was already assigned a bed or cancelled."""

    default_message = _("This request has already been handled.")
    default_code = "request_not_pending"


class RequestAlreadyPending(Conflict):
    """The patient already waits in the queue."""

    default_message = _("This patient already has a pending admission request.")
    default_code = "request_already_pending"


class WardRestricted(DomainError):
    """The ward does not take patients of this sex."""

    default_message = _("This ward does not take patients of this sex.")
    default_code = "ward_restricted"


class SameBed(DomainError):
    """A transfer into the bed the patient already lies in."""

    default_message = _("The patient already lies in this bed.")
    default_code = "same_bed"


class InvalidTime(DomainError):
    """A time before the event it must follow (a future time is
    `ehr.core.exceptions.TimeInFuture`)."""

    default_message = _("This time is not possible.")
    default_code = "invalid_time"


class BlockReasonRequired(DomainError):
    """Blocking a bed needs a reason (maintenance, infection control…)."""

    default_message = _("Say why the bed is blocked.")
    default_code = "reason_required"


class ReservationExpiryRequired(DomainError):
    """Reserving a bed needs an end in the future."""

    default_message = _("Say until when the bed is reserved.")
    default_code = "reserved_until_required"


class TransferReasonRequired(DomainError):
    """A transfer states why."""

    default_message = _("Say why the patient is transferred.")
    default_code = "reason_required"


class DischargeSummaryRequired(DomainError):
    """A completed discharge needs a summary."""

    default_message = _("Write the discharge summary.")
    default_code = "summary_required"


class DischargeNotOrdered(Conflict):
    """Ward staff complete only a discharge a doctor has ordered (and not withdrawn)."""

    default_message = _(
        "No doctor has ordered this discharge. Ask the attending doctor to order it first."
    )
    default_code = "discharge_not_ordered"


class DeathNeedsDoctor(FieldDomainError):
    """A deceased disposition is recorded by a doctor, not by the ward completing an order."""

    field = "disposition"
    default_message = _("A death is recorded by a doctor: ask the attending doctor to complete it.")
    default_code = "deceased_needs_doctor"


class RoomIsolated(Conflict):
    """The bed's room holds a patient in isolation: a shared room takes nobody else."""

    default_message = _(
        "This bed shares its room with a patient in isolation. Choose a bed in another room."
    )
    default_code = "room_isolated"
