"""Patient pages: the persona x URL matrix, registration with the duplicate warning,
edits and their history, the chart and its access log, break-the-glass, the care team,
the administrators' pages, and bounded query counts."""

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from ehr.core import chart
from patients import panels, services
from patients.models import (
    BANNER,
    BreakGlassAccess,
    CareRelationship,
    ChartAccess,
    Patient,
    PatientIdentifier,
    PatientMerge,
)
from patients.selectors import chart_access_for
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import at, book, weekly_schedule
from tests.matrix import Page, assert_persona_access, assert_staff_only, page_ids, persona_cases

pytestmark = pytest.mark.django_db

VIEWERS = {"doctor", "nurse", "receptionist", "administrator"}  # patients.view_patient
EDITORS = {"receptionist", "administrator"}  # patients.change_patient


def management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def patient_form_data(identifiers=(), contacts=(), **fields):
    """POST data of the registration/edit form, with both formsets."""
    data = {
        "first_name": "Ada",
        "middle_name": "",
        "last_name": "Lovelace",
        "date_of_birth": "1985-12-10",
        "sex": "female",
        "phone": "+12025550140",
        "email": "",
        "address_line": "",
        "city": "",
        "region": "",
        "postal_code": "",
        "country": "",
        "preferred_language": "",
        "marital_status": "",
        "occupation": "",
        "insurance_payer": "",
        "insurance_policy_number": "",
    }
    data.update(fields)
    data.update(management("identifiers", len(identifiers)))
    for i, identifier in enumerate(identifiers):
        data[f"identifiers-{i}-type"] = identifier["type"]
        data[f"identifiers-{i}-value"] = identifier["value"]
    data.update(management("contacts", len(contacts)))
    for i, contact in enumerate(contacts):
        for key, value in contact.items():
            data[f"contacts-{i}-{key}"] = value
    return data


def form_data_of(patient, **overrides):
    """The edit form's POST data for an existing patient, with `overrides`."""
    values = {
        name: getattr(patient, name)
        for name in services.DEMOGRAPHIC_FIELDS
        if name not in ("date_of_birth", "phone")
    }
    values["date_of_birth"] = patient.date_of_birth.isoformat()
    values["phone"] = patient.phone.as_e164 if patient.phone else ""
    values.update(overrides)
    return patient_form_data(**values)


# --- The persona x URL matrix -------------------------------------------------------------


@dataclass
class World:
    patient: Patient
    duplicate: Patient
    merge: PatientMerge
    access: BreakGlassAccess
    relationship: CareRelationship


@pytest.fixture
def world(make_user):
    """Objects every matrix URL needs, made by staff outside the personas."""
    clerk = make_user(roles.RECEPTIONIST)
    boss = make_user(roles.ADMINISTRATOR)
    other_nurse = make_user(roles.NURSE)
    patient = PatientFactory(first_name="Matrix", last_name="Patient")
    duplicate = PatientFactory(first_name="Matrix", last_name="Copy")
    survivor = PatientFactory(first_name="Merged", last_name="Survivor")
    merged_away = PatientFactory(first_name="Merged", last_name="Away")
    merge = services.patient_merge(survivor=survivor, duplicate=merged_away, actor=boss)
    access = services.break_glass_open(
        patient=patient, user=other_nurse, reason="emergency_care", details="Code blue"
    )
    # A doctor outside the personas books himself with the patient: self-assigned.
    other_doctor = make_user(roles.DOCTOR)
    weekly_schedule(other_doctor)
    appointment = book(patient, other_doctor, at(3, 10), actor=other_doctor)
    relationship = CareRelationship.objects.get(source_id=appointment.pk, self_assigned=True)
    assert clerk  # kept for clarity: the world has its own registration clerk
    return World(patient, duplicate, merge, access, relationship)


def chart_url(tab):
    return lambda w: reverse("patients:patient_chart", args=[w.patient.pk, tab])


