"""Signing in as a person would: staff with a second factor, patients at the portal."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import enrol_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_with_a_second_factor(live_server, page, make_user, password, csp_violations):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    totp = enrol_totp(doctor)

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name=re.compile("sign in", re.I))).to_be_visible()
    page.locator("#id_login").fill(doctor.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()

    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#id_code").fill(totp.now())
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("Gregory House").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Notifications, \d+ unread"))).to_be_visible()
    assert csp_violations == []


def test_patient_signs_in_at_the_portal_and_staff_page_refuses_them(
    live_server, page, make_user, password, csp_violations
):
    patient = make_user("Patient", first_name="John", last_name="Smith")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(patient.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_text("Patients sign in at the patient portal")).to_be_visible()

    page.goto(f"{live_server.url}/portal/login/")
    page.locator("#id_login").fill(patient.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.get_by_text("John").first).to_be_visible()
    assert csp_violations == []
