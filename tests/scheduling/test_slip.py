"""The printable appointment slip the front desk hands to a patient: who, with whom,
where, when (in the site's format) and what to bring; a page of its own with a print
style sheet, no inline script or style (CSP), open to whoever may open the appointment."""

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ClinicFactory,
    ConsultationRoomFactory,
    at,
    book,
    weekly_schedule,
)
from tests.matrix import Page, assert_persona_access, assert_staff_only, page_ids, persona_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(doctor, receptionist):
    clinic = ClinicFactory(name="Cardiology outpatients", location="Building B, 2nd floor")
    weekly_schedule(doctor, room=ConsultationRoomFactory(clinic=clinic, name="Room 12"))
    kind = AppointmentTypeFactory(
        code="echo", name="Echocardiogram", description="Wear a top that opens at the front."
    )
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    appointment = book(
        patient,
        doctor,
        at(2, 14, 30),
        actor=receptionist,
        appointment_type=kind,
        reason="Breathless on stairs",
    )
    return {"appointment": appointment, "patient": patient, "clinic": clinic}


def slip_url(s):
    return reverse("scheduling:appointment_slip", args=[s["appointment"].pk])


def test_the_slip_says_who_with_whom_where_when_and_what_to_bring(scene, signed_in, receptionist):
    response = signed_in(receptionist).get(slip_url(scene))
    assert response.status_code == 200
    html = response.content.decode()
    patient, appointment = scene["patient"], scene["appointment"]
    assert "Ada Lovelace" in html and patient.display_mrn in html
    assert "Dr Gregory House" in html
    assert "Cardiology outpatients" in html and "Room 12" in html
    assert "Building B, 2nd floor" in html
    start = timezone.localtime(appointment.start)
    # The site's format for dates and times, as the appointment's own page shows them.
    assert dateformat.format(start, "l j F Y") in html and "14:30" in html
    assert "What to bring" in html and "Wear a top that opens at the front." in html
    # The reason for the visit is clinical: not on a paper that leaves the building.
    assert "Breathless on stairs" not in html


def test_the_slip_is_csp_safe_and_prints_without_the_staff_frame(scene, signed_in, receptionist):
    html = signed_in(receptionist).get(slip_url(scene)).content.decode()
    assert "style=" not in html and "<style" not in html
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert 'class="appointment-slip' in html
    assert "data-print" in html  # the print button, driven by scheduling.js
    assert "/static/css/scheduling.css" in html and "/static/js/scheduling.js" in html


def test_the_appointment_page_links_to_its_slip(scene, signed_in, receptionist):
    html = signed_in(receptionist).get(scene["appointment"].get_absolute_url()).content.decode()
    assert slip_url(scene) in html


def test_an_unknown_appointment_has_no_slip(signed_in, receptionist):
    url = reverse("scheduling:appointment_slip", args=[uuid.uuid4()])
    assert signed_in(receptionist).get(url).status_code == 404


PAGES = [Page("slip", slip_url, {"doctor", "nurse", "receptionist", "administrator"})]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_the_slip_is_open_to_who_may_open_the_appointment(request, scene, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_strangers_sign_in_and_patients_go_to_the_portal(
    client, signed_in, portal_patient, page, scene
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)
