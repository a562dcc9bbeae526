"""Home page panels kept briefly per user (Panel.cache_seconds): the next request reuses
the rendered panel, and a change to what a panel reads, or to the user's roles, shows on
the request after it."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.services import user_set_roles
from ehr.core import dashboard
from ehr.core.services import notification_send

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")


def _home(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode(), " ".join(q["sql"] for q in captured.captured_queries)


def _panels(html):
    # The panel grid, without the layout around it (the bell's poll carries a timestamp).
    start = html.index('<div class="row g-4 panel-grid">')
    return html[start : html.index("</main>", start)]


def test_the_doctors_panels_are_reused_on_the_next_request(signed_in, doctor):
    client = signed_in(doctor)
    client.get(reverse("accounts:profile"))  # a page before: the browser has its CSRF cookie
    first, first_sql = _home(client)
    second, second_sql = _home(client)
    assert _panels(first) == _panels(second)
    for table in ("clinical_encounter", "workflow_task", "scheduling_appointment"):
        assert table in first_sql
        assert table not in second_sql
    assert second_sql.count("SELECT") < first_sql.count("SELECT")


def test_a_new_notification_shows_in_the_panel_on_the_next_request(signed_in, doctor):
    client = signed_in(doctor)
    _home(client)
    notification_send(recipients=[doctor], title="Potassium 6.8 for bed 12", outbound=False)
    html, _sql = _home(client)
    assert "Potassium 6.8 for bed 12" in _panels(html)


def test_a_user_never_gets_another_users_panels(signed_in, make_user, client):
    first = make_user(roles.DOCTOR)
    second = make_user(roles.DOCTOR)
    notification_send(recipients=[first], title="Only for the first doctor", outbound=False)
    assert "Only for the first doctor" in _panels(_home(signed_in(first))[0])
    client.logout()
    assert "Only for the first doctor" not in _panels(_home(signed_in(second))[0])


def test_a_role_change_shows_in_a_kept_panel_at_once(signed_in, doctor):
    client = signed_in(doctor)
    register = reverse("patients:patient_create")
    assert register not in _panels(_home(client)[0])
    user_set_roles(user=doctor, role_names=[roles.DOCTOR, roles.RECEPTIONIST])
    assert register in _panels(_home(client)[0])


def test_a_panel_without_cache_seconds_is_computed_every_time(signed_in, doctor):
    calls = []

    def context(request):
        calls.append(request)
        return {}

    panel = dashboard.Panel("test_plain", "Plain", "core/panels/account.html", context=context)
    dashboard.register(panel)
    try:
        client = signed_in(doctor)
        _home(client)
        _home(client)
    finally:
        dashboard.PANELS.pop("test_plain")
    assert len(calls) == 2


def test_without_a_csrf_cookie_nothing_is_kept(signed_in, doctor, client):
    signed_in(doctor)
    _home(client)
    client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
    first_sql = _home(client)[1]
    client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
    assert "workflow_task" in first_sql and "workflow_task" in _home(client)[1]


def test_a_kept_panel_is_computed_once_until_what_it_reads_changes(signed_in, doctor):
    calls = []

    def context(request):
        calls.append(request)
        return {"mfa_enabled": False}

    panel = dashboard.Panel(
        "test_kept",
        "Kept",
        "core/panels/account.html",
        context=context,
        cache_seconds=60,
        depends_on=("core.notification",),
    )
    dashboard.register(panel)
    try:
        client = signed_in(doctor)
        client.get(reverse("accounts:profile"))
        _home(client)
        _home(client)
        assert len(calls) == 1
        notification_send(recipients=[doctor], title="Changed", outbound=False)
        _home(client)
        assert len(calls) == 2
    finally:
        dashboard.PANELS.pop("test_kept")
