"""The printable demographics sheet: who may print it, what it shows, the access log, and
a page that works under the site's CSP (no inline scripts or styles)."""

import re
import uuid
from datetime import date

import pytest
from django.urls import reverse

from patients.models import ChartAccess, EmergencyContact, PatientIdentifier
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    patient = PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(1985, 12, 10),
        sex="female",
        phone="+12025550140",
        address_line="12 St James's Square",
        city="London",
        insurance_payer="Aetna",
    )
    PatientIdentifier.objects.create(patient=patient, type="passport", value="P-778899")
    EmergencyContact.objects.create(
        patient=patient, name="Charles Babbage", relationship="friend", phone="+12025550141"
    )
    return patient


def print_url(patient):
    return reverse("patients:patient_print", args=[patient.pk])


@pytest.mark.parametrize("persona", ["receptionist", "doctor", "nurse", "administrator"])
def test_staff_who_see_demographics_print_the_sheet(request, signed_in, ada, persona):
    user = request.getfixturevalue(persona)
    response = signed_in(user).get(print_url(ada))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Ada",
        "Lovelace",
        ada.display_mrn,
        "10 December 1985",
        "Female",
        "+1 202-555-0140",
        "London",
        "Aetna",
        "P-778899",
        "Charles Babbage",
    ):
        assert text in html, text


def test_printing_is_logged_as_a_demographic_read(signed_in, receptionist, ada):
    signed_in(receptionist).get(print_url(ada))
    entry = ChartAccess.objects.get(patient=ada)
    assert entry.user == receptionist
    assert entry.part == "demographics"


@pytest.mark.parametrize("persona", ["lab_tech", "pharmacist"])
def test_roles_without_demographics_may_not_print(request, signed_in, ada, persona):
    user = request.getfixturevalue(persona)
    assert signed_in(user).get(print_url(ada)).status_code == 403
    assert not ChartAccess.objects.exists()


def test_an_unknown_patient_is_404(signed_in, receptionist):
    url = reverse("patients:patient_print", args=[uuid.uuid4()])
    assert signed_in(receptionist).get(url).status_code == 404


def test_the_sheet_has_no_inline_script_or_style(signed_in, receptionist, ada):
    html = signed_in(receptionist).get(print_url(ada)).content.decode()
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert "css/patients" in html  # the print rules
    assert re.search(r'<script src="[^"]*js/core[^"]*" nonce="[^"]+" defer>', html)
    assert "data-print" in html  # the button core.js drives


def test_the_chart_demographics_offer_print(signed_in, receptionist, ada):
    url = reverse("patients:patient_chart", args=[ada.pk, "demographics"])
    html = signed_in(receptionist).get(url).content.decode()
    assert f'href="{print_url(ada)}"' in html
