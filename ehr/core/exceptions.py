"""Domain errors. Every rule a service enforces fails with a subclass of these, named for
the condition (`DoctorDoubleBooked`, `BedOccupied`), so forms show it as a form error and
the API answers with its `status_code`."""

from django.core.exceptions import PermissionDenied, ValidationError


class DomainError(ValidationError):
    """A request that breaks a domain rule. Forms: `form.add_error(None, exc)`; API: 400."""

    status_code = 400
    default_message = "The request breaks a rule of the record."
    default_code = "invalid"

    def __init__(self, message=None, code=None, params=None):
        super().__init__(message or self.default_message, code or self.default_code, params)


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
