"""Security headers and cookie settings on every response."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def csp_directives(response):
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_csp_forbids_inline_scripts_framing_and_foreign_origins(client):
    response = client.get("/accounts/login/")
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert any(v.startswith("'nonce-") for v in directives["script-src"])
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_standard_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_authenticated_pages_are_never_stored(signed_in, doctor):
    response = signed_in(doctor).get(reverse("core:home"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_session_and_csrf_cookies_are_httponly_and_samesite():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def _production_env(**extra):
    # The test run's own switches (async-unsafe for Playwright) are not production's.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="ehr.settings.production",
        SECRET_KEY="k3J9-production-like-secret-" + "x7Qp2LmZ" * 6,
        ALLOWED_HOSTS="ehr.example.org",
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_force_https_hsts_and_secure_cookies():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_NAME.startswith('__Host-'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["True"] * 6, result.stderr
