"""Request-wide safety rules: no NUL bytes in input, session timeouts, required MFA, and
no caching of authenticated pages."""

import re
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
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


NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The JSON escape of NUL, \u0000, not itself escaped: an even run of backslashes (each
# pair one literal backslash) before it. "\\u0000" in a body is the text \u0000.
JSON_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _form_data(request):
    if request.method != "POST":
        # Django parses form bodies of POST only; DRF parses those of PUT and PATCH too.
        # Parse them here once, as for POST: Django keeps the result, and DRF takes a
        # multipart body already read from request.POST and request.FILES.
        method, request.method = request.method, "POST"
        try:
            request._load_post_and_files()
        finally:
            request.method = method
    return request.POST, request.FILES


def _is_json(content_type):
    return content_type == "application/json" or content_type.endswith("+json")


def request_has_nul(request):
    """Return whether `request` carries a NUL byte in its path, a query parameter, a form
    field (urlencoded or multipart: names and values, and file names, never the contents
    of files) or a JSON body (a raw NUL or the escape \\u0000, in keys or strings)."""

    def in_fields(fields):
        return any(
            NUL in name or any(NUL in value for value in values) for name, values in fields.lists()
        )

    if NUL in request.path_info or in_fields(request.GET):
        return True
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        fields, files = _form_data(request)
        return in_fields(fields) or any(
            NUL in name or any(NUL in (upload.name or "") for upload in uploads)
            for name, uploads in files.lists()
        )
    if _is_json(content_type):
        # request.body is read once and kept: DRF parses the same bytes afterwards. It
        # refuses (400) a body over DATA_UPLOAD_MAX_MEMORY_SIZE, as Django does for forms.
        body = request.body
        return b"\x00" in body or JSON_NUL_ESCAPE.search(body) is not None
    return False


class RefuseNulBytesMiddleware:
    """Refuse (400) any request with a NUL byte in a query parameter, a form field or a
    JSON string, before a view, form or serializer sees it.

    No field of the site takes one, and PostgreSQL cannot store NUL in text: a form or
    an API write carrying one would fail in the database with a server error. Checked
    here, once for every input, rather than field by field. Files uploaded in a
    multipart body may hold NUL bytes: only the fields beside them are checked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request_has_nul(request):
            # Answered by the 400 handler: JSON under /api/, the 400 page elsewhere.
            raise BadRequest("NUL byte in the request.")
        return self.get_response(request)


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
        if now - last > idle_limit or now - started > settings.SESSION_COOKIE_AGE:
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