PAGES = [
    Page(
        "list",
        lambda w: reverse("patients:patient_list"),
        VIEWERS,
    ),
    Page(
        "list_search",
        lambda w: reverse("patients:patient_list") + "?q=matrix",
        VIEWERS,
    ),
    Page(
        "register_get",
        lambda w: reverse("patients:patient_create"),
        {"receptionist"},
    ),
    Page(
        "register_post",
        lambda w: reverse("patients:patient_create"),
        {"receptionist"},
        method="post",
        data=lambda w: patient_form_data(first_name="Brand", last_name="Newperson"),
        ok=302,
    ),
    Page(
        "detail",
        lambda w: reverse("patients:patient_detail", args=[w.patient.pk]),
        VIEWERS,
        ok=302,
    ),
    Page(
        "chart_demographics",
        chart_url("demographics"),
        VIEWERS,
    ),
    Page(
        "chart_history",
        chart_url("history"),
        VIEWERS,
    ),
    Page(
        "chart_care_team",
        chart_url("care-team"),
        VIEWERS,
    ),
    Page(
        "edit_get",
        lambda w: reverse("patients:patient_update", args=[w.patient.pk]),
        EDITORS,
    ),
    Page(
        "edit_post",
        lambda w: reverse("patients:patient_update", args=[w.patient.pk]),
        EDITORS,
        method="post",
        data=lambda w: form_data_of(w.patient, city="Springfield"),
        ok=302,
    ),
    Page(
        "deactivate",
        lambda w: reverse("patients:patient_status", args=[w.patient.pk, "deactivate"]),
        EDITORS,
        method="post",
        ok=302,
    ),
    Page(
        "reactivate",
        lambda w: reverse("patients:patient_status", args=[w.patient.pk, "reactivate"]),
        EDITORS,
        method="post",
        ok=302,
    ),
    Page(
        "death",
        lambda w: reverse("patients:patient_status", args=[w.patient.pk, "death"]),
        frozenset(),
        method="post",
        data=lambda w: {"deceased_on": "2024-01-01"},
        ok=302,
    ),
    Page(
        "care_team",
        lambda w: reverse("patients:patient_care_team", args=[w.patient.pk]),
        {"doctor"},
        method="post",
        data=lambda w: {"remove": str(uuid.uuid4())},
        ok=302,
    ),
    Page(
        "break_glass",
        lambda w: reverse("patients:patient_break_glass", args=[w.patient.pk]),
        {"doctor", "nurse"},
        method="post",
        data=lambda w: {"reason": "emergency_care", "details": "Collapsed in the lobby"},
        ok=302,
    ),
    Page(
        "breakglass_review_list",
        lambda w: reverse("patients:breakglass_review_list"),
        {"administrator"},
    ),
    Page(
        "breakglass_review",
        lambda w: reverse("patients:breakglass_review", args=[w.access.pk]),
        {"administrator"},
        method="post",
        data=lambda w: {"comment": "Justified"},
        ok=302,
    ),
    Page(
        "self_assigned_review_list",
        lambda w: reverse("patients:self_assigned_review_list"),
        {"administrator"},
    ),
    Page(
        "self_assigned_review",
        lambda w: reverse("patients:self_assigned_review", args=[w.relationship.pk]),
        {"administrator"},
        method="post",
        data=lambda w: {"comment": "Covering a colleague"},
        ok=302,
    ),
    Page(
        "access_log",
        lambda w: reverse("patients:access_log"),
        {"administrator"},
    ),
    Page(
        "access_log_of_patient",
        lambda w: reverse("patients:access_log") + f"?patient={w.patient.pk}",
        {"administrator"},
    ),
    Page(
        "merge_get",
        lambda w: reverse("patients:patient_merge", args=[w.patient.pk]),
        {"administrator"},
    ),
    Page(
        "merge_post",
        lambda w: reverse("patients:patient_merge", args=[w.patient.pk]),
        {"administrator"},
        method="post",
        data=lambda w: {
            "duplicate_mrn": w.duplicate.display_mrn,
            "reason": "Same person",
            "confirm": "on",
            "previewed": str(w.duplicate.pk),
        },
        ok=302,
    ),
    Page(
        "merge_undo",
        lambda w: reverse("patients:patient_merge_undo", args=[w.merge.pk]),
        {"administrator"},
        method="post",
        ok=302,
    ),
]

