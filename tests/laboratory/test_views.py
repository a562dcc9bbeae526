import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from laboratory import services
from laboratory.models import CriticalAlert, LabOrder
from patients.models import ChartAccess
from tests.factories.laboratory import lab_test
from tests.factories.patients import PatientFactory, on_care_team
from tests.matrix import (
    Page,
    assert_persona_access,
    assert_staff_only,
    page_ids,
    persona_cases,
)

pytestmark = pytest.mark.django_db
CLINICIANS = {"doctor", "nurse"}


def _received(order, nurse, tech):
    specimen = services.lab_order_collect(order=order, actor=nurse)
    services.lab_order_receive(accession_number=specimen.accession_number, actor=tech)
    return specimen


@pytest.fixture
def scene(catalogue, doctor, nurse, lab_tech2):
    """A patient on the doctor's and nurse's care team with a K order in each state the
    pages need; the resulted one entered by lab_tech2, so lab_tech may verify it."""
    patient = on_care_team(PatientFactory(sex="male"), doctor, nurse)

    def order():
        return services.lab_order_create(patient=patient, actor=doctor, tests=[lab_test("K")])

    ordered = order()
    collected = order()
    services.lab_order_collect(order=collected, actor=nurse)
    received = order()
    _received(received, nurse, lab_tech2)
    resulted = order()
    _received(resulted, nurse, lab_tech2)
    line = resulted.results.get()
    services.lab_results_enter(order=resulted, actor=lab_tech2, values={line.pk: "6.8"})
    return {
        "patient": patient,
        "ordered": ordered,
        "collected": collected,
        "received": received,
        "resulted": resulted,
    }


def url(name, key):
    return lambda s: reverse(name, args=[s[key].pk])


def chart(tab):
    return lambda s: reverse("patients:patient_chart", args=[s["patient"].pk, tab])


