"""Attacks on the care-team rule, as regression tests: what a clinician can do to himself
(book, move, admit, discharge, record a death) to open a chart he should not, and what
the windows of care relationships allow. Each test reproduces a way in that was open
before care relationships were windowed, tied to their source and reviewed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from ehr.core.models import Notification
from inpatient import services as inpatient_services
from patients.exceptions import ChartAccessDenied
from patients.models import AccessReason, CareRelationship, ChartAccess
from patients.selectors import chart_access_for, patients_on_care_team_of
from patients.services import break_glass_open, care_team_add
from scheduling import services as scheduling_services
from scheduling.exceptions import AppointmentNotYours
from scheduling.models import AppointmentStatus
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import at, book, weekly_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor2(make_user):
    """A doctor with no relationship to anyone's patient: the attacker."""
    user = make_user(roles.DOCTOR)
    weekly_schedule(user)
    return user


@pytest.fixture
def treating(doctor):
    """The patient's own doctor, with a schedule."""
    weekly_schedule(doctor)
    return doctor


@pytest.fixture
def patient(treating):
    return PatientFactory(first_name="Target", last_name="Patient")


def notes_url(patient):
    return reverse("patients:patient_chart", args=[patient.pk, "notes"])


# --- Self-booking -----------------------------------------------------------------------------


def test_self_booking_gives_no_access_before_the_window_opens(
    doctor2, patient, signed_in, administrator
):
    appointment = book(patient, doctor2, at(3, 10), actor=doctor2)
    client = signed_in(doctor2)
    assert client.get(notes_url(patient)).status_code == 403
    assert not chart_access_for(doctor2, patient).allowed
    # It opens only the preparation time before the appointment.
    opens = appointment.start - timedelta(hours=24)
    assert not chart_access_for(doctor2, patient, now=opens - timedelta(minutes=1)).allowed
    assert chart_access_for(doctor2, patient, now=opens + timedelta(minutes=1)).allowed


def test_self_booking_is_self_assigned_and_the_reviewers_are_told(
    doctor2, patient, administrator, signed_in
):
    book(patient, doctor2, at(3, 10), actor=doctor2)
    relationship = CareRelationship.objects.get(user=doctor2, patient=patient)
    assert relationship.self_assigned and relationship.reviewed_at is None
    assert Notification.objects.filter(
        recipient=administrator, category="security", title__icontains="self-assigned"
    ).exists()
    queue = signed_in(administrator).get(reverse("patients:self_assigned_review_list"))
    assert queue.status_code == 200
    assert patient.full_name in queue.content.decode()


def test_a_booking_by_the_front_desk_is_not_self_assigned(doctor2, patient, receptionist):
    book(patient, doctor2, at(3, 10), actor=receptionist)
    assert not CareRelationship.objects.get(user=doctor2, patient=patient).self_assigned


def test_a_care_team_member_booking_himself_is_not_self_assigned(doctor2, patient):
    care_team_add(patient=patient, user=doctor2, actor=None)
    book(patient, doctor2, at(3, 10), actor=doctor2)
    assert not CareRelationship.objects.get(user=doctor2, patient=patient).self_assigned


def test_cancelling_a_self_booking_removes_the_access_at_once(doctor2, patient, signed_in):
    appointment = book(patient, doctor2, at(0, 23, 45), actor=doctor2, override=True)
    assert chart_access_for(doctor2, patient).allowed  # inside the preparation window
    scheduling_services.appointment_cancel(appointment=appointment, actor=doctor2, reason="x")
    assert not chart_access_for(doctor2, patient).allowed
    assert signed_in(doctor2).get(notes_url(patient)).status_code == 403
    assert patient not in patients_on_care_team_of(doctor2)
    # The record stays for the privacy review.
    relationship = CareRelationship.objects.get(user=doctor2, patient=patient)
    assert relationship.self_assigned and not relationship.is_current()


