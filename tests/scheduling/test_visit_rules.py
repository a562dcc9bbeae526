"""The rules of a visit's day: a patient is checked in only on the appointment's day
(the hospital's local date), and a checked-in visit completed without an encounter says
why. Each rule is the appointment's own (`Appointment.check_transition`), so the model,
the services, the pages and the API answer alike; the buttons a page offers and the
API's `allowed_transitions` follow the same rule."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ehr.core.views import FormActionView
from scheduling import services, views
from scheduling.exceptions import CheckInNotOnTheDay, CompletionReasonRequired
from scheduling.models import AppointmentStatus
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import ConsultationRoomFactory, at, book, weekly_schedule

pytestmark = pytest.mark.django_db

S = AppointmentStatus
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def scheduled(doctor):
    weekly_schedule(doctor, room=ConsultationRoomFactory(name="Room 3"))
    return doctor


@pytest.fixture
def tomorrow(scheduled, receptionist):
    return book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)


@pytest.fixture
def today(scheduled):
    """An appointment of today (its time may have passed: a walk-in registered late)."""
    return book(
        PatientFactory(first_name="Tom", last_name="Today"),
        scheduled,
        max(timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1), at(0, 0)),
        actor=scheduled,
        override=True,
        _allow_past=True,
    )


@pytest.fixture
def checked_in(today, receptionist):
    return services.appointment_check_in(appointment=today, actor=receptionist)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_url(appointment):
    return f"/api/v1/appointments/{appointment.pk}"


# --- Check-in on the appointment's day ------------------------------------------------------


def test_the_model_offers_check_in_only_on_the_appointments_day(tomorrow):
    assert S.CHECKED_IN not in tomorrow.allowed_transitions(timezone.now())
    assert not tomorrow.can_transition_to(S.CHECKED_IN, timezone.now())
    assert S.CHECKED_IN in tomorrow.allowed_transitions(at(1, 8))
    assert tomorrow.can_transition_to(S.CHECKED_IN, at(1, 23, 50))
    assert not tomorrow.can_transition_to(S.CHECKED_IN, at(2, 0, 5))
    # Other changes keep their table.
    assert S.CONFIRMED in tomorrow.allowed_transitions(timezone.now())


def test_checking_in_before_the_day_is_refused_with_a_clear_message(tomorrow, receptionist):
    with pytest.raises(CheckInNotOnTheDay, match="only on the day of the appointment") as error:
        services.appointment_check_in(appointment=tomorrow, actor=receptionist)
    assert error.value.status_code == 409
    tomorrow.refresh_from_db()
    assert tomorrow.status == S.BOOKED and tomorrow.checked_in_at is None
    assert tomorrow.status_changes.count() == 1


def test_checking_in_after_the_day_is_refused(scheduled, receptionist):
    yesterday = book(
        PatientFactory(), scheduled, at(-1, 10), actor=scheduled, override=True, _allow_past=True
    )
    with pytest.raises(CheckInNotOnTheDay):
        services.appointment_check_in(appointment=yesterday, actor=receptionist)


def test_the_day_is_the_hospitals_local_date_not_utc(settings, scheduled, receptionist):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in March
    start = timezone.make_aware(datetime(2027, 3, 10, 0, 30))
    appointment = book(PatientFactory(), scheduled, start, actor=scheduled, override=True)
    evening_before = timezone.make_aware(datetime(2027, 3, 9, 23, 50))
    # The same UTC date as the appointment, but the evening before in the hospital.
    assert evening_before.astimezone(UTC).date() == start.astimezone(UTC).date()
    assert not appointment.can_transition_to(S.CHECKED_IN, evening_before)
    with pytest.raises(CheckInNotOnTheDay):
        services.appointment_check_in(
            appointment=appointment, actor=receptionist, at=evening_before
        )
    services.appointment_check_in(
        appointment=appointment, actor=receptionist, at=start + timedelta(minutes=-20)
    )
    appointment.refresh_from_db()
    assert appointment.status == S.CHECKED_IN


def test_a_late_arrival_after_a_no_show_is_checked_in_the_same_day(today, receptionist):
    services.appointment_no_show(appointment=today, actor=receptionist)
    assert S.CHECKED_IN in today.allowed_transitions()
    services.appointment_check_in(appointment=today, actor=receptionist)
    today.refresh_from_db()
    assert today.status == S.CHECKED_IN


def test_a_no_show_of_an_earlier_day_is_not_checked_in(scheduled, receptionist):
    missed = book(
        PatientFactory(), scheduled, at(-1, 10), actor=scheduled, override=True, _allow_past=True
    )
    services.appointment_no_show(appointment=missed, actor=receptionist)
    assert S.CHECKED_IN not in missed.allowed_transitions()
    with pytest.raises(CheckInNotOnTheDay):
        services.appointment_check_in(appointment=missed, actor=receptionist)


def test_the_page_offers_check_in_only_on_the_day(tomorrow, today, signed_in, receptionist):
    client = signed_in(receptionist)
    check_in = "scheduling:appointment_check_in"
    html = client.get(tomorrow.get_absolute_url()).content.decode()
    assert reverse(check_in, args=[tomorrow.pk]) not in html
    assert reverse("scheduling:appointment_confirm", args=[tomorrow.pk]) in html
    html = client.get(today.get_absolute_url()).content.decode()
    assert reverse(check_in, args=[today.pk]) in html


def test_a_check_in_posted_before_the_day_is_refused_with_its_message(
    tomorrow, signed_in, receptionist
):
    client = signed_in(receptionist)
    url = reverse("scheduling:appointment_check_in", args=[tomorrow.pk])
    response = client.post(url, follow=True)
    assert "only on the day of the appointment" in response.content.decode()
    row = client.post(url, {"row": "day"}, **HTMX).content.decode()
    assert row.lstrip().startswith(f'<tr id="appt-{tomorrow.pk}"')
    assert "only on the day of the appointment" in row
    tomorrow.refresh_from_db()
    assert tomorrow.status == S.BOOKED


def test_the_api_refuses_a_check_in_before_the_day_with_409(tomorrow, receptionist):
    data = api(receptionist).get(api_url(tomorrow)).json()
    assert "checked_in" not in data["allowed_transitions"]
    response = api(receptionist).patch(api_url(tomorrow), {"status": "checked_in"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "check_in_not_on_the_day"
    assert "only on the day of the appointment" in response.json()["detail"]


def test_the_api_checks_in_on_the_day(today, receptionist):
    assert "checked_in" in api(receptionist).get(api_url(today)).json()["allowed_transitions"]
    response = api(receptionist).patch(api_url(today), {"status": "checked_in"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "checked_in"


# --- Completing a checked-in visit without an encounter -------------------------------------


def test_completing_a_checked_in_visit_needs_a_reason(checked_in, scheduled):
    with pytest.raises(CompletionReasonRequired) as error:
        services.appointment_complete(appointment=checked_in, actor=scheduled)
    assert error.value.message_dict == {"reason": [str(CompletionReasonRequired.default_message)]}
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN


def test_the_reason_of_completing_without_an_encounter_is_in_the_status_history(
    checked_in, scheduled
):
    services.appointment_complete(
        appointment=checked_in, actor=scheduled, reason="Seen by the nurse only"
    )
    change = checked_in.status_changes.order_by("at").last()
    assert (change.from_status, change.to_status) == (S.CHECKED_IN, S.COMPLETED)
    assert change.reason == "Seen by the nurse only" and change.by == scheduled


def test_a_visit_in_progress_completes_without_a_reason(checked_in, scheduled):
    services.appointment_start(appointment=checked_in, actor=scheduled)
    services.appointment_complete(appointment=checked_in, actor=scheduled)
    checked_in.refresh_from_db()
    assert checked_in.status == S.COMPLETED


def test_the_doctors_page_keeps_start_encounter_first_and_asks_a_reason_to_complete(
    checked_in, signed_in, doctor
):
    html = signed_in(doctor).get(checked_in.get_absolute_url()).content.decode()
    start = reverse("clinical:appointment_encounter_start", args=[checked_in.pk])
    complete = reverse("scheduling:appointment_complete", args=[checked_in.pk])
    assert 'class="btn btn-primary">' in html.split(start)[1].split("</form>")[0]
    form = html.split(f'action="{complete}"')[1].split("</form>")[0]
    assert 'name="reason"' in form and "required" in form
    html = signed_in(doctor).get(reverse("scheduling:my_day")).content.decode()
    row = html.split(f'id="appt-{checked_in.pk}"')[1].split("</tr>")[0]
    assert row.index(start) < row.index(complete)
    assert 'name="reason"' in row.split(complete)[1]


def test_completing_from_the_page_without_a_reason_is_refused(checked_in, signed_in, doctor):
    client = signed_in(doctor)
    url = reverse("scheduling:appointment_complete", args=[checked_in.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert str(CompletionReasonRequired.default_message) in response.content.decode()
    row = client.post(url, {"row": "my_day", "reason": ""}, **HTMX).content.decode()
    assert str(CompletionReasonRequired.default_message) in row
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN
    response = client.post(url, {"reason": "Left before the doctor saw him"})
    assert response.status_code == 302 and response["Location"] == checked_in.get_absolute_url()
    checked_in.refresh_from_db()
    assert checked_in.status == S.COMPLETED
    assert checked_in.status_changes.last().reason == "Left before the doctor saw him"


def test_the_api_needs_a_reason_to_complete_a_checked_in_visit(checked_in, doctor):
    response = api(doctor).patch(api_url(checked_in), {"status": "completed"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api(doctor).patch(
        api_url(checked_in), {"status": "completed", "reason": "Referred on"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "completed"
    assert checked_in.status_changes.last().reason == "Referred on"


# --- One idiom for status buttons -----------------------------------------------------------


def test_status_buttons_are_the_kernels_form_action_view():
    assert issubclass(views.AppointmentActionView, FormActionView)
