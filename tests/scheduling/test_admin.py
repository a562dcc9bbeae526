"""Scheduling in the admin: master data kept by administrators (with history and the
acting user stamped), schedules checked as the staff pages check them, appointments and
what the services write read-only, calendar feeds revocable; the default appointment
types of the data migration."""

import importlib
from datetime import time, timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from scheduling import services
from scheduling.models import (
    AppointmentType,
    CalendarFeedToken,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
)
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ClinicFactory,
    ConsultationRoomFactory,
    DoctorScheduleFactory,
    HolidayFactory,
    ScheduleExceptionFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "clinic",
    "consultationroom",
    "appointmenttype",
    "holiday",
    "doctorschedule",
    "scheduleexception",
    "appointment",
    "appointmentreminder",
    "waitlistentry",
    "calendarfeedtoken",
]
READ_ONLY = ["appointment", "appointmentreminder", "waitlistentry", "calendarfeedtoken"]
NO_ROOMS = {
    "rooms-TOTAL_FORMS": "0",
    "rooms-INITIAL_FORMS": "0",
    "rooms-MIN_NUM_FORMS": "0",
    "rooms-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def admin_client(signed_in, administrator):
    return signed_in(administrator)


@pytest.fixture
def records(doctor, patient_factory, receptionist):
    """One record of each kind, so every list and change page has a row to show."""
    rooms = weekly_schedule(doctor)
    ScheduleExceptionFactory(doctor=doctor)
    HolidayFactory()
    appointment = book(patient_factory(), doctor, at(1, 10), actor=receptionist)
    services.waitlist_add(
        patient=patient_factory(),
        doctor=doctor,
        appointment_type=appointment.appointment_type,
        earliest=at(1, 0).date(),
        latest=at(9, 0).date(),
        actor=receptionist,
    )
    services.reminders_send(now=appointment.start - timedelta(hours=1))
    token, _raw = services.calendar_feed_token_create(user=doctor, actor=doctor)
    return {"appointment": appointment, "schedule": rooms[0], "token": token}


@pytest.fixture
def patient_factory(db):
    from tests.factories.patients import PatientFactory

    return PatientFactory


# --- The default appointment types (data migration 0003) ------------------------------------


def test_the_default_appointment_types_exist_after_migrating():
    expected = {
        "consultation": 20,
        "follow-up": 15,
        "emergency": 30,
        "check-up": 30,
        "surgery": 120,
        "procedure": 60,
    }
    types = {t.code: t for t in AppointmentType.objects.filter(code__in=expected)}
    assert {code: t.default_duration for code, t in types.items()} == expected
    colours = [t.colour for t in types.values()]
    assert len(set(colours)) == 6
    assert all(t.history.filter(history_type="+").exists() for t in types.values())


def _relative_luminance(colour):
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_default_colours_are_readable_under_white_text():
    migration = importlib.import_module("scheduling.migrations.0003_default_appointment_types")
    for _code, _name, _minutes, colour, _description in migration.DEFAULT_TYPES:
        contrast = 1.05 / (_relative_luminance(colour) + 0.05)
        assert contrast >= 4.5, colour


def test_the_data_migration_is_idempotent_and_keeps_an_administrators_changes():
    migration = importlib.import_module("scheduling.migrations.0003_default_appointment_types")
    AppointmentType.objects.filter(code="surgery").update(default_duration=90)
    before = AppointmentType.objects.count()
    migration.create_types(apps, None)
    assert AppointmentType.objects.count() == before
    assert AppointmentType.objects.get(code="surgery").default_duration == 90
    # A type deleted by hand comes back with its default.
    AppointmentType.objects.filter(code="procedure").delete()
    migration.create_types(apps, None)
    assert AppointmentType.objects.get(code="procedure").default_duration == 60


def test_the_factory_reuses_the_default_type():
    assert AppointmentTypeFactory(code="consultation") == AppointmentType.objects.get(
        code="consultation"
    )


# --- Pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_every_list_and_record_page_opens_for_the_administrator(admin_client, records, model):
    page = admin_client.get(reverse(f"admin:scheduling_{model}_changelist"))
    assert page.status_code == 200, model
    Model = apps.get_model("scheduling", model)
    obj = Model.objects.first()
    assert obj is not None, model
    assert (
        admin_client.get(reverse(f"admin:scheduling_{model}_change", args=[obj.pk])).status_code
        == 200
    )
    assert (
        admin_client.get(reverse(f"admin:scheduling_{model}_history", args=[obj.pk])).status_code
        == 200
    )


@pytest.mark.parametrize("model", [m for m in MODELS if m not in READ_ONLY])
def test_master_data_can_be_added(admin_client, model):
    assert admin_client.get(reverse(f"admin:scheduling_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY)
def test_records_of_the_services_cannot_be_added_or_changed(admin_client, records, model):
    assert admin_client.get(reverse(f"admin:scheduling_{model}_add")).status_code == 403
    obj = apps.get_model("scheduling", model).objects.first()
    page = admin_client.get(reverse(f"admin:scheduling_{model}_change", args=[obj.pk]))
    assert 'name="_save"' not in page.content.decode()
    assert (
        admin_client.get(reverse(f"admin:scheduling_{model}_delete", args=[obj.pk])).status_code
        == 403
    )


def test_an_appointment_shows_its_status_history_read_only(admin_client, records, receptionist):
    appointment = records["appointment"]
    services.appointment_confirm(appointment=appointment, actor=receptionist)
    page = admin_client.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk]))
    html = page.content.decode()
    assert "Confirmed" in html and "Booked" in html
    before = appointment.status_changes.count()
    admin_client.post(
        reverse("admin:scheduling_appointment_change", args=[appointment.pk]),
        {"reason": "changed in the admin"},
    )
    appointment.refresh_from_db()
    assert appointment.reason != "changed in the admin"
    assert appointment.status_changes.count() == before


