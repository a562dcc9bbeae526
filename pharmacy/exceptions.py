"""Domain errors of the pharmacy app."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import Conflict, DomainError, DomainPermissionDenied, FieldDomainError


class ReasonRequired(FieldDomainError):
    """Discontinuing or voiding a medication line needs a reason."""

    field = "reason"
    default_message = _("Give a reason.")
    default_code = "reason_required"


class MedicationAlertBlocked(Conflict):
    """A contraindicated or major alert stops prescribing until the prescriber
    overrides it with a reason; `alerts` lists every alert found."""

    default_message = _(
        "A medication alert stops this prescription: review the alerts, change the "
        "order or override with a reason."
    )
    default_code = "medication_alert"

    def __init__(self, alerts, message=None):
        super().__init__(message)
        self.alerts = alerts


class _Denied(DomainPermissionDenied):
    default_message = ""

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class OverrideNotAllowed(_Denied):
    """The user may not override a blocking medication alert."""

    default_message = _("You may not override a blocking medication alert.")


class NotAPrescriber(_Denied):
    """The user may not prescribe."""

    default_message = _("Only prescribers may write prescriptions.")


class PrescriptionSigned(Conflict):
    """A signed prescription does not change."""

    default_message = _("This prescription is signed and can no longer be changed.")
    default_code = "prescription_signed"


class NotTheSigner(_Denied):
    """Only its prescriber signs a prescription."""

    default_message = _("Only the prescriber may sign this prescription.")


class EmptyPrescription(DomainError):
    """A prescription needs at least one line."""

    default_message = _("Add at least one medication.")
    default_code = "empty_prescription"
