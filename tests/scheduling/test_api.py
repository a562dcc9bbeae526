"""API v1 of scheduling: free slots, next available, appointments (list and filters,
booking with its 409s and warnings, state changes, rescheduling, cancelling), the
permissions per persona and the query budget of the list."""

import re
import uuid
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import DoctorSpecialty
from scheduling import services
from scheduling.api import AppointmentSerializer
from scheduling.models import Appointment, AppointmentStatus, AppointmentStatusChange
from tests.factories.accounts import DoctorProfileFactory, SpecialtyFactory
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    ScheduleExceptionFactory,
    at,
    book,
    weekly_schedule,
)
from tests.matrix import Page, assert_persona_access, page_ids, persona_cases

pytestmark = pytest.mark.django_db

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def room():
    return ConsultationRoomFactory(name="Room 7")


@pytest.fixture
def schedule(doctor, room):
    """House works 09:00-17:00 every day in Room 7, 15-minute slots."""
    return weekly_schedule(doctor, room=room)


@pytest.fixture
def consultation():
    return AppointmentTypeFactory(code="consultation", name="Consultation")


@pytest.fixture
def follow_up():
    return AppointmentTypeFactory(code="follow-up", name="Follow-up")


def book15(patient, doctor, start, **kwargs):
    """Book 15 minutes from `start` through the service."""
    return book(patient, doctor, start, end=start + timedelta(minutes=15), **kwargs)


@pytest.fixture
def patient():
    return PatientFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def other_doctor(make_user, room):
    grey = make_user(roles.DOCTOR, first_name="Meredith", last_name="Grey")
    weekly_schedule(grey, room=ConsultationRoomFactory(clinic=room.clinic, name="Room 8"))
    return grey


def payload(patient, doctor, start, minutes=15, **extra):
    return {
        "patient": str(patient.pk),
        "doctor": str(doctor.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        "type": "consultation",
        "reason": "Chest pain",
        **extra,
    }


def parse(value):
    return datetime.fromisoformat(value)


# --- Slots ------------------------------------------------------------------------------------


def test_a_doctors_free_slots_on_a_date_leave_out_booked_time(
    api, receptionist, doctor, schedule, patient, consultation
):
    day = timezone.localdate() + timedelta(days=1)
    book15(patient, doctor, at(1, 9, 15), appointment_type=consultation)
    response = api(receptionist).get(f"/api/v1/doctors/{doctor.pk}/slots", {"date": str(day)})
    assert response.status_code == 200
    slots = response.json()
    assert len(slots) == 31  # 09:00-17:00 in 15 minutes, less the booked 09:15
    assert set(slots[0]) == {"start", "end"}
    assert OFFSET.match(slots[0]["start"]) and OFFSET.match(slots[0]["end"])
    starts = [parse(s["start"]) for s in slots]
    assert starts[0] == at(1, 9) and starts[1] == at(1, 9, 30)
    assert at(1, 9, 15) not in starts
    assert parse(slots[-1]["end"]) == at(1, 17)


def test_leave_takes_away_slots(api, nurse, doctor, schedule):
    ScheduleExceptionFactory(doctor=doctor, starts_at=at(2, 9), ends_at=at(2, 13))
    day = timezone.localdate() + timedelta(days=2)
    slots = api(nurse).get(f"/api/v1/doctors/{doctor.pk}/slots", {"date": str(day)}).json()
    assert parse(slots[0]["start"]) == at(2, 13)


@pytest.mark.parametrize("query", [{}, {"date": "tomorrow"}, {"date": "2025-02-30"}])
def test_slots_need_a_valid_date(api, nurse, doctor, schedule, query):
    response = api(nurse).get(f"/api/v1/doctors/{doctor.pk}/slots", query)
    assert response.status_code == 400
    assert "date" in response.json()


def test_slots_of_an_unknown_doctor_or_a_non_doctor_are_404(api, nurse, receptionist):
    day = str(timezone.localdate())
    for pk in (uuid.uuid4(), receptionist.pk):
        response = api(nurse).get(f"/api/v1/doctors/{pk}/slots", {"date": day})
        assert response.status_code == 404


def test_next_available_across_a_specialty_names_each_doctor(
    api, receptionist, doctor, other_doctor, schedule, make_user
):
    cardiology = SpecialtyFactory(name="Cardiology", code="cardiology")
    DoctorSpecialty.objects.create(doctor=DoctorProfileFactory(user=doctor), specialty=cardiology)
    DoctorSpecialty.objects.create(
        doctor=DoctorProfileFactory(user=other_doctor), specialty=cardiology
    )
    outsider = make_user(roles.DOCTOR, last_name="Outsider")
    weekly_schedule(outsider)
    after = at(1, 10).isoformat()
    for key in ("cardiology", str(cardiology.pk)):
        response = api(receptionist).get(
            "/api/v1/slots/next", {"specialty": key, "limit": 4, "after": after}
        )
        assert response.status_code == 200
        slots = response.json()
        assert len(slots) == 4
        assert {s["doctor"]["id"] for s in slots} == {str(doctor.pk), str(other_doctor.pk)}
        assert [parse(s["start"]) for s in slots] == [
            at(1, 10),
            at(1, 10),
            at(1, 10, 15),
            at(1, 10, 15),
        ]
        assert {s["doctor_name"] for s in slots} == {"Dr Gregory House", "Dr Meredith Grey"}
        assert all(OFFSET.match(s["start"]) for s in slots)
    only_house = (
        api(receptionist)
        .get("/api/v1/slots/next", {"doctor": str(doctor.pk), "after": after})
        .json()
    )
    assert len(only_house) == 10
    assert {s["doctor"]["id"] for s in only_house} == {str(doctor.pk)}
    assert {s["room"]["id"] for s in only_house} == {str(schedule[0].room_id)}


def test_next_available_never_offers_past_time(api, nurse, doctor, schedule):
    yesterday = at(-1, 9).isoformat()
    slots = api(nurse).get("/api/v1/slots/next", {"doctor": str(doctor.pk), "after": yesterday})
    assert slots.status_code == 200
    assert all(parse(s["start"]) >= timezone.now() for s in slots.json())
    assert len(slots.json()) == 10


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"specialty": "astrology"}, "specialty"),
        ({"limit": 0}, "limit"),
        ({"doctor": "x"}, "doctor"),
    ],
)
def test_bad_next_available_queries_answer_400(api, nurse, query, field):
    response = api(nurse).get("/api/v1/slots/next", query)
    assert response.status_code == 400
    assert field in response.json()


