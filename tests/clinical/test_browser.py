"""A doctor's clinical round in a real browser: records vital signs (an impossible value
is refused first), writes and signs a SOAP note, adds a diagnosis found by typing
"diabetes", records a penicillin allergy and sees it in the banner, and the trend chart
is drawn; no Content-Security-Policy violation on the way."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinical import services
from clinical.models import ClinicalNote, Condition, VitalSigns
from tests.factories.clinical import make_codes
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_doctor_records_vitals_signs_a_note_and_sees_the_allergy_in_the_banner(
    live_server, page, make_user, password, csp_violations
):
    make_codes()
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    patient = on_care_team(PatientFactory(first_name="Ada", last_name="Lovelace"), doctor)
    services.vital_signs_record(
        patient=patient,
        actor=doctor,
        heart_rate=72,
        systolic_bp=150,
        diastolic_bp=95,
        recorded_at=timezone.now() - timedelta(days=30),
    )
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(doctor.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/")

    chart = f"{live_server.url}/patients/{patient.pk}/chart"
    page.goto(f"{chart}/vitals/")
    expect(page.get_by_text("Allergies not recorded")).to_be_visible()
    page.get_by_role("link", name="Record vitals").first.click()
    page.locator("#id_systolic_bp").fill("138")
    page.locator("#id_diastolic_bp").fill("88")
    page.locator("#id_heart_rate").fill("400")
    page.locator("#id_temperature_c").fill("37.4")
    page.get_by_role("button", name="Save vital signs").click()
    expect(page.locator("#id_heart_rate")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#id_systolic_bp")).to_have_value("138")  # nothing typed is lost
    page.locator("#id_heart_rate").fill("84")
    page.get_by_role("button", name="Save vital signs").click()
    page.wait_for_url(f"{chart}/vitals/")
    expect(page.get_by_text("The vital signs were recorded.")).to_be_visible()
    assert VitalSigns.objects.filter(patient=patient).count() == 2
    canvas = page.locator("canvas[data-vitals-chart='heart_rate']")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector("
        "\"canvas[data-vitals-chart='heart_rate']\"))"
    )

    page.goto(f"{chart}/notes/")
    page.get_by_role("link", name="Write note").first.click()
    page.locator("#id_subjective").fill("Headache for a week")
    page.locator("#id_objective").fill("BP 138/88, fundi normal")
    page.locator("#id_assessment").fill("Tension headache; hypertension")
    page.locator("#id_plan").fill("Paracetamol; home BP diary")
    page.get_by_role("button", name="Save and sign").click()
    expect(page.get_by_text("The note was signed.")).to_be_visible()
    note = ClinicalNote.objects.get(patient=patient)
    assert note.is_signed and note.signed_by == doctor
    expect(page.get_by_role("link", name="Edit draft")).to_have_count(0)
    page.goto(f"{live_server.url}/clinical/notes/{note.pk}/edit/")
    expect(page.get_by_text("This note is signed and cannot be changed")).to_be_visible()
    page.get_by_role("link", name="Add addendum").click()
    page.locator("#id_text").fill("BP recheck 132/84.")
    page.get_by_role("button", name="Save and sign").click()
    expect(page.get_by_text("BP recheck 132/84.")).to_be_visible()

    page.goto(f"{chart}/problems/")
    page.get_by_role("link", name="Add diagnosis").first.click()
    page.locator("#id_code").press_sequentially("diabetes", delay=30)
    result = page.locator("[data-icd-code='E11.9']")
    expect(result).to_be_visible()
    result.click()
    expect(page.locator("#id_code")).to_have_value("E11.9")
    page.get_by_role("button", name="Add diagnosis").click()
    expect(page.get_by_text("Type 2 diabetes mellitus without complications")).to_be_visible()
    assert Condition.objects.get(patient=patient).code_id == "E11.9"

    page.goto(f"{chart}/allergies/")
    page.get_by_role("link", name="Record allergy").first.click()
    page.locator("#id_allergen").fill("Penicillin")
    page.locator("#id_category").select_option("drug")
    page.locator("#id_severity").select_option("severe")
    page.locator("#id_reaction").fill("Anaphylaxis")
    page.get_by_role("button", name="Record allergy").click()
    banner = page.locator(".banner-allergies")
    expect(banner).to_contain_text("Penicillin")
    expect(banner.locator(".allergy-chip.is-severe")).to_be_visible()
    page.goto(f"{chart}/demographics/")
    expect(page.locator(".banner-allergies")).to_contain_text("Penicillin")
    assert csp_violations == []
