"""Pharmacy pages: the persona x page matrix, prescribing from the chart (blocked by
an allergy, then overridden), the prescription page with its PDF and signing, the
Medications tab with the high-risk banner, and the access log."""

import pytest
from django.urls import reverse

from clinical.services import allergy_record
from patients.models import ChartAccess
from pharmacy import services
from pharmacy.models import Prescription
from tests.factories.pharmacy import drug, line
from tests.matrix import Page, assert_persona_access, assert_staff_only, page_ids, persona_cases

pytestmark = pytest.mark.django_db

CLINICIANS = frozenset({"doctor", "nurse"})
DOCTORS = frozenset({"doctor"})


@pytest.fixture
def scene(patient, doctor):
    prescription = services.prescription_create(
        patient=patient, actor=doctor, items=[line("amlodipine", dose=5, frequency="daily")]
    )
    return {"patient": patient, "prescription": prescription}


PAGES = [
    Page(
        "prescribe",
        lambda s: reverse("pharmacy:prescription_create", args=[s["patient"].pk]),
        DOCTORS,
    ),
    Page(
        "home medication",
        lambda s: reverse("pharmacy:homemedication_create", args=[s["patient"].pk]),
        CLINICIANS,
    ),
    Page(
        "prescription",
        lambda s: reverse("pharmacy:prescription_detail", args=[s["prescription"].pk]),
        CLINICIANS,
    ),
    Page(
        "prescription pdf",
        lambda s: reverse("pharmacy:prescription_pdf", args=[s["prescription"].pk]),
        CLINICIANS,
    ),
    Page(
        "prescription sign",
        lambda s: reverse("pharmacy:prescription_sign", args=[s["prescription"].pk]),
        DOCTORS,
        method="post",
        ok=302,
    ),
    Page(
        "api drugs",
        lambda s: "/api/v1/drugs",
        frozenset({"doctor", "nurse", "pharmacist", "administrator"}),
    ),
    Page(
        "api medications",
        lambda s: f"/api/v1/patients/{s['patient'].pk}/medications",
        CLINICIANS,
    ),
    Page(
        "api prescription",
        lambda s: f"/api/v1/prescriptions/{s['prescription'].pk}",
        CLINICIANS,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_roles_only(request, signed_in, scene, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if not p.name.startswith("api")],
    ids=page_ids([p for p in PAGES if not p.name.startswith("api")]),
)
def test_strangers_sign_in_and_patients_go_to_the_portal(
    client, signed_in, portal_patient, page, scene
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)


def test_doctor_outside_the_care_team_gets_403_with_break_the_glass(signed_in, make_user, scene):
    client = signed_in(make_user("Doctor"))
    response = client.get(reverse("pharmacy:prescription_detail", args=[scene["prescription"].pk]))
    assert response.status_code == 403
    assert b"Break the glass" in response.content


def test_prescribing_from_the_chart_is_stopped_by_the_allergy_then_overridden(
    signed_in, doctor, patient
):
    allergy_record(patient=patient, actor=doctor, allergen="Penicillin", severity="severe")
    client = signed_in(doctor)
    url = reverse("pharmacy:prescription_create", args=[patient.pk])
    form = {
        "drug": drug("amoxicillin", 500).pk,
        "dose": "500",
        "route": "oral",
        "frequency": "tid",
        "duration_days": "7",
        "quantity": "21",
        "refills": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 400
    assert b"allergic to Penicillin" in response.content
    assert not Prescription.objects.exists()
    response = client.post(url, {**form, "override_reason": "Tolerated amoxicillin in 2024"})
    assert response.status_code == 302
    prescription = Prescription.objects.get()
    assert prescription.items.get().override_reason == "Tolerated amoxicillin in 2024"
    page = client.get(prescription.get_absolute_url())
    assert b"Tolerated amoxicillin in 2024" in page.content
    assert (
        client.post(reverse("pharmacy:prescription_sign", args=[prescription.pk])).status_code
        == 302
    )
    prescription.refresh_from_db()
    assert prescription.is_signed
    assert ChartAccess.objects.filter(user=doctor, patient=patient, part="medications").exists()


def test_medications_tab_lists_lines_and_the_banner_flags_warfarin(signed_in, doctor, patient):
    services.prescription_create(
        patient=patient, actor=doctor, items=[line("warfarin", dose=5, frequency="daily")]
    )
    response = signed_in(doctor).get(
        reverse("patients:patient_chart", args=[patient.pk, "medications"])
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "warfarin 1 mg tablet" in content and "5 mg oral, once a day" in content
    assert "High-risk:" in content and "warfarin" in content


@pytest.mark.parametrize("persona", ["receptionist", "lab_tech", "administrator", "pharmacist"])
def test_medications_tab_is_closed_to_other_roles(request, signed_in, scene, persona):
    client = signed_in(request.getfixturevalue(persona))
    response = client.get(
        reverse("patients:patient_chart", args=[scene["patient"].pk, "medications"])
    )
    assert response.status_code in (403, 404)
    assert b"amlodipine" not in response.content
