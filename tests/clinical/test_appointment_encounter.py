"""An encounter started from a checked-in appointment: only the appointment's doctor
starts it, the appointment moves to in progress in the same transaction, starting twice
opens the same encounter, finishing it completes the appointment; the page shows the
appointment and the API exposes it."""

import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from clinical import services
from clinical.exceptions import AppointmentNotCheckedIn, NotTheAppointmentDoctor
from clinical.models import Encounter, EncounterClass, EncounterStatus
from ehr.core.exceptions import InvalidTransition
from patients.models import CareRelationship, ChartAccess
from patients.services import break_glass_open
from scheduling import services as scheduling_services
from scheduling.models import AppointmentStatus
from tests.factories.patients import on_care_team
from tests.factories.scheduling import at, book, weekly_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(patient, doctor, receptionist):
    """A consultation today at 10:00 with `doctor`, booked by the front desk."""
    weekly_schedule(doctor)
    return book(
        patient,
        doctor,
        at(0, 10),
        actor=receptionist,
        reason="Chest pain on exertion",
        _allow_past=True,
    )


@pytest.fixture
def checked_in(appointment, receptionist):
    return scheduling_services.appointment_check_in(appointment=appointment, actor=receptionist)


def start_url(appointment):
    return reverse("clinical:appointment_encounter_start", args=[appointment.pk])


# --- The service ----------------------------------------------------------------------------


def test_starting_from_a_checked_in_appointment_opens_the_visit_and_starts_the_appointment(
    checked_in, doctor, patient
):
    encounter = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    assert encounter.status == EncounterStatus.IN_PROGRESS
    assert encounter.encounter_class == EncounterClass.OUTPATIENT
    assert (encounter.patient, encounter.doctor) == (patient, doctor)
    assert encounter.chief_complaint == "Chest pain on exertion"
    assert encounter.appointment == checked_in
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.IN_PROGRESS
    assert checked_in.started_at == encounter.started_at
    change = checked_in.status_changes.order_by("-at").first()
    assert (change.from_status, change.to_status, change.by) == (
        "checked_in",
        "in_progress",
        doctor,
    )
    assert CareRelationship.objects.current().filter(patient=patient, user=doctor).exists()


def test_starting_twice_returns_the_running_encounter(checked_in, doctor):
    first = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    second = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    assert first == second
    assert Encounter.objects.filter(appointment=checked_in).count() == 1


@pytest.mark.parametrize("state", ["booked", "confirmed", "cancelled", "no_show"])
def test_an_appointment_not_checked_in_is_refused(appointment, doctor, receptionist, state):
    if state == "confirmed":
        scheduling_services.appointment_confirm(appointment=appointment, actor=receptionist)
    elif state == "cancelled":
        scheduling_services.appointment_cancel(
            appointment=appointment, actor=receptionist, reason="Patient called"
        )
    elif state == "no_show":
        scheduling_services.appointment_no_show(
            appointment=appointment, actor=receptionist, at=appointment.start
        )
    with pytest.raises(AppointmentNotCheckedIn):
        services.encounter_start_for_appointment(appointment=appointment, actor=doctor)
    assert not Encounter.objects.exists()
    appointment.refresh_from_db()
    assert appointment.status == state


def test_only_the_appointments_doctor_starts_it(checked_in, make_user, patient):
    colleague = make_user("Doctor")
    on_care_team(patient, colleague)
    with pytest.raises(NotTheAppointmentDoctor):
        services.encounter_start_for_appointment(appointment=checked_in, actor=colleague)
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.CHECKED_IN
    assert not Encounter.objects.exists()


def test_a_refused_appointment_transition_leaves_no_encounter(checked_in, doctor, monkeypatch):
    """Encounter and appointment change in one transaction."""

    def refuse(**kwargs):
        raise InvalidTransition("refused")

    monkeypatch.setattr(scheduling_services, "appointment_start", refuse)
    with pytest.raises(InvalidTransition):
        services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    assert not Encounter.objects.exists()


def test_finishing_the_encounter_completes_the_appointment(checked_in, doctor):
    encounter = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    services.encounter_finish(encounter=encounter, actor=doctor)
    encounter.refresh_from_db()
    checked_in.refresh_from_db()
    assert encounter.status == EncounterStatus.FINISHED
    assert checked_in.status == AppointmentStatus.COMPLETED
    assert checked_in.completed_at == encounter.ended_at


def test_finishing_through_the_api_status_completes_the_appointment_too(checked_in, doctor):
    encounter = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    services.encounter_set_status(encounter=encounter, actor=doctor, status="finished")
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.COMPLETED


def test_a_cancelled_encounter_frees_the_appointment_for_a_new_one(checked_in, doctor):
    first = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    services.encounter_cancel(encounter=first, actor=doctor, reason="Wrong patient selected")
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.IN_PROGRESS
    second = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    assert second != first and second.status == EncounterStatus.IN_PROGRESS
    services.encounter_finish(encounter=second, actor=doctor)
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.COMPLETED


