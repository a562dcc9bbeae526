"""The pages with their own script and style sheet, in a real browser: each loads what it
needs (static/js/<app>.js, static/css/<app>.css, Chart.js or FullCalendar from the vendor
block), draws, and breaks no Content-Security-Policy rule. A full-page screenshot of each
at 1280 px goes to the test's output folder (test-results/<test>/<page>.png) for a look."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clinical import services as clinical_services
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import at, book, weekly_schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def sign_in(live_server, page):
    """Sign `user` in by handing the browser a session made on the server side."""

    def sign_in_as(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in_as


@pytest.fixture
def page_errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def shoot(page, output_path):
    def screenshot(name):
        page.screenshot(path=f"{output_path}/{name}.png", full_page=True)

    return screenshot


def style_of(page, selector, prop):
    return page.locator(selector).first.evaluate(
        f"(element) => getComputedStyle(element).getPropertyValue({prop!r})"
    )


def test_the_bed_board_and_the_census_load_their_script_and_sheet(
    live_server, page, make_user, sign_in, shoot, csp_violations, page_errors
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    nurse = make_user("Nurse")
    ward = WardFactory(name="Medical Ward 3 North")
    beds = beds_in(ward, 6)
    admit(PatientFactory(first_name="Ada", last_name="Lovelace"), beds[1], doctor)
    sign_in(nurse)

    page.goto(f"{live_server.url}{reverse('inpatient:bed_board')}?ward={ward.pk}")
    tile = page.locator(f"#bed-{beds[1].pk}")
    expect(tile).to_contain_text("Lovelace, Ada")
    assert style_of(page, ".board-layout", "display") == "grid"  # inpatient.css
    tile.click()
    expect(page.locator("#bed-panel")).to_contain_text("Ada Lovelace")
    expect(tile).to_have_class(re.compile("is-selected"))  # inpatient.js
    shoot("bed-board")

    page.goto(live_server.url + reverse("inpatient:census"))
    canvas = page.locator("#census-states-chart")
    expect(canvas).to_be_visible()
    assert canvas.evaluate("(c) => Boolean(window.Chart && window.Chart.getChart(c))")
    shoot("census")

    with page.expect_navigation(url=re.compile(r"ward=")):  # data-auto-submit (core.js)
        page.locator("#census-ward").select_option(str(ward.pk))
    assert csp_violations == [] and page_errors == []


def test_the_vitals_tab_draws_its_trend_charts(
    live_server, page, make_user, sign_in, shoot, csp_violations, page_errors
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    nurse = make_user("Nurse")
    patient = on_care_team(PatientFactory(first_name="Ada", last_name="Lovelace"), doctor, nurse)
    for days, heart_rate in ((3, 72), (2, 88), (1, 104)):
        clinical_services.vital_signs_record(
            patient=patient,
            actor=nurse,
            heart_rate=heart_rate,
            systolic_bp=110 + days,
            diastolic_bp=70 + days,
            recorded_at=timezone.now() - timedelta(days=days),
        )
    sign_in(doctor)

    page.goto(live_server.url + reverse("patients:patient_chart", args=[patient.pk, "vitals"]))
    canvas = page.locator("canvas[data-vitals-chart='heart_rate']")
    expect(canvas).to_be_visible()
    assert canvas.evaluate("(c) => Boolean(window.Chart && window.Chart.getChart(c))")
    assert style_of(page, ".clinical-tab-head", "display") == "flex"  # clinical.css
    shoot("vitals-tab")
    assert csp_violations == [] and page_errors == []


def test_the_calendar_draws_with_fullcalendar_and_its_filters_submit(
    live_server, page, make_user, sign_in, shoot, csp_violations, page_errors
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    receptionist = make_user("Receptionist")
    weekly_schedule(doctor)
    # Booked through the service tomorrow, then moved to today 10:00 (which may be past:
    # the booking rule refuses the past, the calendar shows today's visits all the same).
    visit = book(PatientFactory(first_name="Ada", last_name="Lovelace"), doctor, at(1, 10))
    type(visit).objects.filter(pk=visit.pk).update(
        start=at(0, 10), end=at(0, 10) + (visit.end - visit.start)
    )
    sign_in(receptionist)

    page.goto(f"{live_server.url}{reverse('scheduling:calendar')}?doctor={doctor.pk}")
    calendar = page.locator("#scheduling-calendar")
    expect(calendar.get_by_role("grid").first).to_be_visible()  # scheduling.js drew it
    expect(calendar).to_contain_text("Lovelace")
    assert style_of(page, ".scheduling-calendar", "min-height") == "512px"  # scheduling.css
    shoot("calendar")

    # Picking a clinic clears the doctor (scheduling.js) and submits (core.js).
    clinic = page.locator("#calendar-clinic option").nth(1).get_attribute("value")
    if clinic:
        with page.expect_navigation(url=re.compile(r"clinic=")):
            page.locator("#calendar-clinic").select_option(clinic)
        assert "doctor=&" in page.url or page.url.endswith("doctor=")
    assert csp_violations == [] and page_errors == []
