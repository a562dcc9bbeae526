"""The access log is reachable from the Administrators' navigation and home page, and
from no other role's."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from accounts import roles
from accounts.models import User
from ehr.core import dashboard, navigation
from patients import services
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("doctor", "nurse", "receptionist", "administrator", "lab_tech", "pharmacist")


def nav_keys(user):
    return {item.key for item, _url in navigation.items_for(user)}


def panels(user):
    request = RequestFactory().get("/")
    request.user = user
    return dict(dashboard.panels_for(request, "staff"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_administrators_have_the_access_log_in_their_navigation(request, persona):
    user = request.getfixturevalue(persona)
    assert ("access_log" in nav_keys(user)) is (persona == "administrator")
    assert ("access_log" in {p.key for p in panels(user)}) is (persona == "administrator")


def test_the_entry_and_panel_follow_the_permission_not_the_role(make_user):
    user = make_user()
    assert "access_log" not in nav_keys(user)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="patients", codename="view_chartaccess")
    )
    user = User.objects.get(pk=user.pk)
    assert "access_log" in nav_keys(user)
    assert "access_log" in {p.key for p in panels(user)}
    assert navigation.ITEMS["access_log"].permission == "patients.view_chartaccess"
    assert dashboard.PANELS["access_log"].permission == "patients.view_chartaccess"


def test_the_administrators_home_links_the_access_log_with_recent_reads(
    signed_in, administrator, make_user
):
    doctor = make_user(roles.DOCTOR)
    patient = PatientFactory(first_name="Grace", last_name="Hopper")
    services.chart_open(patient=patient, user=doctor, part="demographics", clinical=False)
    home = signed_in(administrator).get(reverse("core:home"))
    assert home.status_code == 200
    text = home.content.decode()
    url = reverse("patients:access_log")
    assert f'href="{url}"' in text  # the navigation and the panel
    assert patient.full_name in text
    assert "1 chart read today" in text


def test_the_access_log_panel_query_count_does_not_grow_with_reads(
    signed_in, administrator, make_user, django_assert_max_num_queries
):
    doctor = make_user(roles.DOCTOR)
    client = signed_in(administrator)
    for _ in range(2):
        services.chart_open(patient=PatientFactory(), user=doctor, part="x", clinical=False)
    request = RequestFactory().get("/")
    request.user = administrator
    panel = dashboard.PANELS["access_log"]
    with django_assert_max_num_queries(3):
        few = panel.context(request)
        list(few["recent"])
    for _ in range(20):
        services.chart_open(patient=PatientFactory(), user=doctor, part="x", clinical=False)
    with django_assert_max_num_queries(3):
        many = panel.context(request)
        list(many["recent"])
    assert len(many["recent"]) == 5
    assert client.get(reverse("core:home")).status_code == 200
