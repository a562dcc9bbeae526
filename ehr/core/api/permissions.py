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
    """Require the role's model permission for the request's method, reads included, and
    the object permission on objects.

    This is the default for every API view, so a view that declares nothing denies
    everything it cannot map to a model. Object lookups already go through the app's
    selector (out-of-scope objects are 404), so the object gate here accepts a role-wide
    permission as well as an object grant.
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

    def has_permission(self, request, view):
        return is_staff_options_request(request) or super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        model_cls = view.get_queryset().model
        perms = self.get_required_object_permissions(request.method, model_cls)
        return request.user.has_perms(perms) or request.user.has_perms(perms, obj)


class IsSignedIn(IsAuthenticated):
    """Allow any signed-in, active user: for endpoints about the user themselves (their
    profile, their notifications), whose querysets are already limited to them."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_active


class IsHospitalStaff(IsSignedIn):
    """Allow signed-in staff accounts only (not portal patients)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_hospital_staff
