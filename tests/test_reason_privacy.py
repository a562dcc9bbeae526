"""Free-text clinical reasons (reasons for a visit, for admission, of admission requests and
waitlist entries) are clinical content: only users with chart access to the patient read
them. Receptionists, and doctors outside the patient's care, see the record's type and a
neutral "Reason recorded" on every page and in the API; the treating doctor sees the text.
Lists decide for all rows in one query."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from inpatient import services as inpatient_services
from patients.selectors import clinical_reason_visibility
from patients.services import care_team_add
from scheduling import services as scheduling_services
from scheduling.models import WaitlistOffer
from tests.factories.clinical import EncounterFactory
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import AppointmentTypeFactory, at, book, weekly_schedule

pytestmark = pytest.mark.django_db

SECRET = "Suspected relapse of alcohol dependence"
RECORDED = "Reason recorded"


@pytest.fixture
def treating(doctor):
    """The patient's doctor, on the care team."""
    weekly_schedule(doctor)
    return doctor


@pytest.fixture
def outsider(make_user):
    """A doctor with no care relationship to the patient."""
    user = make_user(roles.DOCTOR)
    weekly_schedule(user)
    return user


@pytest.fixture
def patient(treating):
    patient = PatientFactory(first_name="Private", last_name="Reason")
    care_team_add(patient=patient, user=treating, actor=None)
    return patient


@pytest.fixture
def appointment(patient, treating, receptionist):
    return book(patient, treating, at(2, 10), actor=receptionist, reason=SECRET)


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


def page(signed_in, user, url):
    response = signed_in(user).get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_hidden(html):
    assert SECRET not in html
    assert RECORDED in html


def assert_shown(html):
    assert SECRET in html


# --- The rule ---------------------------------------------------------------------------------


def test_reasons_are_visible_only_with_chart_access(
    appointment, treating, outsider, receptionist, django_assert_num_queries
):
    for user, visible in ((treating, True), (outsider, False), (receptionist, False)):
        appointment.__dict__.pop("reason_visible", None)
        with django_assert_num_queries(1 if user.is_hospital_staff else 0):
            clinical_reason_visibility(user, [appointment])
        assert appointment.reason_visible is visible


# --- Scheduling pages -------------------------------------------------------------------------


def test_appointment_page_shows_the_reason_to_the_treating_doctor_only(
    appointment, receptionist, outsider, treating, signed_in
):
    url = reverse("scheduling:appointment_detail", args=[appointment.pk])
    assert_hidden(page(signed_in, receptionist, url))
    assert_hidden(page(signed_in, outsider, url))
    html = page(signed_in, treating, url)
    assert_shown(html)
    assert RECORDED not in html


def test_front_desk_and_calendar_never_show_the_reason(
    appointment, receptionist, treating, signed_in
):
    day = timezone.localdate(appointment.start).isoformat()
    assert SECRET not in page(
        signed_in, receptionist, reverse("scheduling:day_list") + f"?date={day}"
    )
    start = timezone.localtime(appointment.start).replace(hour=0, minute=0)
    events = signed_in(receptionist).get(
        reverse("scheduling:calendar_events"),
        {
            "doctor": str(treating.pk),
            "start": start.isoformat(),
            "end": (start + timedelta(days=1)).isoformat(),
        },
    )
    assert events.status_code == 200
    assert appointment.patient.last_name in events.content.decode()
    assert SECRET not in events.content.decode()


def test_my_day_shows_the_reason_to_a_doctor_with_chart_access_only(
    patient, treating, outsider, receptionist, signed_in
):
    stranger = PatientFactory()
    book(patient, treating, at(2, 10), actor=receptionist, reason=SECRET)
    book(stranger, outsider, at(2, 11), actor=receptionist, reason=SECRET)
    day = timezone.localdate(at(2, 10)).isoformat()
    assert_shown(page(signed_in, treating, reverse("scheduling:my_day") + f"?date={day}"))
    # Booked for next week, the outsider's own relationship opens only before the visit.
    assert_hidden(page(signed_in, outsider, reverse("scheduling:my_day") + f"?date={day}"))


def test_waitlist_and_its_offers_hide_the_reason_from_receptionists(
    patient, treating, receptionist, signed_in
):
    appointment_type = AppointmentTypeFactory()
    entry = scheduling_services.waitlist_add(
        patient=patient,
        appointment_type=appointment_type,
        earliest=timezone.localdate(),
        latest=timezone.localdate() + timedelta(days=30),
        actor=receptionist,
        doctor=treating,
        reason=SECRET,
    )
    freed = book(PatientFactory(), treating, at(3, 10), actor=receptionist)
    offer = WaitlistOffer(
        entry=entry, freed_by=freed, doctor=treating, start=freed.start, end=freed.end
    )
    offer.stamp(receptionist)
    offer.save()
    assert_hidden(page(signed_in, receptionist, reverse("scheduling:waitlist")))
    offer_url = reverse("scheduling:waitlist_offer", args=[offer.pk])
    assert_hidden(page(signed_in, receptionist, offer_url))
    assert appointment_type.name in page(signed_in, receptionist, offer_url)
    assert_shown(page(signed_in, treating, reverse("scheduling:waitlist")))


