"""What OPTIONS answers on an API endpoint."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class EndpointMetadata(SimpleMetadata):
    """Describe an endpoint: its name, description, media types, and the fields of the
    writes (POST, PUT) the user's role permits.

    Unlike DRF's SimpleMetadata it does not fetch the object of the address to check the
    object permission of PUT: views whose object is not a queryset's row (a patient's
    allergy status) would fail, and reading a chart's part is logged as a chart read. The
    role gate is enough to say which fields a write takes; the write itself checks the
    object.
    """

    def determine_actions(self, request, view):
        """Return the serializer fields of each write the role permits, by method."""
        actions = {}
        action = getattr(view, "action", None)
        action_map = getattr(view, "action_map", None) or {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            # A viewset's OPTIONS runs as the "metadata" action; the write is checked as
            # the action its method maps to (`required_permissions` are keyed by action).
            if action is not None:
                view.action = action_map.get(method.lower(), action)
            try:
                view.check_permissions(view.request)
            except (exceptions.APIException, PermissionDenied, Http404):
                continue
            else:
                actions[method] = self.get_serializer_info(view.get_serializer())
            finally:
                view.request = request
                if action is not None:
                    view.action = action
        return actions
