from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Patient portal"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from ehr.core import dashboard, navigation

        navigation.register(
            navigation.NavItem(
                "portal_home", _("Home"), "portal:home", icon="house", order=0, surface="portal"
            )
        )
        navigation.register(
            navigation.NavItem(
                "portal_profile",
                _("Profile"),
                "accounts:profile",
                icon="person",
                order=900,
                surface="portal",
            )
        )
        dashboard.register(
            dashboard.Panel(
                "portal_account",
                _("Your account"),
                "portal/panels/account.html",
                surface="portal",
                order=900,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "portal_notifications",
                _("Messages from the hospital"),
                "core/panels/notifications.html",
                surface="portal",
                order=10,
                context=_notifications,
            )
        )


def _notifications(request):
    from ehr.core.selectors import notification_list_for_user

    return {"recent": list(notification_list_for_user(request.user)[:5])}