# --- Inpatient pages --------------------------------------------------------------------------


@pytest.fixture
def ward():
    return WardFactory()


@pytest.fixture
def admission_request(patient, treating):
    return inpatient_services.admission_request_create(
        patient=patient, reason=SECRET, actor=treating
    )


def test_admission_request_queue_and_bed_assignment_hide_the_reason(
    admission_request, receptionist, outsider, treating, signed_in
):
    queue = reverse("inpatient:admissionrequest_list")
    assert_hidden(page(signed_in, receptionist, queue))
    assert_hidden(page(signed_in, outsider, queue))
    assert_shown(page(signed_in, treating, queue))
    assign = reverse("inpatient:admission_create") + f"?admission_request={admission_request.pk}"
    assert_hidden(page(signed_in, receptionist, assign))
    assert_shown(page(signed_in, treating, assign))


def test_admission_page_hides_the_reason_from_receptionists(
    patient, ward, treating, receptionist, outsider, signed_in
):
    (bed,) = beds_in(ward, 1)
    admission = admit(patient, bed, treating, reason=SECRET)
    url = reverse("inpatient:admission_detail", args=[admission.pk])
    assert_hidden(page(signed_in, receptionist, url))
    assert_hidden(page(signed_in, outsider, url))
    assert_shown(page(signed_in, treating, url))


# --- API --------------------------------------------------------------------------------------


def test_appointment_api_answers_null_reason_without_chart_access(
    appointment, receptionist, outsider, treating, api
):
    for user in (receptionist, outsider):
        listed = api(user).get("/api/v1/appointments").json()["results"][0]
        detail = api(user).get(f"/api/v1/appointments/{appointment.pk}").json()
        for body in (listed, detail):
            assert body["reason"] is None
            assert body["reason_recorded"] is True
    body = api(treating).get(f"/api/v1/appointments/{appointment.pk}").json()
    assert body["reason"] == SECRET and body["reason_recorded"] is True
    listed = api(treating).get("/api/v1/appointments").json()["results"][0]
    assert listed["reason"] == SECRET


def test_appointment_api_says_when_no_reason_was_recorded(patient, treating, receptionist, api):
    book(patient, treating, at(2, 10), actor=receptionist)
    body = api(receptionist).get("/api/v1/appointments").json()["results"][0]
    assert body["reason"] is None and body["reason_recorded"] is False


def test_admission_api_answers_null_reason_without_chart_access(
    patient, ward, treating, receptionist, outsider, api
):
    (bed,) = beds_in(ward, 1)
    admission = admit(patient, bed, treating, reason=SECRET)
    for user in (receptionist, outsider):
        listed = api(user).get("/api/v1/admissions").json()["results"][0]
        detail = api(user).get(f"/api/v1/admissions/{admission.pk}").json()
        for body in (listed, detail):
            assert body["reason"] is None
            assert body["reason_recorded"] is True
    body = api(treating).get(f"/api/v1/admissions/{admission.pk}").json()
    assert body["reason"] == SECRET


def test_schema_documents_the_withheld_reason(treating, api):
    schema = api(treating).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for name in ("Appointment", "Admission"):
        properties = schema["components"]["schemas"][name]["properties"]
        assert properties["reason"]["nullable"] is True
        assert "chart" in properties["reason"]["description"]
        assert properties["reason_recorded"]["type"] == "boolean"


# --- Chief complaints ------------------------------------------------------------------------


def test_chief_complaints_stay_behind_chart_access(
    patient, treating, outsider, receptionist, signed_in, api
):
    """Encounters live in the chart: their chief complaint reaches only users with chart
    access, on the chart's tab and in the API."""
    EncounterFactory(patient=patient, doctor=treating, chief_complaint=SECRET)
    tab = reverse("patients:patient_chart", args=[patient.pk, "encounters"])
    for user in (receptionist, outsider):
        response = signed_in(user).get(tab)
        assert response.status_code in (403, 404) and SECRET not in response.content.decode()
        listed = api(user).get("/api/v1/encounters")
        assert SECRET not in listed.content.decode()
        one = api(user).get("/api/v1/encounters", {"patient": str(patient.pk)})
        assert one.status_code in (403, 404) and SECRET not in one.content.decode()
    assert_shown(page(signed_in, treating, tab))
    assert SECRET in api(treating).get("/api/v1/encounters").content.decode()


# --- The front desk, everywhere -------------------------------------------------------------