def test_the_type_list_shows_each_colour(admin_client):
    html = admin_client.get(reverse("admin:scheduling_appointmenttype_changelist")).content.decode()
    for colour in AppointmentType.objects.values_list("colour", flat=True):
        assert f'fill="{colour}"' in html
    assert "style=" not in html.split("<table")[1].split("</table>")[0]  # CSP: no inline styles


def test_filters_of_the_schedule_list(admin_client, records, doctor, make_user):
    other = make_user("Doctor")
    DoctorScheduleFactory(doctor=other, weekday=0)
    schedule = records["schedule"]
    url = reverse("admin:scheduling_doctorschedule_changelist")
    for query, expected in (
        ({"doctor__id__exact": doctor.pk}, 7),
        ({"weekday__exact": 0}, 2),
        ({"clinic__id__exact": schedule.clinic_id}, 7),
        ({}, 8),
    ):
        page = admin_client.get(url, query)
        assert page.status_code == 200
        assert page.context["cl"].result_count == expected, query


# --- Saves ----------------------------------------------------------------------------------


def test_a_clinic_and_its_rooms_are_added_in_one_step_and_stamped(admin_client, administrator):
    hospital = ClinicFactory().hospital
    response = admin_client.post(
        reverse("admin:scheduling_clinic_add"),
        {
            "hospital": hospital.pk,
            "name": "Dermatology Clinic",
            "location": "Wing C",
            "phone": "",
            "is_active": "on",
            "additional_data": "{}",
            "rooms-TOTAL_FORMS": "2",
            "rooms-INITIAL_FORMS": "0",
            "rooms-MIN_NUM_FORMS": "0",
            "rooms-MAX_NUM_FORMS": "1000",
            "rooms-0-name": "D1",
            "rooms-0-is_active": "on",
            "rooms-1-name": "D2",
            "rooms-1-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    clinic = Clinic.objects.get(name="Dermatology Clinic")
    assert clinic.created_by == administrator
    rooms = ConsultationRoom.objects.filter(clinic=clinic)
    assert sorted(rooms.values_list("name", flat=True)) == ["D1", "D2"]
    assert {r.created_by for r in rooms} == {administrator}
    assert clinic.history.first().history_user == administrator


def test_an_appointment_type_is_added_with_its_colour(admin_client, administrator):
    response = admin_client.post(
        reverse("admin:scheduling_appointmenttype_add"),
        {
            "name": "Telephone",
            "code": "telephone",
            "default_duration": "10",
            "colour": "#0a58ca",
            "is_active": "on",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AppointmentType.objects.get(code="telephone").created_by == administrator


def test_a_bad_colour_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:scheduling_appointmenttype_add"),
        {"name": "Bad", "code": "bad", "default_duration": "10", "colour": "red"},
    )
    assert response.status_code == 200
    assert not AppointmentType.objects.filter(code="bad").exists()


def schedule_data(doctor, room, **changes):
    data = {
        "doctor": doctor.pk,
        "weekday": "2",
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": "15",
        "clinic": room.clinic_id,
        "room": room.pk,
        "effective_from": "2020-01-01",
        "effective_to": "",
    }
    data.update(changes)
    return data


def test_a_schedule_is_added_for_a_doctor_and_stamped(admin_client, administrator, doctor):
    room = ConsultationRoomFactory()
    response = admin_client.post(
        reverse("admin:scheduling_doctorschedule_add"), schedule_data(doctor, room)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = DoctorSchedule.objects.get(doctor=doctor)
    assert schedule.created_by == administrator


def test_an_overlapping_session_is_refused_as_on_the_staff_pages(admin_client, doctor):
    room = ConsultationRoomFactory()
    DoctorScheduleFactory(
        doctor=doctor, weekday=2, room=room, start_time=time(8), end_time=time(10)
    )
    response = admin_client.post(
        reverse("admin:scheduling_doctorschedule_add"), schedule_data(doctor, room)
    )
    assert response.status_code == 200
    assert "overlaps another" in response.content.decode()
    assert DoctorSchedule.objects.filter(doctor=doctor).count() == 1


def test_a_room_of_another_clinic_is_refused(admin_client, doctor):
    room = ConsultationRoomFactory()
    response = admin_client.post(
        reverse("admin:scheduling_doctorschedule_add"),
        schedule_data(doctor, room, clinic=ClinicFactory().pk),
    )
    assert response.status_code == 200
    assert "another clinic" in response.content.decode()
    assert not DoctorSchedule.objects.exists()


def test_only_doctors_can_be_given_a_schedule(admin_client, nurse):
    room = ConsultationRoomFactory()
    response = admin_client.post(
        reverse("admin:scheduling_doctorschedule_add"), schedule_data(nurse, room)
    )
    assert response.status_code == 200
    assert not DoctorSchedule.objects.exists()


# --- Calendar feeds -------------------------------------------------------------------------


def test_an_administrator_revokes_a_feed_through_the_service(admin_client, administrator, records):
    token = records["token"]
    response = admin_client.post(
        reverse("admin:scheduling_calendarfeedtoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.updated_by == administrator
    assert CalendarFeedToken.objects.filter(pk=token.pk, revoked_at__isnull=False).exists()
    assert services.calendar_feed_user("anything") is None


def test_feeds_cannot_be_deleted_in_the_admin(admin_client, records):
    page = admin_client.get(reverse("admin:scheduling_calendarfeedtoken_changelist"))
    html = page.content.decode()
    assert 'value="revoke"' in html
    assert 'value="delete_selected"' not in html


# --- Who enters ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["doctor", "nurse", "receptionist", "lab_tech", "pharmacist"])
def test_staff_other_than_administrators_do_not_enter_the_admin(signed_in, staff_personas, persona):
    response = signed_in(staff_personas[persona]).get(
        reverse("admin:scheduling_appointment_changelist")
    )
    assert response.status_code == 302
