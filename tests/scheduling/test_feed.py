"""Doctors' private iCalendar feeds: the feed (RFC 5545, one doctor's events, nothing
about patients, revocable tokens, a bounded query count) and the settings page."""

import re
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import roles
from scheduling import services
from scheduling.feeds import ics_escape, ics_fold
from scheduling.models import CalendarFeedToken, ScheduleException
from tests.factories.accounts import enrol_totp
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    ScheduleExceptionFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db

FEED = "/scheduling/feed.ics"
SETTINGS = "/scheduling/feed/"


@pytest.fixture
def room():
    return ConsultationRoomFactory(name="Room 7", clinic__name="Cardiology Clinic")


@pytest.fixture
def consultation():
    return AppointmentTypeFactory(code="consultation", name="Consultation")


def book15(patient, doctor, start, **kwargs):
    return book(patient, doctor, start, end=start + timedelta(minutes=15), **kwargs)


@pytest.fixture
def schedule(doctor, room):
    return weekly_schedule(doctor, room=room)


@pytest.fixture
def token(doctor):
    return services.calendar_feed_token_create(user=doctor, actor=doctor)[1]


def fetch(token):
    """Fetch the feed as a calendar application does: no session, no cookies."""
    return Client().get(FEED, {"token": token})


def events(body):
    return re.findall(r"BEGIN:VEVENT\r\n(.*?)END:VEVENT\r\n", unfold(body), re.S)


def unfold(body):
    return body.replace("\r\n ", "")


