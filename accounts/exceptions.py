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
