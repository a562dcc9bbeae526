"""The first sign-in of an administrator (who must enrol an authenticator app) asks for
the password once: the sign-in itself counts as a fresh authentication for enrolling,
so the activation page does not ask for the password again right away."""

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.urls import reverse

from accounts import roles
from accounts.demo import seed_accounts
from tests.factories.accounts import SafeTOTP

pytestmark = pytest.mark.django_db

STAFF_LOGIN = "/accounts/login/"
REAUTHENTICATE = reverse("account_reauthenticate")


def sign_in(client, email, password):
    """Post the sign-in form and follow every redirect; return the chain's URLs and the
    final response."""
    response = client.post(STAFF_LOGIN, {"login": email, "password": password}, follow=True)
    return [url for url, _status in response.redirect_chain], response


def activate_totp(client, page):
    secret = page.context["form"].secret
    return client.post(reverse("mfa_activate_totp"), {"code": SafeTOTP(secret).now()}, follow=True)


def test_the_demo_administrator_enrols_after_one_password(client):
    seed_accounts(password="Demo-password-2026!")
    chain, page = sign_in(client, "admin@example.org", "Demo-password-2026!")

    assert chain[-1] == reverse("mfa_activate_totp")
    assert not any(url.startswith(REAUTHENTICATE) for url in chain)
    assert page.status_code == 200
    assert page.templates[0].name.startswith("mfa/totp/activate")

    done = activate_totp(client, page)
    assert done.status_code == 200
    assert Authenticator.objects.filter(
        user__email="admin@example.org", type=Authenticator.Type.TOTP
    ).exists()
    assert not any(url.startswith(REAUTHENTICATE) for url, _ in done.redirect_chain)
    assert client.get("/admin/").status_code == 200


def test_a_new_administrator_is_not_asked_for_the_password_twice(client, make_user, password):
    admin = make_user(roles.ADMINISTRATOR)
    chain, page = sign_in(client, admin.email, password)
    assert chain[-1] == reverse("mfa_activate_totp")
    assert REAUTHENTICATE not in "".join(chain)
    assert "password" not in page.context["form"].fields


def test_an_old_sign_in_still_asks_for_the_password_before_enrolling(client, make_user, password):
    """The sign-in counts only while it is recent (ACCOUNT_REAUTHENTICATION_TIMEOUT):
    a session left open asks for the password before a second factor is added."""
    admin = make_user(roles.ADMINISTRATOR)
    sign_in(client, admin.email, password)
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    timeout = getattr(settings, "ACCOUNT_REAUTHENTICATION_TIMEOUT", 300)
    for record in records:
        record["at"] = time.time() - timeout - 1
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE)


def test_a_session_without_a_password_sign_in_is_asked_to_reauthenticate(signed_in, make_user):
    """force_login records no sign-in: nothing vouches for a recent password."""
    admin = make_user(roles.ADMINISTRATOR)
    response = signed_in(admin).get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE)
