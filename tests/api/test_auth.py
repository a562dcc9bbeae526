"""API v1 authentication: JWT login, refresh, logout; deny by default."""

import pytest

from tests.factories.accounts import enrol_totp
from tests.factories.core import NotificationFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def login(client, email, password, **extra):
    return client.post(
        LOGIN, {"email": email, "password": password, **extra}, content_type="application/json"
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_answers_an_access_and_a_refresh_token(client, doctor, password):
    response = login(client, doctor.email, password)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_login_with_a_wrong_password_answers_401(client, doctor):
    response = login(client, doctor.email, "Wrong-Passw0rd!")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_with_missing_fields_answers_400_with_field_errors(client):
    response = client.post(LOGIN, {"email": "not-an-email"}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


def test_access_token_authenticates_requests(client, doctor, password):
    access = login(client, doctor.email, password).json()["access"]
    response = client.get("/api/v1/auth/me", headers=bearer(access))
    assert response.status_code == 200
    assert response.json()["email"] == doctor.email
    assert response.json()["roles"] == ["Doctor"]
    assert "no-store" in response["Cache-Control"]


def test_requests_without_a_token_answer_401(client):
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/notifications").status_code == 401


def test_refresh_gives_a_new_access_token(client, doctor, password):
    refresh = login(client, doctor.email, password).json()["refresh"]
    response = client.post(
        "/api/v1/auth/refresh", {"refresh": refresh}, content_type="application/json"
    )
    assert response.status_code == 200
    assert "access" in response.json()


def test_logout_blacklists_the_refresh_token(client, doctor, password):
    refresh = login(client, doctor.email, password).json()["refresh"]
    response = client.post(
        "/api/v1/auth/logout", {"refresh": refresh}, content_type="application/json"
    )
    assert response.status_code == 200
    again = client.post(
        "/api/v1/auth/refresh", {"refresh": refresh}, content_type="application/json"
    )
    assert again.status_code == 401


def test_failed_api_logins_are_rate_limited_like_the_sign_in_page(client, doctor, password):
    for _ in range(5):
        assert login(client, doctor.email, "Wrong-Passw0rd!").status_code == 401
    response = login(client, doctor.email, password)
    assert response.status_code == 429


def test_an_account_with_mfa_needs_a_one_time_code(client, doctor, password):
    totp = enrol_totp(doctor)
    without = login(client, doctor.email, password)
    assert without.status_code == 401 and without.json()["code"] == "mfa_required"
    wrong = login(client, doctor.email, password, otp="000000")
    assert wrong.status_code == 401
    right = login(client, doctor.email, password, otp=totp.now())
    assert right.status_code == 200


def test_an_administrator_without_mfa_gets_no_token(client, make_user, password):
    admin = make_user("Administrator")
    response = login(client, admin.email, password)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrollment_required"


def test_lists_paginate_with_count_next_previous_results(client, doctor, password):
    NotificationFactory.create_batch(30, recipient=doctor)
    NotificationFactory(title="Someone else's")
    access = login(client, doctor.email, password).json()["access"]
    body = client.get("/api/v1/notifications", headers=bearer(access)).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 30 and len(body["results"]) == 25
    assert body["next"] is not None and body["previous"] is None


def test_another_users_notification_is_404(client, doctor, nurse, password):
    theirs = NotificationFactory(recipient=nurse)
    access = login(client, doctor.email, password).json()["access"]
    response = client.post(f"/api/v1/notifications/{theirs.pk}/read", headers=bearer(access))
    assert response.status_code == 404


def test_schema_and_docs_are_served_to_signed_in_staff(signed_in, doctor, client):
    assert client.get("/api/v1/schema/").status_code in (302, 401, 403)
    staff = signed_in(doctor)
    schema = staff.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/login" in schema.content
    assert staff.get("/api/v1/docs/").status_code == 200


def test_portal_patients_get_no_api_schema_or_docs(signed_in, portal_patient):
    client = signed_in(portal_patient)
    assert client.get("/api/v1/schema/").status_code == 403
    assert client.get("/api/v1/docs/").status_code == 403


def test_email_notifications_carry_no_clinical_detail(
    doctor, mailoutbox, django_capture_on_commit_callbacks
):
    from ehr.core.services import notification_send

    doctor.email_notifications = True
    doctor.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[doctor], title="New result", body="Potassium 6.9 mmol/L")
    assert "Potassium" not in mailoutbox[0].body
