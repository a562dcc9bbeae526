"""API permission classes: the same two gates as the UI, deny by default."""

from rest_framework.permissions import DjangoObjectPermissions, IsAuthenticated


def is_staff_options_request(request):
    """Return whether `request` is an OPTIONS request by a signed-in, active staff user.

    Such a request passes the role gate of every endpoint (200, never 403 or 500): its
    answer describes the endpoint, as the schema staff can read already does, and lists
    only the writes the user's role permits (`ehr.core.api.metadata.EndpointMetadata`).
    Portal patients and anonymous clients stay denied.
    """
    user = request.user
    return (
        request.method == "OPTIONS"
        and user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_hospital_staff
    )


class RolePermission(DjangoObjectPermissions):
    """The one role gate of the API: the permissions the request needs, deny by default.

    What a request needs is, in order:
    1. the view's `get_required_permissions(request)`, when a rule depends on the request
       (a status change that only checks a patient in needs less than other changes);
    2. the view's `required_permissions`, a dict keyed by viewset action (`"list"`,
       `"retrieve"`, `"create"`, `"partial_update"`, an `@action` name…) or, on a plain
       APIView, by HTTP method (`"GET"`, `"POST"`…): an action or method it does not
       list is refused (HEAD counts as GET);
    3. otherwise `perms_map`: Django's model permissions of the view's queryset model
       for the method, reads included.

    Signed-in staff always pass an OPTIONS request (`is_staff_options_request`). Objects
    are looked up through the app's selector (out of scope: 404), so the object gate
    needs nothing beyond the role's permissions. Chart access to a patient is not a
    role: views check it with `patients.access.require_chart_access`, which logs the
    read.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def required(self, request, view):
        """Return the permissions `request` needs on `view`, or None to refuse it."""
        if hasattr(view, "get_required_permissions"):
            return view.get_required_permissions(request)
        declared = getattr(view, "required_permissions", None)
        if declared is not None:
            method = "GET" if request.method == "HEAD" else request.method
            key = getattr(view, "action", None) or method
            return declared.get(key, declared.get(method))
        return self.get_required_permissions(request.method, self._queryset(view).model)

    def has_permission(self, request, view):
        if is_staff_options_request(request):
            return True
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        required = self.required(request, view)
        return required is not None and user.has_perms(required)

    def has_object_permission(self, request, view, obj):
        # The object came through the app's selector (out of scope: 404), and the role
        # gate above already required these permissions role-wide: the object gate only
        # re-reads them for the request's action (an @action may declare more).
        required = self.required(request, view)
        return required is not None and request.user.has_perms(required)


class IsSignedIn(IsAuthenticated):
    """Allow any signed-in, active user: for endpoints about the user themselves (their
    profile, their notifications), whose querysets are already limited to them."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_active


class IsHospitalStaff(IsSignedIn):
    """Allow signed-in staff accounts only (not portal patients)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_hospital_staff
