"""The inpatient pages and home panels cost the same queries at one row and at fifty: the
census, a nurse's home (her ward, the request queue) and a doctor's home (his
inpatients). Their rows are plain values rendered by small tags, with the same content."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inpatient import selectors, services
from tests.factories.inpatient import AdmissionRequestFactory, WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def same_queries(client, path, grow, django_assert_max_num_queries):
    """Assert that `path` runs no more queries after `grow()` than before; return the
    page after."""
    client.get(path)  # warm the session and the caches of the first request
    with CaptureQueriesContext(connection) as small:
        client.get(path)
    grow()
    with django_assert_max_num_queries(len(small)):
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_urls_built_without_reverse_match_the_urlconf():
    admission = "00000000-0000-0000-0000-000000000001"
    assert selectors.ADMISSION_DETAIL_URL.format(admission) == reverse(
        "inpatient:admission_detail", args=[admission]
    )


def test_the_census_costs_the_same_queries_at_one_and_at_fifty_stays(
    signed_in, nurse, doctor, django_assert_max_num_queries
):
    ward = WardFactory(name="Census Ward")
    beds = beds_in(ward, 50)
    admit(PatientFactory(), beds[0], doctor)

    def grow():
        for bed in beds[1:]:
            admit(PatientFactory(), bed, doctor)

    html = same_queries(
        signed_in(nurse), reverse("inpatient:census"), grow, django_assert_max_num_queries
    )
    assert '<td class="text-end">50 / 50</td>' in html


def test_a_nurses_home_costs_the_same_queries_at_one_and_at_fifty_patients(
    signed_in, ward_nurse, ward, doctor, django_assert_max_num_queries
):
    beds = beds_in(ward, 50)
    admit(PatientFactory(last_name="First"), beds[0], doctor)

    def grow():
        for n, bed in enumerate(beds[1:]):
            admit(PatientFactory(last_name=f"Next{n}"), bed, doctor)
        for _ in range(8):
            AdmissionRequestFactory()

    html = same_queries(
        signed_in(ward_nurse), reverse("core:home"), grow, django_assert_max_num_queries
    )
    assert html.count('data-testid="ward-patient"') == 50
    assert "First" in html and "Next48" in html


def test_a_doctors_home_costs_the_same_queries_at_one_and_at_fifty_inpatients(
    signed_in, doctor, ward, django_assert_max_num_queries
):
    beds = beds_in(ward, 50)
    admit(PatientFactory(), beds[0], doctor)

    def grow():
        for bed in beds[1:]:
            admit(PatientFactory(), bed, doctor)

    html = same_queries(
        signed_in(doctor), reverse("core:home"), grow, django_assert_max_num_queries
    )
    assert "50 in all" in html


def test_the_doctors_panel_says_where_each_patient_lies_and_which_discharges_are_ordered(
    signed_in, doctor, ward
):
    bed = beds_in(ward, 1)[0]
    admission = admit(PatientFactory(first_name="Ada", last_name="Lying"), bed, doctor)
    services.admission_order_discharge(admission=admission, actor=doctor)
    data = selectors.inpatients_of_doctor(doctor)
    (row,) = data["admissions"]
    assert (row.patient, row.ward_name, row.bed_number, row.discharge_ordered) == (
        "Ada Lying",
        "Medical Ward",
        bed.number,
        True,
    )
    assert data["count"] == 1
    html = signed_in(doctor).get(reverse("core:home")).content.decode()
    assert f'href="{row.get_absolute_url()}">Ada Lying</a>' in html
    assert "discharge ordered" in html


def test_the_queue_panel_counts_every_pending_request_and_shows_the_most_urgent(nurse):
    AdmissionRequestFactory.create_batch(6)
    urgent = AdmissionRequestFactory(priority="emergency")
    data = selectors.queue_summary(nurse)
    assert data["pending"] == 7 and len(data["requests"]) == 5
    first = data["requests"][0]
    assert (first.pk, first.patient, first.priority_label) == (
        urgent.pk,
        urgent.patient.full_name,
        "Emergency",
    )
