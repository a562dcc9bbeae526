from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from accounts.demo import seed_accounts
        from ehr.core import demo

        post_migrate.connect(_sync_roles_after_migrate)
        demo.register(demo.Seeder("accounts", "Staff and portal accounts", seed_accounts, 20))


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    # post_migrate fires once per app; the last app's signal comes after every app's
    # permissions exist, so the roles can be applied completely then.
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender is last:
        from accounts.services import roles_sync

        roles_sync()
