"""Requesting admission picks the patient with a search (no typed MRN): results come
from `patients.selectors.patient_search` over the patients the user may see."""

import pytest
from django.urls import reverse

from inpatient.models import AdmissionRequest
from inpatient.selectors import patient_search_results
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

SEARCH = "inpatient:patient_search"


def test_the_search_lists_matching_patients_as_radio_choices(signed_in, doctor):
    patient = PatientFactory(last_name="Quenneville", first_name="Ada")
    PatientFactory(last_name="Smith")
    response = signed_in(doctor).post(reverse(SEARCH), {"patient_q": "quenne"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'type="radio" name="patient" value="{patient.pk}"' in html
    assert "Smith" not in html


def test_the_search_finds_by_mrn_too(signed_in, doctor):
    patient = PatientFactory()
    html = signed_in(doctor).post(reverse(SEARCH), {"patient_q": patient.display_mrn})
    assert str(patient.pk) in html.content.decode()


def test_the_search_shows_only_patients_the_user_may_see(doctor, monkeypatch):
    visible, hidden = PatientFactory(last_name="Zebedee"), PatientFactory(last_name="Zebedee")
    from inpatient import selectors

    original = selectors.patient_list_for_user
    monkeypatch.setattr(
        selectors,
        "patient_list_for_user",
        lambda user: original(user).exclude(pk=hidden.pk),
    )
    assert patient_search_results(doctor, "zebedee") == [visible]
    assert patient_search_results(doctor, "", pk=hidden.pk) == []


def test_an_inactive_patient_is_not_offered(doctor):
    PatientFactory(last_name="Gone", is_active=False)
    assert patient_search_results(doctor, "gone") == []


@pytest.mark.parametrize("persona", ["nurse", "receptionist", "lab_tech", "pharmacist"])
def test_only_those_who_request_admission_may_search_here(request, signed_in, persona):
    client = signed_in(request.getfixturevalue(persona))
    assert client.post(reverse(SEARCH), {"patient_q": "smith"}).status_code == 403


def test_the_search_is_post_only_so_no_name_travels_in_an_address(signed_in, doctor):
    assert signed_in(doctor).get(reverse(SEARCH) + "?patient_q=smith").status_code == 405


def test_without_javascript_the_search_button_shows_results_and_keeps_the_reason(signed_in, doctor):
    patient = PatientFactory(last_name="Oyelaran")
    response = signed_in(doctor).post(
        reverse("inpatient:admissionrequest_create"),
        {"patient_q": "oyelaran", "search": "1", "reason": "Chest pain", "priority": "urgent"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{patient.pk}"' in html and "Chest pain" in html
    assert not AdmissionRequest.objects.exists()


def test_a_patient_out_of_scope_cannot_be_requested_by_id(signed_in, doctor, monkeypatch):
    patient = PatientFactory()
    from inpatient import forms

    original = forms.patient_list_for_user
    monkeypatch.setattr(
        forms, "patient_list_for_user", lambda user: original(user).exclude(pk=patient.pk)
    )
    response = signed_in(doctor).post(
        reverse("inpatient:admissionrequest_create"),
        {"patient": patient.pk, "priority": "routine", "reason": "x"},
    )
    assert response.status_code == 400
    assert not AdmissionRequest.objects.exists()


def test_the_request_page_offers_the_search_not_an_mrn_box(signed_in, doctor):
    html = signed_in(doctor).get(reverse("inpatient:admissionrequest_create")).content.decode()
    assert 'name="patient_q"' in html and reverse(SEARCH) in html
    assert "Patient MRN" not in html
