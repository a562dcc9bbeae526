"""The inpatient pages: who may open what (per persona), the forms, the board's htmx
actions and refresh, the census and its CSV export."""

import csv
import io
import re
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ehr.core import dashboard, navigation
from inpatient import services
from inpatient.models import Admission, AdmissionRequest, BedStay
from tests.factories.inpatient import AdmissionRequestFactory, WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory
from tests.matrix import (
    STAFF_PERSONAS,
    Page,
    assert_persona_access,
    assert_staff_only,
    page_ids,
    persona_cases,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
READERS = {"doctor", "nurse", "receptionist", "administrator"}
WARD_STAFF = {"nurse", "receptionist"}


@pytest.fixture
def scene(ward, beds, doctor, nurse):
    """An occupied bed, a bed being cleaned, a pending request, a discharged admission."""
    admission = admit(PatientFactory(), beds[0], doctor)
    gone = admit(PatientFactory(), beds[1], doctor)
    services.admission_discharge(admission=gone, disposition="home", summary="Well.", actor=doctor)
    return {
        "ward": ward,
        "admission": admission,
        "discharged": gone,
        "cleaning_bed": beds[1],
        "free_bed": beds[2],
        "request": AdmissionRequestFactory(requested_by=doctor),
    }


def url(name, key=None, *args):
    """Return a URL builder for the scene: `name` reversed with the pk of `scene[key]`."""
    return lambda s: reverse(name, args=[s[key].pk, *args] if key else args)


PAGES = [
    Page("board", url("inpatient:bed_board"), READERS),
    Page("board grid", url("inpatient:bed_board_grid"), READERS),
    Page("bed panel", url("inpatient:bed_detail", "free_bed"), READERS, extra=HTMX),
    Page(
        "mark clean",
        url("inpatient:bed_action", "cleaning_bed", "clean"),
        WARD_STAFF,
        method="post",
        extra=HTMX,
    ),
    Page("request queue", url("inpatient:admissionrequest_list"), READERS),
    Page("request form", url("inpatient:admissionrequest_create"), {"doctor"}),
    Page(
        "request cancel",
        url("inpatient:admissionrequest_cancel", "request"),
        {"doctor", "nurse", "receptionist"},
        method="post",
        ok=302,
    ),
    Page("admission form", url("inpatient:admission_create"), {"doctor", "nurse", "receptionist"}),
    Page("admission list", url("inpatient:admission_list"), READERS),
    Page("admission detail", url("inpatient:admission_detail", "admission"), READERS),
    Page("transfer form", url("inpatient:admission_transfer", "admission"), WARD_STAFF),
    Page(
        "order discharge",
        url("inpatient:admission_order_discharge", "admission"),
        {"doctor"},
        method="post",
        ok=302,
    ),
    Page("discharge form", url("inpatient:admission_discharge", "admission"), {"doctor"}),
    # The attending doctor keeps chart access for the follow-up time; the others have none.
    Page("discharge summary", url("inpatient:admission_summary", "discharged"), {"doctor"}),
    Page(
        "request patient search",
        url("inpatient:patient_search"),
        {"doctor"},
        method="post",
        data={"patient_q": "smith"},
    ),
    Page("census", url("inpatient:census"), READERS),
    Page("census csv", url("inpatient:census_export"), READERS),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_roles_only(request, scene, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_patients_are_sent_to_the_portal_and_strangers_to_sign_in(
    scene, client, signed_in, portal_patient, page
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)


@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_the_menu_and_home_panels_show_to_the_same_roles_as_before(request, persona):
    user = request.getfixturevalue(persona)
    assert navigation.ITEMS["beds"].visible_to(user) == (persona in READERS)
    assert dashboard.PANELS["inpatient_queue"].visible_to(user) == (persona in WARD_STAFF)
    assert dashboard.PANELS["my_inpatients"].visible_to(user) == (persona == "doctor")
    assert dashboard.PANELS["my_ward"].visible_to(user) == (persona == "nurse")


UNKNOWN = [
    ("inpatient:bed_detail", [], "get"),
    ("inpatient:bed_action", ["clean"], "post"),
    ("inpatient:admission_detail", [], "get"),
    ("inpatient:admission_summary", [], "get"),
    ("inpatient:admission_transfer", [], "get"),
    ("inpatient:admission_discharge", [], "get"),
    ("inpatient:admission_order_discharge", [], "post"),
    ("inpatient:admissionrequest_cancel", [], "post"),
]


@pytest.mark.parametrize(("name", "extra", "method"), UNKNOWN)
def test_unknown_records_are_not_found(signed_in, superuser_like, name, extra, method):
    url = reverse(name, args=[uuid.uuid4(), *extra])
    assert getattr(signed_in(superuser_like), method)(url).status_code == 404


@pytest.fixture
def superuser_like(make_user):
    return make_user("Doctor", "Nurse")


@pytest.mark.parametrize(
    "query", ["?patient={}", "?bed={}", "?admission_request={}"], ids=["patient", "bed", "request"]
)
def test_unknown_records_in_the_admission_form_are_not_found(signed_in, doctor, query):
    url = reverse("inpatient:admission_create") + query.format(uuid.uuid4())
    assert signed_in(doctor).get(url).status_code == 404


def test_a_user_who_sees_no_patients_sees_no_admissions(scene, make_user, signed_in):
    from django.contrib.auth.models import Permission

    outsider = make_user()
    outsider.user_permissions.add(
        Permission.objects.get(codename="view_admission", content_type__app_label="inpatient")
    )
    url = reverse("inpatient:admission_detail", args=[scene["admission"].pk])
    assert signed_in(outsider).get(url).status_code == 404


# --- The workflow through the pages ---------------------------------------------------------


def test_a_doctor_requests_admission_for_the_patient_picked_in_the_search(signed_in, doctor, ward):
    patient = PatientFactory()
    response = signed_in(doctor).post(
        reverse("inpatient:admissionrequest_create"),
        {
            "patient": patient.pk,
            "ward_preference": ward.pk,
            "priority": "urgent",
            "reason": "Sepsis",
        },
    )
    assert response.status_code == 302
    request = AdmissionRequest.objects.get(patient=patient)
    assert (request.status, request.requested_by, request.priority) == ("pending", doctor, "urgent")


def test_the_request_form_keeps_what_was_typed_and_says_what_is_wrong(signed_in, doctor):
    response = signed_in(doctor).post(
        reverse("inpatient:admissionrequest_create"),
        {"patient_q": "nobody", "priority": "urgent", "reason": "Sepsis"},
    )
    assert response.status_code == 400
    assert "Search for the patient and pick them." in response.content.decode()
    assert "Sepsis" in response.content.decode()


def test_the_request_form_refuses_a_patient_already_admitted(scene, signed_in, doctor):
    patient = scene["admission"].patient
    response = signed_in(doctor).post(
        reverse("inpatient:admissionrequest_create") + f"?patient={patient.pk}",
        {"priority": "routine", "reason": "Again"},
    )
    assert response.status_code == 400
    assert "already admitted" in response.content.decode()


def test_a_nurse_assigns_a_bed_from_the_queue(signed_in, nurse, doctor, beds, ward):
    request = AdmissionRequestFactory(requested_by=doctor, ward_preference=ward)
    client = signed_in(nurse)
    page = client.get(reverse("inpatient:admission_create") + f"?admission_request={request.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="{request.pk}" selected' in body
    assert 'name="patient"' not in body  # nurses assign beds to requests; they do not admit
    response = client.post(
        reverse("inpatient:admission_create") + f"?admission_request={request.pk}",
        {"admission_request": request.pk, "bed": beds[2].pk, "attending_doctor": doctor.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/inpatient/beds/?ward={ward.pk}"
    request.refresh_from_db()
    assert request.status == "assigned"
    assert BedStay.objects.get(admission=request.admission).bed == beds[2]


def test_a_nurse_cannot_admit_without_a_request(signed_in, nurse, doctor, beds):
    response = signed_in(nurse).post(
        reverse("inpatient:admission_create"),
        {"bed": beds[0].pk, "attending_doctor": doctor.pk, "patient": "MRN1"},
    )
    assert response.status_code == 400
    assert not Admission.objects.exists()


def test_a_doctor_admits_directly_into_the_bed_chosen_on_the_board(signed_in, doctor, beds):
    patient = PatientFactory()
    client = signed_in(doctor)
    page = client.get(reverse("inpatient:admission_create") + f"?bed={beds[3].pk}")
    assert f'value="{beds[3].pk}" selected' in page.content.decode()
    response = client.post(
        reverse("inpatient:admission_create"),
        {
            "patient": patient.mrn,
            "bed": beds[3].pk,
            "attending_doctor": doctor.pk,
            "reason": "Observation",
            "expected_discharge": "",
            "admitted_at": "",
        },
    )
    assert response.status_code == 302
    assert Admission.objects.get(patient=patient).attending_doctor == doctor


def test_a_bed_taken_meanwhile_is_refused_with_a_clear_error(scene, signed_in, doctor):
    taken = BedStay.objects.get(admission=scene["admission"]).bed
    response = signed_in(doctor).post(
        reverse("inpatient:admission_create"),
        {
            "patient": PatientFactory().mrn,
            "bed": taken.pk,
            "attending_doctor": doctor.pk,
            "reason": "x",
        },
    )
    assert response.status_code == 400
    # The picker's rule (Bed.misfit) says why, naming the bed.
    assert (
        f"Room {taken.room.number} bed {taken.number} cannot take the patient: occupied."
        in response.content.decode()
    )


def test_transfer_through_the_form(scene, signed_in, nurse):
    admission = scene["admission"]
    response = signed_in(nurse).post(
        reverse("inpatient:admission_transfer", args=[admission.pk]),
        {"bed": scene["free_bed"].pk, "reason": "Closer to the station"},
    )
    assert response.status_code == 302
    assert BedStay.objects.get(admission=admission, ended_at__isnull=True).bed == scene["free_bed"]


def test_discharge_through_the_form_sends_the_bed_to_cleaning(scene, signed_in, doctor):
    admission = scene["admission"]
    bed = BedStay.objects.get(admission=admission).bed
    client = signed_in(doctor)
    response = client.post(
        reverse("inpatient:admission_discharge", args=[admission.pk]),
        {"disposition": "home", "summary": ""},
    )
    assert response.status_code == 400  # the summary is required; nothing changed
    bed.refresh_from_db()
    assert bed.status == "occupied"
    response = client.post(
        reverse("inpatient:admission_discharge", args=[admission.pk]),
        {"disposition": "home", "summary": "Home with follow-up."},
    )
    assert response.status_code == 302
    bed.refresh_from_db()
    assert bed.status == "cleaning"
    # A discharged admission has no transfer or discharge form any more.
    again = client.get(reverse("inpatient:admission_discharge", args=[admission.pk]))
    assert again.status_code == 302 and again["Location"] == admission.get_absolute_url()


# --- The board and its htmx actions -----------------------------------------------------------


def test_the_board_shows_each_patient_and_refreshes_in_the_background(scene, signed_in, nurse):
    response = signed_in(nurse).get(reverse("inpatient:bed_board"))
    body = response.content.decode()
    patient = scene["admission"].patient
    assert f"{patient.last_name}, {patient.first_name}" in body
    assert "Dr House" in body and patient.age_display in body
    poller = re.search(r'<div class="board-poller"[^>]*>', body).group(0)
    assert 'hx-trigger="every 15s"' in poller
    assert 'hx-headers=\'{"X-EHR-Background": "1"}\'' in poller
    assert 'hx-target="#bed-grid"' in poller
    # The actions are not inside the poller, so they count as activity.
    assert body.index('id="bed-grid"') > body.index("</div>", body.index("board-poller"))


def test_polling_the_board_does_not_keep_an_idle_session_alive(scene, signed_in, nurse):
    client = signed_in(nurse)
    client.get(reverse("inpatient:bed_board"))
    session = client.session
    session["ehr_last_activity"] = int(time.time()) - 120
    session.save()
    client.get(reverse("inpatient:bed_board_grid"), HTTP_X_EHR_BACKGROUND="1", **HTMX)
    assert client.session["ehr_last_activity"] <= int(time.time()) - 120
    client.get(reverse("inpatient:bed_board"))
    assert client.session["ehr_last_activity"] >= int(time.time()) - 5


def test_the_refresh_also_updates_the_selected_beds_panel(scene, signed_in, nurse):
    bed = scene["free_bed"]
    response = signed_in(nurse).get(reverse("inpatient:bed_board_grid") + f"?bed={bed.pk}", **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="bed-grid"')
    assert 'id="bed-panel" class="card bed-panel" hx-swap-oob="true"' in body


def test_marking_a_bed_clean_from_the_board_answers_with_its_panel_and_tile(
    scene, signed_in, nurse
):
    bed = scene["cleaning_bed"]
    response = signed_in(nurse).post(
        reverse("inpatient:bed_action", args=[bed.pk, "clean"]), **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "is clean and available" in body
    assert f'id="bed-{bed.pk}"' in body and 'hx-swap-oob="true"' in body
    bed.refresh_from_db()
    assert bed.status == "available"


def test_a_forbidden_change_from_the_board_is_explained_in_the_panel(scene, signed_in, nurse):
    bed = scene["free_bed"]
    response = signed_in(nurse).post(
        reverse("inpatient:bed_action", args=[bed.pk, "clean"]), **HTMX
    )
    assert response.status_code == 200
    assert "Only a bed being cleaned can be marked clean." in response.content.decode()


def test_block_reserve_unblock_from_the_board(scene, signed_in, nurse):
    bed = scene["free_bed"]
    client = signed_in(nurse)
    client.post(
        reverse("inpatient:bed_action", args=[bed.pk, "reserve"]),
        {"reserve-hours": "2", "reserve-reason": "From theatre"},
        **HTMX,
    )
    bed.refresh_from_db()
    assert bed.status == "reserved"
    client.post(
        reverse("inpatient:bed_action", args=[bed.pk, "block"]),
        {"block-reason": "Maintenance"},
        **HTMX,
    )
    bed.refresh_from_db()
    assert (bed.status, bed.blocked_reason) == ("blocked", "Maintenance")
    response = client.post(reverse("inpatient:bed_action", args=[bed.pk, "unblock"]))
    assert response.status_code == 302  # without htmx: back to the board
    bed.refresh_from_db()
    assert bed.status == "available"
    assert client.post(reverse("inpatient:bed_action", args=[bed.pk, "explode"])).status_code == 404


def test_ordering_a_discharge_from_the_board_keeps_the_bed_occupied(scene, signed_in, doctor):
    admission = scene["admission"]
    response = signed_in(doctor).post(
        reverse("inpatient:admission_order_discharge", args=[admission.pk]),
        {"order": "1"},
        **HTMX,
    )
    assert "Discharge ordered" in response.content.decode()
    admission.refresh_from_db()
    assert admission.status == "discharge_ordered"
    assert BedStay.objects.get(admission=admission).bed.status == "occupied"


def test_the_board_costs_the_same_queries_at_one_and_at_fifty_beds(
    signed_in, nurse, doctor, django_assert_max_num_queries
):
    small, large = WardFactory(name="A small ward"), WardFactory(name="A large ward")
    admit(PatientFactory(), beds_in(small, 1)[0], doctor)
    for bed in beds_in(large, 50)[:45]:
        admit(PatientFactory(), bed, doctor)
    client = signed_in(nurse)
    client.get(reverse("inpatient:bed_board") + f"?ward={small.pk}")  # warm the session
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("inpatient:bed_board") + f"?ward={small.pk}")
    with django_assert_max_num_queries(len(context)):
        response = client.get(reverse("inpatient:bed_board") + f"?ward={large.pk}")
    assert response.content.decode().count('class="bed-tile') == 50


def test_the_board_filters_by_state(scene, signed_in, nurse):
    response = signed_in(nurse).get(
        reverse("inpatient:bed_board") + f"?ward={scene['ward'].pk}&status=cleaning"
    )
    assert response.content.decode().count('class="bed-tile') == 1


def test_a_bad_filter_falls_back_to_the_default(scene, signed_in, nurse):
    response = signed_in(nurse).get(reverse("inpatient:bed_board") + "?ward=nope&status=on-fire")
    assert response.status_code == 200
    assert response.content.decode().count('class="bed-tile') == 4


# --- Census -----------------------------------------------------------------------------------


def test_the_census_page_passes_its_data_to_chart_js(scene, signed_in, doctor):
    body = signed_in(doctor).get(reverse("inpatient:census")).content.decode()
    assert '<script id="census-data" type="application/json">' in body
    assert re.search(r'<script src="[^"]*chart\.umd\.min\.js" nonce="[^"]+"', body)


def test_the_census_exports_csv(scene, signed_in, doctor):
    client = signed_in(doctor)
    response = client.get(reverse("inpatient:census_export"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "date",
        "occupied_at_midnight",
        "beds",
        "occupancy_percent",
        "admissions",
        "discharges",
        "transfers",
    ]
    assert len(rows) == 31
    assert rows[-1][3:] == ["0.0", "2", "1", "0"]
    response = client.get(reverse("inpatient:census_export") + "?table=wards")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["ward", "total"]
    assert rows[1][:7] == ["Medical Ward", "4", "2", "0", "1", "1", "0"]
    assert client.get(reverse("inpatient:census_export") + "?table=x").status_code == 404


def test_csv_cells_cannot_carry_formulas(signed_in, doctor):
    WardFactory(name="=HYPERLINK(1)")
    response = signed_in(doctor).get(reverse("inpatient:census_export") + "?table=wards")
    assert "'=HYPERLINK(1)" in response.content.decode()


# --- Templates keep to the CSP ----------------------------------------------------------------


def test_inpatient_templates_have_no_inline_script_or_style():
    root = Path(settings.BASE_DIR) / "templates" / "inpatient"
    for path in root.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert "hx-on" not in text, path
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*json)", text), path


# --- The chart's Admissions tab ---------------------------------------------------------------


def test_the_admissions_tab_shows_the_history_and_keeps_summaries_for_the_care_team(
    scene, signed_in, receptionist, doctor
):
    gone = scene["discharged"]
    url = reverse("patients:patient_chart", args=[gone.patient.pk, "admissions"])
    page = signed_in(receptionist).get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Medical Ward" in body and "Discharged" in body
    assert "Well." not in body  # the summary is clinical
    body = signed_in(doctor).get(url).content.decode()
    assert "Discharge summary" in body and "Well." in body


def test_the_admissions_tab_is_not_for_roles_without_admissions(scene, signed_in, lab_tech):
    url = reverse("patients:patient_chart", args=[scene["admission"].patient.pk, "admissions"])
    assert signed_in(lab_tech).get(url).status_code in (403, 404)


def test_the_admissions_tab_costs_the_same_queries_for_one_and_for_many_admissions(
    signed_in, doctor, nurse, ward, django_assert_max_num_queries
):
    beds = beds_in(ward, 4)
    few, many = PatientFactory(), PatientFactory()
    for patient, count in ((few, 1), (many, 6)):
        for _ in range(count):
            admission = admit(patient, beds[0], doctor)
            services.admission_transfer(admission=admission, bed=beds[1], reason="x", actor=nurse)
            services.admission_discharge(
                admission=admission, disposition="home", summary="x", actor=doctor
            )
            for bed in beds[:2]:
                services.bed_mark_clean(bed=bed, actor=nurse)
    client = signed_in(doctor)
    client.get(reverse("patients:patient_chart", args=[few.pk, "admissions"]))
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("patients:patient_chart", args=[few.pk, "admissions"]))
    with django_assert_max_num_queries(len(context)):
        response = client.get(reverse("patients:patient_chart", args=[many.pk, "admissions"]))
    assert response.content.decode().count("admission-history-item") == 6
