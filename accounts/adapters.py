"""allauth adapters: where each kind of account lands, who may sign up, and how MFA
secrets are stored."""

import base64
import hashlib
import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts import lockout


class AccountAdapter(DefaultAccountAdapter):
    """Send each kind of account to its own home, and keep staff sign-up closed: staff
    accounts are created by administrators."""

    def get_login_redirect_url(self, request):
        """Return the portal home for patients and the staff home for staff."""
        if request.user.is_authenticated and request.user.is_portal_user:
            return reverse("portal:home")
        return reverse("core:home")

    def get_logout_redirect_url(self, request):
        """Return the sign-in page of the surface the user came from."""
        if request.session.get("ehr_account_kind") == "patient":
            return reverse("portal:login")
        return reverse("account_login")

    def is_open_for_signup(self, request):
        """Return False: accounts are provisioned by the hospital."""
        return False

    def is_reauthentication_required(self, *, app, **kwargs):
        """Return False while the user's own sign-in (password or second factor) is as
        recent as a reauthentication would be (ACCOUNT_REAUTHENTICATION_TIMEOUT): an
        administrator who has just typed the password is sent to enrol the required
        authenticator, and must not be asked for the password again there."""
        request = context.request
        if request is not None and signed_in_recently(request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    # Failed sign-ins follow `accounts.lockout` (a growing lock per account, a limit per
    # address and account) instead of allauth's fixed window, on the page and the API.

    def pre_authenticate(self, request, **credentials):
        """Refuse a sign-in while the account (or this address for it) is locked."""
        if lockout.retry_after(request, credentials.get("email", "")):
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request, **credentials):
        """Authenticate, counting a failure against the account or clearing its count."""
        user = super().authenticate(request, **credentials)
        if user is not None:
            lockout.record_success(request, credentials.get("email", ""))
        return user

    def authentication_failed(self, request, **credentials):
        """Count the failure (which may lock the account and tell its owner)."""
        lockout.record_failure(request, credentials.get("email", ""))

    def _delete_login_attempts_cached_email(self, request, **credentials):
        """After a password reset (which proves the mailbox), lift the account's lock."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        lockout.record_success(request, credentials.get("email", ""))


def signed_in_recently(request):
    """Return True if the signed-in user proved a password or a second factor in this
    session within ACCOUNT_REAUTHENTICATION_TIMEOUT seconds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    now = time.time()
    return any(
        record.get("method") in ("password", "mfa")
        and now - record.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
        for record in get_authentication_records(request, user)
    )


class MFAAdapter(DefaultMFAAdapter):
    """Encrypt TOTP secrets at rest, and keep administrators from removing the second
    factor their role requires."""

    def _fernet(self):
        key = settings.MFA_ENCRYPTION_KEY
        if key:
            try:
                return Fernet(key)
            except ValueError as exc:
                raise ImproperlyConfigured("MFA_ENCRYPTION_KEY is not a Fernet key.") from exc
        digest = hashlib.sha256(f"mfa:{settings.SECRET_KEY}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, text):
        """Return `text` encrypted with the site's MFA key."""
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text):
        """Return the plain text of a secret stored by `encrypt`."""
        try:
            return self._fernet().decrypt(encrypted_text.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "A stored MFA secret cannot be decrypted: was SECRET_KEY or "
                "MFA_ENCRYPTION_KEY changed?"
            ) from exc

    def can_delete_authenticator(self, authenticator):
        """Return False for the TOTP authenticator of a user whose role requires MFA."""
        if authenticator.type == authenticator.Type.TOTP and authenticator.user.requires_mfa:
            return False
        return super().can_delete_authenticator(authenticator)
