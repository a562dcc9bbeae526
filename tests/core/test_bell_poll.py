"""The bell's background poll (ehr.core.bell): the count follows without a reload, a new
urgent notification shows once as a toast, another user's never, and a poll costs the
fewest queries."""

import html
import json
import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ehr.core import bell
from ehr.core.models import Notification
from tests.factories.core import NotificationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_X_EHR_BACKGROUND": "1"}
POLL = reverse("core:notification_poll")
POLLER = re.compile(r'<div id="notification-poller"[^>]*>')


def poller_of(body):
    """Return the poller element's opening tag in `body`."""
    match = POLLER.search(body)
    assert match, "no poller in the page"
    return match.group(0)


def values_of(body):
    """Return what the poller in `body` sends with its next poll."""
    raw = re.search(r"hx-vals='([^']*)'", poller_of(body)).group(1)
    return json.loads(html.unescape(raw))


def poll(client, values):
    return client.get(POLL, values, **HTMX)


def toasts_in(body):
    return re.findall(r'<div class="toast bell-toast[^>]*>', body)


@pytest.fixture
def home(signed_in, doctor):
    """The doctor's home home, signed in: (client, what its poller sends)."""
    client = signed_in(doctor)
    response = client.get(reverse("core:home"))
    return client, values_of(response.content.decode())


# --- The poller on the pages ---------------------------------------------------------------


def test_staff_pages_poll_the_bell_in_the_background_every_30_seconds(home, signed_in, doctor):
    response = signed_in(doctor).get(reverse("core:home"))
    poller = poller_of(response.content.decode())
    assert f'hx-get="{POLL}"' in poller
    assert 'hx-trigger="every 30s, ehr:poll"' in poller
    assert 'hx-headers=\'{"X-EHR-Background": "1"}\'' in poller
    assert 'aria-hidden="true"' in poller
    values = values_of(response.content.decode())
    assert values["shown"] == "0"
    since = bell.parse_since(values["since"])
    assert abs((timezone.now() - since).total_seconds()) < 5


def test_portal_pages_poll_the_bell_too(signed_in, portal_patient):
    body = signed_in(portal_patient).get(reverse("portal:home")).content.decode()
    assert f'hx-get="{POLL}"' in poller_of(body)


def test_the_poll_interval_is_a_setting(settings, signed_in, doctor):
    settings.NOTIFICATION_POLL_SECONDS = 2
    body = signed_in(doctor).get(reverse("core:home")).content.decode()
    assert 'hx-trigger="every 2s, ehr:poll"' in poller_of(body)


def test_a_bell_sent_out_of_band_after_mark_read_carries_no_second_poller(signed_in, doctor):
    notification = NotificationFactory(recipient=doctor)
    client = signed_in(doctor)
    response = client.post(
        reverse("core:notification_mark_read", args=[notification.pk]), HTTP_HX_REQUEST="true"
    )
    assert 'id="notification-bell"' in response.content.decode()
    assert "notification-poller" not in response.content.decode()


# --- What a poll answers -------------------------------------------------------------------


def test_nothing_new_answers_204(home):
    client, values = home
    assert poll(client, values).status_code == 204


def test_a_new_ordinary_notification_updates_the_count_without_a_toast(home, doctor):
    client, values = home
    NotificationFactory(recipient=doctor, level=Notification.Level.INFO, title="Rota")
    response = poll(client, values)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="notification-poller"')
    assert 'id="notification-bell"' in body and 'hx-swap-oob="true"' in body
    assert 'notification-count">1</span>' in body
    assert toasts_in(body) == []
    # The poller now shows 1: the next poll with nothing new is 204 again.
    assert values_of(body)["shown"] == "1"
    assert poll(client, values_of(body)).status_code == 204


@pytest.mark.parametrize(
    ("level", "role"),
    [(Notification.Level.CRITICAL, "alert"), (Notification.Level.WARNING, "status")],
)
def test_a_new_urgent_notification_shows_a_toast_once(home, doctor, level, role):
    client, values = home
    urgent = NotificationFactory(recipient=doctor, level=level, title="K+ 6.9 mmol/L")
    body = poll(client, values).content.decode()
    [toast] = toasts_in(body)
    assert f'role="{role}"' in toast and "aria-live=" in toast and 'aria-atomic="true"' in toast
    assert 'hx-swap-oob="beforeend:#toast-area"' in body
    assert "K+ 6.9 mmol/L" in body
    assert f'href="{urgent.get_absolute_url()}"' in body
    assert 'data-bs-dismiss="toast"' in body
    # The next poll carries the new `since`: the same notification is not toasted again.
    again = poll(client, values_of(body))
    assert again.status_code == 204


def test_a_notification_that_arrived_before_the_page_is_not_toasted(signed_in, doctor):
    NotificationFactory(recipient=doctor, level=Notification.Level.CRITICAL, title="Old news")
    client = signed_in(doctor)
    values = values_of(client.get(reverse("core:home")).content.decode())
    assert values["shown"] == "1"
    assert poll(client, values).status_code == 204


def test_an_urgent_notification_read_meanwhile_is_not_toasted(home, doctor):
    client, values = home
    NotificationFactory(recipient=doctor, level=Notification.Level.CRITICAL, read_at=timezone.now())
    assert poll(client, values).status_code == 204


