from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth import models as auth_models
        from django.contrib.auth.signals import user_logged_in

        from accounts.demo import seed_accounts
        from ehr.core import demo

        post_migrate.connect(_sync_roles_after_migrate)
        # A sign-in updates last_login, which history excludes: skip the empty history
        # row it would write on every sign-in.
        user_logged_in.disconnect(auth_models.update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_update_last_login, dispatch_uid="ehr_update_last_login")
        # A new, removed or regenerated second factor revokes the user's API tokens.
        for name in ("authenticator_added", "authenticator_removed", "authenticator_reset"):
            getattr(mfa_signals, name).connect(
                _revoke_tokens_on_mfa_change, dispatch_uid=f"ehr_revoke_tokens_on_{name}"
            )
        demo.register(demo.Seeder("accounts", "Staff and portal accounts", seed_accounts, 20))


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    # post_migrate fires once per app; the last app's signal comes after every app's
    # permissions exist, so the roles can be applied completely then.
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender is last:
        from accounts.services import roles_sync

        roles_sync()


def _update_last_login(sender, user, **kwargs):
    from django.contrib.auth.models import update_last_login

    user.skip_history_when_saving = True
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving


def _revoke_tokens_on_mfa_change(sender, user, **kwargs):
    user.revoke_tokens()