# The pages about one record, with the address of an id that names nothing.
UNKNOWN_ID_URLS = {
    "detail": lambda pk: reverse("patients:patient_detail", args=[pk]),
    "chart_demographics": lambda pk: reverse("patients:patient_chart", args=[pk, "demographics"]),
    "chart_history": lambda pk: reverse("patients:patient_chart", args=[pk, "history"]),
    "chart_care_team": lambda pk: reverse("patients:patient_chart", args=[pk, "care-team"]),
    "edit_get": lambda pk: reverse("patients:patient_update", args=[pk]),
    "edit_post": lambda pk: reverse("patients:patient_update", args=[pk]),
    "deactivate": lambda pk: reverse("patients:patient_status", args=[pk, "deactivate"]),
    "reactivate": lambda pk: reverse("patients:patient_status", args=[pk, "reactivate"]),
    "death": lambda pk: reverse("patients:patient_status", args=[pk, "death"]),
    "care_team": lambda pk: reverse("patients:patient_care_team", args=[pk]),
    "break_glass": lambda pk: reverse("patients:patient_break_glass", args=[pk]),
    "breakglass_review": lambda pk: reverse("patients:breakglass_review", args=[pk]),
    "self_assigned_review": lambda pk: reverse("patients:self_assigned_review", args=[pk]),
    "access_log_of_patient": lambda pk: reverse("patients:access_log") + f"?patient={pk}",
    "merge_get": lambda pk: reverse("patients:patient_merge", args=[pk]),
    "merge_post": lambda pk: reverse("patients:patient_merge", args=[pk]),
    "merge_undo": lambda pk: reverse("patients:patient_merge_undo", args=[pk]),
}


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_roles_only(request, signed_in, world, page, persona):
    assert_persona_access(request, signed_in, page, persona, world)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_strangers_sign_in_and_patients_go_to_the_portal(
    client, signed_in, portal_patient, page, world
):
    assert_staff_only(client, signed_in, portal_patient, page, world)


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.name in UNKNOWN_ID_URLS], ids=lambda p: p.name
)
def test_an_unknown_id_is_404_for_an_allowed_persona(request, signed_in, world, page):
    persona = sorted(page.allowed or {"doctor"})[0]
    unknown = Page(
        page.name,
        lambda w: UNKNOWN_ID_URLS[page.name](uuid.uuid4()),
        {persona},
        method=page.method,
        data=page.data,
        ok=404,
    )
    assert_persona_access(request, signed_in, unknown, persona, world)


def test_an_unknown_chart_tab_is_404(signed_in, doctor):
    patient = PatientFactory()
    response = signed_in(doctor).get(
        reverse("patients:patient_chart", args=[patient.pk, "no-such-tab"])
    )
    assert response.status_code == 404


def test_an_unknown_status_action_is_404(signed_in, receptionist):
    patient = PatientFactory()
    response = signed_in(receptionist).post(
        reverse("patients:patient_status", args=[patient.pk, "explode"])
    )
    assert response.status_code == 404


# --- Registration -------------------------------------------------------------------------


def test_register_through_the_form_redirects_to_the_new_chart(signed_in, receptionist):
    client = signed_in(receptionist)
    data = patient_form_data(
        identifiers=[{"type": "passport", "value": "P-778899"}],
        contacts=[{"name": "Charles Babbage", "relationship": "friend", "phone": "+12025550141"}],
    )
    response = client.post(reverse("patients:patient_create"), data)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    assert client.get(response.url).url == reverse(
        "patients:patient_chart", args=[patient.pk, "demographics"]
    )
    assert patient.created_by == receptionist
    assert patient.identifiers.get().value == "P-778899"
    assert patient.emergency_contacts.get().name == "Charles Babbage"
    page = client.get(reverse("patients:patient_chart", args=[patient.pk, "demographics"]))
    assert page.status_code == 200
    assert patient.display_mrn in page.content.decode()


