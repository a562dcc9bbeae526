"""Break-the-glass in a real browser: a nurse outside the care team sees the allergies on
the restricted page, picks "Other" with too short a description (refused, nothing typed
is lost), describes it, and opens the chart; the privacy review lists the reason's label.
No Content-Security-Policy violation on the way."""

import re

import pytest
from playwright.sync_api import expect

from patients.models import BreakGlassAccess, BreakGlassReason
from tests.browser.conftest import browser_type_launch_args, csp_violations  # noqa: F401
from tests.factories.clinical import AllergyFactory
from tests.factories.patients import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_nurse_breaks_the_glass_for_a_reason_of_the_list(
    live_server,
    page,
    make_user,
    password,
    csp_violations,  # noqa: F811 (fixture)
):
    nurse = make_user("Nurse", first_name="Florence", last_name="Nightingale")
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    AllergyFactory(patient=patient, allergen="Penicillin", severity="severe")
    sign_in(page, live_server, nurse, password)

    page.goto(f"{live_server.url}/patients/{patient.pk}/chart/problems/")
    expect(page.locator(".banner-allergies")).to_contain_text("Penicillin")
    page.locator("#id_reason").select_option("other")
    page.locator("#id_details").fill("Family asked")
    page.get_by_role("button", name="Break the glass and open the chart").click()
    expect(page.locator("#id_details")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#id_details")).to_have_value("Family asked")
    expect(page.locator("#id_reason")).to_have_value("other")
    assert not BreakGlassAccess.objects.exists()

    page.locator("#id_details").fill("Family asked us to check the record today")
    page.get_by_role("button", name="Break the glass and open the chart").click()
    page.wait_for_url(f"{live_server.url}/patients/{patient.pk}/chart/problems/")
    access = BreakGlassAccess.objects.get()
    assert access.reason == BreakGlassReason.OTHER
    assert access.details == "Family asked us to check the record today"
    assert csp_violations == []
