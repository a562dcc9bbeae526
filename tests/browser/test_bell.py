"""The bell in a real browser: a notification created while a page is open changes the
count and, when urgent, shows a toast once, without a reload; a job's page follows the
job to its end. The poll interval is shortened (NOTIFICATION_POLL_SECONDS)."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from ehr.core.models import Job, Notification
from ehr.core.services import notification_send
from tests.browser.test_layout_and_accessibility import AXE_RUN, AXE_SOURCE, WCAG_21_AA
from tests.factories.accounts import enrol_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_poll(settings):
    settings.NOTIFICATION_POLL_SECONDS = 1


@pytest.fixture
def sign_in(live_server, page):
    """Sign `user` in by handing the browser a session made on the server side."""

    def sign_in_as(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in_as


@pytest.fixture
def page_errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_bell_counts_and_toasts_a_new_urgent_notification_without_a_reload(
    live_server, page, sign_in, make_user, csp_violations, page_errors
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    sign_in(doctor)
    page.goto(f"{live_server.url}/")
    bell = page.locator("#notification-bell")
    expect(bell).to_have_attribute("aria-label", "Notifications, 0 unread")
    page.evaluate("window.__sameDocument = true")

    notification_send(recipients=[doctor], title="Ward round moved to 10:00")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread", timeout=10_000)
    expect(bell.locator(".notification-count")).to_have_text("1")
    expect(page.locator("#toast-area .toast")).to_have_count(0)

    notification_send(
        recipients=[doctor],
        title="Critical potassium 6.9 mmol/L",
        level=Notification.Level.CRITICAL,
        url="/notifications/",
    )
    toast = page.get_by_role("alert").filter(has_text="Critical potassium 6.9 mmol/L")
    expect(toast).to_be_visible(timeout=10_000)
    expect(bell.locator(".notification-count")).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True

    # Later polls do not show it again.
    page.wait_for_timeout(2500)
    expect(page.locator("#toast-area .toast")).to_have_count(1)

    # The page with its toast passes axe.
    page.evaluate(AXE_SOURCE)
    assert [line for _rule, line in page.evaluate(AXE_RUN, WCAG_21_AA)] == []

    # Closed, it goes.
    toast.get_by_role("button", name="Close").click()
    expect(page.locator("#toast-area .toast")).to_have_count(0)
    assert csp_violations == [] and page_errors == []


def test_the_toast_links_to_the_notification_and_the_portal_polls_too(
    live_server, page, sign_in, make_user, csp_violations
):
    patient = make_user("Patient", first_name="John", last_name="Smith")
    sign_in(patient)
    page.goto(f"{live_server.url}/portal/")
    notification_send(
        recipients=[patient],
        title="Your appointment was moved",
        level=Notification.Level.WARNING,
    )
    toast = page.get_by_role("status").filter(has_text="Your appointment was moved")
    expect(toast).to_be_visible(timeout=10_000)
    expect(page.locator("#notification-bell")).to_have_attribute("aria-label", "Messages, 1 unread")
    toast.get_by_role("link", name="Your appointment was moved").click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    assert Notification.objects.get(recipient=patient).read_at is not None
    assert csp_violations == []


def test_a_jobs_page_follows_the_job_to_its_file(live_server, page, sign_in, make_user):
    doctor = make_user("Doctor")
    job = Job.objects.create(
        name="tests.core.jobs_for_tests.report",
        label="Numbers",
        requested_by=doctor,
        status=Job.Status.RUNNING,
        progress=30,
        progress_message="3 of 10",
    )
    sign_in(doctor)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    expect(page.locator("#job-progress")).to_have_attribute("value", "30")
    expect(page.get_by_text("3 of 10")).to_be_visible()

    Job.objects.filter(pk=job.pk).update(progress=80, progress_message="8 of 10")
    expect(page.locator("#job-progress")).to_have_attribute("value", "80", timeout=10_000)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, progress=100)
    expect(page.locator(".job-state")).to_have_text("Succeeded", timeout=10_000)
    expect(page.locator("#job-status")).not_to_have_attribute("hx-trigger", re.compile("every"))


def test_the_job_pages_and_the_export_form_pass_axe(
    live_server, page, sign_in, make_user, csp_violations, page_errors
):
    reviewer = make_user("Administrator")
    enrol_totp(reviewer)
    failed = Job.objects.create(
        name="patients.jobs.access_log_export",
        label="Chart access log, 2026-03-01 to 2026-03-10",
        requested_by=reviewer,
        status=Job.Status.FAILED,
        error="Traceback (most recent call last):\nValueError: no",
    )
    Job.objects.create(name="x.y", label="Still running", requested_by=reviewer, progress=45)
    sign_in(reviewer)
    problems = []
    for url in (failed.get_absolute_url(), "/jobs/", "/patients/access-log/export/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        page.evaluate(AXE_SOURCE)
        problems += [f"{url}: {line}" for _rule, line in page.evaluate(AXE_RUN, WCAG_21_AA)]
    assert problems == []
    assert csp_violations == [] and page_errors == []
