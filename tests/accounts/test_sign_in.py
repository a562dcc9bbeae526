"""The two sign-in surfaces, MFA, the admin behind the same login, rate limits and the
idle timeout."""

import time

import pytest
from django.urls import reverse

from accounts import roles
from accounts.auth import PortalLoginForm
from ehr.core.services import system_parameter_set
from portal.views import PortalHomeView, PortalLoginView
from tests.factories.accounts import enrol_totp

STAFF_LOGIN = "/accounts/login/"
PORTAL_LOGIN = "/portal/login/"

pytestmark = pytest.mark.django_db


def post_login(client, url, user, password):
    return client.post(url, {"login": user.email, "password": password})


def test_doctor_signs_in_at_the_staff_page_and_lands_on_the_staff_home(client, doctor, password):
    response = post_login(client, STAFF_LOGIN, doctor, password)
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert "House" in home.content.decode()


def test_staff_sign_in_refuses_a_patient_account_with_a_clear_message(
    client, portal_patient, password
):
    response = post_login(client, STAFF_LOGIN, portal_patient, password)
    assert response.status_code == 200
    assert "Patients sign in at the patient portal" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_patient_signs_in_at_the_portal_and_lands_on_the_portal_home(
    client, portal_patient, password
):
    response = post_login(client, PORTAL_LOGIN, portal_patient, password)
    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_portal_sign_in_refuses_a_staff_account_with_a_clear_message(client, nurse, password):
    response = post_login(client, PORTAL_LOGIN, nurse, password)
    assert response.status_code == 200
    assert "Hospital staff sign in at the staff sign-in page" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_does_not_sign_in(client, doctor):
    response = post_login(client, STAFF_LOGIN, doctor, "Wrong-Passw0rd!")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_patient_is_sent_from_staff_pages_to_the_portal(signed_in, portal_patient):
    client = signed_in(portal_patient)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.url == reverse("portal:home")


def test_staff_are_sent_from_the_portal_to_the_staff_home(signed_in, doctor):
    response = signed_in(doctor).get(reverse("portal:home"))
    assert response.url == reverse("core:home")


def test_anonymous_portal_visitor_is_sent_to_the_portal_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url.startswith(PORTAL_LOGIN)


def test_anonymous_visitor_of_a_staff_page_is_sent_to_the_staff_sign_in(client):
    response = client.get(reverse("core:notification_list"))
    assert response.status_code == 302
    assert response.url.startswith(STAFF_LOGIN)


# --- MFA ----------------------------------------------------------------------------------


def test_staff_with_totp_must_enter_a_code_after_the_password(client, doctor, password):
    totp = enrol_totp(doctor)
    response = post_login(client, STAFF_LOGIN, doctor, password)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp.now()})
    assert right.status_code == 302
    assert right.url == reverse("core:home")
    assert client.session["_auth_user_id"] == str(doctor.pk)