def test_a_no_show_removes_the_access_at_once(doctor, patient, receptionist):
    appointment = book(patient, doctor, at(0, 0, 5), actor=doctor, override=True, _allow_past=True)
    assert chart_access_for(doctor, patient).allowed
    scheduling_services.appointment_no_show(appointment=appointment, actor=receptionist)
    assert not chart_access_for(doctor, patient).allowed


def test_access_ends_the_follow_up_time_after_a_completed_appointment(
    doctor, patient, receptionist
):
    appointment = book(patient, doctor, at(0, 0, 5), actor=doctor, override=True, _allow_past=True)
    for step in (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS):
        scheduling_services.appointment_transition(
            appointment=appointment, status=step, actor=receptionist
        )
    scheduling_services.appointment_complete(appointment=appointment, actor=doctor)
    appointment.refresh_from_db()
    ends = max(appointment.completed_at, appointment.end) + timedelta(days=30)
    assert chart_access_for(doctor, patient, now=ends - timedelta(minutes=1)).allowed
    assert not chart_access_for(doctor, patient, now=ends + timedelta(minutes=1)).allowed


def test_reads_under_a_self_assigned_relationship_are_marked_in_the_access_log(
    doctor2, patient, signed_in, administrator
):
    book(patient, doctor2, at(0, 23, 45), actor=doctor2, override=True)
    assert signed_in(doctor2).get(notes_url(patient)).status_code == 200
    entry = ChartAccess.objects.get(user=doctor2, patient=patient, part="notes")
    assert entry.care_relationship.self_assigned
    assert entry.grant_reason == AccessReason.APPOINTMENT
    log = signed_in(administrator).get(reverse("patients:access_log") + "?self_assigned=yes")
    assert "Self-assigned" in log.content.decode()


def test_a_reviewer_marks_a_self_assigned_access_reviewed(
    doctor2, patient, signed_in, administrator
):
    book(patient, doctor2, at(3, 10), actor=doctor2)
    relationship = CareRelationship.objects.get(user=doctor2, patient=patient)
    response = signed_in(administrator).post(
        reverse("patients:self_assigned_review", args=[relationship.pk]),
        {"comment": "Covering the clinic of a colleague."},
    )
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.reviewed_by == administrator


def test_only_privacy_reviewers_open_the_self_assigned_queue(signed_in, doctor2, receptionist):
    for user in (doctor2, receptionist):
        response = signed_in(user).get(reverse("patients:self_assigned_review_list"))
        assert response.status_code == 403


# --- Moving and changing another doctor's appointment ------------------------------------------


