"""The scheduling pages' query budgets: each costs the same queries at one and at fifty
rows (the arrivals list and the events feed have theirs beside their other tests, in
test_views.py and test_calendar.py; the API's in test_api.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ClinicFactory,
    ConsultationRoomFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db


def iso(moment):
    return timezone.localtime(moment).isoformat().replace("+", "%2B")


def book_today(doctor, count, *, minute=0):
    """Book `count` five-minute appointments of today for `doctor` from 00:00 on (past
    times allowed: the home panels and the day lists read the whole day)."""
    kind = AppointmentTypeFactory()
    for i in range(count):
        start = at(0, 0) + timedelta(minutes=minute + 5 * i)
        services.appointment_book(
            patient=PatientFactory(),
            doctor=doctor,
            start=start,
            end=start + timedelta(minutes=5),
            appointment_type=kind,
            actor=doctor,
            override=True,
            _allow_past=True,
        )


def captured():
    """A CaptureQueriesContext that counts right after thousands of setup queries (it
    counts by position in the connection's log, which holds 9,000 at most)."""
    connection.queries_log.clear()
    return CaptureQueriesContext(connection)


def assert_same_queries(client, few_url, many_url, django_assert_max_num_queries, limit):
    client.get(few_url)  # permissions cached on the user, as in a session
    with captured() as few:
        client.get(few_url)
    budget = len(few)  # read before the log is cleared: the context reads it
    assert budget <= limit
    connection.queries_log.clear()
    with django_assert_max_num_queries(budget):
        return client.get(many_url)


def test_my_day_costs_the_same_queries_at_one_and_at_fifty_rows(
    signed_in, doctor, django_assert_max_num_queries
):
    weekly_schedule(doctor, start=at(0, 6).time(), end=at(0, 23).time())
    book(PatientFactory(), doctor, at(1, 9))
    for i in range(50):
        start = at(2, 6) + timedelta(minutes=15 * i)
        book(PatientFactory(), doctor, start, end=start + timedelta(minutes=15))
    url = reverse("scheduling:my_day")
    day = timezone.localdate()
    response = assert_same_queries(
        signed_in(doctor),
        f"{url}?date={(day + timedelta(days=1)).isoformat()}",
        f"{url}?date={(day + timedelta(days=2)).isoformat()}",
        django_assert_max_num_queries,
        limit=8,
    )
    assert response.content.decode().count('class="day-row') == 50


def test_the_arrivals_of_today_cost_the_same_queries_at_one_and_at_fifty_rows(
    signed_in, receptionist, make_user, django_assert_max_num_queries
):
    small, large = make_user("Doctor"), make_user("Doctor")
    book_today(small, 1)
    book_today(large, 50)
    url = reverse("scheduling:day_list")
    response = assert_same_queries(
        signed_in(receptionist),
        f"{url}?doctor={small.pk}",
        f"{url}?doctor={large.pk}",
        django_assert_max_num_queries,
        limit=12,
    )
    assert response.content.decode().count('class="day-row') == 50


def test_the_doctors_home_costs_the_same_queries_at_one_and_at_fifty_appointments(
    signed_in, make_user, django_assert_max_num_queries
):
    few, many = make_user("Doctor"), make_user("Doctor")
    book_today(few, 1)
    book_today(many, 50)
    home = reverse("core:home")
    client = signed_in(few)
    client.get(home)
    with captured() as one:
        client.get(home)
    budget = len(one)
    client = signed_in(many)
    client.get(home)
    connection.queries_log.clear()
    with django_assert_max_num_queries(budget):
        html = client.get(home).content.decode()
    assert "50 to see" in html


def test_the_receptionists_home_costs_the_same_queries_at_one_and_at_fifty_arrivals(
    signed_in, receptionist, make_user, django_assert_max_num_queries
):
    doctor = make_user("Doctor")
    home = reverse("core:home")
    client = signed_in(receptionist)
    book_today(doctor, 1)
    client.get(home)
    with captured() as one:
        client.get(home)
    book_today(doctor, 49, minute=5)
    budget = len(one)
    connection.queries_log.clear()
    with django_assert_max_num_queries(budget):
        html = client.get(home).content.decode()
    assert "50 today" in html


def test_the_calendar_page_costs_the_same_queries_for_one_and_for_fifty_doctors(
    signed_in, receptionist, make_user, django_assert_max_num_queries
):
    clinic = ClinicFactory()
    weekly_schedule(make_user("Doctor"), room=ConsultationRoomFactory(clinic=clinic))
    url = f"{reverse('scheduling:calendar')}?clinic={clinic.pk}"
    client = signed_in(receptionist)
    client.get(url)
    with captured() as one:
        client.get(url)
    for i in range(49):
        weekly_schedule(
            make_user("Doctor"), room=ConsultationRoomFactory(clinic=clinic, name=f"R{i}")
        )
        ClinicFactory()
    budget = len(one)
    connection.queries_log.clear()
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200


def test_a_clinics_events_cost_the_same_queries_at_one_and_at_fifty_appointments(
    signed_in, receptionist, make_user, django_assert_max_num_queries
):
    small, large = ClinicFactory(), ClinicFactory()
    one_doctor, busy_doctor = make_user("Doctor"), make_user("Doctor")
    weekly_schedule(one_doctor, room=ConsultationRoomFactory(clinic=small), end=at(0, 23).time())
    weekly_schedule(busy_doctor, room=ConsultationRoomFactory(clinic=large), end=at(0, 23).time())
    book(PatientFactory(), one_doctor, at(1, 9))
    for i in range(50):
        start = at(1 + i // 40, 9) + timedelta(minutes=15 * (i % 40))
        book(PatientFactory(), busy_doctor, start, end=start + timedelta(minutes=15))

    def url(clinic):
        return (
            f"{reverse('scheduling:calendar_events')}?clinic={clinic.pk}"
            f"&start={iso(at(0, 0))}&end={iso(at(7, 0))}"
        )

    response = assert_same_queries(
        signed_in(receptionist), url(small), url(large), django_assert_max_num_queries, limit=10
    )
    assert len([e for e in response.json() if "id" in e]) == 50