def test_administrator_without_an_authenticator_must_enrol_before_anything_else(
    client, make_user, password
):
    admin = make_user(roles.ADMINISTRATOR)
    post_login(client, STAFF_LOGIN, admin, password)
    for url in (reverse("core:home"), "/admin/", reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("mfa_activate_totp"), url
    # The sign-in a moment ago vouches for the password (test_first_sign_in.py).
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_administrator_reaches_the_admin_only_after_the_second_factor(
    client, administrator, password
):
    response = post_login(client, STAFF_LOGIN, administrator, password)
    assert response.url == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # not signed in yet
    client.post(reverse("mfa_authenticate"), {"code": administrator.totp.now()})
    assert client.get("/admin/").status_code == 200


def test_administrator_cannot_remove_the_required_authenticator(signed_in, administrator):
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.get(user=administrator, type="totp")
    assert get_adapter().can_delete_authenticator(authenticator) is False


def test_totp_secrets_are_encrypted_at_rest(doctor):
    from allauth.mfa.models import Authenticator

    totp = enrol_totp(doctor)
    stored = Authenticator.objects.get(user=doctor).data["secret"]
    assert stored != totp.secret
    assert totp.secret not in stored


# --- The admin behind the same login ------------------------------------------------------


def test_admin_has_no_login_form_of_its_own(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(STAFF_LOGIN)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url or response.url.startswith(STAFF_LOGIN)


def test_a_doctor_cannot_enter_the_admin(signed_in, doctor):
    response = signed_in(doctor).get("/admin/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert signed_in(doctor).get(response.url).status_code == 403


# --- Rate limit ---------------------------------------------------------------------------


def test_failed_sign_ins_are_rate_limited_per_account(client, doctor, password):
    for _ in range(5):
        post_login(client, STAFF_LOGIN, doctor, "Wrong-Passw0rd!")
    response = post_login(client, STAFF_LOGIN, doctor, password)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


# --- Idle timeout -------------------------------------------------------------------------


def _age_session(client, seconds):
    session = client.session
    session["ehr_last_activity"] = int(time.time()) - seconds
    session.save()


def test_staff_session_ends_after_the_idle_timeout(signed_in, doctor):
    client = signed_in(doctor)
    assert client.get(reverse("core:home")).status_code == 200
    _age_session(client, 16 * 60)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.url.startswith(STAFF_LOGIN)
    assert "_auth_user_id" not in client.session


def test_staff_session_survives_activity_within_the_idle_timeout(signed_in, doctor):
    client = signed_in(doctor)
    client.get(reverse("core:home"))
    _age_session(client, 14 * 60)
    assert client.get(reverse("core:home")).status_code == 200


def test_idle_timeout_follows_the_system_parameter(signed_in, doctor):
    system_parameter_set(key="staff_idle_timeout", value=5)
    client = signed_in(doctor)
    client.get(reverse("core:home"))
    _age_session(client, 6 * 60)
    assert client.get(reverse("core:home")).status_code == 302


def test_background_polling_does_not_keep_a_session_alive(signed_in, doctor):
    client = signed_in(doctor)
    client.get(reverse("core:home"))
    _age_session(client, 10 * 60)
    client.get(reverse("core:home"), headers={"X-EHR-Background": "1"})
    _age_session_keep = client.session["ehr_last_activity"]
    assert int(time.time()) - _age_session_keep >= 10 * 60


def test_portal_session_uses_the_portal_idle_timeout(signed_in, portal_patient):
    client = signed_in(portal_patient)
    client.get(reverse("portal:home"))
    _age_session(client, 20 * 60)  # past the staff timeout, within the portal's 30
    assert client.get(reverse("portal:home")).status_code == 200
    _age_session(client, 31 * 60)
    response = client.get(reverse("portal:home"))
    assert response.url.startswith(PORTAL_LOGIN)


# --- Password policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidate",
    ["Short1!", "alllowercase1!", "ALLUPPERCASE1!", "NoDigitsHere!", "NoSymbols123A"],
)
def test_weak_passwords_are_refused(candidate, doctor):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(candidate, user=doctor)


def test_a_password_like_the_users_email_is_refused(doctor):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="too similar"):
        validate_password(doctor.email.capitalize() + "1!", user=doctor)


def test_common_passwords_are_refused(settings):
    from django.contrib.auth.password_validation import CommonPasswordValidator
    from django.core.exceptions import ValidationError

    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "django.contrib.auth.password_validation.CommonPasswordValidator" in names
    with pytest.raises(ValidationError):
        CommonPasswordValidator().validate("password123")


def test_a_strong_password_is_accepted(doctor):
    from django.contrib.auth.password_validation import validate_password

    validate_password("Tangerine-Orbit-42", user=doctor)


def test_password_reset_sends_an_email(client, doctor, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": doctor.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert doctor.email in mailoutbox[0].to


# --- The portal's own pages -------------------------------------------------------------------


def test_the_portal_sign_in_page_is_open_to_anonymous_visitors(client):
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    assert isinstance(response.context["form"], PortalLoginForm)


def test_portal_pages_are_exempt_from_the_staff_sign_in_redirect():
    """The exemption is the portal base mixin's, copied onto every portal view."""
    for view in (PortalHomeView, PortalLoginView):
        assert view.as_view().login_required is False


def test_the_portal_home_shows_the_portal_navigation(signed_in, portal_patient):
    response = signed_in(portal_patient).get(reverse("portal:home"))
    assert response.status_code == 200
    entries = {entry["item"].key: entry for entry in response.context["nav_items"]}
    assert set(entries) == {"portal_home", "portal_profile"}
    assert entries["portal_home"]["active"] and not entries["portal_profile"]["active"]
    page = response.content.decode()
    assert f'href="{reverse("accounts:profile")}"' in page
    assert 'aria-current="page"' in page


def test_staff_pages_show_no_portal_entries(signed_in, doctor):
    response = signed_in(doctor).get(reverse("core:home"))
    keys = {entry["item"].key for entry in response.context["nav_items"]}
    assert "patients" in keys and not keys & {"portal_home", "portal_profile"}
