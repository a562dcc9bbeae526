"""In-app notifications: sending, the bell, the list, mark-as-read, email opt-in."""

import pytest
from django.urls import reverse

from accounts import roles
from ehr.core.models import Notification
from ehr.core.services import notification_send
from tests.factories.core import NotificationFactory

pytestmark = pytest.mark.django_db


def test_sending_creates_one_notification_per_recipient(doctor, nurse):
    created = notification_send(recipients=[doctor, nurse, doctor], title="Ward round at 9")
    assert len(created) == 2
    assert Notification.objects.filter(title="Ward round at 9").count() == 2


def test_email_goes_only_to_users_who_opted_in(
    doctor, nurse, mailoutbox, django_capture_on_commit_callbacks
):
    doctor.email_notifications = True
    doctor.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[doctor, nurse], title="Critical result", body="K+ 6.9")
    assert [m.to for m in mailoutbox] == [[doctor.email]]
    assert "Critical result" in mailoutbox[0].subject
    assert Notification.objects.get(recipient=doctor).emailed_at is not None


def test_inactive_users_are_not_notified(make_user):
    gone = make_user(roles.NURSE, is_active=False)
    assert notification_send(recipients=[gone], title="x") == []


def test_the_bell_shows_the_unread_count(signed_in, doctor):
    NotificationFactory.create_batch(3, recipient=doctor)
    NotificationFactory(recipient=doctor, read_at="2026-01-01T00:00:00Z")
    response = signed_in(doctor).get(reverse("core:home"))
    assert response.context["unread_notifications"] == 3


def test_the_list_shows_only_the_users_own_notifications(signed_in, doctor, nurse):
    mine = NotificationFactory(recipient=doctor, title="For the doctor")
    NotificationFactory(recipient=nurse, title="For the nurse")
    response = signed_in(doctor).get(reverse("core:notification_list"))
    assert list(response.context["notifications"]) == [mine]


def test_the_unread_filter(signed_in, doctor):
    unread = NotificationFactory(recipient=doctor)
    NotificationFactory(recipient=doctor, read_at="2026-01-01T00:00:00Z")
    response = signed_in(doctor).get(reverse("core:notification_list") + "?show=unread")
    assert list(response.context["notifications"]) == [unread]


def test_list_query_count_does_not_grow_with_rows(signed_in, doctor, django_assert_max_num_queries):
    client = signed_in(doctor)
    NotificationFactory(recipient=doctor)
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("core:notification_list"))
    NotificationFactory.create_batch(24, recipient=doctor)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("core:notification_list"))


def test_opening_marks_read_and_follows_the_link(signed_in, doctor):
    notification = NotificationFactory(recipient=doctor, url="/account/profile/")
    response = signed_in(doctor).get(notification.get_absolute_url())
    assert response.status_code == 302
    assert response.url == "/account/profile/"
    notification.refresh_from_db()
    assert notification.is_read


def test_an_external_link_is_not_followed(signed_in, doctor):
    notification = NotificationFactory(recipient=doctor, url="https://evil.example.com/")
    response = signed_in(doctor).get(notification.get_absolute_url())
    assert response.url == reverse("core:notification_list")


def test_mark_read_with_htmx_returns_the_row(signed_in, doctor):
    notification = NotificationFactory(recipient=doctor)
    response = signed_in(doctor).post(
        reverse("core:notification_mark_read", args=[notification.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert notification.title in response.content.decode()
    notification.refresh_from_db()
    assert notification.is_read


def test_mark_all_read(signed_in, doctor):
    NotificationFactory.create_batch(3, recipient=doctor)
    signed_in(doctor).post(reverse("core:notification_mark_all_read"))
    assert not Notification.objects.filter(recipient=doctor, read_at__isnull=True).exists()


def test_another_users_notification_is_404(signed_in, doctor, nurse):
    theirs = NotificationFactory(recipient=nurse)
    client = signed_in(doctor)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.post(reverse("core:notification_mark_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_patients_see_their_notifications_in_the_portal_layout(signed_in, portal_patient):
    NotificationFactory(recipient=portal_patient, title="Your results are ready")
    response = signed_in(portal_patient).get(reverse("core:notification_list"))
    assert response.status_code == 200
    assert "layouts/portal.html" in [t.name for t in response.templates]
