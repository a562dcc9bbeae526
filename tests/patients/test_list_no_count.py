"""The patient list (page and API, with and without a search) never counts the patient
table: the pager fetches one row more than the page instead."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories.patients import PatientFactory

COUNT_OF_PATIENTS = re.compile(r"COUNT\(\*\).*FROM\s+\"patients_patient\"", re.I | re.S)


def counts_patients(queries):
    return [q["sql"] for q in queries if COUNT_OF_PATIENTS.search(q["sql"])]


@pytest.mark.parametrize("params", [{}, {"q": "smith"}])
def test_the_list_page_does_not_count_patients(signed_in, receptionist, params):
    PatientFactory.create_batch(30, last_name="Smith")
    client = signed_in(receptionist)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("patients:patient_list"), params)
    assert response.status_code == 200
    assert len(response.context["patients"]) == 25
    assert response.context["page_obj"].has_next()
    assert counts_patients(captured.captured_queries) == []
    second = client.get(reverse("patients:patient_list"), {**params, "page": 2})
    assert len(second.context["patients"]) == 5 and not second.context["page_obj"].has_next()
    assert client.get(reverse("patients:patient_list"), {**params, "page": 3}).status_code == 404


@pytest.mark.parametrize("params", [{}, {"search": "smith"}])
def test_the_api_list_does_not_count_patients(client, receptionist, params):
    PatientFactory.create_batch(30, last_name="Smith")
    client.force_login(receptionist, backend="django.contrib.auth.backends.ModelBackend")
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/api/v1/patients", params).json()
    assert counts_patients(captured.captured_queries) == []
    assert body["count"] is None and body["next"] and len(body["results"]) == 25
    last = client.get("/api/v1/patients", {**params, "page": 2}).json()
    assert last["count"] == 30 and last["next"] is None and len(last["results"]) == 5
