"""allauth adapters: where each kind of account lands, who may sign up, and how MFA
secrets are stored."""

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse


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
