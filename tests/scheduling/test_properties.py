"""Property-based: whatever sequence of bookings, cancellations, reschedules, no-shows
and late check-ins the front desk throws at the services, no doctor and no room ever
holds two overlapping appointments, and the free slots never meet booked time."""

from datetime import time, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ehr.core.exceptions import DomainError
from scheduling import selectors, services
from scheduling.models import Appointment
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    at,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db

# Work happens on day +1 between 09:00 and 11:00, in 5-minute steps, so operations collide.
action = st.one_of(
    st.tuples(
        st.just("book"),
        st.integers(0, 1),  # doctor
        st.integers(0, 23),  # start, in 5-minute steps from 09:00
        st.sampled_from([5, 10, 15, 20, 30]),  # length in minutes
        st.booleans(),  # in the shared room
    ),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("move"), st.integers(0, 40), st.integers(0, 23)),
    st.tuples(st.just("no_show_and_back"), st.integers(0, 40)),
)


def _holding_overlaps(key):
    seen = {}
    for appointment in Appointment.objects.holding().order_by("start"):
        resource = getattr(appointment, key)
        if resource is None:
            continue
        previous = seen.get(resource)
        if previous is not None and appointment.start < previous.end:
            return (previous, appointment)
        if previous is None or appointment.end > previous.end:
            seen[resource] = appointment
    return None


@pytest.fixture
def world(make_user):
    shared = ConsultationRoomFactory()
    doctors = [make_user("Doctor"), make_user("Doctor")]
    for doctor in doctors:
        weekly_schedule(doctor, start=time(9), end=time(11), slot_minutes=5)
    patients = [PatientFactory() for _ in range(6)]
    return doctors, shared, patients, AppointmentTypeFactory()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=1, max_size=25))
def test_no_doctor_or_room_is_ever_double_booked(world, actions):
    doctors, shared, patients, kind = world
    with transaction.atomic():
        made = []
        for step in actions:
            try:
                if step[0] == "book":
                    _, who, slot, minutes, in_shared = step
                    start = at(1, 9) + timedelta(minutes=5 * slot)
                    made.append(
                        services.appointment_book(
                            patient=patients[len(made) % len(patients)],
                            doctor=doctors[who],
                            start=start,
                            end=start + timedelta(minutes=minutes),
                            room=shared if in_shared else None,
                            appointment_type=kind,
                            actor=doctors[who],
                            override=True,
                            allow_patient_overlap=True,
                        )
                    )
                elif made and step[0] == "cancel":
                    services.appointment_cancel(
                        appointment=made[step[1] % len(made)], actor=None, reason="test"
                    )
                elif made and step[0] == "move":
                    target = made[step[1] % len(made)]
                    made.append(
                        services.appointment_reschedule(
                            appointment=target,
                            start=at(1, 9) + timedelta(minutes=5 * step[2]),
                            actor=target.doctor,
                            override=True,
                        )
                    )
                elif made and step[0] == "no_show_and_back":
                    target = made[step[1] % len(made)]
                    services.appointment_no_show(
                        appointment=target, actor=None, at=target.start + timedelta(minutes=1)
                    )
                    services.appointment_check_in(
                        appointment=target, actor=None, at=target.start + timedelta(minutes=2)
                    )
            except DomainError:
                pass  # a refusal is fine; the invariants below are what matters
        assert _holding_overlaps("doctor") is None
        assert _holding_overlaps("room") is None
        for doctor in doctors:
            booked = list(Appointment.objects.holding().filter(doctor=doctor))
            for slot in selectors.free_slots(doctor, at(1, 0).date(), now=at(0, 0)):
                assert not any(a.start < slot.end and slot.start < a.end for a in booked)
        transaction.set_rollback(True)
