"""The two permission gates every protected view declares.

1. The role gate: a model permission held through a role (Group), e.g.
   `patients.view_patient`. `RolePermissionRequiredMixin` answers 403 without it.
2. The object gate: a permission on the one object (django-guardian), e.g. being on a
   patient's care team. `ObjectPermissionRequiredMixin` answers 404 without it, so a
   record outside one's scope is indistinguishable from one that does not exist.

Each view states `accept_global_perms` explicitly: with True a role-wide permission
stands in for the object permission (administrative lists); with False only an object
grant counts (clinical charts).
"""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404


class RolePermissionRequiredMixin(PermissionRequiredMixin):
    """Require every permission in `permission_required` (a role's model permissions).

    Signed-in users without it get 403; anonymous users are sent to sign in.
    """

    raise_exception = True

    def has_permission(self):
        """Return True when the user is signed in and holds every required permission."""
        user = self.request.user
        return user.is_authenticated and super().has_permission()


class ObjectPermissionRequiredMixin:
    """Require `object_permission` on the object returned by `get_object()`.

    Declare `object_permission` ("app.codename") and `accept_global_perms` on the view.
    """

    object_permission = None
    accept_global_perms = None

    def get_object(self, queryset=None):
        """Return the object if the user holds the object permission on it, else 404."""
        if self.object_permission is None or self.accept_global_perms is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} must set object_permission and accept_global_perms."
            )
        obj = super().get_object(queryset)
        if not user_has_object_permission(
            self.request.user,
            self.object_permission,
            obj,
            accept_global_perms=self.accept_global_perms,
        ):
            raise Http404
        return obj


def user_has_object_permission(user, perm, obj, *, accept_global_perms):
    """Return True if `user` holds `perm` on `obj` (or globally, when accepted)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if accept_global_perms and user.has_perm(perm):
        return True
    from guardian.core import ObjectPermissionChecker

    codename = perm.split(".", 1)[-1]
    return ObjectPermissionChecker(user).has_perm(codename, obj)
