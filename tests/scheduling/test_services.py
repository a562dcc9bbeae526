"""Scheduling's rules as the services apply them: booking, double booking, availability,
state changes, rescheduling, series, the waitlist and schedules."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.exceptions import NotADoctor
from ehr.core.exceptions import InvalidTransition
from ehr.core.models import Notification
from patients.exceptions import PatientInactive
from patients.models import AccessReason, CareRelationship
from scheduling import services
from scheduling.exceptions import (
    AppointmentClosed,
    CancellationReasonRequired,
    DoctorDoubleBooked,
    InvalidAppointmentTime,
    OfferNotOpen,
    OutsideAvailability,
    PatientAlreadyBooked,
    RoomDoubleBooked,
    ScheduleNotYours,
    SeriesConflicts,
)
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    HolidayFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db

S = AppointmentStatus


@pytest.fixture
def scheduled(doctor):
    weekly_schedule(doctor)
    return doctor


@pytest.fixture
def patient():
    return PatientFactory()


# --- Booking ----------------------------------------------------------------------------------


def test_booking_takes_the_type_length_and_the_session_room(scheduled, patient, receptionist):
    kind = AppointmentTypeFactory(code="check-up", default_duration=30)
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist, appointment_type=kind)
    assert appointment.end - appointment.start == timedelta(minutes=30)
    assert appointment.status == S.BOOKED and appointment.booked_at is not None
    session_room = scheduled.schedules.first().room
    assert appointment.room == session_room and appointment.clinic == session_room.clinic
    assert appointment.created_by == receptionist
    assert list(appointment.status_changes.values_list("to_status", flat=True)) == [S.BOOKED]


def test_booking_gives_the_doctor_a_windowed_care_relationship(scheduled, patient, receptionist):
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist)
    relationship = CareRelationship.objects.get(user=scheduled, patient=patient)
    assert relationship.reason == AccessReason.APPOINTMENT
    assert relationship.source_id == appointment.pk and not relationship.self_assigned
    assert relationship.opens_at == appointment.start - timedelta(hours=24)
    assert relationship.closes_at == appointment.end + timedelta(days=30)


def test_second_booking_of_same_slot_is_refused(scheduled, receptionist):
    book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)
    with pytest.raises(DoctorDoubleBooked, match="already has an appointment"):
        book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)
    assert Appointment.objects.count() == 1


def test_overlapping_booking_is_refused_but_back_to_back_is_allowed(scheduled, receptionist):
    book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)  # 10:00-10:15
    with pytest.raises(DoctorDoubleBooked):
        book(PatientFactory(), scheduled, at(1, 9, 50), actor=receptionist)  # 9:50-10:05
    book(PatientFactory(), scheduled, at(1, 9, 45), actor=receptionist)  # 9:45-10:00
    book(PatientFactory(), scheduled, at(1, 10, 15), actor=receptionist)  # 10:15-10:30
    assert Appointment.objects.count() == 3


def test_room_is_never_double_booked_by_two_doctors(make_user, receptionist):
    room = ConsultationRoomFactory()
    first, second = make_user("Doctor"), make_user("Doctor")
    weekly_schedule(first, room=room)
    weekly_schedule(second, room=ConsultationRoomFactory(clinic=room.clinic))
    book(PatientFactory(), first, at(1, 10), actor=receptionist)
    with pytest.raises(RoomDoubleBooked, match=room.name):
        book(PatientFactory(), second, at(1, 10), actor=receptionist, room=room)


def test_cancelled_and_no_show_appointments_free_their_time(scheduled, receptionist):
    cancelled = book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)
    services.appointment_cancel(appointment=cancelled, actor=receptionist, reason="Unwell")
    again = book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)
    assert again.status == S.BOOKED


def test_booking_outside_availability_needs_the_override_permission(
    scheduled, patient, receptionist
):
    with pytest.raises(OutsideAvailability):
        book(patient, scheduled, at(1, 20), actor=receptionist)
    with pytest.raises(OutsideAvailability, match="may not book outside"):
        book(patient, scheduled, at(1, 20), actor=receptionist, override=True)
    emergency = book(patient, scheduled, at(1, 20), actor=scheduled, override=True)
    assert emergency.outside_availability is True


def test_leave_and_holidays_remove_availability(scheduled, patient, receptionist):
    ScheduleException.objects.create(
        doctor=scheduled, kind="leave", starts_at=at(1, 0), ends_at=at(2, 0), reason="Course"
    )
    with pytest.raises(OutsideAvailability):
        book(patient, scheduled, at(1, 10), actor=receptionist)
    HolidayFactory(date=at(3, 0).date())
    with pytest.raises(OutsideAvailability):
        book(patient, scheduled, at(3, 10), actor=receptionist)
    assert book(patient, scheduled, at(4, 10), actor=receptionist)


def test_extra_session_adds_availability(doctor, patient, receptionist):
    room = ConsultationRoomFactory()
    with pytest.raises(OutsideAvailability):
        book(patient, doctor, at(1, 19), actor=receptionist)
    services.schedule_exception_add(
        doctor=doctor,
        kind="extra",
        starts_at=at(1, 18),
        ends_at=at(1, 21),
        room=room,
        actor=receptionist,
    )
    appointment = book(patient, doctor, at(1, 19), actor=receptionist)
    assert appointment.room == room


def test_patient_booked_elsewhere_gets_a_warning_until_confirmed(
    scheduled, make_user, patient, receptionist
):
    other = make_user("Doctor")
    weekly_schedule(other)
    book(patient, scheduled, at(1, 10), actor=receptionist)
    with pytest.raises(PatientAlreadyBooked) as refused:
        book(patient, other, at(1, 10), actor=receptionist)
    assert len(refused.value.appointments) == 1
    assert book(patient, other, at(1, 10), actor=receptionist, allow_patient_overlap=True)


def test_booking_refuses_bad_times_patients_and_doctors(scheduled, patient, nurse, receptionist):
    with pytest.raises(InvalidAppointmentTime):
        book(patient, scheduled, at(1, 10), actor=receptionist, end=at(1, 9))
    with pytest.raises(InvalidAppointmentTime, match="passed"):
        book(patient, scheduled, at(-1, 10), actor=receptionist)
    with pytest.raises(NotADoctor, match="Appointments are booked with an active doctor"):
        book(patient, nurse, at(1, 10), actor=receptionist)
    patient.is_active = False
    patient.save()
    with pytest.raises(PatientInactive):
        book(patient, scheduled, at(1, 10), actor=receptionist)


# --- States -----------------------------------------------------------------------------------


def test_a_visit_goes_from_booked_to_completed_with_each_step_time_stamped(
    scheduled, patient, receptionist
):
    appointment = book(
        patient, scheduled, at(0, 0, 0), actor=scheduled, override=True, _allow_past=True
    )
    services.appointment_confirm(appointment=appointment, actor=receptionist)
    services.appointment_check_in(appointment=appointment, actor=receptionist)
    services.appointment_start(appointment=appointment, actor=scheduled)
    done = services.appointment_complete(appointment=appointment, actor=scheduled)
    assert done.status == S.COMPLETED
    assert all((done.confirmed_at, done.checked_in_at, done.started_at, done.completed_at))
    steps = list(done.status_changes.values_list("from_status", "to_status"))
    assert steps == [
        ("", S.BOOKED),
        (S.BOOKED, S.CONFIRMED),
        (S.CONFIRMED, S.CHECKED_IN),
        (S.CHECKED_IN, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.COMPLETED),
    ]


STAMPED = [
    (S.CONFIRMED, "confirmed_at", "receptionist"),
    (S.CHECKED_IN, "checked_in_at", "receptionist"),
    (S.IN_PROGRESS, "started_at", "scheduled"),
    (S.COMPLETED, "completed_at", "scheduled"),
]


def test_each_transition_writes_one_status_change_with_its_actor_and_time(
    scheduled, patient, receptionist
):
    appointment = book(
        patient, scheduled, at(0, 0, 0), actor=scheduled, override=True, _allow_past=True
    )
    actors = {"receptionist": receptionist, "scheduled": scheduled}
    for status, stamp, who in STAMPED:
        before = appointment.status_changes.count()
        previous = appointment.status
        appointment = services.appointment_transition(
            appointment=appointment, status=status, actor=actors[who]
        )
        assert appointment.status_changes.count() == before + 1
        change = appointment.status_changes.order_by("-at").first()
        assert (change.from_status, change.to_status) == (previous, status)
        assert change.by == actors[who] and change.created_by == actors[who]
        assert change.at == getattr(appointment, stamp) == appointment.status_changed_at
        assert appointment.updated_by == actors[who]


def test_a_cancellation_keeps_its_reason_on_the_row_and_in_the_log(
    scheduled, patient, receptionist
):
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist)
    services.appointment_cancel(appointment=appointment, actor=receptionist, reason=" Travel ")
    appointment.refresh_from_db()
    change = appointment.status_changes.get(to_status=S.CANCELLED)
    assert appointment.cancellation_reason == change.reason == "Travel"
    assert change.by == receptionist and change.at == appointment.cancelled_at


def test_a_refused_transition_writes_no_status_change(scheduled, patient, receptionist):
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist)
    with pytest.raises(InvalidTransition, match="cannot go from booked to completed"):
        services.appointment_complete(appointment=appointment, actor=scheduled)
    assert appointment.status_changes.count() == 1  # the booking's own
    assert not appointment.can_transition_to(S.NO_SHOW)  # the table allows it; not yet
    assert appointment.can_transition_to(S.NO_SHOW, at(1, 10, 5))


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], S.IN_PROGRESS),
        ([], S.COMPLETED),
        ([S.CHECKED_IN, S.IN_PROGRESS], S.CANCELLED),
        ([S.CHECKED_IN, S.COMPLETED], S.CHECKED_IN),
    ],
)
def test_transitions_outside_the_table_are_refused(scheduled, patient, path, forbidden):
    appointment = book(
        patient, scheduled, at(0, 0, 0), actor=scheduled, override=True, _allow_past=True
    )
    for step in path:
        services.appointment_transition(
            appointment=appointment, status=step, actor=scheduled, reason="Seen by the nurse"
        )
    with pytest.raises(InvalidTransition):
        services.appointment_transition(
            appointment=appointment, status=forbidden, actor=scheduled, reason="x"
        )


def test_every_state_change_is_in_the_table():
    table = Appointment.TRANSITIONS
    assert set(table) == set(S)
    assert table[S.COMPLETED] == frozenset() and table[S.CANCELLED] == frozenset()


def test_cancelling_needs_a_reason(scheduled, patient, receptionist):
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist)
    with pytest.raises(CancellationReasonRequired):
        services.appointment_cancel(appointment=appointment, actor=receptionist, reason=" ")
    services.appointment_cancel(appointment=appointment, actor=receptionist, reason="Travel")
    appointment.refresh_from_db()
    assert appointment.cancellation_reason == "Travel" and appointment.cancelled_at


def test_no_show_only_once_the_appointment_began(scheduled, patient, receptionist):
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist)
    with pytest.raises(InvalidTransition, match="began"):
        services.appointment_no_show(appointment=appointment, actor=receptionist)
    services.appointment_no_show(appointment=appointment, actor=receptionist, at=at(1, 10, 20))


def test_late_no_show_is_checked_in_only_if_the_time_is_still_free(scheduled, receptionist):
    late = book(
        PatientFactory(), scheduled, at(0, 0, 0), actor=scheduled, override=True, _allow_past=True
    )
    services.appointment_no_show(appointment=late, actor=receptionist)
    book(PatientFactory(), scheduled, at(0, 0, 5), actor=scheduled, _allow_past=True, override=True)
    with pytest.raises(DoctorDoubleBooked):
        services.appointment_check_in(appointment=late, actor=receptionist)


def test_requested_appointment_joins_the_care_team_when_booked(scheduled, patient, receptionist):
    requested = book(patient, scheduled, at(1, 10), actor=None, status=S.REQUESTED)
    assert not CareRelationship.objects.filter(user=scheduled).exists()
    services.appointment_transition(appointment=requested, status=S.BOOKED, actor=receptionist)
    assert CareRelationship.objects.filter(user=scheduled, source_id=requested.pk).exists()


# --- Rescheduling -----------------------------------------------------------------------------


def test_rescheduling_keeps_the_link_to_the_original(scheduled, patient, receptionist):
    original = book(patient, scheduled, at(1, 10), actor=receptionist, reason="Cough")
    moved = services.appointment_reschedule(
        appointment=original, start=at(2, 11), actor=receptionist
    )
    original.refresh_from_db()
    assert original.status == S.CANCELLED and original.cancellation_reason == "Rescheduled"
    assert moved.rescheduled_from == original and original.rescheduled_to == moved
    assert moved.reason == "Cough" and moved.duration_minutes == original.duration_minutes


def test_rescheduling_by_a_few_minutes_into_its_own_time_is_allowed(
    scheduled, patient, receptionist
):
    original = book(patient, scheduled, at(1, 10), actor=receptionist)
    moved = services.appointment_reschedule(
        appointment=original, start=at(1, 10, 5), actor=receptionist, override=False
    )
    assert moved.start == at(1, 10, 5)


def test_refused_reschedule_leaves_the_original_booked(scheduled, receptionist):
    original = book(PatientFactory(), scheduled, at(1, 10), actor=receptionist)
    book(PatientFactory(), scheduled, at(1, 11), actor=receptionist)
    with pytest.raises(DoctorDoubleBooked):
        services.appointment_reschedule(appointment=original, start=at(1, 11), actor=receptionist)
    original.refresh_from_db()
    assert original.status == S.BOOKED
    assert Appointment.objects.count() == 2


def test_closed_appointments_cannot_be_rescheduled(scheduled, patient, receptionist):
    appointment = book(patient, scheduled, at(1, 10), actor=receptionist)
    services.appointment_cancel(appointment=appointment, actor=receptionist, reason="No")
    with pytest.raises(AppointmentClosed):
        services.appointment_reschedule(
            appointment=appointment, start=at(2, 10), actor=receptionist
        )


# --- Series -----------------------------------------------------------------------------------


def test_series_reports_conflicts_per_occurrence_and_books_nothing(scheduled, receptionist):
    patient = PatientFactory()
    book(PatientFactory(), scheduled, at(15, 10), actor=receptionist)  # third weekly occurrence
    kind = AppointmentTypeFactory()
    with pytest.raises(SeriesConflicts) as conflict:
        services.series_book(
            patient=patient,
            doctor=scheduled,
            start=at(1, 10),
            appointment_type=kind,
            interval=1,
            unit="weeks",
            count=4,
            actor=receptionist,
        )
    problems = [bool(o.problems) for o in conflict.value.occurrences]
    assert problems == [False, False, True, False]
    assert not Appointment.objects.filter(patient=patient).exists()
    series, booked = services.series_book(
        patient=patient,
        doctor=scheduled,
        start=at(1, 10),
        appointment_type=kind,
        interval=1,
        unit="weeks",
        count=4,
        actor=receptionist,
        skip={2},
    )
    assert [a.start for a in booked] == [at(1, 10), at(8, 10), at(22, 10)]
    assert all(a.series == series for a in booked)


def test_each_occurrence_moves_and_cancels_alone(scheduled, patient, receptionist):
    _series, booked = services.series_book(
        patient=patient,
        doctor=scheduled,
        start=at(1, 9),
        appointment_type=AppointmentTypeFactory(),
        interval=2,
        unit="days",
        until=at(7, 0).date(),
        actor=receptionist,
    )
    assert len(booked) == 4
    services.appointment_cancel(appointment=booked[1], actor=receptionist, reason="Away")
    services.appointment_reschedule(appointment=booked[2], start=at(5, 14), actor=receptionist)
    statuses = sorted(Appointment.objects.filter(patient=patient).values_list("status", flat=True))
    assert statuses == sorted([S.BOOKED, S.CANCELLED, S.CANCELLED, S.BOOKED, S.BOOKED])


def test_series_must_end():
    with pytest.raises(InvalidAppointmentTime):
        services.series_starts(start=at(1, 9), interval=1, unit="weeks")


# --- Waitlist ---------------------------------------------------------------------------------


def test_cancelled_slot_is_offered_to_the_waitlist_and_booked_in_one_click(scheduled, receptionist):
    kind = AppointmentTypeFactory()
    waiting = PatientFactory()
    entry = services.waitlist_add(
        patient=waiting,
        doctor=scheduled,
        appointment_type=kind,
        earliest=at(0, 0).date(),
        latest=at(10, 0).date(),
        actor=receptionist,
    )
    freed = book(PatientFactory(), scheduled, at(2, 10), actor=receptionist)
    services.appointment_cancel(appointment=freed, actor=receptionist, reason="Better")
    offer = WaitlistOffer.objects.get(entry=entry)
    assert (offer.start, offer.doctor) == (freed.start, scheduled)
    note = Notification.objects.get(recipient=receptionist)
    assert note.url == offer.get_absolute_url()
    appointment = services.waitlist_offer_book(offer=offer, actor=receptionist)
    assert appointment.patient == waiting and appointment.start == freed.start
    entry.refresh_from_db()
    assert entry.state == WaitlistEntry.State.BOOKED and entry.appointment == appointment
    with pytest.raises(OfferNotOpen):
        services.waitlist_offer_book(offer=offer, actor=receptionist)


def test_specialty_entries_match_and_best_priority_first(scheduled, receptionist):
    from accounts.models import DoctorProfile, Specialty

    cardiology = Specialty.objects.create(name="Cardiology", code="cardiology")
    profile = DoctorProfile.objects.create(user=scheduled, license_number="L-1")
    profile.specialties.add(cardiology)
    window = {"earliest": at(0, 0).date(), "latest": at(10, 0).date()}
    kind = AppointmentTypeFactory()
    routine = services.waitlist_add(
        patient=PatientFactory(), specialty=cardiology, appointment_type=kind, actor=None, **window
    )
    urgent = services.waitlist_add(
        patient=PatientFactory(),
        specialty=cardiology,
        appointment_type=kind,
        priority=WaitlistEntry.Priority.URGENT,
        actor=None,
        **window,
    )
    services.waitlist_add(  # outside the window: not offered
        patient=PatientFactory(),
        doctor=scheduled,
        appointment_type=kind,
        earliest=at(5, 0).date(),
        latest=at(6, 0).date(),
        actor=None,
    )
    freed = book(PatientFactory(), scheduled, at(2, 10), actor=receptionist)
    services.appointment_cancel(appointment=freed, actor=receptionist, reason="x")
    offered = list(WaitlistOffer.objects.filter(freed_by=freed).order_by("-entry__priority"))
    assert [o.entry for o in offered] == [urgent, routine]
    services.waitlist_offer_book(offer=offered[1], actor=receptionist)
    offered[0].refresh_from_db()
    assert offered[0].state == WaitlistOffer.State.WITHDRAWN


def test_past_cancellations_offer_nothing(scheduled, receptionist):
    services.waitlist_add(
        patient=PatientFactory(),
        doctor=scheduled,
        appointment_type=AppointmentTypeFactory(),
        earliest=at(-2, 0).date(),
        latest=at(2, 0).date(),
        actor=None,
    )
    past = book(
        PatientFactory(), scheduled, at(0, 0, 0), actor=scheduled, override=True, _allow_past=True
    )
    services.appointment_cancel(appointment=past, actor=receptionist, reason="x")
    assert not WaitlistOffer.objects.exists()


# --- Schedules --------------------------------------------------------------------------------


def test_doctors_manage_their_own_schedule_only(doctor, make_user, receptionist):
    other = make_user("Doctor")
    room = ConsultationRoomFactory()
    fields = {
        "weekday": 1,
        "start_time": time(8),
        "end_time": time(12),
        "slot_minutes": 20,
        "clinic": room.clinic,
        "room": room,
        "effective_from": timezone.localdate(),
    }
    own = services.schedule_create(doctor=doctor, actor=doctor, **fields)
    with pytest.raises(ScheduleNotYours):
        services.schedule_create(doctor=other, actor=doctor, **fields)
    with pytest.raises(ScheduleNotYours):
        services.schedule_update(schedule=own, actor=other, slot_minutes=30)
    assert services.schedule_create(doctor=other, actor=receptionist, **fields)


def test_overlapping_weekly_sessions_are_refused(doctor):
    room = ConsultationRoomFactory()
    fields = {"weekday": 1, "clinic": room.clinic, "room": room, "slot_minutes": 15}
    services.schedule_create(
        doctor=doctor, actor=doctor, start_time=time(8), end_time=time(12), **fields
    )
    with pytest.raises(InvalidAppointmentTime, match="overlaps"):
        services.schedule_create(
            doctor=doctor, actor=doctor, start_time=time(11), end_time=time(13), **fields
        )
    services.schedule_create(
        doctor=doctor, actor=doctor, start_time=time(12), end_time=time(14), **fields
    )


def test_leave_lists_the_appointments_it_affects(scheduled, patient, receptionist):
    inside = book(patient, scheduled, at(1, 10), actor=receptionist)
    book(PatientFactory(), scheduled, at(2, 10), actor=receptionist)
    _exception, affected = services.schedule_exception_add(
        doctor=scheduled, kind="leave", starts_at=at(1, 0), ends_at=at(2, 0), actor=scheduled
    )
    assert affected == [inside]


def test_a_merge_moves_appointments_series_and_waitlist_entries(
    scheduled, receptionist, administrator
):
    from patients.services import patient_merge

    survivor, duplicate = PatientFactory(), PatientFactory()
    booked = book(duplicate, scheduled, at(1, 10), actor=receptionist)
    series, _booked = services.series_book(
        patient=duplicate,
        doctor=scheduled,
        start=at(2, 10),
        appointment_type=AppointmentTypeFactory(),
        interval=1,
        unit="weeks",
        count=2,
        actor=receptionist,
    )
    entry = services.waitlist_add(
        patient=duplicate,
        doctor=scheduled,
        appointment_type=AppointmentTypeFactory(),
        earliest=at(0, 0).date(),
        latest=at(9, 0).date(),
        actor=receptionist,
    )
    patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    for record in (booked, series, entry):
        record.refresh_from_db()
        assert record.patient == survivor
    assert Appointment.objects.filter(patient=survivor).count() == 3
