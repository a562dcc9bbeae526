"""The receptionist's calendar offers bookable time: the free slots of one doctor, of a
clinic's doctors or of a specialty's, shaded as background events (one per slot time,
with how many doctors are free then, computed by `scheduling.selectors.free_time`), and
a click on a time lists the doctors free then with a "Book" link filled in."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import DoctorSpecialty
from scheduling.selectors import calendar_doctors, doctors_free_at, free_time
from tests.factories.accounts import DoctorProfileFactory, SpecialtyFactory
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    ClinicFactory,
    ConsultationRoomFactory,
    ScheduleExceptionFactory,
    at,
    book,
    weekly_schedule,
)
from tests.matrix import Page, assert_persona_access, persona_cases

pytestmark = pytest.mark.django_db


def iso(moment):
    return timezone.localtime(moment).isoformat()


def q(moment):
    return iso(moment).replace("+", "%2B")


@pytest.fixture
def clinic():
    return ClinicFactory(name="Cardiology clinic")


@pytest.fixture
def team(make_user, clinic):
    """Two doctors of the clinic (09:00-17:00 daily, own rooms) and one of another
    clinic; House is booked tomorrow 10:00, Grey on leave tomorrow 10:00-11:00."""
    house = make_user("Doctor", first_name="Gregory", last_name="House")
    grey = make_user("Doctor", first_name="Meredith", last_name="Grey")
    away = make_user("Doctor", first_name="Other", last_name="Clinic")
    weekly_schedule(house, room=ConsultationRoomFactory(clinic=clinic, name="Room 1"))
    weekly_schedule(grey, room=ConsultationRoomFactory(clinic=clinic, name="Room 2"))
    weekly_schedule(away, room=ConsultationRoomFactory(name="Elsewhere 1"))
    book(PatientFactory(), house, at(1, 10))
    ScheduleExceptionFactory(doctor=grey, starts_at=at(1, 10), ends_at=at(1, 11))
    return {"house": house, "grey": grey, "away": away}


def events_url(start=None, end=None, **scope):
    start, end = start or at(1, 0), end or at(2, 0)
    query = "&".join(f"{k}={v.pk}" for k, v in scope.items())
    return f"{reverse('scheduling:calendar_events')}?{query}&start={q(start)}&end={q(end)}"


def free_url(moment, **scope):
    query = "&".join(f"{k}={v.pk}" for k, v in scope.items())
    return f"{reverse('scheduling:calendar_free')}?{query}&at={q(moment)}"


def shading(events):
    return {e["start"]: e for e in events if e.get("display") == "background"}


# --- The selectors --------------------------------------------------------------------------


def test_a_clinics_doctors_are_those_with_sessions_there(team, clinic, make_user):
    extra = make_user("Doctor", last_name="Extra")
    ScheduleExceptionFactory(
        doctor=extra, kind="extra", clinic=clinic, starts_at=at(3, 9), ends_at=at(3, 12)
    )
    found = {d.pk for d in calendar_doctors(clinic=clinic)}
    assert found == {team["house"].pk, team["grey"].pk, extra.pk}


def test_free_time_groups_the_free_slots_by_time_with_the_doctors_free(team, clinic):
    doctors = [team["house"].pk, team["grey"].pk]
    day = timezone.localdate() + timedelta(days=1)
    free = {t.start: t for t in free_time(doctor_ids=doctors, first_day=day, last_day=day)}
    assert at(1, 10) not in free  # House booked, Grey on leave
    assert set(free[at(1, 11)].doctor_ids) == set(doctors)
    assert free[at(1, 10, 30)].doctor_ids == (team["house"].pk,)
    assert all(t.end - t.start == timedelta(minutes=15) for t in free.values())


def test_the_doctors_free_at_a_time_are_listed_with_their_slot(team):
    free = doctors_free_at(doctors=[team["house"], team["grey"]], moment=at(1, 10, 35))
    assert [(d.pk, s.start) for d, s in free] == [(team["house"].pk, at(1, 10, 30))]
    assert doctors_free_at(doctors=[team["house"], team["grey"]], moment=at(1, 10, 5)) == []


# --- The events feed ------------------------------------------------------------------------


def test_a_clinic_calendar_shades_the_time_its_doctors_are_free(
    team, clinic, signed_in, receptionist
):
    events = signed_in(receptionist).get(events_url(clinic=clinic)).json()
    free = shading(events)
    assert iso(at(1, 10)) not in free
    assert free[iso(at(1, 11))]["extendedProps"] == {"freeSlot": True, "doctors": 2}
    assert free[iso(at(1, 11))]["title"] == "2 free"
    assert free[iso(at(1, 10, 15))]["extendedProps"]["doctors"] == 1
    assert all(e["className"] == "free-slot" for e in free.values())
    # The doctor of another clinic neither adds time nor appointments.
    assert len([e for e in events if "id" in e]) == 1


def test_a_specialty_calendar_shows_its_doctors_time_and_appointments(
    team, signed_in, receptionist
):
    cardiology = SpecialtyFactory(name="Cardiology")
    profile = DoctorProfileFactory(user=team["away"])
    DoctorSpecialty.objects.create(doctor=profile, specialty=cardiology)
    booked = book(PatientFactory(last_name="Heart"), team["away"], at(1, 14))
    events = signed_in(receptionist).get(events_url(specialty=cardiology)).json()
    assert [e["id"] for e in events if "id" in e] == [str(booked.pk)]
    free = shading(events)
    assert iso(at(1, 14)) not in free and iso(at(1, 10)) in free  # only Other Clinic's time
    assert free[iso(at(1, 10))]["extendedProps"]["doctors"] == 1


def test_one_doctors_calendar_shades_only_his_bookable_slots(team, signed_in, receptionist):
    events = signed_in(receptionist).get(events_url(doctor=team["house"])).json()
    free = shading(events)
    assert iso(at(1, 10)) not in free and iso(at(1, 10, 15)) in free
    assert free[iso(at(1, 10, 15))]["title"] == ""  # no count for one doctor


def test_past_time_is_not_offered(team, clinic, signed_in, receptionist):
    events = signed_in(receptionist).get(events_url(at(-2, 0), at(-1, 0), clinic=clinic)).json()
    assert shading(events) == {}


def test_the_clinic_feed_costs_the_same_queries_for_two_and_for_six_doctors(
    team, clinic, make_user, signed_in, receptionist, django_assert_max_num_queries
):
    client = signed_in(receptionist)
    client.get(events_url(clinic=clinic))
    with CaptureQueriesContext(connection) as small:
        client.get(events_url(clinic=clinic))
    assert len(small) <= 12
    for i in range(4):
        doctor = make_user("Doctor", last_name=f"More{i}")
        weekly_schedule(doctor, room=ConsultationRoomFactory(clinic=clinic, name=f"More {i}"))
        book(PatientFactory(), doctor, at(1, 9))
    with django_assert_max_num_queries(len(small)):
        events = client.get(events_url(clinic=clinic)).json()
    assert shading(events)[iso(at(1, 11))]["extendedProps"]["doctors"] == 6


# --- The panel of the doctors free at a time ------------------------------------------------


def test_a_click_lists_the_doctors_free_then_with_book_links(team, clinic, signed_in, receptionist):
    html = signed_in(receptionist).get(free_url(at(1, 11, 5), clinic=clinic)).content.decode()
    assert "Dr Gregory House" in html and "Dr Meredith Grey" in html
    assert "Dr Other Clinic" not in html
    links = [part.split('"')[0] for part in html.split('href="')[1:]]
    book = [urlsplit(link.replace("&amp;", "&")) for link in links if "/book/" in link]
    assert len(book) == 2
    query = parse_qs(book[0].query)
    assert query["start"] == [iso(at(1, 11))]
    assert query["doctor"][0] in {str(team["house"].pk), str(team["grey"].pk)}
    assert "<html" not in html  # a partial for the panel


def test_the_booking_form_opens_on_the_slot_the_panel_links(team, clinic, signed_in, receptionist):
    client = signed_in(receptionist)
    html = client.get(free_url(at(1, 11, 5), doctor=team["house"])).content.decode()
    link = next(p.split('"')[0] for p in html.split('href="')[1:] if "/book/" in p)
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'value="{team["house"].pk}|{iso(at(1, 11))}" autocomplete="off" checked' in form


def test_a_time_nobody_is_free_says_so(team, clinic, signed_in, receptionist):
    html = signed_in(receptionist).get(free_url(at(1, 10, 5), clinic=clinic)).content.decode()
    assert "No doctor has a free slot at this time." in html


def test_a_nurse_sees_who_is_free_but_no_book_link(team, clinic, signed_in, nurse):
    html = signed_in(nurse).get(free_url(at(1, 11, 5), clinic=clinic)).content.decode()
    assert "Dr Gregory House" in html and "/book/" not in html


@pytest.mark.parametrize("query", ["?at=nonsense", "?clinic=not-an-id&at=2030-01-01T10:00"])
def test_a_malformed_panel_request_is_404(team, signed_in, receptionist, query):
    response = signed_in(receptionist).get(reverse("scheduling:calendar_free") + query)
    assert response.status_code == 404


PAGES = [
    Page(
        "free doctors",
        lambda s: free_url(at(1, 11), clinic=s["clinic"]),
        {"doctor", "nurse", "receptionist", "administrator"},
    ),
]


@pytest.fixture
def scene(team, clinic):
    return {"clinic": clinic}


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_the_panel_is_open_to_the_calendars_readers_only(request, scene, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


def test_the_calendar_page_offers_the_specialty_and_the_free_panel(
    team, clinic, signed_in, receptionist
):
    html = (
        signed_in(receptionist)
        .get(reverse("scheduling:calendar") + f"?clinic={clinic.pk}")
        .content.decode()
    )
    assert 'id="calendar-specialty"' in html
    assert f'data-free-url="{reverse("scheduling:calendar_free")}?clinic={clinic.pk}"' in html
    assert 'id="calendar-free-panel"' in html
    assert "style=" not in html and "<script>" not in html
