"""The navigation entries and home panels the patients app (and the kernel) register
follow permissions, not role names: the roles see what they saw, and a user given the
permission without the role sees the entry too."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from accounts.models import User
from ehr.core import dashboard, navigation

pytestmark = pytest.mark.django_db

PERSONAS = ("doctor", "nurse", "receptionist", "administrator", "lab_tech", "pharmacist")

NAV = {
    "patients": {"doctor", "nurse", "receptionist", "administrator"},
    "break_glass_review": {"administrator"},
}
PANELS = {
    "patient_search": {"doctor", "nurse", "receptionist", "administrator"},
    "my_patients": {"doctor", "nurse"},
    "break_glass_queue": {"administrator"},
    "administration": {"administrator"},
}
PERMISSION_OF = {
    "patients": "patients.view_patient",
    "break_glass_review": "patients.review_breakglassaccess",
    "patient_search": "patients.view_patient",
    "my_patients": "patients.break_glass",
    "break_glass_queue": "patients.review_breakglassaccess",
    "administration": "core.change_systemparameter",
}


def nav_keys(user):
    return {item.key for item, _url in navigation.items_for(user)}


def panel_keys(user):
    request = RequestFactory().get("/")
    request.user = user
    return {panel.key for panel, _context in dashboard.panels_for(request, "staff")}


def with_permission(user, perm):
    app_label, codename = perm.split(".")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    return User.objects.get(pk=user.pk)  # a fresh copy: permissions are cached


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_sees_the_entries_and_panels_it_saw(request, persona):
    user = request.getfixturevalue(persona)
    assert {key for key, who in NAV.items() if persona in who} == nav_keys(user) & set(NAV)
    assert {key for key, who in PANELS.items() if persona in who} == panel_keys(user) & set(PANELS)


@pytest.mark.parametrize("key", [*NAV, *PANELS])
def test_the_permission_without_the_role_shows_the_entry(make_user, key):
    user = make_user()  # no role
    seen = nav_keys if key in NAV else panel_keys
    assert key not in seen(user)
    assert key in seen(with_permission(user, PERMISSION_OF[key]))


def test_entries_and_panels_are_declared_by_permission_not_role():
    for key in NAV:
        assert navigation.ITEMS[key].permission
    for key in PANELS:
        assert dashboard.PANELS[key].permission
    assert not hasattr(navigation.ITEMS["patients"], "roles")
    assert not hasattr(dashboard.PANELS["patient_search"], "roles")