def test_register_shows_duplicate_candidates_then_registers_on_confirmation(
    signed_in, receptionist
):
    existing = PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=date(1985, 12, 10)
    )
    client = signed_in(receptionist)
    data = patient_form_data(first_name="Adah", last_name="Lovelace")
    response = client.post(reverse("patients:patient_create"), data)
    assert response.status_code == 400
    assert [c.patient for c in response.context["candidates"]] == [existing]
    assert "confirm_not_duplicate" in response.context["form"].fields
    assert Patient.objects.count() == 1
    assert existing.display_mrn in response.content.decode()

    response = client.post(
        reverse("patients:patient_create"), {**data, "confirm_not_duplicate": "on"}
    )
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_register_with_invalid_input_shows_field_errors(signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("patients:patient_create"),
        patient_form_data(first_name="", date_of_birth="12/31/yesterday", phone="not a phone"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"first_name", "date_of_birth", "phone"} <= set(errors)
    assert not Patient.objects.exists()


def test_register_with_a_date_of_birth_in_the_future_shows_the_services_error_on_the_field(
    signed_in, receptionist
):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = signed_in(receptionist).post(
        reverse("patients:patient_create"), patient_form_data(date_of_birth=tomorrow)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth cannot be in the future."
    ]
    assert not Patient.objects.exists()


def test_register_with_an_identifier_in_use_shows_a_form_error(signed_in, receptionist):
    owner = PatientFactory()
    PatientIdentifier.objects.create(patient=owner, type="passport", value="P-1")
    response = signed_in(receptionist).post(
        reverse("patients:patient_create"),
        patient_form_data(identifiers=[{"type": "passport", "value": "P-1"}]),
    )
    assert response.status_code == 400
    assert "P-1" in " ".join(response.context["form"].non_field_errors())
    assert Patient.objects.count() == 1


# --- Edits and history --------------------------------------------------------------------


def test_edit_form_shows_the_current_values(signed_in, receptionist):
    patient = PatientFactory(first_name="Edith")
    PatientIdentifier.objects.create(patient=patient, type="passport", value="E-1")
    response = signed_in(receptionist).get(reverse("patients:patient_update", args=[patient.pk]))
    assert response.status_code == 200
    assert response.context["form"].initial["first_name"] == "Edith"
    assert response.context["identifier_formset"].initial == [{"type": "passport", "value": "E-1"}]


def test_editing_the_phone_shows_in_the_history_tab(signed_in, receptionist):
    patient = services.patient_register(
        actor=receptionist,
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(1985, 12, 10),
        sex="female",
        phone="+12025550150",
    )
    client = signed_in(receptionist)
    response = client.post(
        reverse("patients:patient_update", args=[patient.pk]),
        form_data_of(patient, phone="+12025550151"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone.as_e164 == "+12025550151"

    history = client.get(reverse("patients:patient_chart", args=[patient.pk, "history"]))
    assert history.status_code == 200
    newest = history.context["tab_context"]["changes"][0]
    assert newest["record"].history_user == receptionist
    [change] = [c for c in newest["changes"] if str(c["field"]) == "phone"]
    assert "555-0150" in str(change["old"]) and "555-0151" in str(change["new"])
    assert history.context["tab_context"]["changes"][-1]["created"]


def test_an_edit_refused_for_an_identifier_in_use_saves_nothing(signed_in, receptionist):
    """The form shows the error, so none of the edit may be saved: demographics,
    identifiers and contacts are one change."""
    owner = PatientFactory()
    PatientIdentifier.objects.create(patient=owner, type="passport", value="TAKEN")
    patient = PatientFactory(city="Oldtown")
    response = signed_in(receptionist).post(
        reverse("patients:patient_update", args=[patient.pk]),
        form_data_of(patient, city="Newtown", identifiers=[{"type": "passport", "value": "TAKEN"}]),
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    patient.refresh_from_db()
    assert patient.city == "Oldtown"


def test_status_actions_deactivate_reactivate_and_record_death(signed_in, receptionist, doctor):
    patient = PatientFactory(date_of_birth=date(1940, 1, 1))
    client = signed_in(receptionist)
    status = lambda action: reverse("patients:patient_status", args=[patient.pk, action])  # noqa: E731
    assert client.post(status("deactivate")).status_code == 302
    patient.refresh_from_db()
    assert not patient.is_active
    client.post(status("reactivate"))
    patient.refresh_from_db()
    assert patient.is_active
    # The front desk has no chart access: it cannot record a death.
    assert client.post(status("death"), {"deceased_on": "2021-03-04"}).status_code == 403
    patient.refresh_from_db()
    assert not patient.is_deceased
    services.care_team_add(patient=patient, user=doctor, actor=None)
    client = signed_in(doctor)
    chart = client.get(reverse("patients:patient_detail", args=[patient.pk]), follow=True)
    assert "Record death" in chart.content.decode()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    client.post(status("death"), {"deceased_on": future})
    patient.refresh_from_db()
    assert not patient.is_deceased
    client.post(status("death"), {"deceased_on": "2021-03-04"})
    patient.refresh_from_db()
    assert patient.is_deceased and patient.deceased_on == date(2021, 3, 4)


# --- The chart, its access log and break-the-glass ----------------------------------------


def test_every_chart_view_is_logged(signed_in, receptionist):
    patient = PatientFactory()
    client = signed_in(receptionist)
    for tab in ("demographics", "history", "care-team", "demographics"):
        client.get(
            reverse("patients:patient_chart", args=[patient.pk, tab]), REMOTE_ADDR="10.9.8.7"
        )
    entries = ChartAccess.objects.filter(patient=patient, user=receptionist)
    assert entries.count() == 4
    assert sorted(entries.values_list("part", flat=True)) == [
        "care-team",
        "demographics",
        "demographics",
        "history",
    ]
    assert set(entries.values_list("ip_address", flat=True)) == {"10.9.8.7"}
    assert set(entries.values_list("roles", flat=True)) == {roles.RECEPTIONIST}


def test_a_doctor_outside_the_care_team_is_offered_break_the_glass(
    signed_in, doctor, make_user, receptionist
):
    patient = PatientFactory()
    doctor2 = make_user(roles.DOCTOR)
    on_care_team(patient, doctor)
    url = reverse("patients:patient_chart", args=[patient.pk, "demographics"])
    outsider = signed_in(doctor2).get(url)
    assert outsider.status_code == 200
    assert outsider.context["can_break_glass"] is True
    assert not outsider.context["access"].allowed
    member = signed_in(doctor).get(url)
    assert member.context["can_break_glass"] is False
    assert member.context["access"].allowed
    clerk = signed_in(receptionist).get(url)
    assert clerk.context["can_break_glass"] is False


def test_break_the_glass_opens_the_chart_and_marks_it(signed_in, make_user, administrator):
    patient = PatientFactory()
    doctor2 = make_user(roles.DOCTOR)
    client = signed_in(doctor2)
    response = client.post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {
            "reason": "emergency_care",
            "details": "Unresponsive, family not reachable",
            "next_tab": "history",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("patients:patient_chart", args=[patient.pk, "history"])
    assert chart_access_for(doctor2, patient).allowed
    access = BreakGlassAccess.objects.get(patient=patient, user=doctor2)

    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["access"].via_break_glass
    assert page.context["access"].break_glass == access
    assert page.context["can_break_glass"] is False
    assert ChartAccess.objects.get(user=doctor2).break_glass == access
    assert administrator.notifications.filter(category="security").exists()


def test_break_the_glass_without_a_reason_is_a_400_with_the_form(signed_in, nurse):
    patient = PatientFactory()
    response = signed_in(nurse).post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {"reason": "other", "details": "  ", "next_tab": "history"},
    )
    assert response.status_code == 400
    assert response.context["break_glass_form"].errors
    assert 'name="next_tab" value="history"' in response.content.decode()
    assert not BreakGlassAccess.objects.exists()


def test_break_the_glass_posted_without_next_tab_is_a_400_not_a_500(signed_in, nurse):
    """A client that omits the hidden next_tab field (a script, an old page) gets the
    form back with its error, not a server error."""
    patient = PatientFactory()
    response = signed_in(nurse).post(
        reverse("patients:patient_break_glass", args=[patient.pk]), {"reason": ""}
    )
    assert response.status_code == 400
    assert not BreakGlassAccess.objects.exists()


def test_break_the_glass_when_already_on_the_team_is_refused(signed_in, doctor):
    patient = on_care_team(PatientFactory(), doctor)
    response = signed_in(doctor).post(
        reverse("patients:patient_break_glass", args=[patient.pk]), {"reason": "emergency_care"}
    )
    assert response.status_code == 400
    assert not BreakGlassAccess.objects.exists()


@pytest.fixture
def clinical_tab():
    """A clinical tab (other apps add them: notes, orders…), registered for this test."""
    tab = chart.register_tab(
        chart.ChartTab(
            "test-clinical",
            "Clinical notes",
            "patients/chart/demographics.html",
            order=500,
            clinical=True,
            permission="patients.view_patient",
            context=panels.demographics_tab,
        )
    )
    yield tab
    chart.TABS.pop(tab.key, None)


def test_a_clinical_tab_is_403_outside_the_care_team_until_the_glass_is_broken(
    clinical_tab, signed_in, make_user, doctor, receptionist
):
    patient = on_care_team(PatientFactory(), doctor)
    url = reverse("patients:patient_chart", args=[patient.pk, clinical_tab.key])
    assert signed_in(doctor).get(url).status_code == 200

    doctor2 = make_user(roles.DOCTOR)
    client = signed_in(doctor2)
    denied = client.get(url)
    assert denied.status_code == 403
    assert denied.context["can_break_glass"] is True
    assert "break the glass" in denied.context["message"]
    # Only the banner's allergies were read (test_banner_allergies.py).
    assert not ChartAccess.objects.filter(user=doctor2).exclude(grant_reason=BANNER).exists()

    client.post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {"reason": "on_call", "details": "Night cover", "next_tab": clinical_tab.key},
    )
    opened = client.get(url)
    assert opened.status_code == 200
    assert opened.context["access"].via_break_glass
    assert ChartAccess.objects.get(user=doctor2, part=clinical_tab.key).break_glass_id

    clerk = signed_in(receptionist).get(url)
    assert clerk.status_code == 403
    assert clerk.context["can_break_glass"] is False


def test_the_demographics_tab_of_a_chart_with_a_clinical_tab_shows_it_locked(
    clinical_tab, signed_in, receptionist
):
    patient = PatientFactory()
    response = signed_in(receptionist).get(
        reverse("patients:patient_chart", args=[patient.pk, "demographics"])
    )
    locked = {e["tab"].key: e["locked"] for e in response.context["tabs"]}
    assert locked[clinical_tab.key] is True
    assert locked["demographics"] is False


# --- Care team ----------------------------------------------------------------------------


def test_a_care_team_member_adds_and_removes_a_colleague(signed_in, doctor, nurse):
    patient = on_care_team(PatientFactory(), doctor)
    client = signed_in(doctor)
    url = reverse("patients:patient_care_team", args=[patient.pk])
    response = client.post(url, {"user": str(nurse.pk)})
    assert response.url == reverse("patients:patient_chart", args=[patient.pk, "care-team"])
    assert chart_access_for(nurse, patient).allowed
    team = client.get(response.url).context["tab_context"]["members"]
    assert {m.user for m in team} == {doctor, nurse}
    client.post(url, {"remove": str(nurse.pk)})
    assert not chart_access_for(nurse, patient).allowed


def test_a_doctor_outside_the_care_team_cannot_change_it(signed_in, make_user, nurse):
    patient = PatientFactory()
    outsider = make_user(roles.DOCTOR)
    signed_in(outsider).post(
        reverse("patients:patient_care_team", args=[patient.pk]), {"user": str(nurse.pk)}
    )
    assert not chart_access_for(nurse, patient).allowed


def test_a_doctor_with_break_glass_access_cannot_change_the_care_team(signed_in, make_user, nurse):
    patient = PatientFactory()
    emergency = make_user(roles.DOCTOR)
    services.break_glass_open(
        patient=patient, user=emergency, reason="emergency_care", details="Night cover"
    )
    client = signed_in(emergency)
    client.post(reverse("patients:patient_care_team", args=[patient.pk]), {"user": str(nurse.pk)})
    assert not chart_access_for(nurse, patient).allowed
    tab = client.get(reverse("patients:patient_chart", args=[patient.pk, "care-team"]))
    assert tab.context["tab_context"]["can_manage"] is False


def test_only_doctors_and_nurses_can_be_added_to_a_care_team(signed_in, doctor, receptionist):
    patient = on_care_team(PatientFactory(), doctor)
    signed_in(doctor).post(
        reverse("patients:patient_care_team", args=[patient.pk]), {"user": str(receptionist.pk)}
    )
    assert not chart_access_for(receptionist, patient).allowed


def test_removing_a_malformed_user_id_is_not_a_server_error(signed_in, doctor):
    """The id is a field of the removal form: a bad one goes back to the care team with
    a message, as any invalid form posted from the chart does."""
    patient = on_care_team(PatientFactory(), doctor)
    response = signed_in(doctor).post(
        reverse("patients:patient_care_team", args=[patient.pk]), {"remove": "not-a-uuid"}
    )
    assert response.status_code == 302
    assert response.url == reverse("patients:patient_chart", args=[patient.pk, "care-team"])
    assert chart_access_for(doctor, patient).allowed


# --- Administrators -----------------------------------------------------------------------


def test_the_review_queue_lists_unreviewed_accesses_and_review_marks_them(
    signed_in, administrator, doctor
):
    access = services.break_glass_open(
        patient=PatientFactory(), user=doctor, reason="emergency_care", details="ED"
    )
    client = signed_in(administrator)
    queue = client.get(reverse("patients:breakglass_review_list"))
    assert list(queue.context["accesses"]) == [access]
    response = client.post(
        reverse("patients:breakglass_review", args=[access.pk]), {"comment": "Justified"}
    )
    assert response.url == reverse("patients:breakglass_review_list")
    access.refresh_from_db()
    assert access.reviewed_by == administrator and access.review_comment == "Justified"
    assert list(client.get(reverse("patients:breakglass_review_list")).context["accesses"]) == []
    everything = client.get(reverse("patients:breakglass_review_list") + "?show=all")
    assert list(everything.context["accesses"]) == [access]


def test_a_review_without_a_comment_is_refused(signed_in, administrator, doctor):
    access = services.break_glass_open(
        patient=PatientFactory(), user=doctor, reason="emergency_care", details="ED"
    )
    signed_in(administrator).post(reverse("patients:breakglass_review", args=[access.pk]), {})
    access.refresh_from_db()
    assert access.reviewed_at is None


def test_the_access_log_filters_by_patient_user_and_break_glass(
    signed_in, administrator, doctor, nurse
):
    first = on_care_team(PatientFactory(), doctor)
    second = PatientFactory()
    services.chart_open(patient=first, user=doctor, part="demographics")
    services.chart_open(patient=second, user=doctor, part="demographics", clinical=False)
    services.break_glass_open(patient=second, user=nurse, reason="emergency_care", details="Fall")
    services.chart_open(patient=second, user=nurse, part="demographics")
    client = signed_in(administrator)
    url = reverse("patients:access_log")
    assert len(client.get(url).context["entries"]) == 3
    by_patient = client.get(url, {"patient": str(second.pk)}).context["entries"]
    assert {e.patient for e in by_patient} == {second} and len(by_patient) == 2
    by_user = client.get(url, {"user": str(nurse.pk)}).context["entries"]
    assert [e.user for e in by_user] == [nurse]
    glass = client.get(url, {"break_glass": "yes"}).context["entries"]
    assert [e.user for e in glass] == [nurse]
    assert client.get(url, {"user": "nope"}).status_code == 404


def test_the_access_log_with_a_malformed_patient_id_is_404(signed_in, administrator):
    response = signed_in(administrator).get(
        reverse("patients:access_log"), {"patient": "not-a-uuid"}
    )
    assert response.status_code == 404


def test_merge_previews_then_merges_then_undoes(signed_in, administrator, doctor):
    survivor = PatientFactory()
    duplicate = on_care_team(PatientFactory(), doctor)
    PatientIdentifier.objects.create(patient=duplicate, type="passport", value="DUP-1")
    client = signed_in(administrator)
    url = reverse("patients:patient_merge", args=[survivor.pk])

    preview = client.post(url, {"duplicate_mrn": duplicate.mrn, "reason": "Same person"})
    assert preview.status_code == 200
    assert preview.context["duplicate"] == duplicate
    assert dict(preview.context["preview"])["identifiers"] == 1
    assert not PatientMerge.objects.exists()

    # Confirming without having seen the preview of this duplicate only shows the preview.
    unseen = client.post(
        url, {"duplicate_mrn": duplicate.display_mrn, "reason": "Same person", "confirm": "on"}
    )
    assert unseen.status_code == 200 and unseen.context["preview"] is not None
    assert not PatientMerge.objects.exists()

    merged = client.post(
        url,
        {
            "duplicate_mrn": duplicate.display_mrn,
            "reason": "Same person",
            "confirm": "on",
            "previewed": str(duplicate.pk),
        },
    )
    assert merged.status_code == 302
    merge = PatientMerge.objects.get()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert chart_access_for(doctor, survivor).allowed

    page = client.get(url)
    assert list(page.context["merges"]) == [merge]
    undone = client.post(reverse("patients:patient_merge_undo", args=[merge.pk]))
    assert undone.url == url
    duplicate.refresh_from_db()
    assert duplicate.is_active and duplicate.merged_into is None
    assert PatientIdentifier.objects.get(value="DUP-1").patient == duplicate


def test_merge_with_an_unknown_mrn_or_into_itself_is_a_400(signed_in, administrator):
    survivor = PatientFactory()
    client = signed_in(administrator)
    url = reverse("patients:patient_merge", args=[survivor.pk])
    unknown = client.post(url, {"duplicate_mrn": "99999999", "reason": "x", "confirm": "on"})
    assert unknown.status_code == 400
    assert unknown.context["form"].errors["duplicate_mrn"]
    itself = client.post(
        url,
        {
            "duplicate_mrn": survivor.mrn,
            "reason": "x",
            "confirm": "on",
            "previewed": str(survivor.pk),
        },
    )
    assert itself.status_code == 400
    assert not PatientMerge.objects.exists()


# --- List, search and query counts --------------------------------------------------------


def test_the_list_searches_with_q(signed_in, receptionist):
    smith = PatientFactory(first_name="John", last_name="Smith")
    PatientFactory(first_name="Mary", last_name="Jones")
    response = signed_in(receptionist).get(reverse("patients:patient_list"), {"q": "smyth"})
    assert list(response.context["patients"]) == [smith]
    assert response.context["query"] == "smyth"
    by_mrn = signed_in(receptionist).get(reverse("patients:patient_list"), {"q": smith.mrn})
    assert list(by_mrn.context["patients"]) == [smith]


def test_the_list_filters_status_sex_and_age(signed_in, receptionist):
    today = timezone.localdate()
    child = PatientFactory(sex="female", date_of_birth=today - timedelta(days=365 * 5))
    adult = PatientFactory(sex="male", date_of_birth=today - timedelta(days=365 * 30))
    closed = PatientFactory(sex="male")
    services.patient_deactivate(patient=closed, actor=receptionist)
    client = signed_in(receptionist)
    url = reverse("patients:patient_list")
    assert set(client.get(url).context["patients"]) == {child, adult}
    assert list(client.get(url, {"active": "no"}).context["patients"]) == [closed]
    assert list(client.get(url, {"sex": "female"}).context["patients"]) == [child]
    assert list(client.get(url, {"age": "0-17"}).context["patients"]) == [child]
    assert client.get(url, {"age": "bogus"}).status_code == 200


def test_the_list_rows_show_each_patient_escaped_with_status_badges(signed_in, receptionist):
    """The rows come from `patient_tags.patient_rows`: values escaped, the link to the
    chart, the date of birth, sex label, phone or a dash, and the status badges."""
    odd = PatientFactory(
        first_name="<b>Ann</b>",
        middle_name="O'Neil",
        last_name="smith",
        sex="female",
        date_of_birth=date(1980, 2, 3),
        phone="",
    )
    gone = PatientFactory(last_name="Zed")
    services.patient_deactivate(patient=gone, actor=receptionist)
    # Rows loaded in bulk (or before the column existed) may have no formatted phone.
    unformatted = PatientFactory(last_name="Bulk")
    Patient.objects.filter(pk=unformatted.pk).update(phone_display=None)
    html = (
        signed_in(receptionist)
        .get(reverse("patients:patient_list"), {"active": "all"})
        .content.decode()
    )
    row = re.search(rf"<tr>.*?{odd.mrn}.*?</tr>", html, re.S).group(0)
    assert f'href="{odd.get_absolute_url()}"' in row
    assert "SMITH, &lt;b&gt;Ann&lt;/b&gt; O&#x27;Neil</a>" in row
    assert '<time datetime="1980-02-03">1980-02-03</time>' in row
    assert "<td>Female</td>" in row
    assert '<span class="text-body-secondary">—</span>' in row
    bulk = re.search(rf"<tr>.*?{unformatted.mrn}.*?</tr>", html, re.S).group(0)
    assert '<span class="text-body-secondary">—</span>' in bulk
    muted = re.search(rf'<tr class="is-muted">.*?{gone.mrn}.*?</tr>', html, re.S).group(0)
    assert "status-inactive" in muted


def test_the_list_shows_statistics_to_roles_allowed_to_see_them(signed_in, receptionist, doctor):
    PatientFactory.create_batch(2)
    assert (
        signed_in(receptionist).get(reverse("patients:patient_list")).context["statistics"]["total"]
        == 2
    )
    assert "statistics" not in signed_in(doctor).get(reverse("patients:patient_list")).context


@pytest.mark.parametrize("persona", ["receptionist", "doctor", "administrator"])
def test_list_query_count_is_the_same_at_1_and_25_patients(
    persona, request, signed_in, django_assert_max_num_queries
):
    client = signed_in(request.getfixturevalue(persona))
    url = reverse("patients:patient_list")
    PatientFactory()
    client.get(url)  # warm per-process caches (parameters, permissions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    PatientFactory.create_batch(24)
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["patients"]) == 25


def test_chart_query_count_does_not_grow_with_history_and_care_team(
    signed_in, receptionist, make_user, django_assert_max_num_queries
):
    patient = on_care_team(PatientFactory(), make_user(roles.DOCTOR))  # 1 row of each
    services.patient_update(patient=patient, actor=receptionist, city="First town")
    PatientIdentifier.objects.create(patient=patient, type="passport", value="ONE")
    client = signed_in(receptionist)
    urls = [
        reverse("patients:patient_chart", args=[patient.pk, tab])
        for tab in ("demographics", "history", "care-team")
    ]
    for url in urls:
        client.get(url)
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts.append(len(queries))
    for i in range(10):
        services.patient_update(patient=patient, actor=receptionist, city=f"Town {i}")
        on_care_team(patient, make_user(roles.NURSE))
        PatientIdentifier.objects.create(patient=patient, type="other", value=f"X-{i}")
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200