def test_another_users_notifications_never_reach_the_poll(home, nurse):
    client, values = home
    NotificationFactory(recipient=nurse, level=Notification.Level.CRITICAL, title="For the nurse")
    assert poll(client, values).status_code == 204
    # Even when the doctor's own count changed and the answer is drawn.
    body = poll(client, {**values, "shown": "7"}).content.decode()
    assert "For the nurse" not in body and toasts_in(body) == []


def test_a_since_from_long_ago_still_shows_only_the_users_own_unread(home, doctor, nurse):
    client, values = home
    NotificationFactory(recipient=nurse, level=Notification.Level.CRITICAL, title="For the nurse")
    NotificationFactory(recipient=doctor, level=Notification.Level.CRITICAL, title="For the doctor")
    body = poll(client, {**values, "since": "2000-01-01T00:00:00Z"}).content.decode()
    assert "For the doctor" in body and "For the nurse" not in body


def test_many_urgent_notifications_show_three_toasts_and_a_link_to_the_rest(home, doctor):
    client, values = home
    for n in range(5):
        NotificationFactory(
            recipient=doctor,
            level=Notification.Level.CRITICAL,
            title=f"Alert {n}",
            created_at=timezone.now() + timedelta(milliseconds=n),
        )
    body = poll(client, values).content.decode()
    assert len(toasts_in(body)) == bell.TOAST_LIMIT
    assert "Alert 4" in body and "Alert 2" in body and "Alert 1" not in body
    # Oldest of those shown first, the newest last, with the link to the others.
    assert body.index("Alert 2") < body.index("Alert 4")
    assert body.index("see all unread") > body.index("Alert 4")
    assert poll(client, values_of(body)).status_code == 204


def test_a_since_that_is_not_a_time_shows_no_toast_and_no_error(home, doctor):
    client, values = home
    NotificationFactory(recipient=doctor, level=Notification.Level.CRITICAL)
    for since in ("yesterday", "2026-13-45T99:00:00Z", ""):
        response = poll(client, {**values, "since": since})
        assert response.status_code == 200
        assert toasts_in(response.content.decode()) == []


def test_polling_from_the_notification_list_keeps_the_bell_current(signed_in, doctor):
    client = signed_in(doctor)
    values = values_of(client.get(reverse("core:notification_list")).content.decode())
    assert values["here"] == "list"
    NotificationFactory(recipient=doctor)
    body = poll(client, values).content.decode()
    bell_tag = re.search(r'<a id="notification-bell"[^>]*>', body).group(0)
    assert 'aria-current="page"' in bell_tag
    # Elsewhere the polled bell is not marked current.
    values = values_of(client.get(reverse("core:home")).content.decode())
    body = poll(client, {**values, "shown": "9"}).content.decode()
    assert 'aria-current="page"' not in re.search(r'<a id="notification-bell"[^>]*>', body).group(0)


def test_a_portal_patient_gets_the_toast_too(signed_in, portal_patient):
    client = signed_in(portal_patient)
    values = values_of(client.get(reverse("portal:home")).content.decode())
    NotificationFactory(
        recipient=portal_patient, level=Notification.Level.WARNING, title="Your result is ready"
    )
    body = poll(client, values).content.decode()
    assert len(toasts_in(body)) == 1 and "Messages" in body


# --- Who may poll, and what a poll does to the session --------------------------------------


def test_a_signed_out_poll_is_refused_and_reloads_the_page(client):
    response = client.get(POLL, {"since": "2026-01-01T00:00:00Z", "shown": "0"}, **HTMX)
    assert response.status_code == 401
    assert response["HX-Refresh"] == "true"
    assert b"notification" not in response.content


def test_polling_does_not_keep_an_idle_session_alive(home):
    client, values = home
    session = client.session
    session["ehr_last_activity"] = int(time.time()) - 120
    session.save()
    poll(client, values)
    assert client.session["ehr_last_activity"] <= int(time.time()) - 120


def test_the_answer_is_never_stored(home, doctor):
    client, values = home
    NotificationFactory(recipient=doctor)
    response = poll(client, values)
    assert "no-store" in response["Cache-Control"]


# --- Cost ----------------------------------------------------------------------------------

# A poll with a session in the cache: the user (1), and nothing else while nothing is
# unread (the count comes from the cache the page filled).
QUERIES_WHEN_NOTHING_IS_UNREAD = 1


def test_a_poll_with_nothing_unread_costs_only_the_user(home, django_assert_num_queries):
    client, values = home
    with django_assert_num_queries(QUERIES_WHEN_NOTHING_IS_UNREAD):
        assert poll(client, values).status_code == 204


def test_a_poll_with_unread_notifications_adds_one_indexed_query(
    home, doctor, django_assert_num_queries
):
    client, values = home
    NotificationFactory.create_batch(3, recipient=doctor, level=Notification.Level.CRITICAL)
    poll(client, values)  # the count, dropped by the new rows, is cached again
    values = {**values, "shown": "3"}
    with django_assert_num_queries(QUERIES_WHEN_NOTHING_IS_UNREAD + 1):
        response = poll(client, {**values, "since": timezone.now().isoformat()})
    assert response.status_code == 204
    # Drawing toasts costs nothing more: the same query brought them.
    NotificationFactory(recipient=doctor, level=Notification.Level.CRITICAL)
    poll(client, {**values, "since": timezone.now().isoformat()})  # re-caches the count
    with django_assert_num_queries(QUERIES_WHEN_NOTHING_IS_UNREAD + 1):
        response = poll(client, {**values, "since": "2000-01-01T00:00:00Z", "shown": "4"})
    assert len(toasts_in(response.content.decode())) == bell.TOAST_LIMIT
