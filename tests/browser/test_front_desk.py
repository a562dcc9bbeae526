"""The front desk in a real browser: "search first" on the registration form answers as
one types and its results are reached and opened with the keyboard; the demographics
sheet prints from its button; neither page breaks a Content-Security-Policy rule. Full-page
screenshots go to the test's output folder (test-results/<test>/<page>.png) for a look."""

from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories.patients import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def sign_in(live_server, page):
    def sign_in_as(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in_as


@pytest.fixture
def shoot(page, output_path):
    def screenshot(name):
        page.screenshot(path=f"{output_path}/{name}.png", full_page=True)

    return screenshot


@pytest.fixture
def page_errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_search_first_finds_a_registered_patient_by_phone_and_opens_the_chart_by_keyboard(
    live_server, page, make_user, sign_in, shoot, csp_violations, page_errors
):
    ada = PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(1985, 12, 10),
        phone="+12025554820",
    )
    sign_in(make_user("Receptionist"))
    page.goto(f"{live_server.url}{reverse('patients:patient_create')}")

    box = page.get_by_role("searchbox", name="Search first: is this person registered already?")
    box.focus()
    page.keyboard.type("(202) 555-4820")
    result = page.locator("#search-first-results a", has_text="LOVELACE, Ada")
    expect(result).to_be_visible()
    expect(page.locator("#search-first-results")).to_contain_text(ada.display_mrn)
    shoot("registration-search-first")

    page.keyboard.press("Tab")  # the Search button
    page.keyboard.press("Tab")  # the first result
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('patients:patient_chart', args=[ada.pk, 'demographics'])}")
    assert csp_violations == []
    assert page_errors == []


def test_enter_in_search_first_searches_and_does_not_submit_the_registration(
    live_server, page, make_user, sign_in
):
    PatientFactory(first_name="Thomas", last_name="Smith")
    sign_in(make_user("Receptionist"))
    url = f"{live_server.url}{reverse('patients:patient_create')}"
    page.goto(url)
    page.get_by_role("searchbox", name="Search first: is this person registered already?").fill(
        "tomas smith"
    )
    page.keyboard.press("Enter")
    expect(page.locator("#search-first-results")).to_contain_text("SMITH, Thomas")
    assert page.url == url


def test_the_demographics_sheet_prints_from_its_button(
    live_server, page, make_user, sign_in, shoot, csp_violations, page_errors
):
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    sign_in(make_user("Receptionist"))
    page.goto(
        f"{live_server.url}{reverse('patients:patient_chart', args=[ada.pk, 'demographics'])}"
    )
    page.get_by_role("link", name="Print").click()
    page.wait_for_url(f"**{reverse('patients:patient_print', args=[ada.pk])}")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") is True
    shoot("demographics-sheet")
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    expect(page.locator(".print-sheet-name")).to_contain_text("LOVELACE, Ada")
    shoot("demographics-sheet-print")
    assert csp_violations == []
    assert page_errors == []
