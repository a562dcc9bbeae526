"""The API encounter list across charts: a bounded number of queries whatever the number
of patients on the page, and the page's access-log rows written in one insert, without
history rows (an access-log row is never changed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import BreakGlassAccess, ChartAccess
from patients.selectors import chart_access_for, chart_access_for_many
from patients.services import break_glass_open
from tests.factories.clinical import EncounterFactory
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db


def _list_encounters(client, doctor, patients):
    for patient in patients:
        on_care_team(patient, doctor)
        EncounterFactory(patient=patient, doctor=doctor)
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    client.get("/api/v1/encounters")  # warm the session and permission caches
    ChartAccess.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/encounters")
    assert response.status_code == 200
    assert len(response.json()["results"]) == len(patients)
    return [q["sql"] for q in queries.captured_queries]


def _writes(sql, table):
    return [s for s in sql if s.startswith("INSERT") and f'"{table}"' in s]


@pytest.mark.parametrize("count", [1, 20])
def test_the_api_encounter_list_logs_each_chart_in_one_insert(client, doctor, count):
    sql = _list_encounters(client, doctor, PatientFactory.create_batch(count))
    assert len(_writes(sql, "patients_chartaccess")) == 1
    assert not _writes(sql, "patients_historicalchartaccess")
    assert ChartAccess.objects.filter(user=doctor, part="encounters").count() == count


def test_the_api_encounter_list_runs_as_many_queries_for_1_as_for_20_patients(
    client, doctor, make_user
):
    one = len(_list_encounters(client, doctor, PatientFactory.create_batch(1)))
    other = make_user("Doctor")
    twenty = len(_list_encounters(client, other, PatientFactory.create_batch(20)))
    assert one == twenty
    assert twenty <= 15


def test_the_bulk_access_decision_matches_the_single_one(doctor, make_user):
    on_team, glass, none = PatientFactory.create_batch(3)
    on_care_team(on_team, doctor)
    break_glass_open(patient=glass, user=doctor, reason="emergency_care")
    decisions = chart_access_for_many(doctor, [on_team, glass, none])
    for patient in (on_team, glass, none):
        assert decisions[patient.pk] == chart_access_for(doctor, patient)
    assert decisions[glass.pk].break_glass == BreakGlassAccess.objects.get(patient=glass)
    assert not decisions[none.pk].allowed


def test_a_chart_tab_read_is_logged_without_a_history_row(client, doctor, patient):
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/patients/{patient.pk}/chart/summary/")
    assert response.status_code == 200
    entry = ChartAccess.objects.get(user=doctor, part="summary")
    assert not entry.history.exists()
