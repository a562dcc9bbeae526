"""Turn domain errors into JSON answers with the right status and field errors."""

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ehr.core.exceptions import DomainError, DomainPermissionDenied


def exception_handler(exc, context):
    """Answer DomainError with its status code, Django's ValidationError with 400 and
    field errors, and everything else as DRF does."""
    if isinstance(exc, ValidationError):
        status_code = exc.status_code if isinstance(exc, DomainError) else 400
        if hasattr(exc, "error_dict"):
            detail = {
                field: [str(m) for e in errors for m in e.messages]
                for field, errors in exc.error_dict.items()
            }
            if "__all__" in detail:
                detail["non_field_errors"] = detail.pop("__all__")
        else:
            detail = {
                "detail": " ".join(exc.messages),
                "code": getattr(exc, "code", None) or "invalid",
            }
        return Response(detail, status=status_code)
    if isinstance(exc, DomainPermissionDenied):
        return Response(
            {"detail": str(exc) or "Permission denied."}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
