"""Sign-in and tokens under attack: guessing one-time codes, living on after a password
change, outliving the session, locking a ward out, and editing second factors in the admin.
Each test reproduces an attack that worked before the fix."""

import time
from unittest import mock

import pytest
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import lockout, roles
from accounts.services import user_mfa_reset
from accounts.tokens import tokens_for
from ehr.core.models import Notification
from tests.factories.accounts import enrol_totp

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"
WRONG = "Wrong-Passw0rd!"


def login(client, email, password, address="10.0.0.1", **extra):
    return client.post(
        LOGIN,
        {"email": email, "password": password, **extra},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def refresh(client, token):
    return client.post(REFRESH, {"refresh": token}, content_type="application/json")


def me(client, access):
    return client.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


@pytest.fixture
def clock():
    """The lockout's clock, which a test moves forward with `clock.advance(seconds)`."""

    class Clock:
        now = time.time()

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    with mock.patch.object(lockout.time, "time", lambda: fake.now):
        yield fake


# --- Guessing one-time codes --------------------------------------------------------------


def test_six_wrong_one_time_codes_on_the_api_login_answer_429(client, doctor, password):
    totp = enrol_totp(doctor)
    for _ in range(5):
        assert login(client, doctor.email, password, otp="000000").status_code == 401
    sixth = login(client, doctor.email, password, otp="000000")
    assert sixth.status_code == 429
    assert int(sixth["Retry-After"]) > 0
    # Even the right code waits: otherwise guessing goes on at full speed.
    assert login(client, doctor.email, password, otp=totp.now()).status_code == 429


def test_wrong_recovery_codes_count_against_the_same_limit(client, doctor, password):
    enrol_totp(doctor)
    codes = RecoveryCodes.activate(doctor).get_unused_codes()
    for attempt in range(5):
        otp = "000000" if attempt % 2 else "WRONGCODE1"
        assert login(client, doctor.email, password, otp=otp).status_code == 401
    assert login(client, doctor.email, password, otp=codes[0]).status_code == 429


def test_a_right_code_clears_the_count_of_wrong_ones(client, doctor, password):
    totp = enrol_totp(doctor)
    for _ in range(4):
        login(client, doctor.email, password, otp="000000")
    assert login(client, doctor.email, password, otp=totp.now()).status_code == 200
    for _ in range(4):
        assert login(client, doctor.email, password, otp="000000").status_code == 401


def test_wrong_codes_on_the_sign_in_page_and_the_api_share_one_count(client, doctor, password):
    totp = enrol_totp(doctor)
    client.post("/accounts/login/", {"login": doctor.email, "password": password})
    for _ in range(3):
        client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    for _ in range(2):
        assert login(client, doctor.email, password, otp="000000").status_code == 401
    assert login(client, doctor.email, password, otp=totp.now()).status_code == 429


# --- Tokens that outlive what they stand for ----------------------------------------------


def test_an_old_refresh_token_dies_with_a_password_change(client, doctor, password):
    tokens = login(client, doctor.email, password).json()
    doctor.set_password("An0ther-Secret!")
    doctor.save()
    answer = refresh(client, tokens["refresh"])
    assert answer.status_code == 401
    assert answer.json()["code"] == "token_revoked"
    assert me(client, tokens["access"]).status_code == 401


def test_a_password_reset_through_the_sign_in_page_revokes_tokens(
    client, doctor, password, mailoutbox
):
    tokens = login(client, doctor.email, password).json()
    client.post("/accounts/password/reset/", {"email": doctor.email})
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    form = client.get(path, follow=True)
    new = "Fresh-Passw0rd-2026"
    client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert login(client, doctor.email, new).status_code == 200
    assert refresh(client, tokens["refresh"]).status_code == 401


def test_a_change_of_second_factor_revokes_tokens(client, doctor, password):
    tokens = login(client, doctor.email, password).json()
    authenticator = Authenticator.objects.create(
        user=doctor, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    # What allauth sends when a factor is added or removed on the security pages.
    mfa_signals.authenticator_removed.send(
        sender=Authenticator, request=None, user=doctor, authenticator=authenticator
    )
    assert refresh(client, tokens["refresh"]).status_code == 401
    assert me(client, tokens["access"]).status_code == 401


def test_deactivating_an_account_revokes_its_tokens_for_good(
    client, doctor, password, administrator
):
    tokens = login(client, doctor.email, password).json()
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    change = f"/admin/accounts/user/{doctor.pk}/change/"
    form = {
        "email": doctor.email,
        "first_name": doctor.first_name,
        "last_name": doctor.last_name,
        "phone": "",
        "groups": [Group.objects.get(name=roles.DOCTOR).pk],
        "last_login_0": "",
        "last_login_1": "",
    }
    assert client.post(change, form).status_code == 302  # is_active left out: unticked
    client.post(change, {**form, "is_active": "on"})  # and reactivated
    doctor.refresh_from_db()
    assert doctor.is_active
    client.logout()
    assert refresh(client, tokens["refresh"]).status_code == 401


def test_a_refresh_chain_cannot_outlive_the_twelve_hour_session(client, doctor):
    stale = RefreshToken.for_user(doctor)
    stale["stamp"] = doctor.token_stamp()
    stale["auth_time"] = int(time.time()) - 12 * 3600 - 1
    answer = refresh(client, str(stale))
    assert answer.status_code == 401
    assert answer.json()["code"] == "session_expired"


def test_tokens_from_a_refresh_expire_at_the_session_limit_at_the_latest(client, doctor):
    signed_in_at = int(time.time()) - 12 * 3600 + 120  # two minutes of the session left
    token = RefreshToken.for_user(doctor)
    token["stamp"] = doctor.token_stamp()
    token["auth_time"] = signed_in_at
    answer = refresh(client, str(token)).json()
    ends = signed_in_at + 12 * 3600
    assert RefreshToken(answer["refresh"])["exp"] <= ends
    from rest_framework_simplejwt.tokens import AccessToken

    assert AccessToken(answer["access"])["exp"] <= ends


def test_access_tokens_last_fifteen_minutes_or_less(doctor):
    from rest_framework_simplejwt.tokens import AccessToken

    access = AccessToken(tokens_for(doctor)["access"])
    assert access["exp"] - access["iat"] <= 15 * 60


def test_a_token_without_the_stamp_is_refused(client, doctor):
    unstamped = RefreshToken.for_user(doctor)  # as issued before tokens carried a stamp
    assert me(client, str(unstamped.access_token)).status_code == 401


# --- Lockouts that cannot be turned against a ward ----------------------------------------


def test_failures_against_colleagues_do_not_lock_out_a_nurse_behind_the_same_address(
    client, make_user, password, nurse
):
    colleagues = [make_user(roles.NURSE) for _ in range(8)]
    for colleague in colleagues:  # 40 failures from the ward's one address
        for _ in range(5):
            login(client, colleague.email, WRONG, address="10.1.1.1")
    assert login(client, nurse.email, password, address="10.1.1.1").status_code == 200


def test_the_account_lock_starts_short_and_grows(client, doctor, password, clock):
    waits = []
    for round_ in range(3):  # from a new address each round: the lock is the account's
        address = f"10.9.0.{round_}"
        for _ in range(5):
            assert login(client, doctor.email, WRONG, address=address).status_code == 401
        locked = login(client, doctor.email, password, address=address)
        assert locked.status_code == 429
        waits.append(int(locked["Retry-After"]))
        clock.advance(waits[-1] + 1)
    assert waits == [60, 300, 900]
    assert login(client, doctor.email, password, address="10.9.0.9").status_code == 200


def test_the_owner_is_emailed_when_his_account_locks(client, doctor, mailoutbox):
    for _ in range(5):
        login(client, doctor.email, WRONG, address="203.0.113.9")
    assert [m.to for m in mailoutbox] == [[doctor.email]]
    assert "203.0.113.9" in mailoutbox[0].body


def test_an_address_that_keeps_failing_is_refused_for_that_account_only(
    client, doctor, password, clock
):
    for _ in range(2):  # ten failures from one address, waiting out each short lock
        for _ in range(5):
            login(client, doctor.email, WRONG, address="198.51.100.7")
        clock.advance(lockout.LOCK_MINUTES[1] * 60 + 1)
    assert login(client, doctor.email, password, address="198.51.100.7").status_code == 429
    assert login(client, doctor.email, password, address="10.0.0.2").status_code == 200


def test_a_successful_sign_in_starts_the_count_again(client, doctor, password):
    for _ in range(4):
        login(client, doctor.email, WRONG)
    assert login(client, doctor.email, password).status_code == 200
    for _ in range(4):
        assert login(client, doctor.email, WRONG).status_code == 401
    assert login(client, doctor.email, password).status_code == 200


# --- Second factors in the admin ----------------------------------------------------------


def admin_client(client, administrator, password):
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    return client


def test_the_admin_shows_second_factors_read_only(client, administrator, password, doctor):
    enrol_totp(doctor)
    authenticator = Authenticator.objects.get(user=doctor)
    admin = admin_client(client, administrator, password)
    url = f"/admin/mfa/authenticator/{authenticator.pk}/"
    assert admin.get("/admin/mfa/authenticator/").status_code == 200
    page = admin.get(f"{url}change/")
    assert page.status_code == 200
    assert "secret" not in page.content.decode()
    assert admin.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert admin.post(f"{url}change/", {"type": "totp"}).status_code == 403
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()


def test_an_administrator_resets_a_users_second_factor_and_the_user_is_told(
    client, administrator, password, doctor, mailoutbox, django_capture_on_commit_callbacks
):
    enrol_totp(doctor)
    tokens = tokens_for(doctor)
    admin = admin_client(client, administrator, password)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/accounts/user/",
            {"action": "reset_mfa", "_selected_action": [str(doctor.pk)]},
        )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=doctor).exists()
    assert doctor.history.first().history_change_reason == (
        f"Two-factor authentication reset by {administrator.email}"
    )
    assert doctor.history.first().history_user == administrator
    assert Notification.objects.filter(recipient=doctor, category="security").exists()
    assert [m.to for m in mailoutbox if "two-factor" in m.subject] == [[doctor.email]]
    client.logout()
    assert refresh(client, tokens["refresh"]).status_code == 401


def test_nobody_resets_his_own_second_factor(administrator):
    with pytest.raises(PermissionDenied):
        user_mfa_reset(user=administrator, actor=administrator)
    assert Authenticator.objects.filter(user=administrator).exists()


def test_a_doctor_cannot_reset_a_second_factor(doctor, nurse):
    enrol_totp(nurse)
    with pytest.raises(PermissionDenied):
        user_mfa_reset(user=nurse, actor=doctor)


def test_the_administrator_role_cannot_delete_authenticators_directly(administrator):
    assert not administrator.has_perm("mfa.delete_authenticator")
    assert administrator.has_perm("accounts.reset_mfa")
