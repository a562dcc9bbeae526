"""Request-wide safety rules: session timeouts, required MFA, and no caching of
authenticated pages."""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from ehr.core import parameters

# A request carrying this header (htmx polling, e.g. the bed board refreshing itself) does
# not count as activity: a screen left open must still time out.
BACKGROUND_HEADER = "HTTP_X_EHR_BACKGROUND"
# Write the last-activity time at most this often, to spare a session write per request.
ACTIVITY_RESOLUTION_SECONDS = 30
ABSOLUTE_SESSION_SECONDS = 12 * 60 * 60


def account_kind(request):
    """Return "patient" or "staff" for the signed-in user, cached in the session."""
    kind = request.session.get("ehr_account_kind")
    if kind is None:
        kind = "patient" if request.user.is_portal_user else "staff"
        request.session["ehr_account_kind"] = kind
    return kind


class SessionTimeoutMiddleware:
    """Sign out sessions idle for longer than the staff or portal idle-timeout parameter,
    and every session 12 hours after sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return expired
        return self.get_response(request)

    def _expired(self, request):
        session = request.session
        now = int(time.time())
        kind = account_kind(request)
        minutes = parameters.get(
            "portal_idle_timeout" if kind == "patient" else "staff_idle_timeout"
        )
        idle_limit = minutes * 60
        last = session.get("ehr_last_activity", now)
        started = session.setdefault("ehr_signed_in_at", now)
        if now - last > idle_limit or now - started > ABSOLUTE_SESSION_SECONDS:
            login_url = reverse("portal:login" if kind == "patient" else "account_login")
            logout(request)
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": minutes},
            )
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login_url
                return response
            if request.path.startswith("/api/"):
                return HttpResponse(status=401)
            return redirect(f"{login_url}?next={request.path}")
        if BACKGROUND_HEADER not in request.META and (
            now - last >= ACTIVITY_RESOLUTION_SECONDS or "ehr_last_activity" not in session
        ):
            session["ehr_last_activity"] = now
            session.set_expiry(idle_limit)
        return None


class RequireMFAMiddleware:
    """Send users whose role requires MFA (administrators) to set up an authenticator
    before they can use anything but the MFA pages and sign-out."""

    ALLOWED_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/reauthenticate/",
        "/static/",
        "/health/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.session.get("ehr_mfa_ok")
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if request.user.requires_mfa and not is_mfa_enabled(request.user):
                messages.warning(
                    request,
                    _(
                        "Your role requires two-factor authentication. Set up an "
                        "authenticator app to continue."
                    ),
                )
                if request.path.startswith("/api/"):
                    return HttpResponse(status=403)
                return redirect("mfa_activate_totp")
            request.session["ehr_mfa_ok"] = True
        return self.get_response(request)


class NoStoreForAuthenticatedMiddleware:
    """Forbid browsers and proxies to store any response given to a signed-in user or an
    API client: these pages hold patient data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            add_never_cache_headers(response)
            patch_vary_headers(response, ("Cookie", "Authorization"))
        return response
