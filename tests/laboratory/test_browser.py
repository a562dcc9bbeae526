"""The laboratory walk in a real browser: the doctor orders a BMP stat, the nurse
collects, the technician receives it by typing the accession number and enters a
potassium of 6.8 (flagged critical), a second technician verifies, the doctor sees the
banner and acknowledges with a read-back note; no Content-Security-Policy violation."""

import re

import pytest
from playwright.sync_api import expect

from laboratory.catalogue import catalogue_load
from laboratory.models import LabOrder
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/")


def test_order_collect_receive_enter_verify_acknowledge(
    live_server, page, make_user, password, csp_violations
):
    catalogue_load()
    doctor = make_user("Doctor")
    nurse = make_user("Nurse")
    tech = make_user("Lab technician")
    tech2 = make_user("Lab technician")
    patient = on_care_team(PatientFactory(sex="male"), doctor, nurse)

    sign_in(page, live_server, doctor, password)
    page.goto(f"{live_server.url}/lab/patients/{patient.pk}/orders/new/")
    page.locator("#id_tests").select_option(label="Basic metabolic panel (BMP) (BMP)")
    page.locator("#id_priority").select_option("stat")
    page.get_by_role("button", name="Order").click()
    expect(page.get_by_text("Lab tests ordered.")).to_be_visible()
    order = LabOrder.objects.get(patient=patient)

    sign_in(page, live_server, nurse, password)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    page.get_by_role("button", name=re.compile("Collect specimen")).click()
    expect(page.get_by_text(re.compile("accession number"))).to_be_visible()
    accession = order.specimens.get().accession_number

    sign_in(page, live_server, tech, password)
    page.goto(f"{live_server.url}/lab/worklist/")
    page.locator("#id_accession_number").fill(accession)
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("Specimen received.")).to_be_visible()
    page.goto(f"{live_server.url}/lab/orders/{order.pk}/results/")
    values = {"NA": "140", "K": "6.8", "CL": "100", "CO2": "25", "BUN": "12", "CREA": "0.9"}
    values |= {"GLU": "90", "CA": "9.5"}
    for line in order.results.select_related("test"):
        page.locator(f"#id_value_{line.pk}").fill(values[line.test.code])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("critical high")).to_be_visible()

    sign_in(page, live_server, tech2, password)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Results verified.")).to_be_visible()

    sign_in(page, live_server, doctor, password)
    expect(page.get_by_text("Critical results to acknowledge")).to_be_visible()
    page.goto(f"{live_server.url}/patients/{patient.pk}/chart/results/")
    expect(page.locator(".banner-critical-results")).to_be_visible()
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    page.get_by_placeholder("Read-back note").fill("K 6.8 read back, ECG and repeat now")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Critical result acknowledged.")).to_be_visible()
    expect(page.locator(".banner-critical-results")).to_have_count(0)
    assert csp_violations == []