def test_the_feed_holds_the_doctors_events_and_nothing_about_patients(
    doctor, make_user, room, schedule, consultation, token
):
    ada = PatientFactory(first_name="Adelheid", last_name="Quackenbush", email="ada@example.org")
    mine = book15(
        ada,
        doctor,
        at(1, 10),
        appointment_type=consultation,
        reason="Crushing chest pain",
        notes="Brings her daughter",
    )
    past = book15(
        PatientFactory(), doctor, at(-10, 10), appointment_type=consultation, _allow_past=True
    )
    cancelled = book15(PatientFactory(), doctor, at(2, 10), appointment_type=consultation)
    services.appointment_cancel(appointment=cancelled, actor=doctor, reason="Ill")
    too_far = book15(PatientFactory(), doctor, at(200, 10), appointment_type=consultation)
    too_old = book15(
        PatientFactory(), doctor, at(-40, 10), appointment_type=consultation, _allow_past=True
    )
    grey = make_user(roles.DOCTOR, first_name="Meredith", last_name="Grey")
    weekly_schedule(grey)
    theirs = book15(PatientFactory(), grey, at(1, 10), appointment_type=consultation)
    leave = ScheduleExceptionFactory(
        doctor=doctor, starts_at=at(5, 8), ends_at=at(6, 18), reason="Skiing in Davos"
    )
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ScheduleException.Kind.EXTRA,
        clinic=room.clinic,
        starts_at=at(7, 18),
        ends_at=at(7, 20),
    )

    response = fetch(token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode()
    uids = set(re.findall(r"^UID:(\S+)\r$", body, re.M))
    assert uids == {f"{mine.pk}@testserver", f"{past.pk}@testserver", f"{leave.pk}@testserver"}
    for absent in (cancelled, too_far, too_old, theirs):
        assert str(absent.pk) not in body
    # Nothing about the patient, the reason or the notes; nor the reason for leave.
    for secret in (
        "Adelheid",
        "Quackenbush",
        "ada@example.org",
        ada.mrn,
        "Crushing",
        "daughter",
        "Davos",
    ):
        assert secret not in body
    event = next(e for e in events(body) if str(mine.pk) in e)
    assert "SUMMARY:Consultation\r\n" in event
    assert "LOCATION:Cardiology Clinic · Room 7\r\n" in event
    assert f"DTSTART:{at(1, 10).astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n" in event
    assert "DTEND:" in event and "DTSTAMP:" in event and "STATUS:CONFIRMED" in event
    busy = next(e for e in events(body) if str(leave.pk) in e)
    assert "SUMMARY:Leave\r\n" in busy and "TRANSP:OPAQUE" in busy


def test_the_feed_is_well_formed_rfc_5545(doctor, token):
    clinic_name = "Clinique ünïcödé de médecine générale, aile est; étage 3"
    long_room = ConsultationRoomFactory(name="Salle 12", clinic__name=clinic_name)
    weekly_schedule(doctor, room=long_room)
    kind = AppointmentTypeFactory(code="long-one", name="Consultation, avec; virgule\\ñ")
    book15(PatientFactory(), doctor, at(1, 10), appointment_type=kind)
    body = fetch(token).content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    text = unfold(body.decode())
    assert "VERSION:2.0\r\n" in text and "PRODID:" in text
    assert "SUMMARY:Consultation\\, avec\\; virgule\\\\ñ\r\n" in text
    location = re.search(r"LOCATION:(.*)\r\n", text).group(1)
    assert location == "Clinique ünïcödé de médecine générale\\, aile est\\; étage 3 · Salle 12"


def test_escaping_and_folding():
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 100
    folded = ics_fold(line)
    parts = folded.split("\r\n")
    assert [len(p.encode()) <= 75 for p in parts] == [True] * len(parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert ics_fold("SHORT:x") == "SHORT:x"


@pytest.mark.parametrize("value", ["", "nope", "x" * 43])
def test_an_unknown_token_is_404(doctor, token, value):
    assert Client().get(FEED, {"token": value}).status_code == 404
    assert Client().get(FEED).status_code == 404


def test_a_revoked_token_is_404(doctor, token):
    row = CalendarFeedToken.objects.get(user=doctor)
    services.calendar_feed_token_revoke(token=row, actor=doctor)
    assert fetch(token).status_code == 404


def test_a_new_token_revokes_the_old_one(doctor, token):
    assert fetch(token).status_code == 200
    newer = services.calendar_feed_token_create(user=doctor, actor=doctor)[1]
    assert fetch(token).status_code == 404
    assert fetch(newer).status_code == 200
    assert CalendarFeedToken.objects.filter(user=doctor, revoked_at__isnull=True).count() == 1


def test_a_deactivated_doctors_feed_is_404(doctor, token):
    doctor.is_active = False
    doctor.save()
    assert fetch(token).status_code == 404


def test_the_token_is_stored_only_as_a_hash(doctor, token):
    row = CalendarFeedToken.objects.get(user=doctor)
    assert row.token_hash == CalendarFeedToken.hash(token) and token not in row.token_hash


def test_the_feed_takes_the_same_queries_at_1_and_50_appointments(
    doctor, schedule, consultation, token, django_assert_max_num_queries
):
    book15(PatientFactory(), doctor, at(1, 9), appointment_type=consultation)
    with CaptureQueriesContext(connection) as one:
        assert len(events(fetch(token).content.decode())) == 1
    for i in range(1, 50):
        start = at(1 + i // 20, 9) + timedelta(minutes=15 * (i % 20))
        book15(PatientFactory(), doctor, start, appointment_type=consultation)
    with django_assert_max_num_queries(len(one)):
        assert len(events(fetch(token).content.decode())) == 50
    assert len(one) <= 3


# --- The settings page ------------------------------------------------------------------------


def test_the_settings_page_makes_a_url_shown_once(signed_in, doctor):
    client = signed_in(doctor)
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert "You have no active calendar feed." in page.content.decode()
    made = client.post(SETTINGS, {"action": "create"})
    assert made.status_code == 200
    html = made.content.decode()
    raw = re.search(r'value="http://testserver/scheduling/feed\.ics\?token=([^"]+)"', html).group(1)
    assert "webcal://testserver/scheduling/feed.ics?token=" in html
    assert fetch(raw).status_code == 200
    assert "no-store" in made["Cache-Control"]
    again = client.get(SETTINGS).content.decode()
    assert raw not in again and "is active" in again


def test_making_a_new_url_revokes_the_previous_one(signed_in, doctor):
    client = signed_in(doctor)
    pattern = r"feed\.ics\?token=([^\"&]+)"
    first = re.search(pattern, client.post(SETTINGS, {"action": "create"}).content.decode())[1]
    second = re.search(pattern, client.post(SETTINGS, {"action": "create"}).content.decode())[1]
    assert first != second
    assert fetch(first).status_code == 404 and fetch(second).status_code == 200


def test_revoking_from_the_page_stops_the_feed(signed_in, doctor, token):
    client = signed_in(doctor)
    response = client.post(SETTINGS, {"action": "revoke"})
    assert response.status_code == 302 and response["Location"] == SETTINGS
    assert fetch(token).status_code == 404
    page = client.get(SETTINGS).content.decode()
    assert "You have no active calendar feed." in page and "is revoked" in page


def test_the_page_needs_a_csrf_token(doctor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(SETTINGS, {"action": "create"}).status_code == 403
    assert not CalendarFeedToken.objects.exists()


def test_an_unknown_action_is_400(signed_in, doctor):
    assert signed_in(doctor).post(SETTINGS, {"action": "explode"}).status_code == 400


def test_the_page_has_no_inline_script_or_style(signed_in, doctor):
    html = signed_in(doctor).post(SETTINGS, {"action": "create"}).content.decode()
    main = html[html.index('<main id="main"') : html.index("</main>")]
    assert "<script" not in main and " style=" not in main and "<style" not in main


@pytest.mark.parametrize(
    "persona", ["nurse", "receptionist", "lab_tech", "pharmacist", "administrator"]
)
def test_the_page_is_for_doctors_only(signed_in, request, persona):
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, {"action": "create"}).status_code == 403
    assert not CalendarFeedToken.objects.exists()


def test_a_signed_in_operator_who_is_no_doctor_gets_a_message_not_an_error(signed_in, make_user):
    operator = make_user(is_superuser=True)
    enrol_totp(operator)  # operators need a second factor
    client = signed_in(operator)
    response = client.post(SETTINGS, {"action": "create"}, follow=True)
    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "active doctor" in response.content.decode()
    assert not CalendarFeedToken.objects.exists()


def test_portal_patients_are_sent_to_the_portal(signed_in, portal_patient):
    response = signed_in(portal_patient).get(SETTINGS)
    assert response.status_code == 302 and response["Location"].startswith("/portal/")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(SETTINGS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
