"""The scheduling pages: who may open what (per persona), booking (free slots, the
patient-overlap warning, series), an appointment's page and its state changes, the day
lists' htmx actions, drag-to-reschedule, schedules, the waitlist, the chart tab and the
home panels; query counts that do not grow with the rows."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.selectors import chart_access_for
from scheduling import services
from scheduling.models import Appointment, ScheduleException, WaitlistEntry, WaitlistOffer
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    ScheduleExceptionFactory,
    at,
    book,
    weekly_schedule,
)
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
BOOKERS = {"doctor", "receptionist"}
SCHEDULE_KEEPERS = {"doctor", "receptionist", "administrator"}


def iso(moment):
    return timezone.localtime(moment).isoformat()


@pytest.fixture
def room(db):
    return ConsultationRoomFactory(name="Room 1")


@pytest.fixture
def scene(doctor, receptionist, room):
    """A doctor with a schedule every day 09:00 to 17:00; a booked appointment tomorrow at
    10:00; a cancelled slot offered to a waitlisted patient; leave in five days."""
    weekly_schedule(doctor, room=room)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    appointment = book(patient, doctor, at(1, 10), actor=receptionist)
    today = timezone.localdate()
    entry = services.waitlist_add(
        patient=PatientFactory(first_name="Wanda", last_name="Waiting"),
        appointment_type=AppointmentTypeFactory(),
        earliest=today,
        latest=today + timedelta(days=7),
        doctor=doctor,
        actor=receptionist,
    )
    freed = book(PatientFactory(), doctor, at(2, 11), actor=receptionist)
    services.appointment_cancel(appointment=freed, actor=receptionist, reason="Called")
    return {
        "doctor": doctor,
        "patient": patient,
        "appointment": appointment,
        "entry": entry,
        "offer": WaitlistOffer.objects.get(entry=entry),
        "schedule": doctor.schedules.first(),
        "exception": ScheduleExceptionFactory(doctor=doctor, starts_at=at(5, 9), ends_at=at(5, 10)),
    }


def _events(s):
    start, end = at(0, 0), at(7, 0)
    return (
        reverse("scheduling:calendar_events")
        + f"?doctor={s['doctor'].pk}&start={iso(start).replace('+', '%2B')}"
        + f"&end={iso(end).replace('+', '%2B')}"
    )


def _appt(name):
    return lambda s: reverse(name, args=[s["appointment"].pk])


def _doctor(name, *extra):
    return lambda s: reverse(name, args=[s["doctor"].pk, *[s[e].pk for e in extra]])


# Who may open each page (the other staff personas get 403).
PAGES = [
    Page("calendar", lambda s: reverse("scheduling:calendar"), READERS),
    Page("events", _events, READERS),
    Page("day list", lambda s: reverse("scheduling:day_list"), READERS),
    Page("my day", lambda s: reverse("scheduling:my_day"), READERS),
    Page("booking form", lambda s: reverse("scheduling:appointment_create"), BOOKERS),
    Page(
        "free slots",
        lambda s: reverse("scheduling:appointment_slots") + f"?doctor={s['doctor'].pk}",
        BOOKERS,
        extra=HTMX,
    ),
    Page(
        "patient search",
        lambda s: reverse("scheduling:patient_search"),
        READERS,
        method="post",
        data={"patient_q": "lovelace"},
        extra=HTMX,
    ),
    Page("detail", _appt("scheduling:appointment_detail"), READERS),
    Page("reschedule form", _appt("scheduling:appointment_reschedule"), BOOKERS),
    Page(
        "move",
        _appt("scheduling:appointment_move"),
        BOOKERS,
        method="post",
        data={"start": "", "end": ""},
        ok=400,
    ),
    Page("confirm", _appt("scheduling:appointment_confirm"), BOOKERS, method="post", ok=302),
    Page(
        "check in",
        _appt("scheduling:appointment_check_in"),
        {"doctor", "nurse", "receptionist"},
        method="post",
        ok=302,
    ),
    Page(
        "cancel",
        _appt("scheduling:appointment_cancel"),
        BOOKERS,
        method="post",
        data={"reason": "Patient called"},
        ok=302,
    ),
    Page("doctors", lambda s: reverse("scheduling:doctor_list"), READERS),
    Page("schedule", _doctor("scheduling:doctor_schedule"), READERS),
    Page("session form", _doctor("scheduling:doctorschedule_create"), SCHEDULE_KEEPERS),
    Page("session edit", _doctor("scheduling:doctorschedule_update", "schedule"), SCHEDULE_KEEPERS),
    Page(
        "session delete",
        _doctor("scheduling:doctorschedule_delete", "schedule"),
        SCHEDULE_KEEPERS,
        method="post",
        ok=302,
    ),
    Page("exception form", _doctor("scheduling:scheduleexception_create"), SCHEDULE_KEEPERS),
    Page(
        "exception delete",
        _doctor("scheduling:scheduleexception_delete", "exception"),
        SCHEDULE_KEEPERS,
        method="post",
        ok=302,
    ),
    Page(
        "waitlist",
        lambda s: reverse("scheduling:waitlist"),
        {"doctor", "receptionist", "administrator"},
    ),
    Page("waitlist add", lambda s: reverse("scheduling:waitlistentry_create"), BOOKERS),
    Page(
        "waitlist remove",
        lambda s: reverse("scheduling:waitlistentry_remove", args=[s["entry"].pk]),
        {"receptionist"},
        method="post",
        ok=302,
    ),
    Page(
        "offer",
        lambda s: reverse("scheduling:waitlist_offer", args=[s["offer"].pk]),
        {"receptionist", "administrator"},
    ),
    Page(
        "offer book",
        lambda s: reverse("scheduling:waitlist_offer_book", args=[s["offer"].pk]),
        {"receptionist"},
        method="post",
        ok=302,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_roles_only(request, scene, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_patients_are_sent_to_the_portal_and_strangers_to_sign_in(
    scene, client, signed_in, portal_patient, page
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)


UNKNOWN = [
    ("scheduling:appointment_detail", "get"),
    ("scheduling:appointment_reschedule", "get"),
    ("scheduling:appointment_move", "post"),
    ("scheduling:appointment_check_in", "post"),
    ("scheduling:appointment_cancel", "post"),
    ("scheduling:waitlist_offer", "get"),
    ("scheduling:waitlist_offer_book", "post"),
    ("scheduling:waitlistentry_remove", "post"),
    ("scheduling:doctor_schedule", "get"),
]


@pytest.mark.parametrize(("name", "method"), UNKNOWN)
def test_unknown_records_are_not_found(signed_in, make_user, name, method):
    user = make_user("Doctor", "Receptionist")
    response = getattr(signed_in(user), method)(reverse(name, args=[uuid.uuid4()]))
    assert response.status_code == 404


def test_unknown_ids_in_the_booking_address_are_not_found(signed_in, receptionist):
    url = reverse("scheduling:appointment_create") + f"?patient={uuid.uuid4()}"
    assert signed_in(receptionist).get(url).status_code == 404


# --- Booking ------------------------------------------------------------------------------


def _booking(scene, start, patient=None, **extra):
    return {
        "doctor": str(scene["doctor"].pk),
        "date": timezone.localdate(start).isoformat(),
        "slot": f"{scene['doctor'].pk}|{iso(start)}",
        "patient": str((patient or PatientFactory()).pk),
        "appointment_type": str(AppointmentTypeFactory().pk),
        "reason": "Chest pain on exertion",
        "notes": "",
        "step": "book",
        **extra,
    }


def test_the_booking_form_lists_the_free_slots_of_the_doctor(scene, signed_in, receptionist):
    response = signed_in(receptionist).get(
        reverse("scheduling:appointment_create")
        + f"?doctor={scene['doctor'].pk}&start={iso(at(1, 9)).replace('+', '%2B')}"
    )
    html = response.content.decode()
    assert f'value="{scene["doctor"].pk}|{iso(at(1, 9))}"' in html
    assert f'value="{scene["doctor"].pk}|{iso(at(1, 9))}" autocomplete="off" checked' in html
    assert f'value="{scene["doctor"].pk}|{iso(at(1, 10))}"' not in html  # booked
    assert "Next available" in html


def test_the_free_slots_partial_shows_next_available_across_a_specialty(
    scene, signed_in, receptionist
):
    from accounts.models import DoctorProfile, DoctorSpecialty, Specialty

    cardiology = Specialty.objects.create(name="Cardiology", code="cardiology")
    profile = DoctorProfile.objects.create(user=scene["doctor"], license_number="L-1")
    DoctorSpecialty.objects.create(doctor=profile, specialty=cardiology)
    response = signed_in(receptionist).get(
        reverse("scheduling:appointment_slots")
        + f"?specialty={cardiology.pk}&date={timezone.localdate() + timedelta(days=1)}",
        **HTMX,
    )
    html = response.content.decode()
    assert "Next available" in html and "Dr House" in html
    assert "<html" not in html


def test_a_receptionist_books_a_free_slot_and_the_doctor_joins_the_care_team(
    scene, signed_in, receptionist
):
    patient = PatientFactory(first_name="Grace", last_name="Hopper")
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_create"), _booking(scene, at(1, 9), patient)
    )
    appointment = Appointment.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == appointment.get_absolute_url()
    assert appointment.start == at(1, 9) and appointment.status == "booked"
    assert appointment.reason == "Chest pain on exertion"
    # The doctor's access opens ahead of the visit (whatever the time of day the test runs).
    assert chart_access_for(scene["doctor"], patient, now=appointment.start).allowed


def test_second_booking_of_same_slot_is_refused(scene, signed_in, receptionist):
    client = signed_in(receptionist)
    client.post(reverse("scheduling:appointment_create"), _booking(scene, at(1, 9)))
    response = client.post(reverse("scheduling:appointment_create"), _booking(scene, at(1, 9)))
    assert response.status_code == 400
    assert "already has an appointment" in response.content.decode()
    assert Appointment.objects.filter(start=at(1, 9)).count() == 1


def test_a_patient_booked_elsewhere_is_warned_and_can_be_booked_anyway(
    scene, signed_in, receptionist, make_user, room
):
    other_doctor = make_user("Doctor", last_name="Quinn")
    weekly_schedule(other_doctor, room=ConsultationRoomFactory(clinic=room.clinic, name="Room Q"))
    patient = scene["patient"]
    data = _booking(scene, at(1, 10), patient) | {
        "doctor": str(other_doctor.pk),
        "slot": f"{other_doctor.pk}|{iso(at(1, 10))}",
    }
    client = signed_in(receptionist)
    response = client.post(reverse("scheduling:appointment_create"), data)
    html = response.content.decode()
    assert "already has an appointment" in html and "Book anyway" in html
    assert not Appointment.objects.filter(doctor=other_doctor).exists()
    response = client.post(
        reverse("scheduling:appointment_create"), data | {"allow_patient_overlap": "on"}
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(doctor=other_doctor, patient=patient).exists()


def test_the_override_checkbox_is_only_for_those_who_may_book_outside_availability(
    scene, signed_in, receptionist, doctor
):
    url = reverse("scheduling:appointment_create")
    assert 'name="override"' not in signed_in(receptionist).get(url).content.decode()
    assert 'name="override"' in signed_in(doctor).get(url).content.decode()


def test_a_doctor_overrides_availability_for_an_emergency(scene, signed_in, doctor):
    data = _booking(scene, at(1, 20)) | {
        "slot": "",
        "start": timezone.localtime(at(1, 20)).strftime("%Y-%m-%dT%H:%M"),
    }
    client = signed_in(doctor)
    response = client.post(reverse("scheduling:appointment_create"), data)
    assert response.status_code == 400 and "not available" in response.content.decode()
    response = client.post(reverse("scheduling:appointment_create"), data | {"override": "on"})
    assert response.status_code == 302
    assert Appointment.objects.get(start=at(1, 20)).outside_availability


def test_booking_from_a_chart_preselects_the_patient(scene, signed_in, receptionist):
    response = signed_in(receptionist).get(
        reverse("scheduling:appointment_create") + f"?patient={scene['patient'].pk}"
    )
    html = response.content.decode()
    assert f'name="patient" id="id_patient" value="{scene["patient"].pk}"' in html
    assert "Ada Lovelace" in html


def test_the_patient_search_answers_a_post_with_no_name_in_the_address(
    scene, signed_in, receptionist
):
    client = signed_in(receptionist)
    response = client.post(reverse("scheduling:patient_search"), {"patient_q": "lovel"}, **HTMX)
    assert f'data-patient-id="{scene["patient"].pk}"' in response.content.decode()
    assert client.get(reverse("scheduling:patient_search") + "?patient_q=lovel").status_code == 405


def test_a_series_is_previewed_with_its_conflicts_then_booked_skipping_them(
    scene, signed_in, receptionist
):
    doctor = scene["doctor"]
    book(PatientFactory(), doctor, at(8, 9))  # the second weekly occurrence is taken
    patient = PatientFactory()
    data = _booking(scene, at(1, 9), patient) | {
        "repeat": "on",
        "interval": "1",
        "unit": "weeks",
        "count": "3",
    }
    client = signed_in(receptionist)
    response = client.post(reverse("scheduling:appointment_create"), data)
    html = response.content.decode()
    assert "Occurrences of the series" in html and "the doctor is booked" in html
    assert 'name="skip" value="1" id="skip-1"' in html
    assert not Appointment.objects.filter(patient=patient).exists()
    response = client.post(reverse("scheduling:appointment_create"), data | {"step": "book_series"})
    assert response.status_code == 400 and "conflict" in response.content.decode()
    response = client.post(
        reverse("scheduling:appointment_create"), data | {"step": "book_series", "skip": ["1"]}
    )
    assert response.status_code == 302
    starts = list(Appointment.objects.filter(patient=patient).values_list("start", flat=True))
    assert sorted(starts) == [at(1, 9), at(15, 9)]


# --- One appointment ----------------------------------------------------------------------


def test_the_appointment_page_shows_its_history_and_allowed_actions(scene, signed_in, receptionist):
    # Later today (checked in only on its day; not begun, so no no-show yet).
    start = min(
        timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=5), at(0, 23, 50)
    )
    appointment = book(
        scene["patient"],
        scene["doctor"],
        start,
        end=start + timedelta(minutes=5),
        actor=scene["doctor"],
        override=True,
        _allow_past=True,
    )
    services.appointment_confirm(appointment=appointment, actor=receptionist)
    html = signed_in(receptionist).get(appointment.get_absolute_url()).content.decode()
    assert "Booked → Confirmed" in html
    assert reverse("scheduling:appointment_check_in", args=[appointment.pk]) in html
    assert reverse("scheduling:appointment_cancel", args=[appointment.pk]) in html
    assert reverse("scheduling:appointment_confirm", args=[appointment.pk]) not in html
    assert reverse("scheduling:appointment_no_show", args=[appointment.pk]) not in html


def test_a_rescheduled_appointment_links_to_its_replacement_and_back(
    scene, signed_in, receptionist
):
    original = scene["appointment"]
    client = signed_in(receptionist)
    response = client.post(
        reverse("scheduling:appointment_reschedule", args=[original.pk]),
        {"slot": f"{scene['doctor'].pk}|{iso(at(1, 15))}", "reason": "Patient asked"},
    )
    new = Appointment.objects.get(rescheduled_from=original)
    assert response["Location"] == new.get_absolute_url()
    assert new.start == at(1, 15)
    assert new.get_absolute_url() in client.get(original.get_absolute_url()).content.decode()
    assert original.get_absolute_url() in client.get(new.get_absolute_url()).content.decode()


@pytest.mark.parametrize("action", ["appointment_complete", "appointment_accept"])
def test_an_action_the_table_does_not_allow_is_refused(scene, signed_in, receptionist, action):
    appointment = scene["appointment"]  # booked: neither completed nor accepted now
    response = signed_in(receptionist).post(
        reverse(f"scheduling:{action}", args=[appointment.pk]), follow=True
    )
    assert "An appointment cannot go from booked to" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert appointment.status_changes.count() == 1


def test_cancelling_needs_a_reason(scene, signed_in, receptionist):
    appointment = scene["appointment"]
    client = signed_in(receptionist)
    client.post(reverse("scheduling:appointment_cancel", args=[appointment.pk]), {"reason": ""})
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    client.post(reverse("scheduling:appointment_cancel", args=[appointment.pk]), {"reason": "Ill"})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancellation_reason == "Ill"


def test_series_siblings_are_listed(scene, signed_in, receptionist):
    _series, booked = services.series_book(
        patient=PatientFactory(),
        doctor=scene["doctor"],
        start=at(1, 13),
        appointment_type=AppointmentTypeFactory(),
        interval=1,
        unit="weeks",
        count=3,
        actor=receptionist,
    )
    html = signed_in(receptionist).get(booked[0].get_absolute_url()).content.decode()
    assert booked[1].get_absolute_url() in html and booked[2].get_absolute_url() in html


# --- Day lists ------------------------------------------------------------------------------


@pytest.fixture
def today_appointment(scene, receptionist):
    """An appointment of today that began a minute ago (so no-show is allowed)."""
    return services.appointment_book(
        patient=PatientFactory(first_name="Tom", last_name="Today"),
        doctor=scene["doctor"],
        # (never yesterday: just after midnight it begins at 00:00)
        start=max(timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1), at(0, 0)),
        appointment_type=AppointmentTypeFactory(),
        actor=scene["doctor"],
        override=True,
        _allow_past=True,
    )


def test_the_day_list_shows_the_arrivals_with_counts(today_appointment, signed_in, receptionist):
    html = signed_in(receptionist).get(reverse("scheduling:day_list")).content.decode()
    assert "Today, Tom" not in html and "Tom Today" in html
    assert f'id="appt-{today_appointment.pk}"' in html
    assert 'data-count="booked">1<' in html
    assert reverse("scheduling:appointment_no_show", args=[today_appointment.pk]) in html


def test_checking_in_from_the_day_list_swaps_only_the_row(
    today_appointment, signed_in, receptionist
):
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_check_in", args=[today_appointment.pk]),
        {"row": "day"},
        **HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="appt-{today_appointment.pk}"')
    assert "Checked in" in html and "<html" not in html
    assert 'id="day-counts"' in html and 'hx-swap-oob="true"' in html
    assert 'data-count="checked_in">1<' in html
    today_appointment.refresh_from_db()
    assert today_appointment.status == "checked_in"


def test_a_no_show_and_a_refused_cancel_come_back_in_the_row(
    today_appointment, signed_in, receptionist
):
    client = signed_in(receptionist)
    response = client.post(
        reverse("scheduling:appointment_cancel", args=[today_appointment.pk]),
        {"row": "day", "reason": ""},
        **HTMX,
    )
    assert "Say why" in response.content.decode()
    response = client.post(
        reverse("scheduling:appointment_no_show", args=[today_appointment.pk]),
        {"row": "day"},
        **HTMX,
    )
    assert "No-show" in response.content.decode()
    today_appointment.refresh_from_db()
    assert today_appointment.status == "no_show"


def test_the_day_list_filters_by_clinic_and_doctor_ids(
    today_appointment, signed_in, receptionist, make_user
):
    other = make_user("Doctor")
    client = signed_in(receptionist)
    html = client.get(reverse("scheduling:day_list") + f"?doctor={other.pk}").content.decode()
    assert "Tom Today" not in html
    clinic = today_appointment.clinic_id
    html = client.get(reverse("scheduling:day_list") + f"?clinic={clinic}").content.decode()
    assert "Tom Today" in html


def test_the_day_list_costs_the_same_queries_at_one_and_at_fifty_rows(
    signed_in, receptionist, make_user, room, django_assert_max_num_queries
):
    small, large = make_user("Doctor"), make_user("Doctor")
    for name, doctor in (("Room A", small), ("Room B", large)):
        own_room = ConsultationRoomFactory(clinic=room.clinic, name=name)
        weekly_schedule(doctor, room=own_room, start=at(0, 6).time(), end=at(0, 23).time())
    book(PatientFactory(), small, at(1, 9))
    for i in range(50):
        start = at(1, 6) + timedelta(minutes=15 * i)
        book(PatientFactory(), large, start, end=start + timedelta(minutes=15))
    client = signed_in(receptionist)
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.get(reverse("scheduling:day_list") + f"?date={day}&doctor={small.pk}")
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("scheduling:day_list") + f"?date={day}&doctor={small.pk}")
    with django_assert_max_num_queries(len(context)):
        response = client.get(reverse("scheduling:day_list") + f"?date={day}&doctor={large.pk}")
    assert response.content.decode().count('class="day-row') == 50


def test_my_day_offers_start_encounter_for_checked_in_patients(
    today_appointment, signed_in, doctor
):
    services.appointment_check_in(appointment=today_appointment, actor=doctor)
    html = signed_in(doctor).get(reverse("scheduling:my_day")).content.decode()
    assert reverse("clinical:appointment_encounter_start", args=[today_appointment.pk]) in html
    assert reverse("scheduling:appointment_complete", args=[today_appointment.pk]) in html


def test_my_day_opens_the_running_encounter_of_a_visit_in_progress(
    today_appointment, signed_in, doctor
):
    services.appointment_check_in(appointment=today_appointment, actor=doctor)
    client = signed_in(doctor)
    start = reverse("clinical:appointment_encounter_start", args=[today_appointment.pk])
    first = client.post(start)
    html = client.get(reverse("scheduling:my_day")).content.decode()
    assert "Open encounter" in html and start in html
    assert client.post(start).url == first.url  # the same encounter, not a second one


def test_the_doctor_completes_from_my_day(today_appointment, signed_in, doctor):
    services.appointment_check_in(appointment=today_appointment, actor=doctor)
    response = signed_in(doctor).post(
        reverse("scheduling:appointment_complete", args=[today_appointment.pk]),
        {"row": "my_day", "reason": "Seen by the nurse only"},
        **HTMX,
    )
    assert response.content.decode().lstrip().startswith("<tr")
    today_appointment.refresh_from_db()
    assert today_appointment.status == "completed"


# --- Schedules ------------------------------------------------------------------------------


def test_a_doctor_may_not_edit_another_doctors_schedule(scene, signed_in, make_user):
    other = make_user("Doctor")
    client = signed_in(other)
    for name in ("scheduling:doctorschedule_create", "scheduling:scheduleexception_create"):
        assert client.get(reverse(name, args=[scene["doctor"].pk])).status_code == 403
    assert client.get(reverse(name, args=[other.pk])).status_code == 200
    html = client.get(reverse("scheduling:doctor_schedule", args=[scene["doctor"].pk]))
    assert "Add session" not in html.content.decode()


def test_a_doctor_adds_a_session_to_their_own_schedule(scene, signed_in, doctor, room):
    response = signed_in(doctor).post(
        reverse("scheduling:doctorschedule_create", args=[doctor.pk]),
        {
            "weekday": "0",
            "start_time": "18:00",
            "end_time": "20:00",
            "slot_minutes": "20",
            "clinic": str(room.clinic_id),
            "room": str(room.pk),
            "effective_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert doctor.schedules.filter(start_time="18:00", slot_minutes=20).exists()


def test_an_overlapping_session_shows_the_services_error(scene, signed_in, receptionist, room):
    response = signed_in(receptionist).post(
        reverse("scheduling:doctorschedule_create", args=[scene["doctor"].pk]),
        {
            "weekday": "0",
            "start_time": "10:00",
            "end_time": "11:00",
            "slot_minutes": "15",
            "clinic": str(room.clinic_id),
            "effective_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400 and "overlaps" in response.content.decode()


def test_adding_leave_lists_the_appointments_it_meets(scene, signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("scheduling:scheduleexception_create", args=[scene["doctor"].pk]),
        {
            "kind": "leave",
            "starts_at": timezone.localtime(at(1, 8)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(at(1, 18)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Conference",
            "slot_minutes": "15",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Appointments to move" in html
    assert "Ada Lovelace" in html
    assert ScheduleException.objects.filter(reason="Conference").exists()


def test_the_own_schedule_links_the_calendar_feed(scene, signed_in, doctor, receptionist):
    url = reverse("scheduling:doctor_schedule", args=[doctor.pk])
    assert reverse("scheduling:feed_settings") in signed_in(doctor).get(url).content.decode()


# --- Waitlist -------------------------------------------------------------------------------


def test_a_receptionist_puts_a_patient_on_the_waitlist_and_takes_them_off(
    scene, signed_in, receptionist
):
    patient = PatientFactory()
    client = signed_in(receptionist)
    today = timezone.localdate()
    response = client.post(
        reverse("scheduling:waitlistentry_create"),
        {
            "patient": str(patient.pk),
            "doctor": str(scene["doctor"].pk),
            "appointment_type": str(AppointmentTypeFactory().pk),
            "earliest": today.isoformat(),
            "latest": (today + timedelta(days=10)).isoformat(),
            "priority": "3",
            "reason": "Follow-up",
        },
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    assert entry.priority == 3
    html = client.get(reverse("scheduling:waitlist") + "?priority=3").content.decode()
    assert f'<th scope="row">{patient.full_name}' in html
    assert '<th scope="row">Wanda Waiting' not in html
    client.post(reverse("scheduling:waitlistentry_remove", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.state == "removed"


def test_a_freed_slot_is_booked_from_its_offer_in_one_click(scene, signed_in, receptionist):
    offer = scene["offer"]
    client = signed_in(receptionist)
    html = client.get(offer.get_absolute_url()).content.decode()
    assert (
        "Wanda Waiting" in html
        and reverse("scheduling:waitlist_offer_book", args=[offer.pk]) in html
    )
    response = client.post(reverse("scheduling:waitlist_offer_book", args=[offer.pk]))
    appointment = Appointment.objects.get(patient=offer.entry.patient)
    assert response["Location"] == appointment.get_absolute_url()
    assert appointment.start == offer.start
    offer.refresh_from_db()
    assert offer.state == "booked"


# --- Chart tab, navigation and home panels --------------------------------------------------


def test_the_chart_tab_lists_the_patients_appointments_with_a_book_link(
    scene, signed_in, receptionist
):
    patient = scene["patient"]
    response = signed_in(receptionist).get(
        reverse("patients:patient_chart", args=[patient.pk, "appointments"])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert scene["appointment"].get_absolute_url() in html
    assert reverse("scheduling:appointment_create") + f"?patient={patient.pk}" in html


def test_the_chart_tab_costs_the_same_queries_for_one_and_many_appointments(
    scene, signed_in, receptionist, django_assert_max_num_queries
):
    few, many = PatientFactory(), PatientFactory()
    book(few, scene["doctor"], at(3, 9))
    for i in range(20):
        book(many, scene["doctor"], at(3 + i, 13))
    client = signed_in(receptionist)
    client.get(reverse("patients:patient_chart", args=[few.pk, "appointments"]))
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("patients:patient_chart", args=[few.pk, "appointments"]))
    with django_assert_max_num_queries(len(context)):
        client.get(reverse("patients:patient_chart", args=[many.pk, "appointments"]))


def test_the_home_pages_show_the_scheduling_panels(
    today_appointment, signed_in, receptionist, doctor
):
    html = signed_in(receptionist).get(reverse("core:home")).content.decode()
    assert "Today&#x27;s arrivals" in html or "Today's arrivals" in html
    assert reverse("scheduling:day_list") in html and "Tom Today" in html
    html = signed_in(doctor).get(reverse("core:home")).content.decode()
    assert "My day" in html and reverse("scheduling:my_day") in html


@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_the_navigation_has_the_appointments_entry_for_its_readers(request, signed_in, persona):
    html = signed_in(request.getfixturevalue(persona)).get(reverse("core:home")).content.decode()
    assert (f'href="{reverse("scheduling:calendar")}"' in html) == (persona in READERS)


@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_the_arrivals_panel_is_the_front_desks_and_my_day_the_doctors(request, signed_in, persona):
    html = signed_in(request.getfixturevalue(persona)).get(reverse("core:home")).content.decode()
    assert ("Today&#x27;s arrivals" in html) == (persona == "receptionist")
    assert (reverse("scheduling:my_day") in html) == (persona == "doctor")


def test_no_page_carries_names_in_its_links(scene, signed_in, receptionist):
    html = signed_in(receptionist).get(reverse("scheduling:day_list")).content.decode()
    html += signed_in(receptionist).get(reverse("scheduling:waitlist")).content.decode()
    for href in [part.split('"')[0] for part in html.split('href="')[1:]]:
        assert "Lovelace" not in href and "Waiting" not in href
    events = signed_in(receptionist).get(_events(scene)).json()
    assert all("Lovelace" not in json.dumps(e.get("url", "")) for e in events)


def test_a_busy_day_list_is_paged_and_today_opens_on_the_page_of_now(
    make_user, receptionist, signed_in
):
    doctors = [make_user("Doctor") for _ in range(4)]
    kind = AppointmentTypeFactory()
    patient = PatientFactory()
    midnight = at(0, 0)
    rows = [
        Appointment(
            patient=patient,
            doctor=doctor,
            appointment_type=kind,
            start=midnight + timedelta(minutes=20 * slot),
            end=midnight + timedelta(minutes=20 * slot + 20),
        )
        for doctor in doctors
        for slot in range(40)  # 00:00 to 13:20, 160 appointments
    ]
    Appointment.objects.bulk_create(rows)
    client = signed_in(receptionist)
    response = client.get(reverse("scheduling:day_list") + "?page=3")
    assert response.context["page_obj"].number == 3
    assert len(response.context["appointments"]) == 160 - 2 * 60
    assert sum(n for _value, _label, n in response.context["counts"]) == 160  # the whole day
    ended = sum(1 for row in rows if row.end < timezone.now())
    today = client.get(reverse("scheduling:day_list")).context["page_obj"]
    assert today.number == ended // 60 + 1
    other_day = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.get(reverse("scheduling:day_list") + f"?date={other_day}")
    assert response.context["page_obj"].number == 1