PAGES = [
    Page("worklist", lambda s: reverse("laboratory:worklist"), {"lab_tech"}),
    Page("receive form", lambda s: reverse("laboratory:specimen_receive"), {"lab_tech"}),
    Page(
        "turnaround",
        lambda s: reverse("laboratory:turnaround"),
        {"doctor", "lab_tech", "administrator"},
    ),
    Page("order form", url("laboratory:laborder_create", "patient"), {"doctor"}),
    Page("order page", url("laboratory:laborder_detail", "received"), {*CLINICIANS, "lab_tech"}),
    Page(
        "collect",
        url("laboratory:laborder_collect", "ordered"),
        {"nurse", "lab_tech"},
        method="post",
        data={},
        ok=302,
    ),
    Page("label", url("laboratory:specimen_label", "collected"), {"nurse", "lab_tech"}),
    Page("result entry", url("laboratory:labresult_enter", "received"), {"lab_tech"}),
    Page(
        "verify",
        url("laboratory:laborder_verify", "resulted"),
        {"lab_tech"},
        method="post",
        data={},
        ok=302,
    ),
    Page(
        "cancel",
        url("laboratory:laborder_cancel", "ordered"),
        {"doctor", "lab_tech"},
        method="post",
        data={"reason": "Duplicate"},
        ok=302,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_roles_only(request, scene, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_strangers_sign_in_and_patients_go_to_the_portal(
    client, signed_in, portal_patient, page, scene
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)


TAB_STATUS = {
    # A tab the role may not see is not there (404); without patients.view_patient the
    # chart itself is refused (403).
    "results": {"doctor": 200, "nurse": 200, "lab_tech": 403, "receptionist": 404,
                "administrator": 404, "pharmacist": 403},
    "lab-orders": {"doctor": 200, "nurse": 200, "lab_tech": 403, "receptionist": 200,
                   "administrator": 404, "pharmacist": 403},
}  # fmt: skip


@pytest.mark.parametrize(
    ("tab", "persona"), [(t, p) for t, personas in TAB_STATUS.items() for p in personas]
)
def test_chart_tabs_per_persona(request, scene, signed_in, tab, persona):
    client = signed_in(request.getfixturevalue(persona))
    response = client.get(chart(tab)(scene))
    assert response.status_code == TAB_STATUS[tab][persona]


def test_a_doctor_outside_the_care_team_is_refused_the_order_page(scene, make_user, signed_in):
    stranger = make_user("Doctor")
    response = signed_in(stranger).get(
        reverse("laboratory:laborder_detail", args=[scene["received"].pk])
    )
    assert response.status_code == 403


def test_an_unknown_order_is_404(scene, doctor, signed_in):
    import uuid

    response = signed_in(doctor).get(reverse("laboratory:laborder_detail", args=[uuid.uuid4()]))
    assert response.status_code == 404


def test_the_receptionist_sees_orders_but_no_values(scene, receptionist, signed_in):
    client = signed_in(receptionist)
    page = client.get(reverse("patients:patient_chart", args=[scene["patient"].pk, "lab-orders"]))
    text = page.content.decode()
    assert "Potassium" in text and "6.8" not in text
    response = client.get(reverse("patients:patient_chart", args=[scene["patient"].pk, "results"]))
    assert response.status_code == 404  # not a tab of the front desk


def test_the_lab_tech_reaches_the_orders_of_the_worklist_and_no_chart(scene, lab_tech, signed_in):
    client = signed_in(lab_tech)
    # Without the demographics permission neither the chart nor the patient search opens.
    chart_url = reverse("patients:patient_chart", args=[scene["patient"].pk, "results"])
    assert client.get(chart_url).status_code == 403
    assert client.get(reverse("patients:patient_list") + "?q=a").status_code == 403
    order_url = reverse("laboratory:laborder_detail", args=[scene["received"].pk])
    assert client.get(order_url).status_code == 200
    access = ChartAccess.objects.filter(user=lab_tech, patient=scene["patient"]).last()
    assert access.grant_reason == "worklist" and access.part == "results"
    # Once none of the patient's orders is on the worklist, its order pages are refused.
    LabOrder.objects.filter(patient=scene["patient"]).update(status="verified")
    assert client.get(order_url).status_code == 403


def test_the_label_is_a_pdf_with_the_accession_number_and_patient(scene, nurse, signed_in):
    order = scene["collected"]
    specimen = order.specimens.get()
    response = signed_in(nurse).get(reverse("laboratory:specimen_label", args=[order.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert specimen.accession_number in text
    assert scene["patient"].display_mrn in text
    assert "K" in text


def test_the_whole_walk_through_the_pages(
    catalogue, doctor, nurse, lab_tech, lab_tech2, signed_in, client
):
    patient = on_care_team(PatientFactory(sex="male"), doctor, nurse)
    bmp = lab_test("BMP")
    response = signed_in(doctor).post(
        reverse("laboratory:laborder_create", args=[patient.pk]),
        {"tests": [bmp.pk], "priority": "stat", "clinical_notes": "Weakness"},
    )
    assert response.status_code == 302
    order = LabOrder.objects.get(patient=patient)
    signed_in(nurse).post(reverse("laboratory:laborder_collect", args=[order.pk]))
    accession = order.specimens.get().accession_number
    tech = signed_in(lab_tech)
    assert tech.get(reverse("laboratory:worklist")).content.decode().count(accession) == 1
    response = tech.post(reverse("laboratory:specimen_receive"), {"accession_number": "123"})
    assert response.status_code == 400
    response = tech.post(reverse("laboratory:specimen_receive"), {"accession_number": accession})
    assert response.status_code == 302
    values = {"NA": "140", "K": "6.8", "CL": "100", "CO2": "25", "BUN": "12", "CREA": "0.9"}
    values |= {"GLU": "90", "CA": "9.5"}
    data = {
        f"value_{line.pk}": values[line.test.code] for line in order.results.select_related("test")
    }
    bad = {**data, f"value_{order.results.get(test__code='NA').pk}": "abc"}
    response = tech.post(reverse("laboratory:labresult_enter", args=[order.pk]), bad)
    assert response.status_code == 400 and "Enter a number" in response.content.decode()
    response = tech.post(reverse("laboratory:labresult_enter", args=[order.pk]), data)
    assert response.status_code == 302
    page = tech.get(reverse("laboratory:laborder_detail", args=[order.pk])).content.decode()
    assert "critical high" in page
    # The technician who entered cannot verify; a second one can.
    tech.post(reverse("laboratory:laborder_verify", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == "resulted"
    signed_in(lab_tech2).post(reverse("laboratory:laborder_verify", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == "verified"
    alert = CriticalAlert.objects.get(result__order=order)
    doc = signed_in(doctor)
    home = doc.get(reverse("core:home")).content.decode()
    assert "Critical results to acknowledge" in home and patient.full_name in home
    chart_page = doc.get(reverse("patients:patient_chart", args=[patient.pk, "results"]))
    assert "banner-critical-results" in chart_page.content.decode()
    response = doc.post(
        reverse("laboratory:criticalalert_acknowledge", args=[alert.pk]),
        {"note": "K 6.8 read back; repeat stat and ECG"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == doctor
    chart_page = doc.get(reverse("patients:patient_chart", args=[patient.pk, "results"]))
    assert "banner-critical-results" not in chart_page.content.decode()


def test_turnaround_report_shows_the_stat_order_and_exports_csv(
    catalogue, doctor, nurse, lab_tech, lab_tech2, signed_in, make_user
):
    patient = PatientFactory(sex="male")
    order = services.lab_order_create(
        patient=patient, actor=doctor, tests=[lab_test("K")], priority="stat"
    )
    _received(order, nurse, lab_tech)
    line = order.results.get()
    services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: "4.1"})
    services.lab_order_verify(order=order, actor=lab_tech2)
    client = signed_in(lab_tech)
    page = client.get(reverse("laboratory:turnaround"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Potassium" in text and "stat" in text and "lab-turnaround-data" in text
    export = client.get(reverse("laboratory:turnaround"), {"format": "csv"})
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("test,name,priority,count,ordered_collected_median")
    assert lines[1].startswith("K,Potassium,stat,1,")
    bad = client.get(reverse("laboratory:turnaround"), {"from": "not-a-date"})
    assert bad.status_code == 200
    assert (
        signed_in(make_user("Receptionist")).get(reverse("laboratory:turnaround")).status_code
        == 403
    )
