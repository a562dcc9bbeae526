"""What every staff page pays for its layout: roles, permissions and the bell come from
the cache, and a role or notification change shows on the next request."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import roles
from accounts.services import user_set_roles
from ehr.core.services import notification_mark_all_read, notification_send

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("scheduling:calendar")


def _nav_urls(response):
    return {entry["url"] for entry in response.context["nav_items"]}


def test_home_and_a_simple_page_run_a_bounded_number_of_queries(
    signed_in, receptionist, django_assert_max_num_queries
):
    client = signed_in(receptionist)
    client.get(reverse("core:home"))
    client.get(reverse("accounts:profile"))
    # Warm: the session, the user row and the page's own reads; roles, permissions and the
    # bell's count come from the cache.
    with django_assert_max_num_queries(12):
        assert client.get(reverse("core:home")).status_code == 200
    with django_assert_max_num_queries(4) as simple:
        assert client.get(reverse("accounts:profile")).status_code == 200
    sql = " ".join(q["sql"] for q in simple.captured_queries)
    assert "auth_group" not in sql
    assert "core_notification" not in sql


def test_navigation_follows_a_role_change_at_once(signed_in, make_user, administrator):
    user = make_user(roles.LAB_TECHNICIAN)
    client = signed_in(user)
    before = _nav_urls(client.get(reverse("core:home")))
    assert SCHEDULE not in before
    user_set_roles(user=user, role_names=[roles.RECEPTIONIST], actor=administrator)
    response = client.get(reverse("core:home"))
    assert SCHEDULE in _nav_urls(response)
    assert client.get(SCHEDULE).status_code == 200
    user_set_roles(user=user, role_names=[roles.LAB_TECHNICIAN], actor=administrator)
    assert SCHEDULE not in _nav_urls(client.get(reverse("core:home")))
    assert client.get(SCHEDULE).status_code == 403


def test_a_group_losing_a_permission_applies_at_once(signed_in, receptionist):
    client = signed_in(receptionist)
    assert client.get(SCHEDULE).status_code == 200
    group = Group.objects.get(name=roles.RECEPTIONIST)
    removed = list(group.permissions.filter(codename="view_appointment"))
    assert removed
    group.permissions.remove(*removed)
    assert client.get(SCHEDULE).status_code == 403
    assert SCHEDULE not in _nav_urls(client.get(reverse("core:home")))
    group.permissions.add(*removed)
    assert client.get(SCHEDULE).status_code == 200


def test_a_direct_permission_applies_at_once(signed_in, make_user):
    user = make_user(roles.LAB_TECHNICIAN)
    client = signed_in(user)
    assert client.get(SCHEDULE).status_code == 403
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="scheduling", codename="view_appointment")
    )
    assert client.get(SCHEDULE).status_code == 200


def test_an_entry_is_ignored_once_the_user_is_deactivated_or_made_superuser(make_user):
    from accounts.models import User
    from ehr.core import user_access

    user = make_user(roles.LAB_TECHNICIAN)
    assert "scheduling.view_appointment" not in user_access.permissions(user)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    fresh = User.objects.get(pk=user.pk)
    assert "scheduling.view_appointment" in user_access.permissions(fresh)


def test_the_bell_counts_new_and_read_notifications_at_once(signed_in, doctor):
    client = signed_in(doctor)
    assert client.get(reverse("core:home")).context["unread_notifications"] == 0
    notification_send(recipients=[doctor], title="Lab result")
    assert client.get(reverse("core:home")).context["unread_notifications"] == 1
    notification_mark_all_read(user=doctor)
    assert client.get(reverse("core:home")).context["unread_notifications"] == 0
