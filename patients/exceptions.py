"""Domain errors of the patient record."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import Conflict, DomainError, DomainPermissionDenied, FieldDomainError


class PossibleDuplicatePatient(Conflict):
    """The new record looks like one that exists; registering it needs confirmation."""

    default_message = _(
        "This patient may already be registered. Check the candidates, then confirm."
    )
    default_code = "possible_duplicate"

    def __init__(self, candidates, message=None):
        super().__init__(message)
        self.candidates = candidates


class IdentifierInUse(Conflict):
    """An identifier value already belongs to another patient."""

    default_message = _("This identifier already belongs to another patient.")
    default_code = "identifier_in_use"


class PatientInactive(Conflict):
    """The action needs an active patient record."""

    default_message = _("This patient record is inactive.")
    default_code = "patient_inactive"


class ChartAccessDenied(DomainPermissionDenied):
    """A clinician outside the care team asked for clinical content."""

    def __init__(self, message=None):
        super().__init__(
            message
            or _(
                "You are not on this patient's care team. In an emergency you can break "
                "the glass: state a reason to get time-limited access, which is logged and "
                "reviewed."
            )
        )


class BreakGlassNotNeeded(Conflict):
    """The user already has access to the chart."""

    default_message = _("You already have access to this chart.")
    default_code = "break_glass_not_needed"


class MergeNotAllowed(DomainError):
    """The two records cannot be merged (same record, inactive survivor…)."""

    default_message = _("These records cannot be merged.")
    default_code = "merge_not_allowed"


class BreakGlassReasonRequired(FieldDomainError):
    """Breaking the glass for "other" needs the reason described in words."""

    field = "details"
    default_message = _("Describe why you need emergency access to this chart.")
    default_code = "reason_required"


class CareTeamSelfAdd(DomainPermissionDenied):
    """A clinician tried to make himself a permanent care-team member."""

    def __init__(self, message=None):
        super().__init__(
            message
            or _(
                "You cannot add yourself to a care team; a member of the team adds you if "
                "you need lasting access."
            )
        )


class CareTeamChangeNotAllowed(DomainPermissionDenied):
    """Someone who may not manage the care team (the role permission and standing access
    to the chart: not break-the-glass, not self-assigned) tried to change it."""

    def __init__(self, message=None):
        super().__init__(message or _("Only members of the care team can change it."))


class CareTeamRoleNotAllowed(DomainError):
    """Only doctors and nurses are members of a care team."""

    default_message = _("Only active doctors and nurses can be on a care team.")
    default_code = "care_team_role_not_allowed"


class UnknownMrn(FieldDomainError):
    """No patient the user may see has this MRN."""

    field = "mrn"
    default_message = _("No patient has this MRN.")
    default_code = "unknown_mrn"


class DeathBeforeBirth(FieldDomainError):
    """A date of death before the patient's date of birth."""

    field = "deceased_on"
    default_message = _("The date of death cannot be before the date of birth.")
    default_code = "death_before_birth"