# --- Listing ----------------------------------------------------------------------------------


@pytest.fixture
def booked(doctor, other_doctor, schedule, patient, consultation):
    """Three appointments: Ada with House tomorrow 10:00 (booked) and the day after
    (confirmed), Bob with Grey tomorrow 10:00."""
    bob = PatientFactory(first_name="Bob", last_name="Marley")
    first = book15(patient, doctor, at(1, 10), appointment_type=consultation)
    second = book15(patient, doctor, at(2, 10), appointment_type=consultation)
    second.transition_to(AppointmentStatus.CONFIRMED, actor=doctor)
    third = book15(bob, other_doctor, at(1, 10), appointment_type=consultation)
    return first, second, third


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_appointments_list_with_every_field(api, receptionist, doctor, room, booked):
    response = api(receptionist).get("/api/v1/appointments")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3 and {"next", "previous"} <= set(data)
    first = data["results"][0]
    assert first["id"] in {str(booked[0].pk), str(booked[2].pk)}
    row = next(r for r in data["results"] if r["id"] == str(booked[0].pk))
    expected = {
        "id",
        "patient",
        "patient_name",
        "doctor",
        "doctor_name",
        "clinic",
        "room",
        "type",
        "type_name",
        "start",
        "end",
        "status",
        "reason",
        "notes",
        "cancellation_reason",
        "rescheduled_from",
        "series",
        "outside_availability",
        "status_changed_at",
        "booked_at",
        "confirmed_at",
        "checked_in_at",
        "started_at",
        "completed_at",
        "cancelled_at",
        "no_show_at",
        "created_at",
        "updated_at",
    }
    assert expected <= set(row)
    assert row["patient_name"] == "Ada Lovelace"
    assert row["doctor"]["id"] == str(doctor.pk) and row["doctor_name"] == "Dr Gregory House"
    assert row["room"]["id"] == str(room.pk) and row["clinic"]["id"] == str(room.clinic_id)
    assert row["type_name"] == "Consultation" and row["status"] == "booked"
    assert OFFSET.match(row["start"]) and parse(row["start"]) == at(1, 10)
    assert row["booked_at"] is not None and row["confirmed_at"] is None


