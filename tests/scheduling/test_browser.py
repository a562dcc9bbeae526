"""The front desk's day in a real browser: the receptionist books a patient into a free
slot from the doctor's calendar, a second booking of the same time is refused, the
patient is checked in from the arrivals list (only the row changes), and the doctor
completes the visit. No CSP violation on the way."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import services
from tests.browser.conftest import browser_type_launch_args, csp_violations  # noqa: F401
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    at,
    weekly_schedule,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# EHR_SCREENSHOTS=/some/dir keeps a screenshot of each page (1280 px wide) for review.
SHOTS = os.environ.get("EHR_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def watch(page, violations):
    """Collect the CSP violations of another page into `violations`."""
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return page


def sign_in(page, base, user, password):
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{base}/")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def test_a_receptionist_books_from_the_calendar_checks_in_and_the_doctor_completes(
    live_server,
    browser,
    page,
    make_user,
    password,
    csp_violations,  # noqa: F811  (the fixture imported above)
):
    base = live_server.url
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    receptionist = make_user("Receptionist", first_name="Pam", last_name="Beesly")
    weekly_schedule(doctor, room=ConsultationRoomFactory(name="Room 4"))
    consultation = AppointmentTypeFactory(code="consultation", default_duration=15)
    PatientFactory(first_name="Ada", last_name="Lovelace")
    babbage = PatientFactory(first_name="Charles", last_name="Babbage")
    tomorrow = timezone.localdate() + timedelta(days=1)

    # The receptionist opens the doctor's calendar on tomorrow's day view.
    sign_in(page, base, receptionist, password)
    shot(page, "home-receptionist")
    page.get_by_role("link", name=re.compile("^Appointments$")).click()
    # The calendar page loaded (its script listening), before the doctor is picked.
    page.wait_for_url(re.compile(r"/scheduling/$"))
    page.get_by_label("Doctor").select_option(str(doctor.pk))
    page.wait_for_url(re.compile(rf"doctor={doctor.pk}"))
    page.goto(f"{base}/scheduling/?doctor={doctor.pk}&view=day&date={tomorrow.isoformat()}")
    free = page.locator("#scheduling-calendar .free-slot")
    expect(free.first).to_be_visible()
    shot(page, "calendar-day")

    # A second receptionist has the same slot open in another tab.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    other_page = watch(other.new_page(), csp_violations)
    sign_in(other_page, base, receptionist, password)

    # Click the 09:00 slot where a person would: the free slot is a shaded background
    # under the day's grid, which takes the click. The panel lists the doctors free then.
    # The calendar lays itself out after its events arrive: click once it is still, and
    # click again if a late layout moved the slot from under the pointer.
    page.wait_for_load_state("networkidle")
    panel = page.locator("#calendar-free-panel")
    for _attempt in range(3):
        free.first.evaluate("element => element.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        box = free.first.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            expect(panel.get_by_text("Dr Gregory House")).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            continue
    expect(panel).to_contain_text("Free at")
    shot(page, "calendar-free-panel")
    panel.get_by_role("link", name=re.compile("Book")).first.click()
    page.wait_for_url(re.compile(r"/scheduling/book/\?doctor="))
    booking_url = page.url
    slot = page.locator("#slot-list input[name='slot']:checked")
    expect(slot).to_have_count(1)
    # The slot that was clicked (whichever the pointer landed on) is the one preselected.
    clicked = re.search(r"start=([0-9-]+T[0-9%A]+)", booking_url).group(1).replace("%3A", ":")
    assert clicked[:16] in slot.get_attribute("value")
    assert slot.get_attribute("value").split("|")[1][11:16] >= "09:00"
    page.get_by_placeholder(re.compile("Search: name")).fill("Lovel")
    page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
    expect(page.locator("[data-patient-chosen]")).to_contain_text("Ada Lovelace")
    page.get_by_label("Reason for visit").fill("Palpitations")
    shot(page, "booking-form")

    other_page.goto(booking_url)
    other_page.get_by_placeholder(re.compile("Search: name")).fill("Babb")
    other_page.get_by_role("button", name=re.compile("Charles Babbage")).click()

    page.get_by_role("button", name=re.compile("^Book$")).click()
    page.wait_for_url(re.compile(r"/scheduling/appointments/[0-9a-f-]+/$"))
    expect(page.get_by_text("Ada Lovelace is booked with Dr Gregory House")).to_be_visible()
    expect(page.locator(".page-meta .appt-status")).to_have_text("Booked")
    shot(page, "appointment-detail")

    # The stale tab's booking of the same time is refused.
    other_page.get_by_role("button", name=re.compile("^Book$")).click()
    expect(
        other_page.get_by_role("alert").filter(has_text="already has an appointment")
    ).to_be_visible()
    shot(other_page, "booking-refused")
    other.close()

    # The calendar shows the appointment where the free slot was.
    page.goto(f"{base}/scheduling/?doctor={doctor.pk}&view=week&date={tomorrow.isoformat()}")
    expect(
        page.locator("#scheduling-calendar").get_by_text(re.compile("Lovelace, Ada"))
    ).to_be_visible()
    shot(page, "calendar-week")

    # Tomorrow's appointment is not checked in today: the arrivals list does not offer it.
    page.goto(f"{base}/scheduling/day/?date={tomorrow.isoformat()}&doctor={doctor.pk}")
    row = page.get_by_role("row", name=re.compile("Ada Lovelace"))
    expect(row).to_contain_text("Booked")
    expect(row.get_by_role("button", name=re.compile("Check in"))).to_have_count(0)

    # Today's walk-in: checking in swaps the row only (the page is not reloaded).
    walk_in = services.appointment_book(
        patient=babbage,
        doctor=doctor,
        start=max(timezone.now().replace(second=0, microsecond=0), at(0, 0)),
        appointment_type=consultation,
        actor=doctor,
        override=True,
        _allow_past=True,
    )
    page.goto(f"{base}/scheduling/day/?doctor={doctor.pk}")
    page.evaluate("window.notReloaded = true")
    row = page.get_by_role("row", name=re.compile("Charles Babbage"))
    expect(row).to_contain_text("Booked")
    row.get_by_role("button", name=re.compile("Check in")).click()
    expect(row).to_contain_text("Checked in")
    expect(page.locator("[data-count='checked_in']")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    shot(page, "arrivals")

    # The doctor sees the patient waiting; "Start encounter" is the usual path, and
    # completing without one asks why.
    doctor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    doctor_page = watch(doctor_context.new_page(), csp_violations)
    sign_in(doctor_page, base, doctor, password)
    shot(doctor_page, "home-doctor")
    doctor_page.goto(f"{base}/scheduling/my-day/")
    row = doctor_page.get_by_role("row", name=re.compile("Charles Babbage"))
    expect(row).to_contain_text("Checked in")
    expect(row.get_by_role("button", name=re.compile("Start encounter"))).to_be_visible()
    shot(doctor_page, "my-day")
    row.get_by_role("button", name=re.compile("Complete without encounter")).click()
    row.get_by_label(re.compile("Why without an encounter")).fill("Seen by the nurse only")
    row.get_by_role("button", name=re.compile("^Complete$")).click()
    row = doctor_page.get_by_role("row", name=re.compile("Charles Babbage"))
    expect(row).to_contain_text("Completed")
    doctor_page.goto(f"{base}{walk_in.get_absolute_url()}")
    expect(doctor_page.locator(".status-history")).to_contain_text("Checked in → Completed")
    expect(doctor_page.locator(".status-history")).to_contain_text("Seen by the nurse only")
    doctor_context.close()

    assert csp_violations == []


def test_a_cancelled_slot_is_offered_to_a_waitlisted_patient_and_the_doctor_starts_the_visit(
    live_server,
    browser,
    page,
    make_user,
    password,
    csp_violations,  # noqa: F811  (the fixture imported above)
):
    from scheduling import services

    base = live_server.url
    doctor = make_user("Doctor", first_name="Meredith", last_name="Grey")
    receptionist = make_user("Receptionist", first_name="Pam", last_name="Beesly")
    weekly_schedule(doctor, room=ConsultationRoomFactory(name="Room 2"))
    kind = AppointmentTypeFactory(code="consultation", default_duration=15)
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = at(1, 10)
    leaving = PatientFactory(first_name="Grace", last_name="Hopper")
    # Alan Turing is already the doctor's patient: the visit booked for tomorrow opens his
    # chart only the day before it, and the test runs at any time of day.
    waiting = on_care_team(PatientFactory(first_name="Alan", last_name="Turing"), doctor)
    services.appointment_book(
        patient=leaving, doctor=doctor, start=start, appointment_type=kind, actor=receptionist
    )
    services.waitlist_add(
        patient=waiting,
        doctor=doctor,
        appointment_type=kind,
        earliest=tomorrow,
        latest=tomorrow + timedelta(days=7),
        reason="Wants an earlier visit",
        actor=receptionist,
    )

    # The receptionist cancels Grace Hopper's appointment from the arrivals list.
    sign_in(page, base, receptionist, password)
    page.goto(f"{base}/scheduling/day/?date={tomorrow.isoformat()}&doctor={doctor.pk}")
    row = page.get_by_role("row", name=re.compile("Grace Hopper"))
    row.get_by_role("button", name=re.compile("^Cancel$")).click()
    row.get_by_label("Reason for cancelling").fill("Travelling")
    row.get_by_role("button", name=re.compile("Cancel appointment")).click()
    expect(row).to_contain_text("Cancelled")

    # The notification leads to the offer; one click books the waitlisted patient.
    page.goto(f"{base}/notifications/")
    page.get_by_role("link", name=re.compile("Freed slot")).first.click()
    expect(page.get_by_text("Alan Turing").first).to_be_visible()
    shot(page, "waitlist-offer")
    page.get_by_role("button", name=re.compile("^Book$")).click()
    page.wait_for_url(re.compile(r"/scheduling/appointments/[0-9a-f-]+/$"))
    expect(page.locator(".page-meta .appt-status")).to_have_text("Booked")
    expect(page.get_by_text("Alan Turing").first).to_be_visible()

    # Next day at the desk: checked in, and the doctor starts the encounter from "my day".
    appointment = waiting.appointments.get()
    services.appointment_check_in(
        appointment=appointment, actor=receptionist, at=appointment.start - timedelta(minutes=5)
    )
    doctor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    doctor_page = watch(doctor_context.new_page(), csp_violations)
    sign_in(doctor_page, base, doctor, password)
    doctor_page.goto(f"{base}/scheduling/my-day/?date={tomorrow.isoformat()}")
    row = doctor_page.get_by_role("row", name=re.compile("Alan Turing"))
    row.get_by_role("button", name=re.compile("Start encounter")).click()
    doctor_page.wait_for_url(re.compile(r"/clinical/encounters/[0-9a-f-]+/"))
    shot(doctor_page, "encounter-from-appointment")
    appointment.refresh_from_db()
    assert appointment.status == "in_progress"
    doctor_context.close()

    assert csp_violations == []


@pytest.mark.parametrize("browser_context_args", [{"viewport": {"width": 390, "height": 844}}])
def test_on_a_small_screen_the_calendar_opens_on_the_day_view(
    live_server,
    page,
    make_user,
    password,
    browser_context_args,
    csp_violations,  # noqa: F811  (the fixture imported above)
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    receptionist = make_user("Receptionist", first_name="Pam", last_name="Beesly")
    weekly_schedule(doctor, room=ConsultationRoomFactory(name="Room 4"))
    sign_in(page, live_server.url, receptionist, password)
    page.goto(f"{live_server.url}/scheduling/?doctor={doctor.pk}")
    calendar = page.locator("#scheduling-calendar")
    selected = calendar.locator("[aria-selected='true'], [aria-pressed='true']")
    expect(selected).to_have_text("Day")
    shot(page, "calendar-phone")
    assert csp_violations == []