def test_a_doctor_cannot_move_another_doctors_appointment_to_himself(
    treating, doctor2, patient, receptionist, signed_in
):
    appointment = book(patient, treating, at(3, 10), actor=receptionist)
    with pytest.raises(AppointmentNotYours):
        scheduling_services.appointment_reschedule(
            appointment=appointment, start=at(3, 11), doctor=doctor2, actor=doctor2
        )
    response = signed_in(doctor2).patch(
        reverse("api:appointment-detail", args=[appointment.pk]),
        {"doctor": str(doctor2.pk), "start": at(3, 11).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not CareRelationship.objects.filter(user=doctor2).exists()


def test_a_doctor_cannot_cancel_another_doctors_appointment(
    treating, doctor2, patient, receptionist
):
    appointment = book(patient, treating, at(3, 10), actor=receptionist)
    with pytest.raises(AppointmentNotYours):
        scheduling_services.appointment_cancel(appointment=appointment, actor=doctor2, reason="x")
    scheduling_services.appointment_cancel(appointment=appointment, actor=treating, reason="Ill")


def test_the_front_desk_moves_any_appointment_and_nurses_check_in(
    treating, doctor2, patient, receptionist, nurse
):
    # Today's: a patient is checked in only on the appointment's day.
    appointment = book(patient, treating, at(0, 9), actor=receptionist, _allow_past=True)
    scheduling_services.appointment_check_in(appointment=appointment, actor=nurse)
    later = book(PatientFactory(), treating, at(3, 10), actor=receptionist)
    moved = scheduling_services.appointment_reschedule(
        appointment=later, start=at(3, 11), doctor=doctor2, actor=receptionist
    )
    assert not CareRelationship.objects.get(source_id=moved.pk).self_assigned
    # The original doctor's access through the moved appointment is gone.
    assert not CareRelationship.objects.get(source_id=later.pk).is_current()


# --- Admission, discharge, death ---------------------------------------------------------------


@pytest.fixture
def ward_beds():
    return beds_in(WardFactory(name="Attack ward"), 2)


def test_self_admission_is_self_assigned_and_reviewed(doctor2, patient, ward_beds):
    admission = admit(patient, ward_beds[0], doctor2, actor=doctor2)
    relationship = CareRelationship.objects.get(source_id=admission.pk)
    assert relationship.self_assigned and relationship.reason == AccessReason.ADMISSION
    assert chart_access_for(doctor2, patient).self_assigned


def test_an_admission_by_the_ward_clerk_is_not_self_assigned(
    doctor2, patient, ward_beds, receptionist
):
    admission = admit(patient, ward_beds[0], doctor2, actor=receptionist)
    assert not CareRelationship.objects.get(source_id=admission.pk).self_assigned


def test_a_nurse_admitting_into_her_own_ward_is_not_self_assigned(
    treating, patient, ward_beds, nurse
):
    inpatient_services.ward_nurse_assign(ward=ward_beds[0].room.ward, user=nurse, actor=None)
    admit(patient, ward_beds[0], treating, actor=nurse)
    decision = chart_access_for(nurse, patient)
    assert decision.reason == AccessReason.WARD and not decision.self_assigned


def test_a_doctor_without_chart_access_cannot_order_or_complete_a_discharge(
    treating, doctor2, patient, ward_beds, receptionist, signed_in
):
    admission = admit(patient, ward_beds[0], treating, actor=receptionist)
    with pytest.raises(ChartAccessDenied):
        inpatient_services.admission_order_discharge(admission=admission, actor=doctor2)
    with pytest.raises(ChartAccessDenied):
        inpatient_services.admission_discharge(
            admission=admission, disposition="home", summary="Well.", actor=doctor2
        )
    response = signed_in(doctor2).post(
        reverse("api:admission-discharge", args=[admission.pk]),
        {"disposition": "deceased", "summary": "Died."},
        content_type="application/json",
    )
    assert response.status_code == 403
    patient.refresh_from_db()
    admission.refresh_from_db()
    assert not patient.is_deceased and admission.is_open
    # Breaking the glass (logged, reviewed) is the way in an emergency.
    break_glass_open(
        patient=patient, user=doctor2, reason="emergency_care", details="Covering the ward tonight"
    )
    inpatient_services.admission_order_discharge(admission=admission, actor=doctor2)


def test_the_attending_doctor_keeps_access_after_discharge_for_the_follow_up_time(
    treating, patient, ward_beds, receptionist, nurse
):
    ward = ward_beds[0].room.ward
    inpatient_services.ward_nurse_assign(ward=ward, user=nurse, actor=None)
    admission = admit(patient, ward_beds[0], treating, actor=receptionist)
    assert chart_access_for(nurse, patient).reason == AccessReason.WARD
    admission = inpatient_services.admission_discharge(
        admission=admission, disposition="home", summary="Home, well.", actor=treating
    )
    # The ward's nurses lose access when the patient leaves; the doctor keeps follow-up.
    assert not chart_access_for(nurse, patient).allowed
    ends = admission.discharged_at + timedelta(days=30)
    assert chart_access_for(treating, patient, now=ends - timedelta(minutes=1)).allowed
    assert not chart_access_for(treating, patient, now=ends + timedelta(minutes=1)).allowed


def test_a_doctor_without_chart_access_cannot_record_a_death(doctor2, patient, signed_in):
    response = signed_in(doctor2).post(
        reverse("patients:patient_status", args=[patient.pk, "death"]),
        {"deceased_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 403
    patient.refresh_from_db()
    assert not patient.is_deceased
