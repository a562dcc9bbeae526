"""The calendars: the page that configures FullCalendar, the JSON events (colours by
type, a class per state, a doctor's free slots as background events), drag-to-reschedule
through the service (moved, or refused with the service's message), and a query count
that does not grow with the appointments."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db


def iso(moment):
    return timezone.localtime(moment).isoformat()


def _events(s, start=None, end=None):
    start, end = start or at(0, 0), end or at(7, 0)
    return (
        reverse("scheduling:calendar_events")
        + f"?doctor={s['doctor'].pk}&start={iso(start).replace('+', '%2B')}"
        + f"&end={iso(end).replace('+', '%2B')}"
    )


@pytest.fixture
def room(db):
    return ConsultationRoomFactory(name="Room 1")


@pytest.fixture
def scene(doctor, receptionist, room):
    """A doctor with a schedule every day from 09:00 to 17:00 and an appointment booked
    tomorrow at 10:00."""
    weekly_schedule(doctor, room=room)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    return {
        "doctor": doctor,
        "patient": patient,
        "appointment": book(patient, doctor, at(1, 10), actor=receptionist),
    }


# --- Calendar and its events --------------------------------------------------------------


def test_the_calendar_page_configures_fullcalendar_from_our_static_files(
    scene, signed_in, receptionist
):
    response = signed_in(receptionist).get(
        reverse("scheduling:calendar") + f"?doctor={scene['doctor'].pk}"
    )
    html = response.content.decode()
    assert "/static/vendor/fullcalendar/all/global.js" in html
    assert 'id="scheduling-calendar"' in html
    assert f"events/?doctor={scene['doctor'].pk}" in html
    assert "style=" not in html and "<script>" not in html


def test_events_are_coloured_by_type_with_a_class_per_state(scene, signed_in, receptionist):
    doctor = scene["doctor"]
    surgery = AppointmentTypeFactory(code="surgery", colour="#c2410c")
    other = book(PatientFactory(), doctor, at(1, 14), appointment_type=surgery)
    services.appointment_cancel(appointment=other, actor=receptionist, reason="Unwell")
    events = signed_in(receptionist).get(_events(scene)).json()
    booked = next(e for e in events if e.get("id") == str(scene["appointment"].pk))
    assert booked["color"] == scene["appointment"].appointment_type.colour
    assert booked["className"] == "appt appt-booked"
    assert booked["title"].startswith("Lovelace, Ada")
    assert booked["url"] == scene["appointment"].get_absolute_url()
    assert booked["editable"] is True and booked["extendedProps"]["moveUrl"]
    cancelled = next(e for e in events if e.get("id") == str(other.pk))
    assert cancelled["color"] == other.appointment_type.colour
    assert cancelled["className"] == "appt appt-cancelled" and cancelled["editable"] is False


def test_a_doctor_calendar_shows_free_slots_as_background_events(scene, signed_in, receptionist):
    events = signed_in(receptionist).get(_events(scene)).json()
    free = [e for e in events if e.get("display") == "background"]
    assert free and all(e["extendedProps"]["freeSlot"] for e in free)
    taken = timezone.localtime(scene["appointment"].start).isoformat()
    assert taken not in {e["start"] for e in free}
    assert iso(at(1, 11)) in {e["start"] for e in free}


def test_a_clinic_calendar_shows_the_appointments_of_its_doctors_and_their_free_time(
    scene, signed_in, receptionist, room
):
    url = (
        reverse("scheduling:calendar_events")
        + f"?clinic={room.clinic_id}&start={iso(at(0, 0)).replace('+', '%2B')}"
        + f"&end={iso(at(7, 0)).replace('+', '%2B')}"
    )
    events = signed_in(receptionist).get(url).json()
    assert [e for e in events if e.get("id") == str(scene["appointment"].pk)]
    assert [e for e in events if e.get("display") == "background"]
    assert "Dr House" in events[0]["title"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?start=yesterday&end=today",
        "?start=2030-01-01&end=2030-06-01",
        "?start=2030-01-02&end=2030-01-01",
    ],
)
def test_events_need_a_sensible_range(scene, signed_in, receptionist, query):
    response = signed_in(receptionist).get(reverse("scheduling:calendar_events") + query)
    assert response.status_code == 400 and "error" in response.json()


def test_a_drag_reschedules_through_the_service(scene, signed_in, receptionist):
    appointment = scene["appointment"]
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_move", args=[appointment.pk]),
        {"start": iso(at(1, 11)), "end": iso(at(1, 11, 30))},
    )
    assert response.status_code == 200
    new = Appointment.objects.get(pk=response.json()["id"])
    assert new.start == at(1, 11) and new.end == at(1, 11, 30)
    assert new.rescheduled_from_id == appointment.pk
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_a_refused_drag_answers_the_services_message_and_changes_nothing(
    scene, signed_in, receptionist
):
    doctor, appointment = scene["doctor"], scene["appointment"]
    book(PatientFactory(), doctor, at(1, 12))
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_move", args=[appointment.pk]),
        {"start": iso(at(1, 12)), "end": iso(at(1, 12, 15))},
    )
    assert response.status_code == 409
    assert "already has an appointment" in response.json()["error"]
    appointment.refresh_from_db()
    assert appointment.status == "booked" and appointment.start == at(1, 10)


def test_a_drag_outside_the_schedule_is_refused(scene, signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_move", args=[scene["appointment"].pk]),
        {"start": iso(at(1, 20)), "end": iso(at(1, 20, 15))},
    )
    assert response.status_code == 409
    assert "not available" in response.json()["error"]


def test_the_events_cost_the_same_queries_at_one_and_at_fifty_appointments(
    signed_in, receptionist, make_user, room, django_assert_max_num_queries
):
    small, large = make_user("Doctor"), make_user("Doctor")
    for name, doctor in (("Room A", small), ("Room B", large)):
        own_room = ConsultationRoomFactory(clinic=room.clinic, name=name)
        weekly_schedule(doctor, room=own_room, end=at(0, 23).time())
    book(PatientFactory(), small, at(1, 9))
    for i in range(50):
        start = at(1 + i // 40, 9) + timedelta(minutes=15 * (i % 40))
        book(PatientFactory(), large, start, end=start + timedelta(minutes=15))
    client = signed_in(receptionist)

    def url(doctor):
        return (
            reverse("scheduling:calendar_events")
            + f"?doctor={doctor.pk}&start={iso(at(0, 0)).replace('+', '%2B')}"
            + f"&end={iso(at(7, 0)).replace('+', '%2B')}"
        )

    client.get(url(small))
    with CaptureQueriesContext(connection) as context:
        client.get(url(small))
    assert len(context) <= 10
    with django_assert_max_num_queries(len(context)):
        events = client.get(url(large)).json()
    assert len([e for e in events if "id" in e]) == 50
