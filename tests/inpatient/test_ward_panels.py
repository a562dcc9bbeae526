"""A nurse's home: "my ward now" (beds, patients, allergies, discharge orders) for the
wards she is assigned to, in a fixed number of queries; and the printable discharge
summary, gated by chart access like the summary on the admission page."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from clinical import services as clinical_services
from inpatient import panels, services
from inpatient.selectors import ward_now
from patients.models import ChartAccess
from tests.factories.clinical import DiagnosisCodeFactory
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def rows(data):
    return {p.name: p for block in data["wards"] for p in block.patients}


def test_my_ward_shows_the_patients_of_my_wards_only(ward, beds, other_bed, ward_nurse, doctor):
    mine = admit(PatientFactory(last_name="Mine", first_name="A"), beds[0], doctor)
    admit(PatientFactory(last_name="Elsewhere", first_name="B"), other_bed, doctor)
    services.admission_order_discharge(admission=mine, actor=doctor)
    data = ward_now(ward_nurse)
    assert [b.ward for b in data["wards"]] == [ward]
    block = data["wards"][0]
    assert (block.counts["occupied"], block.counts["available"]) == (1, 3)
    assert list(rows(data)) == ["Mine, A"]
    assert rows(data)["Mine, A"].discharge_ordered and block.discharge_ordered == 1


def test_my_ward_shows_each_patients_allergies(beds, ward_nurse, doctor):
    patient = PatientFactory(last_name="Allergic", first_name="C")
    admit(patient, beds[0], doctor)
    admit(PatientFactory(last_name="Unasked", first_name="D"), beds[1], doctor)
    clinical_services.allergy_record(
        patient=patient, actor=doctor, allergen="Penicillin", severity="severe"
    )
    data = ward_now(ward_nurse)
    (column, facts) = rows(data)["Allergic, C"].facts[0]
    assert column.key == "allergies"
    assert [(f.text, f.alert) for f in facts] == [("Penicillin", True)]
    assert [f.text for f in rows(data)["Unasked, D"].facts[0][1]] == ["not recorded"]


def test_a_nurse_without_a_ward_gets_an_empty_panel(nurse):
    assert ward_now(nurse) == {"wards": [], "columns": []}


def test_my_ward_runs_a_fixed_number_of_queries(
    ward, beds, ward_nurse, doctor, django_assert_max_num_queries
):
    admit(PatientFactory(), beds[0], doctor)
    with django_assert_max_num_queries(6):
        ward_now(ward_nurse)
    second = WardFactory()
    services.ward_nurse_assign(ward=second, user=ward_nurse, actor=None)
    for bed in [*beds[1:], *beds_in(second, 8)]:
        admit(PatientFactory(sex="female"), bed, doctor)
    with django_assert_max_num_queries(6):
        data = ward_now(ward_nurse)
    assert sum(len(b.patients) for b in data["wards"]) == 12


def test_the_panel_is_on_the_nurses_home(ward_nurse, beds, doctor, signed_in):
    admit(PatientFactory(last_name="Onhome"), beds[0], doctor)
    html = signed_in(ward_nurse).get(reverse("core:home")).content.decode()
    assert "My ward now" in html and "Onhome" in html


def test_the_panel_context_is_the_selector(ward_nurse):
    request = RequestFactory().get("/")
    request.user = ward_nurse
    assert panels.my_ward(request) == ward_now(ward_nurse)


# --- The printable discharge summary ---------------------------------------------------------


@pytest.fixture
def discharged(bed, patient, doctor):
    admission = admit(patient, bed, doctor)
    return services.admission_discharge(
        admission=admission, disposition="home", summary="Course uneventful.", actor=doctor
    )


def test_the_attending_doctor_prints_the_discharge_summary(discharged, doctor, signed_in):
    client = signed_in(doctor)
    response = client.get(reverse("inpatient:admission_summary", args=[discharged.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Course uneventful." in html and "Home" in html
    assert discharged.patient.display_mrn in html
    assert "data-print" in html and "<script>" not in html
    assert ChartAccess.objects.filter(user=doctor, patient=discharged.patient).exists()
    detail = client.get(reverse("inpatient:admission_detail", args=[discharged.pk]))
    assert reverse("inpatient:admission_summary", args=[discharged.pk]) in detail.content.decode()


@pytest.mark.parametrize("persona", ["nurse", "receptionist"])
def test_without_chart_access_the_summary_is_not_shown(request, discharged, persona, signed_in):
    client = signed_in(request.getfixturevalue(persona))
    url = reverse("inpatient:admission_summary", args=[discharged.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert "Course uneventful." not in response.content.decode()
    detail = client.get(reverse("inpatient:admission_detail", args=[discharged.pk]))
    assert url not in detail.content.decode()


def test_the_summary_lists_the_diagnoses_of_the_stay(bed, patient, doctor, signed_in):
    admission = admit(patient, bed, doctor)
    encounter = clinical_services.encounter_start_from_admission(admission=admission, actor=doctor)
    code = DiagnosisCodeFactory(code="J18.9", title="Pneumonia, unspecified organism")
    clinical_services.condition_create(
        patient=patient,
        actor=doctor,
        code=code,
        category="encounter-diagnosis",
        encounter=encounter,
        is_primary=True,
    )
    services.admission_discharge(
        admission=admission, disposition="home", summary="Treated.", actor=doctor
    )
    html = signed_in(doctor).get(reverse("inpatient:admission_summary", args=[admission.pk]))
    assert "J18.9 Pneumonia, unspecified organism" in html.content.decode()
    assert "(primary)" in html.content.decode()
