"""The Django admin, behind the staff sign-in.

There is no second login form: the admin's login view sends users to allauth's staff
sign-in (with its rate limits and MFA), and only the Administrator role (or an operator
superuser) may enter.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class EhrAdminSite(admin.AdminSite):
    """The admin site: master data, users, roles and system parameters."""

    site_header = _("Hospital EHR administration")
    site_title = _("EHR admin")
    index_title = _("Master data, users and parameters")

    def login(self, request, extra_context=None):
        """Send unauthenticated users to the staff sign-in; refuse non-administrators."""
        from allauth.account.decorators import secure_admin_login

        return secure_admin_login(super().login)(request, extra_context)


class EhrAdminConfig(AdminConfig):
    default_site = "ehr.core.admin_site.EhrAdminSite"
