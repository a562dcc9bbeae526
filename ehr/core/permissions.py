"""The gates every protected page passes, in order, as they really work.

1. **Role**: a model permission held through a role (Group), e.g.
   `patients.view_patient`, declared on the view as `permission_required`
   (`RolePermissionRequiredMixin`; endpoints: `ehr.core.api.permissions.RolePermission`).
   Without it: 403 (anonymous visitors are sent to sign in).
2. **Scope**: the record of the URL is looked up through its app's one selector
   (`patients.selectors.patient_get`, `<entity>_list_for_user`); a record out of the user's
   scope is 404, indistinguishable from one that does not exist.
3. **Chart access**, for clinical content about a patient: the care team (explicit
   members, care relationships, the ward's nurses), break-the-glass, or a worklist that
   opens the part asked for (`ehr.core.access`). Without it: 403 with the
   break-the-glass form where the role may use it. Every chart read, allowed or
   demographic, is logged with its grant (`patients.access`: `PatientScopeMixin`,
   `ChartPageMixin`, `require_chart_access`).

Object permissions (django-guardian) record the explicit care-team memberships and
break-the-glass grants that gate 3 reads; `user_has_object_permission` asks about one.
"""

from django.contrib.auth.mixins import PermissionRequiredMixin
from guardian.core import ObjectPermissionChecker


class RolePermissionRequiredMixin(PermissionRequiredMixin):
    """Require every permission in `permission_required` (a role's model permissions).

    Signed-in users without it get 403; anonymous users are sent to sign in.
    """

    raise_exception = True

    def has_permission(self):
        """Return True when the user is signed in and holds every required permission."""
        user = self.request.user
        return user.is_authenticated and super().has_permission()


def user_has_object_permission(user, perm, obj, *, accept_global_perms):
    """Return True if `user` holds `perm` on `obj` (or, when `accept_global_perms`, holds
    it role-wide)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if accept_global_perms and user.has_perm(perm):
        return True
    codename = perm.split(".", 1)[-1]
    return ObjectPermissionChecker(user).has_perm(codename, obj)
