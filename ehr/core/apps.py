from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ehr.core"
    label = "core"
    verbose_name = _("Hospital and system")
    api_module = "ehr.core.api.views"  # its endpoints (notifications), for ehr/api.py

    def ready(self):
        from ehr.core import (
            clock,
            dashboard,
            demo,
            jobs,
            navigation,
            parameters,
            schedule,
            selectors,
            user_access,
        )

        post_migrate.connect(_ensure_parameters, sender=self)
        user_access.connect_signals()
        selectors.connect_signals()
        dashboard.connect_signals()
        navigation.register(
            navigation.NavItem("home", _("Home"), "core:home", icon="house", order=0)
        )
        dashboard.register(
            dashboard.Panel(
                "account",
                _("Your account"),
                "core/panels/account.html",
                order=900,
                context=_account_panel,
                cache_seconds=300,
                depends_on=("mfa.authenticator",),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "notifications",
                _("Notifications"),
                "core/panels/notifications.html",
                order=10,
                context=_notifications_panel,
                cache_seconds=30,
                depends_on=("core.notification",),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "administration",
                _("Administration"),
                "core/panels/administration.html",
                # The master data and settings only administrators keep.
                permission="core.change_systemparameter",
                order=5,
                context=_administration_panel,
            )
        )
        schedule.register(
            schedule.Periodic(
                "jobs-prune",
                jobs.jobs_prune,
                minutes=24 * 60,
                description="Delete old finished background jobs",
            )
        )
        demo.register(demo.Seeder("hospital", "Hospital", demo.seed_hospital, order=10))
        del clock, parameters  # imported for their definitions


def _ensure_parameters(**kwargs):
    from ehr.core import parameters

    parameters.ensure_rows()


def _account_panel(request):
    from allauth.mfa.utils import is_mfa_enabled

    return {"mfa_enabled": is_mfa_enabled(request.user)}


def _notifications_panel(request):
    from ehr.core.selectors import notification_list_for_user

    return {"recent": list(notification_list_for_user(request.user)[:5])}


def _administration_panel(request):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    return {
        "user_count": User.objects.filter(is_active=True).count(),
        "role_count": Group.objects.count(),
    }
