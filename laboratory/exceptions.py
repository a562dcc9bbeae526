"""Domain errors of the laboratory."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import Conflict, FieldDomainError


class ReasonRequired(FieldDomainError):
    """A cancellation or rejection without its reason."""

    field = "reason"
    default_message = _("Give the reason.")
    default_code = "reason_required"


class NoTests(FieldDomainError):
    """An order without a test."""

    field = "tests"
    default_message = _("Choose at least one active test.")
    default_code = "no_tests"


class InvalidResultValue(FieldDomainError):
    """A value the test cannot have (text in a numeric test, a negative count)."""

    field = "value"
    default_message = _("This is not a possible value for this test.")
    default_code = "invalid_value"


class SameUser(Conflict):
    """The verifier entered the result: a second person must verify it."""

    default_message = _("A result is verified by someone other than the person who entered it.")
    default_code = "same_user"


class AccessionNotFound(FieldDomainError):
    """No specimen awaiting receipt has this accession number."""

    field = "accession_number"
    default_message = _("No collected specimen has this accession number.")
    default_code = "accession_not_found"


class AlertAlreadyAcknowledged(Conflict):
    """The critical alert was acknowledged already."""

    default_message = _("This alert has been acknowledged already.")
    default_code = "already_acknowledged"


class NotCorrectable(Conflict):
    """Only a final (verified) result is corrected."""

    default_message = _("Only a verified result can be corrected.")
    default_code = "not_correctable"


class ReportRequired(FieldDomainError):
    """A report is signed with its text."""

    field = "report"
    default_message = _("Write the report before signing it.")
    default_code = "report_required"
