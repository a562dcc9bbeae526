"""API tokens that die with what they stand for.

Every token carries two claims besides simplejwt's own:

- `stamp`: a digest of the user's password hash and token generation
  (`User.token_stamp`). A password change or reset changes the hash; an MFA change, a
  reset of two-factor authentication and a deactivation raise the generation
  (`User.revoke_tokens`). Either way every outstanding access and refresh token stops
  working at once, as Django's own sessions do on a password change.
- `auth_time`: when the user signed in with password (and code). A refresh chain never
  outlives the 12-hour absolute session limit (`SESSION_COOKIE_AGE`) counted from it; the
  tokens a refresh hands out expire at that limit at the latest.
"""

import time

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

STAMP_CLAIM = "stamp"
AUTH_TIME_CLAIM = "auth_time"


def tokens_for(user):
    """Return a new access and refresh token for `user`, who has just signed in."""
    refresh = RefreshToken.for_user(user)
    refresh[STAMP_CLAIM] = user.token_stamp()
    refresh[AUTH_TIME_CLAIM] = int(time.time())
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def check_stamp(user, token):
    """Raise AuthenticationFailed unless `token` was issued to `user` as he is now."""
    if token.get(STAMP_CLAIM) != user.token_stamp():
        raise _refused(
            _("This token was revoked (password, two-factor or account change). Sign in again."),
            "token_revoked",
        )


def _refused(message, code):
    # The body names the reason, as simplejwt's own `token_not_valid` answers do.
    return AuthenticationFailed({"detail": message, "code": code}, code=code)


class StampedJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing revoked tokens (one row read, as before)."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        check_stamp(user, validated_token)
        return user


class RefreshSerializer(TokenRefreshSerializer):
    """Rotate a refresh token for an active user whose token is not revoked, within the
    absolute session limit."""

    def validate(self, attrs):
        from accounts.models import User

        refresh = self.token_class(attrs["refresh"])  # verifies signature, expiry, blacklist
        user = User.objects.filter(
            **{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)}
        ).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        check_stamp(user, refresh)
        ends = refresh.get(AUTH_TIME_CLAIM, 0) + settings.SESSION_COOKIE_AGE
        if time.time() >= ends:
            raise _refused(
                _("The session has reached its absolute limit. Sign in again."),
                "session_expired",
            )
        access = refresh.access_token
        access["exp"] = min(access["exp"], ends)
        data = {"access": str(access)}
        # Rotation, as simplejwt does it, with the new token's expiry capped.
        refresh.blacklist()
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh["exp"] = min(refresh["exp"], ends)
        refresh.outstand()
        data["refresh"] = str(refresh)
        return data


class StampedJWTScheme(SimpleJWTScheme):
    """Document StampedJWTAuthentication in the OpenAPI schema as the bearer JWT it is."""

    target_class = "accounts.tokens.StampedJWTAuthentication"
