"""A nurse works the admission queue in a real browser: assigns a bed, sees the patient
on the board, opens the bed's panel."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories.inpatient import AdmissionRequestFactory, WardFactory, beds_in
from tests.factories.patients import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_assigns_a_bed_from_the_queue_and_sees_the_patient_on_the_board(
    live_server, page, make_user, password, csp_violations
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    nurse = make_user("Nurse", first_name="Carla", last_name="Espinosa")
    ward = WardFactory(name="Medical Ward 3 North")
    beds = beds_in(ward, 4)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", sex="female")
    AdmissionRequestFactory(
        patient=patient,
        requested_by=doctor,
        ward_preference=ward,
        priority="urgent",
        reason="Pneumonia, needs IV antibiotics",
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(nurse.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name=re.compile("^Beds$")).click()
    page.get_by_role("link", name=re.compile("Admission requests")).click()
    row = page.get_by_role("row", name=re.compile("Ada Lovelace"))
    expect(row).to_contain_text("Urgent")
    row.get_by_role("link", name=re.compile("Assign bed")).click()

    expect(page.get_by_role("heading", name="Assign a bed")).to_be_visible()
    page.get_by_label("Bed").select_option(str(beds[2].pk))
    page.get_by_role("button", name=re.compile("^Admit")).click()

    page.wait_for_url(re.compile(r"/inpatient/beds/\?ward="))
    expect(page.get_by_text("Ada Lovelace is admitted to bed")).to_be_visible()
    tile = page.locator(f"#bed-{beds[2].pk}")
    expect(tile).to_contain_text("Lovelace, Ada")
    expect(tile).to_contain_text("Dr House")
    expect(tile).to_contain_text("Occupied")

    tile.click()  # htmx loads the bed's panel beside the board
    panel = page.locator("#bed-panel")
    expect(panel).to_contain_text("Ada Lovelace")
    expect(panel.get_by_role("link", name=re.compile("Transfer to another bed"))).to_be_visible()
    expect(tile).to_have_class(re.compile("is-selected"))
    assert csp_violations == []