def test_an_encounter_without_appointment_finishes_as_before(patient, doctor):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    services.encounter_finish(encounter=encounter, actor=doctor)
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.FINISHED and encounter.appointment is None


# --- The page -------------------------------------------------------------------------------


def test_the_doctor_starts_the_encounter_from_the_appointment_and_sees_it(
    signed_in, checked_in, doctor
):
    client = signed_in(doctor)
    response = client.post(start_url(checked_in))
    encounter = Encounter.objects.get(appointment=checked_in)
    assert response.status_code == 302
    assert response["Location"] == encounter.get_absolute_url()
    page = client.get(encounter.get_absolute_url()).content.decode()
    assert 'data-testid="encounter-appointment"' in page
    assert checked_in.appointment_type.name in page
    assert "10:00" in page
    # A second click opens the same encounter.
    again = client.post(start_url(checked_in))
    assert again["Location"] == encounter.get_absolute_url()
    assert Encounter.objects.filter(appointment=checked_in).count() == 1
    assert ChartAccess.objects.filter(
        user=doctor, patient=checked_in.patient, part="encounters:start"
    ).exists()


def test_an_appointment_not_checked_in_goes_back_with_the_reason(signed_in, appointment, doctor):
    client = signed_in(doctor)
    response = client.post(start_url(appointment), {"next": "/scheduling/my-day/"})
    assert response.status_code == 302 and response["Location"] == "/scheduling/my-day/"
    assert "not been checked in" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert not Encounter.objects.exists()


def test_an_unsafe_next_is_ignored(signed_in, appointment, doctor, patient):
    response = signed_in(doctor).post(start_url(appointment), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "patients:patient_chart", args=[patient.pk, "encounters"]
    )


def test_another_doctor_on_the_care_team_is_refused(signed_in, checked_in, make_user, patient):
    colleague = make_user("Doctor")
    on_care_team(patient, colleague)
    response = signed_in(colleague).post(start_url(checked_in))
    assert response.status_code == 302
    assert "Only the doctor of this appointment" in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )
    assert not Encounter.objects.exists()
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.CHECKED_IN


def test_a_doctor_outside_the_care_team_gets_the_break_the_glass_page(
    signed_in, checked_in, make_user
):
    outsider = make_user("Doctor")
    response = signed_in(outsider).post(start_url(checked_in))
    assert response.status_code == 403
    assert "break" in response.content.decode().lower()
    assert not Encounter.objects.exists()


def test_after_breaking_the_glass_another_doctor_is_still_not_the_appointments_doctor(
    signed_in, checked_in, make_user, patient
):
    outsider = make_user("Doctor")
    break_glass_open(
        patient=patient, user=outsider, reason="emergency_care", details="Covering the clinic today"
    )
    response = signed_in(outsider).post(start_url(checked_in))
    assert response.status_code == 302
    assert not Encounter.objects.exists()


@pytest.mark.parametrize("persona", ["nurse", "receptionist", "lab_tech", "pharmacist"])
def test_other_roles_cannot_start_an_encounter(signed_in, checked_in, staff_personas, persona):
    response = signed_in(staff_personas[persona]).post(start_url(checked_in))
    assert response.status_code == 403
    assert not Encounter.objects.exists()


def test_the_start_is_a_post(signed_in, checked_in, doctor):
    assert signed_in(doctor).get(start_url(checked_in)).status_code == 405


def test_an_unknown_appointment_is_404(signed_in, doctor):
    response = signed_in(doctor).post(
        reverse("clinical:appointment_encounter_start", args=[uuid.uuid4()])
    )
    assert response.status_code == 404


def test_signed_out_users_are_sent_to_sign_in(client, checked_in):
    response = client.post(start_url(checked_in))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The API --------------------------------------------------------------------------------


def test_the_api_exposes_the_encounters_appointment(signed_in, checked_in, doctor, patient):
    encounter = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    other = services.encounter_start(patient=patient, actor=doctor)
    client = signed_in(doctor)
    body = client.get(f"/api/v1/encounters/{encounter.pk}").json()
    assert body["appointment"] == {"id": str(checked_in.pk), "name": str(checked_in)}
    assert client.get(f"/api/v1/encounters/{other.pk}").json()["appointment"] is None
    listed = client.get(f"/api/v1/encounters?patient={patient.pk}").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {r["id"]: r["appointment"] and r["appointment"]["id"] for r in rows} == {
        str(encounter.pk): str(checked_in.pk),
        str(other.pk): None,
    }


def test_finishing_through_the_api_completes_the_appointment(signed_in, checked_in, doctor):
    encounter = services.encounter_start_for_appointment(appointment=checked_in, actor=doctor)
    response = signed_in(doctor).patch(
        f"/api/v1/encounters/{encounter.pk}",
        {"status": "finished"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    checked_in.refresh_from_db()
    assert checked_in.status == AppointmentStatus.COMPLETED