def test_appointments_filter_by_doctor_patient_date_and_status(
    api, nurse, doctor, other_doctor, patient, booked
):
    first, second, third = booked
    get = api(nurse).get
    assert set(ids(get("/api/v1/appointments", {"doctor": str(doctor.pk)}))) == {
        str(first.pk),
        str(second.pk),
    }
    assert ids(get("/api/v1/appointments", {"doctor": str(other_doctor.pk)})) == [str(third.pk)]
    assert ids(get("/api/v1/appointments", {"patient": str(patient.pk)})) == [
        str(first.pk),
        str(second.pk),
    ]
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    assert set(ids(get("/api/v1/appointments", {"date": tomorrow}))) == {
        str(first.pk),
        str(third.pk),
    }
    assert ids(get("/api/v1/appointments", {"status": "confirmed"})) == [str(second.pk)]
    both = get("/api/v1/appointments?status=confirmed&status=booked")
    assert len(ids(both)) == 3
    combined = get("/api/v1/appointments", {"doctor": str(doctor.pk), "date": tomorrow})
    assert ids(combined) == [str(first.pk)]


@pytest.mark.parametrize(
    "query",
    [{"status": "asleep"}, {"date": "soon"}, {"doctor": "x"}, {"patient": "1"}],
)
def test_bad_appointment_filters_answer_400_with_field_errors(api, nurse, query):
    response = api(nurse).get("/api/v1/appointments", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_the_list_takes_the_same_queries_at_1_and_50_rows(
    api, receptionist, doctor, schedule, consultation, django_assert_max_num_queries
):
    client = api(receptionist)
    book15(PatientFactory(), doctor, at(1, 9), appointment_type=consultation)
    client.get("/api/v1/appointments")  # permissions cached on the user, as in a session
    with CaptureQueriesContext(connection) as one:
        response = client.get("/api/v1/appointments", {"page_size": 100})
    assert response.json()["count"] == 1
    for i in range(1, 50):
        start = at(1 + i // 20, 9) + timedelta(minutes=15 * (i % 20))
        book15(PatientFactory(), doctor, start, appointment_type=consultation)
    with django_assert_max_num_queries(len(one)):
        response = client.get("/api/v1/appointments", {"page_size": 100})
    assert response.json()["count"] == 50
    assert len(response.json()["results"]) == 50
    assert len(one) <= 3  # count, page, and nothing per row


def _mixed_rows(doctor, receptionist, consultation):
    """A plain appointment, one moved (its replacement names the original), a weekly
    series of two, and a cancelled one: every kind of reference the list names."""
    plain = book15(PatientFactory(), doctor, at(1, 9), appointment_type=consultation)
    moved = book15(PatientFactory(), doctor, at(1, 10), appointment_type=consultation)
    services.appointment_reschedule(appointment=moved, start=at(1, 11), actor=receptionist)
    services.series_book(
        patient=PatientFactory(),
        doctor=doctor,
        start=at(1, 12),
        appointment_type=consultation,
        interval=1,
        unit="weeks",
        count=2,
        actor=receptionist,
    )
    services.appointment_cancel(appointment=plain, actor=receptionist, reason="Called")


def test_the_list_takes_the_same_queries_with_moved_and_recurring_rows(
    api, receptionist, doctor, schedule, consultation, django_assert_max_num_queries
):
    client = api(receptionist)
    _mixed_rows(doctor, receptionist, consultation)
    client.get("/api/v1/appointments")
    with CaptureQueriesContext(connection) as few:
        response = client.get("/api/v1/appointments", {"page_size": 100})
    assert response.json()["count"] == 5
    for i in range(45):
        start = at(2 + i // 20, 9) + timedelta(minutes=15 * (i % 20))
        book15(PatientFactory(), doctor, start, appointment_type=consultation)
    with django_assert_max_num_queries(len(few)):
        response = client.get("/api/v1/appointments", {"page_size": 100})
    assert len(response.json()["results"]) == 50
    # count, page, the originals of moved rows, the series: nothing per row.
    assert len(few) <= 5


def test_an_appointment_reads_as_drfs_field_by_field_serializer_gives_it(
    api, receptionist, doctor, schedule, consultation, rf
):
    _mixed_rows(doctor, receptionist, consultation)
    request = rf.get("/api/v1/appointments")
    request.user = receptionist
    serializer = AppointmentSerializer(context={"request": request})
    appointments = list(Appointment.objects.all())
    assert any(a.rescheduled_from_id for a in appointments)
    assert any(a.series_id for a in appointments)
    for appointment in appointments:
        fast = serializer.to_representation(appointment)
        drf = serializers.Serializer.to_representation(serializer, appointment)
        assert fast == drf
        assert list(fast) == list(drf)
    listed = api(receptionist).get("/api/v1/appointments", {"page_size": 100}).json()
    by_id = {a.pk: a for a in appointments}
    for row in listed["results"]:
        assert row == serializers.Serializer.to_representation(
            serializer, by_id[uuid.UUID(row["id"])]
        )


# --- Booking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("type_key", ["consultation", "CONSULTATION", "Consultation", "id"])
def test_booking_answers_201_with_the_appointment(
    api, receptionist, doctor, room, schedule, patient, consultation, type_key
):
    key = str(consultation.pk) if type_key == "id" else type_key
    response = api(receptionist).post(
        "/api/v1/appointments", payload(patient, doctor, at(1, 11), type=key), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["type"]["id"] == str(consultation.pk) and data["type_name"] == "Consultation"
    assert data["status"] == "booked" and data["warnings"] == []
    assert data["room"]["id"] == str(room.pk)  # the session's room
    appointment = Appointment.objects.get(pk=data["id"])
    assert (appointment.patient, appointment.doctor) == (patient, doctor)
    assert appointment.start == at(1, 11) and appointment.end == at(1, 11, 15)
    assert appointment.reason == "Chest pain"
    assert appointment.created_by == receptionist


def test_a_type_by_name_with_a_space_and_its_default_length(
    api, doctor, schedule, patient, follow_up
):
    body = payload(patient, doctor, at(1, 11), type="follow-UP")
    del body["end"]
    response = api(doctor).post("/api/v1/appointments", body, format="json")
    assert response.status_code == 201
    length = timedelta(minutes=follow_up.default_duration)
    assert parse(response.json()["end"]) == at(1, 11) + length
    by_name = api(doctor).post(
        "/api/v1/appointments",
        payload(patient, doctor, at(1, 13), type="Follow-up", notes="Bring results"),
        format="json",
    )
    assert by_name.status_code == 201 and by_name.json()["notes"] == "Bring results"


def test_a_second_booking_of_the_same_time_answers_409_with_a_message(
    api, receptionist, doctor, schedule, patient, consultation
):
    book15(PatientFactory(), doctor, at(1, 10), appointment_type=consultation)
    response = api(receptionist).post(
        "/api/v1/appointments", payload(patient, doctor, at(1, 10, 5), minutes=20), format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "doctor_double_booked"
    assert "already has an appointment" in body["detail"]
    assert timezone.localtime(at(1, 10)).strftime("%H:%M") in body["detail"]
    assert Appointment.objects.filter(patient=patient).count() == 0


def test_back_to_back_bookings_are_allowed(api, receptionist, doctor, schedule, consultation):
    book15(PatientFactory(), doctor, at(1, 10), appointment_type=consultation)
    response = api(receptionist).post(
        "/api/v1/appointments", payload(PatientFactory(), doctor, at(1, 10, 15)), format="json"
    )
    assert response.status_code == 201


def test_a_room_taken_by_another_doctor_answers_409(
    api, receptionist, doctor, other_doctor, room, schedule, consultation
):
    book15(PatientFactory(), doctor, at(1, 10), appointment_type=consultation, room=room)
    response = api(receptionist).post(
        "/api/v1/appointments",
        payload(PatientFactory(), other_doctor, at(1, 10), room=str(room.pk)),
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "room_double_booked"
    assert "Room 7" in response.json()["detail"]


def test_outside_availability_needs_the_override_permission(
    api, receptionist, doctor, schedule, patient, consultation
):
    night = payload(patient, doctor, at(1, 22))
    response = api(receptionist).post("/api/v1/appointments", night, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "outside_availability"
    refused = api(receptionist).post(
        "/api/v1/appointments", {**night, "override": True}, format="json"
    )
    assert refused.status_code == 409
    assert "may not book outside" in refused.json()["detail"]
    # Doctors hold scheduling.book_outside_availability (emergencies).
    allowed = api(doctor).post("/api/v1/appointments", {**night, "override": True}, format="json")
    assert allowed.status_code == 201
    assert allowed.json()["outside_availability"] is True


def test_a_patient_booked_elsewhere_is_booked_with_a_warning(
    api, receptionist, doctor, other_doctor, schedule, patient, consultation
):
    elsewhere = book15(patient, other_doctor, at(1, 10), appointment_type=consultation)
    response = api(receptionist).post(
        "/api/v1/appointments", payload(patient, doctor, at(1, 10)), format="json"
    )
    assert response.status_code == 201
    warnings = response.json()["warnings"]
    assert len(warnings) == 1
    assert warnings[0]["code"] == "patient_already_booked"
    assert warnings[0]["appointment"] == str(elsewhere.pk)
    assert "Dr Meredith Grey" in warnings[0]["detail"]
    assert Appointment.objects.filter(patient=patient).count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient": str(uuid.uuid4())}, "patient"),
        ({"doctor": str(uuid.uuid4())}, "doctor"),
        ({"type": "séance"}, "type"),
        ({"start": "yesterday-ish"}, "start"),
        ({"room": str(uuid.uuid4())}, "room"),
        ({"reason": "x" * 300}, "reason"),
        ({"override": "perhaps"}, "override"),
    ],
)
def test_bad_bookings_answer_400_with_field_errors(
    api, receptionist, doctor, schedule, patient, consultation, change, field
):
    body = {**payload(patient, doctor, at(1, 10)), **change}
    response = api(receptionist).post("/api/v1/appointments", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_missing_fields_and_an_end_before_the_start_answer_400(
    api, receptionist, doctor, schedule, patient, consultation
):
    response = api(receptionist).post("/api/v1/appointments", {}, format="json")
    assert response.status_code == 400
    assert {"patient", "doctor", "start", "type"} <= set(response.json())
    backwards = payload(patient, doctor, at(1, 10), minutes=-15)
    response = api(receptionist).post("/api/v1/appointments", backwards, format="json")
    assert response.status_code == 400 and "end" in response.json()


def test_a_non_doctor_and_a_past_time_are_refused(
    api, receptionist, nurse, doctor, schedule, patient, consultation
):
    response = api(receptionist).post(
        "/api/v1/appointments", payload(patient, nurse, at(1, 10)), format="json"
    )
    assert response.status_code == 400 and "doctor" in response.json()
    response = api(receptionist).post(
        "/api/v1/appointments", payload(patient, doctor, at(-1, 10)), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_time"


def test_an_inactive_patient_cannot_be_booked(api, receptionist, doctor, schedule, consultation):
    gone = PatientFactory(is_active=False)
    response = api(receptionist).post(
        "/api/v1/appointments", payload(gone, doctor, at(1, 10)), format="json"
    )
    # The one "patient must be active" rule (Patient.ensure_active): a conflict.
    assert response.status_code == 409
    assert response.json()["code"] == "patient_inactive"


# --- One appointment: read, state, change, reschedule, cancel ---------------------------------


@pytest.fixture
def appointment(doctor, schedule, patient, consultation):
    return book15(patient, doctor, at(1, 10), appointment_type=consultation, reason="Cough")


@pytest.fixture
def today_appointment(doctor, schedule, patient, consultation):
    """An appointment of today (checked in only on its day)."""
    return book15(patient, doctor, at(0, 9), appointment_type=consultation, _allow_past=True)


def url(appointment):
    return f"/api/v1/appointments/{appointment.pk}"


def test_an_appointment_in_detail(api, nurse, appointment):
    response = api(nurse).get(url(appointment))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(appointment.pk)
    # The reason for the visit is clinical: a nurse outside the care reads only that one
    # was recorded (tests/test_reason_privacy.py).
    assert data["reason"] is None and data["reason_recorded"] is True
    # Tomorrow's: confirmed or cancelled now; checked in only on its day, a no-show once
    # it began.
    assert sorted(data["allowed_transitions"]) == ["cancelled", "confirmed"]


def test_an_unknown_appointment_is_404(api, nurse):
    assert api(nurse).get(f"/api/v1/appointments/{uuid.uuid4()}").status_code == 404
    assert api(nurse).get("/api/v1/appointments/not-an-id").status_code == 404


def test_status_changes_follow_the_transition_table(api, receptionist, doctor, today_appointment):
    appointment = today_appointment
    client = api(receptionist)
    response = client.patch(url(appointment), {"status": "confirmed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert response.json()["confirmed_at"] is not None
    checked_in = client.patch(url(appointment), {"status": "checked_in"}, format="json")
    assert checked_in.json()["status"] == "checked_in"
    completed = api(doctor).patch(
        url(appointment), {"status": "completed", "reason": "Seen by the nurse"}, format="json"
    )
    assert completed.status_code == 200 and completed.json()["completed_at"] is not None
    changes = AppointmentStatusChange.objects.filter(appointment=appointment).order_by("at")
    assert [c.to_status for c in changes] == ["booked", "confirmed", "checked_in", "completed"]


def test_a_forbidden_transition_answers_409(api, receptionist, appointment):
    response = api(receptionist).patch(url(appointment), {"status": "completed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "booked to completed" in response.json()["detail"]
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_an_unknown_status_answers_400(api, receptionist, appointment):
    response = api(receptionist).patch(url(appointment), {"status": "teleported"}, format="json")
    assert response.status_code == 400 and "status" in response.json()


def test_the_same_status_again_changes_nothing(api, receptionist, appointment):
    response = api(receptionist).patch(url(appointment), {"status": "booked"}, format="json")
    assert response.status_code == 200
    assert AppointmentStatusChange.objects.filter(appointment=appointment).count() == 1


def test_cancelling_needs_a_reason(api, receptionist, appointment):
    response = api(receptionist).patch(url(appointment), {"status": "cancelled"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    response = api(receptionist).patch(
        url(appointment), {"status": "cancelled", "cancellation_reason": "  "}, format="json"
    )
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == "booked"


@pytest.mark.parametrize("key", ["cancellation_reason", "reason"])
def test_cancelling_by_patch_with_a_reason(api, receptionist, appointment, key):
    response = api(receptionist).patch(
        url(appointment), {"status": "cancelled", key: "Patient called"}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "cancelled" and data["cancellation_reason"] == "Patient called"
    assert data["cancelled_at"] is not None
    appointment.refresh_from_db()
    assert appointment.reason == "Cough"  # the reason for the visit stays
    assert data["reason"] is None and data["reason_recorded"] is True  # not the front desk's


def test_status_goes_alone(api, receptionist, appointment):
    response = api(receptionist).patch(
        url(appointment), {"status": "confirmed", "start": at(1, 11).isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()


def test_reason_notes_and_type_change_in_place(api, receptionist, appointment, follow_up):
    response = api(receptionist).patch(
        url(appointment),
        {"reason": "Fever", "notes": "Interpreter needed", "type": "follow-up"},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(appointment.pk)
    assert (data["notes"], data["type_name"]) == ("Interpreter needed", "Follow-up")
    # The front desk writes the reason but does not read it back (no chart access).
    assert data["reason"] is None and data["reason_recorded"] is True
    appointment.refresh_from_db()
    assert appointment.reason == "Fever"
    assert data["rescheduled_from"] is None


def test_a_new_time_by_patch_reschedules_to_a_new_appointment(api, receptionist, appointment):
    response = api(receptionist).patch(
        url(appointment), {"start": at(2, 14).isoformat()}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["id"] != str(appointment.pk)
    assert data["rescheduled_from"]["id"] == str(appointment.pk)
    assert parse(data["start"]) == at(2, 14) and parse(data["end"]) == at(2, 14, 15)
    assert data["status"] == "booked" and data["reason_recorded"] is True
    assert Appointment.objects.get(pk=data["id"]).reason == "Cough"
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "Rescheduled"
    # The old id still answers, cancelled.
    assert api(receptionist).get(url(appointment)).json()["status"] == "cancelled"


def test_a_new_doctor_by_put_reschedules(
    api, receptionist, appointment, other_doctor, consultation
):
    response = api(receptionist).put(
        url(appointment),
        {
            "patient": str(appointment.patient_id),
            "doctor": str(other_doctor.pk),
            "start": appointment.start.isoformat(),
            "end": appointment.end.isoformat(),
            "type": "consultation",
            "reason": "Cough",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["doctor"]["id"] == str(other_doctor.pk)
    assert data["rescheduled_from"]["id"] == str(appointment.pk)
    assert data["room"]["id"] != str(appointment.room_id)  # Grey's session room


def test_put_needs_the_booking_fields_and_keeps_the_patient(api, receptionist, appointment):
    response = api(receptionist).put(url(appointment), {"reason": "x"}, format="json")
    assert response.status_code == 400
    assert {"doctor", "start", "type"} <= set(response.json())
    other = PatientFactory()
    response = api(receptionist).put(
        url(appointment),
        payload(other, appointment.doctor, appointment.start),
        format="json",
    )
    assert response.status_code == 400 and "patient" in response.json()


def test_rescheduling_onto_booked_time_answers_409_and_keeps_the_original(
    api, receptionist, doctor, appointment, consultation
):
    book15(PatientFactory(), doctor, at(2, 10), appointment_type=consultation)
    response = api(receptionist).patch(
        url(appointment), {"start": at(2, 10).isoformat(), "reason": "Moved"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "doctor_double_booked"
    appointment.refresh_from_db()
    assert appointment.status == "booked" and appointment.start == at(1, 10)
    assert appointment.reason == "Cough"  # the whole change was rolled back
    assert not Appointment.objects.filter(rescheduled_from=appointment).exists()


def test_a_closed_appointment_cannot_change(api, receptionist, appointment):
    api(receptionist).patch(url(appointment), {"status": "cancelled", "reason": "x"}, format="json")
    response = api(receptionist).patch(url(appointment), {"notes": "late"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "appointment_closed"
    moved = api(receptionist).patch(
        url(appointment), {"start": at(3, 10).isoformat()}, format="json"
    )
    assert moved.status_code == 409


def test_delete_cancels_and_keeps_the_record(api, receptionist, appointment):
    response = api(receptionist).delete(url(appointment))
    assert response.status_code == 204
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "Cancelled through the API"
    assert api(receptionist).get(url(appointment)).json()["status"] == "cancelled"
    # Again: it is cancelled already, nothing changes.
    assert api(receptionist).delete(url(appointment)).status_code == 204


def test_delete_takes_a_reason_from_the_body(api, receptionist, appointment):
    response = api(receptionist).delete(url(appointment), {"reason": "Doctor ill"}, format="json")
    assert response.status_code == 204
    appointment.refresh_from_db()
    assert appointment.cancellation_reason == "Doctor ill"


def test_an_appointment_names_its_records_as_nested_references(
    api, receptionist, doctor, room, booked
):
    row = api(receptionist).get(url(booked[0])).json()
    patient = booked[0].patient
    assert row["patient"] == {
        "id": str(patient.pk),
        "name": "Ada Lovelace",
        "mrn": patient.display_mrn,
    }
    assert row["doctor"] == {"id": str(doctor.pk), "name": "Gregory House"}
    assert row["room"] == {"id": str(room.pk), "name": room.name}
    assert row["clinic"] == {"id": str(room.clinic_id), "name": room.clinic.name}
    assert row["type"] == {"id": str(booked[0].appointment_type_id), "name": "Consultation"}
    # The flat names stay one release, as deprecated aliases.
    assert (row["patient_name"], row["doctor_name"]) == ("Ada Lovelace", "Dr Gregory House")
    assert (row["room_name"], row["type_name"]) == (room.name, "Consultation")


def test_the_schema_marks_the_flat_names_deprecated(signed_in, doctor):
    schema = signed_in(doctor).get("/api/v1/schema/", {"format": "json"}).json()
    fields = schema["components"]["schemas"]["Appointment"]["properties"]
    for ref in ("patient", "doctor", "clinic", "room", "type"):
        assert f"Deprecated: use {ref}.name; removed in v2." in fields[f"{ref}_name"].get(
            "description", ""
        )


def test_next_slots_name_their_doctor_room_and_clinic(api, nurse, doctor, schedule):
    slot = api(nurse).get("/api/v1/slots/next", {"doctor": str(doctor.pk), "limit": 1}).json()[0]
    room = schedule[0].room
    assert slot["doctor"] == {"id": str(doctor.pk), "name": "Gregory House"}
    assert slot["room"] == {"id": str(room.pk), "name": room.name}
    assert slot["clinic"]["id"] == str(schedule[0].clinic_id)
    assert slot["doctor_name"] == "Dr Gregory House"


def test_a_completed_appointment_cannot_be_deleted(api, receptionist, doctor, today_appointment):
    appointment = today_appointment
    api(receptionist).patch(url(appointment), {"status": "checked_in"}, format="json")
    api(doctor).patch(url(appointment), {"status": "completed", "reason": "Seen"}, format="json")
    response = api(receptionist).delete(url(appointment))
    assert response.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == "completed"


# --- Permissions per persona ------------------------------------------------------------------


READERS = {"doctor", "nurse", "receptionist", "administrator"}


def _tomorrow():
    return (timezone.localdate() + timedelta(days=1)).isoformat()


# Who reads appointments and free slots (the other staff personas get 403).
READS = [
    Page("appointments", lambda scene: "/api/v1/appointments", READERS),
    Page("appointment", lambda scene: url(scene["appointment"]), READERS),
    Page(
        "doctor slots",
        lambda scene: f"/api/v1/doctors/{scene['doctor'].pk}/slots?date={_tomorrow()}",
        READERS,
    ),
    Page("next slots", lambda scene: f"/api/v1/slots/next?doctor={scene['doctor'].pk}", READERS),
]


@pytest.fixture
def scene(doctor, appointment):
    return {"doctor": doctor, "appointment": appointment}


@pytest.mark.parametrize(("page", "persona"), persona_cases(READS))
def test_who_reads_appointments_and_slots(request, signed_in, scene, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", READS, ids=page_ids(READS))
def test_portal_patients_read_no_staff_appointments(api, portal_patient, scene, page):
    assert page.request(api(portal_patient), scene).status_code == 403


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("doctor", True),
        ("receptionist", True),
        ("nurse", False),
        ("administrator", False),
        ("lab_tech", False),
        ("pharmacist", False),
        ("portal_patient", False),
    ],
)
def test_who_books(api, request, persona, allowed, doctor, schedule, patient, consultation):
    response = api(request.getfixturevalue(persona)).post(
        "/api/v1/appointments", payload(patient, doctor, at(1, 10)), format="json"
    )
    assert response.status_code == (201 if allowed else 403)
    assert Appointment.objects.exists() == allowed


@pytest.mark.parametrize(
    ("persona", "confirm", "check_in", "delete"),
    [
        ("doctor", 200, 200, 403),
        ("receptionist", 200, 200, 204),
        ("nurse", 403, 200, 403),
        ("administrator", 403, 403, 403),
        ("lab_tech", 403, 403, 403),
        ("pharmacist", 403, 403, 403),
        ("portal_patient", 403, 403, 403),
    ],
)
def test_who_changes_checks_in_and_cancels(
    api, request, persona, confirm, check_in, delete, today_appointment
):
    appointment = today_appointment
    client = api(request.getfixturevalue(persona))
    assert client.patch(url(appointment), {"status": "confirmed"}, format="json").status_code == (
        confirm
    )
    assert client.patch(url(appointment), {"status": "checked_in"}, format="json").status_code == (
        check_in
    )
    assert client.delete(url(appointment)).status_code == delete


def test_signed_out_clients_get_401(appointment, doctor):
    client = APIClient()
    assert client.get("/api/v1/appointments").status_code == 401
    assert client.post("/api/v1/appointments", {}, format="json").status_code == 401
    assert client.get(f"/api/v1/doctors/{doctor.pk}/slots").status_code == 401
    assert client.delete(url(appointment)).status_code == 401


def test_the_schema_documents_the_scheduling_endpoints(signed_in, doctor):
    response = signed_in(doctor).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/appointments",
        "/api/v1/appointments/{id}",
        "/api/v1/doctors/{id}/slots",
        "/api/v1/slots/next",
    ):
        assert path in paths, sorted(paths)
    patch = paths["/api/v1/appointments/{id}"]["patch"]
    assert "rescheduled_from" in paths["/api/v1/appointments/{id}"]["put"]["description"]
    assert patch["responses"].keys() >= {"200", "409"}
