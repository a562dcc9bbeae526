import pytest

from laboratory import services
from laboratory.models import LabOrder
from tests.factories.laboratory import lab_test
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def patient(catalogue, doctor, nurse):
    return on_care_team(PatientFactory(sex="male"), doctor, nurse)


def test_lab_tests_search(signed_in, doctor, catalogue):
    response = signed_in(doctor).get(f"{API}/lab/tests", {"search": "potass"})
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert (row["code"], row["loinc"], row["unit"], row["is_panel"]) == (
        "K", "2823-3", "mmol/L", False,
    )  # fmt: skip


def test_the_whole_flow_through_the_api(signed_in, doctor, nurse, lab_tech, lab_tech2, patient):
    bmp = lab_test("BMP")
    response = signed_in(doctor).post(
        f"{API}/patients/{patient.pk}/lab-orders",
        {"tests": [str(bmp.pk)], "priority": "stat"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    order_id = body["id"]
    assert body["status"] == "ordered" and len(body["lines"]) == 8
    # Out of order: 409.
    response = signed_in(lab_tech).post(f"{API}/lab-orders/{order_id}/receive")
    assert response.status_code == 409
    response = signed_in(nurse).post(f"{API}/lab-orders/{order_id}/collect")
    assert response.status_code == 200 and len(response.json()["accession_number"]) == 8
    response = signed_in(lab_tech).post(f"{API}/lab-orders/{order_id}/receive")
    assert response.status_code == 200 and response.json()["status"] == "received"
    order = LabOrder.objects.get(pk=order_id)
    values = {"NA": "140", "K": "6.8", "CL": "100", "CO2": "25", "BUN": "12", "CREA": "0.9"}
    values |= {"GLU": "90", "CA": "9.5"}
    results = [
        {"line": str(line.pk), "value": values[line.test.code]}
        for line in order.results.select_related("test")
    ]
    response = signed_in(lab_tech).post(
        f"{API}/lab-orders/{order_id}/results",
        {"results": results},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "resulted"
    response = signed_in(lab_tech).post(f"{API}/lab-orders/{order_id}/verify")
    assert response.status_code == 409 and response.json()["code"] == "same_user"
    response = signed_in(lab_tech2).post(f"{API}/lab-orders/{order_id}/verify")
    assert response.status_code == 200 and response.json()["status"] == "verified"
    labs = signed_in(doctor).get(f"{API}/labs", {"patient": str(patient.pk)}).json()["results"]
    potassium = next(r for r in labs if r["code"] == "K")
    assert (potassium["flag"], potassium["status"], potassium["reference_range"]) == (
        "critical_high", "final", "3.5–5.1",
    )  # fmt: skip
    alerts = signed_in(doctor).get(f"{API}/critical-alerts", {"status": "open"}).json()
    assert len(alerts["results"]) == 1
    alert_id = alerts["results"][0]["id"]
    response = signed_in(doctor).post(
        f"{API}/critical-alerts/{alert_id}/acknowledge", {}, content_type="application/json"
    )
    assert response.status_code == 400
    response = signed_in(doctor).post(
        f"{API}/critical-alerts/{alert_id}/acknowledge",
        {"note": "read back"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    turnaround = signed_in(doctor).get(f"{API}/lab/turnaround").json()["results"]
    row = next(r for r in turnaround if r["test"] == "BMP")
    assert row["priority"] == "stat" and row["count"] == 1
    assert row["ordered_verified_median"] is not None


def test_impossible_value_is_a_400_field_error(signed_in, doctor, nurse, lab_tech, patient):
    order = services.lab_order_create(patient=patient, actor=doctor, tests=[lab_test("K")])
    specimen = services.lab_order_collect(order=order, actor=nurse)
    services.lab_order_receive(accession_number=specimen.accession_number, actor=lab_tech)
    line = order.results.get()
    response = signed_in(lab_tech).post(
        f"{API}/labs", {"line": str(line.pk), "value": "abc"}, content_type="application/json"
    )
    assert response.status_code == 400


def test_receptionist_sees_orders_but_not_results(signed_in, receptionist, doctor, patient):
    services.lab_order_create(patient=patient, actor=doctor, tests=[lab_test("K")])
    response = signed_in(receptionist).get(f"{API}/patients/{patient.pk}/lab-orders")
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    response = signed_in(receptionist).get(f"{API}/labs", {"patient": str(patient.pk)})
    assert response.status_code == 403


def test_doctor_outside_the_care_team_cannot_read_results(signed_in, make_user, patient):
    stranger = make_user("Doctor")
    response = signed_in(stranger).get(f"{API}/labs", {"patient": str(patient.pk)})
    assert response.status_code == 403


def test_cancel_needs_a_reason_and_then_is_final(signed_in, doctor, patient):
    order = services.lab_order_create(patient=patient, actor=doctor, tests=[lab_test("K")])
    url = f"{API}/lab-orders/{order.pk}/cancel"
    assert signed_in(doctor).post(url, {}, content_type="application/json").status_code == 400
    response = signed_in(doctor).post(url, {"reason": "dup"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    response = signed_in(doctor).post(url, {"reason": "dup"}, content_type="application/json")
    assert response.status_code == 409
