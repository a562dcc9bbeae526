"""Domain errors about users and their roles."""

from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import FieldDomainError


class NotADoctor(FieldDomainError):
    """The user named as a doctor (of an appointment, an encounter, an admission) is not
    an active user with the Doctor role. `field` names the form field (`doctor` unless
    given)."""

    field = "doctor"
    default_message = _("Choose an active doctor.")
    default_code = "not_a_doctor"


class CategoryCannotBeSwitchedOff(FieldDomainError):
    """A member of staff tried to stop email or text messages about a critical category
    (critical results, security): those reach him by every channel he has. `field` names
    the form field."""

    default_message = _("Staff cannot switch off this category.")
    default_code = "category_locked"


class MobileNumberNeeded(FieldDomainError):
    """Text messages were asked for without a mobile number to send them to."""

    field = "mobile_phone"
    default_message = _("Enter a mobile number to get text messages.")
    default_code = "mobile_needed"


class QuietHoursIncomplete(FieldDomainError):
    """Quiet hours need a start and an end that differ."""

    field = "quiet_hours_end"
    default_message = _("Give both ends of the quiet hours, and make them differ.")
    default_code = "quiet_hours"
