"""Allergies in the chart banner: every doctor and nurse sees them, care team or not
(safety before privacy), and the read is logged with the reason "banner"; the rest of
the chart keeps its rules, and other roles see no allergies at all."""

import pytest
from django.urls import reverse

from accounts import roles
from patients.models import BANNER, ChartAccess
from tests.factories.clinical import AllergyFactory, ClinicalNoteFactory, ConditionFactory
from tests.factories.patients import PatientFactory

ALLERGEN = "Penicillin-banner-check"
PROBLEM = "Problem-that-stays-private"
NOTE = "Note-that-stays-private"


@pytest.fixture
def patient(db):
    patient = PatientFactory()
    AllergyFactory(patient=patient, allergen=ALLERGEN, severity="severe")
    ConditionFactory(patient=patient, code__title=PROBLEM)
    ClinicalNoteFactory(patient=patient, subjective=NOTE)
    return patient


def tab(patient, key):
    return reverse("patients:patient_chart", args=[patient.pk, key])


@pytest.mark.parametrize("role", [roles.DOCTOR, roles.NURSE])
def test_a_clinician_outside_the_care_team_sees_the_allergies_in_the_banner(
    signed_in, make_user, patient, role
):
    outsider = make_user(role)
    page = signed_in(outsider).get(tab(patient, "demographics"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "banner-allergies" in text
    assert ALLERGEN in text
    read = ChartAccess.objects.get(user=outsider, grant_reason=BANNER)
    assert read.part == "allergies:banner"
    assert read.patient == patient
    assert read.break_glass is None


@pytest.mark.parametrize("key", ["problems", "notes", "allergies", "summary"])
def test_the_refused_clinical_tabs_show_the_allergies_and_nothing_else(
    signed_in, make_user, patient, key
):
    outsider = make_user(roles.DOCTOR)
    page = signed_in(outsider).get(tab(patient, key))
    assert page.status_code == 403
    text = page.content.decode()
    assert ALLERGEN in text
    assert PROBLEM not in text
    assert NOTE not in text
    assert "Break the glass" in text
    # The banner read is logged; the refused tab is not a read.
    assert list(ChartAccess.objects.filter(user=outsider).values_list("part", "grant_reason")) == [
        ("allergies:banner", BANNER)
    ]


def test_the_refused_break_the_glass_form_keeps_the_allergies(signed_in, make_user, patient):
    outsider = make_user(roles.NURSE)
    page = signed_in(outsider).post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {"reason": "other", "details": "short", "next_tab": "problems"},
    )
    assert page.status_code == 400
    assert ALLERGEN in page.content.decode()


def test_a_clinician_on_the_care_team_logs_no_banner_read(signed_in, doctor, patient):
    from tests.factories.patients import on_care_team

    on_care_team(patient, doctor)
    page = signed_in(doctor).get(tab(patient, "demographics"))
    assert ALLERGEN in page.content.decode()
    assert not ChartAccess.objects.filter(grant_reason=BANNER).exists()


@pytest.mark.parametrize("persona", ["receptionist", "lab_tech", "pharmacist", "portal_patient"])
@pytest.mark.parametrize("key", ["demographics", "problems", "allergies"])
def test_other_roles_never_see_allergies_through_the_banner(
    request, signed_in, patient, persona, key
):
    user = request.getfixturevalue(persona)
    page = signed_in(user).get(tab(patient, key))
    assert ALLERGEN not in page.content.decode()
    assert not ChartAccess.objects.filter(grant_reason=BANNER).exists()


def test_the_access_log_names_the_banner_read(signed_in, make_user, administrator, patient):
    outsider = make_user(roles.DOCTOR)
    signed_in(outsider).get(tab(patient, "demographics"))
    log = signed_in(administrator).get(reverse("patients:access_log"), {"patient": patient.pk})
    assert log.status_code == 200
    assert "Patient banner" in log.content.decode()


def test_a_worklist_role_reading_allergies_does_not_see_every_banner(
    signed_in, pharmacist, patient
):
    """A pharmacist given the allergy read permission (as a worklist role may be, for
    the patients on the worklist) still sees no allergies of other patients' banners."""
    from django.contrib.auth.models import Permission

    for app_label, codename in (("patients", "view_patient"), ("clinical", "view_allergy")):
        pharmacist.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user = type(pharmacist).objects.get(pk=pharmacist.pk)
    page = signed_in(user).get(tab(patient, "demographics"))
    assert page.status_code == 200
    assert ALLERGEN not in page.content.decode()
    assert not ChartAccess.objects.filter(grant_reason=BANNER).exists()