def test_reasons_visible_to_receptionists(patient, treating, receptionist, signed_in, api):
    """Regression: a receptionist reads no clinical reason on any page or endpoint he
    reaches (appointments, calendar, front desk, waitlist and offers, admission requests,
    admissions, bed board, census, patient pages, notifications, dashboard, API)."""
    appointment = book(patient, treating, at(2, 10), actor=receptionist, reason=SECRET)
    entry = scheduling_services.waitlist_add(
        patient=PatientFactory(),
        appointment_type=appointment.appointment_type,
        earliest=timezone.localdate(),
        latest=timezone.localdate() + timedelta(days=30),
        actor=receptionist,
        doctor=treating,
        reason=SECRET,
    )
    offer = WaitlistOffer(
        entry=entry,
        freed_by=appointment,
        doctor=treating,
        start=appointment.start,
        end=appointment.end,
    )
    offer.stamp(receptionist)
    offer.save()
    requested = PatientFactory()
    admission_request = inpatient_services.admission_request_create(
        patient=requested, reason=SECRET, actor=treating
    )
    ward = WardFactory()
    (bed,) = beds_in(ward, 1)
    admission = admit(PatientFactory(), bed, treating, reason=SECRET)
    day = timezone.localdate(appointment.start).isoformat()
    start = timezone.localtime(appointment.start).replace(hour=0, minute=0)
    calendar = {
        "doctor": str(treating.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(days=1)).isoformat(),
    }
    pages = [
        reverse("core:home"),
        reverse("core:notification_list"),
        reverse("scheduling:day_list") + f"?date={day}",
        reverse("scheduling:calendar_events")
        + "?"
        + "&".join(f"{k}={v}" for k, v in calendar.items()),
        reverse("scheduling:appointment_detail", args=[appointment.pk]),
        reverse("scheduling:waitlist"),
        reverse("scheduling:waitlist_offer", args=[offer.pk]),
        reverse("inpatient:admissionrequest_list"),
        reverse("inpatient:admission_create") + f"?admission_request={admission_request.pk}",
        reverse("inpatient:admission_list"),
        reverse("inpatient:admission_detail", args=[admission.pk]),
        reverse("inpatient:bed_board") + f"?ward={ward.pk}",
        reverse("inpatient:bed_board") + f"?ward={ward.pk}&bed={bed.pk}",
        reverse("inpatient:census"),
        reverse("patients:patient_list") + "?q=Reason",
        reverse("patients:patient_detail", args=[patient.pk]),
        reverse("patients:patient_detail", args=[requested.pk]),
    ]
    client = signed_in(receptionist)
    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    endpoints = [
        "/api/v1/appointments",
        f"/api/v1/appointments/{appointment.pk}",
        "/api/v1/admissions",
        f"/api/v1/admissions/{admission.pk}",
        f"/api/v1/patients/{patient.pk}",
    ]
    for url in endpoints:
        response = api(receptionist).get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["receptionist", "treating"])
@pytest.mark.parametrize(
    "target",
    [
        "/api/v1/appointments",
        "/api/v1/admissions",
        "scheduling:waitlist",
        "scheduling:my_day",
        "inpatient:admissionrequest_list",
    ],
)
def test_reason_checks_do_not_grow_with_the_rows(
    target, persona, request, treating, receptionist, api, signed_in, django_assert_max_num_queries
):
    """Ten rows cost no more queries than one: the reasons of a page are decided at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = request.getfixturevalue(persona)
    appointment_type = AppointmentTypeFactory()
    beds = iter(beds_in(WardFactory(), 10))
    added = []

    def add(n):
        for _ in range(n):
            patient = PatientFactory()
            start = at(0, 0) + timedelta(hours=36, minutes=15 * len(added))
            book(
                patient,
                treating,
                start,
                actor=receptionist,
                appointment_type=appointment_type,
                reason=SECRET,
            )
            scheduling_services.waitlist_add(
                patient=patient,
                appointment_type=appointment_type,
                earliest=timezone.localdate(),
                latest=timezone.localdate() + timedelta(days=30),
                actor=receptionist,
                doctor=treating,
                reason=SECRET,
            )
            if len(added) % 2:
                admit(patient, next(beds), treating, reason=SECRET)
            else:
                inpatient_services.admission_request_create(
                    patient=patient, reason=SECRET, actor=treating
                )
            added.append(patient)

    if target.startswith("/"):
        client, url = api(user), target
    else:
        client, url = signed_in(user), reverse(target)
        if target == "scheduling:my_day":
            url += "?date=" + timezone.localdate(at(0, 0) + timedelta(hours=36)).isoformat()
    add(2)
    client.get(url)  # the first request warms the session and permission caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    if user == receptionist and SECRET in response.content.decode():
        pytest.fail("the receptionist reads a reason")
    add(8)
    with django_assert_max_num_queries(len(captured)):
        response = client.get(url)
    assert response.status_code == 200
