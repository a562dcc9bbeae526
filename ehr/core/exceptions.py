"""Domain errors. Every rule a service enforces fails with a subclass of these, named for
the condition (`DoctorDoubleBooked`, `BedOccupied`), so forms show it as a form error and
the API answers with its `status_code`."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _


class DomainError(ValidationError):
    """A request that breaks a domain rule. Forms: `form.add_error(None, exc)`; API: 400."""

    status_code = 400
    default_message = "The request breaks a rule of the record."
    default_code = "invalid"

    def __init__(self, message=None, code=None, params=None):
        super().__init__(message or self.default_message, code or self.default_code, params)


class FieldDomainError(DomainError):
    """A rule broken by one field's value: carries a field error (`error_dict`), so a
    form shows it under the field (`ServiceFormView`) and the API answers
    {"<field>": ["…"]}. Subclasses name their `field`; `field=` overrides it per raise."""

    field = "__all__"

    def __init__(self, message=None, code=None, params=None, *, field=None):
        self.field = field or self.field
        ValidationError.__init__(
            self,
            {
                self.field: [
                    ValidationError(
                        message or self.default_message, code or self.default_code, params
                    )
                ]
            },
        )


class TimeInFuture(FieldDomainError):
    """A time or date that has not come yet, beyond the clock tolerance
    (`ehr.core.clock.ensure_not_in_future`); `field` says which."""

    default_message = _("This cannot be in the future.")
    default_code = "future"


class Conflict(DomainError):
    """A request that conflicts with the current state of a record (API: 409)."""

    status_code = 409
    default_message = "The record changed or is in a state that does not allow this."
    default_code = "conflict"


class InvalidTransition(Conflict):
    """A state change that the record's transition table does not allow."""

    default_message = "This change of state is not allowed."
    default_code = "invalid_transition"


class DomainPermissionDenied(PermissionDenied):
    """An action the acting user is not allowed to take on this record (API: 403)."""

    status_code = 403
