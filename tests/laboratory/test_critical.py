from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ehr.core import events, schedule
from ehr.core.models import Notification
from laboratory import services
from laboratory.exceptions import AlertAlreadyAcknowledged, ReasonRequired
from laboratory.models import CriticalAlert
from tests.factories.laboratory import lab_test
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(catalogue, doctor, nurse, lab_tech, lab_tech2):
    patient = PatientFactory(sex="male")
    order = services.lab_order_create(
        patient=patient, actor=doctor, tests=[lab_test("K")], priority="stat"
    )
    specimen = services.lab_order_collect(order=order, actor=nurse)
    services.lab_order_receive(accession_number=specimen.accession_number, actor=lab_tech)
    line = order.results.get()
    services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: "6.8"})
    services.lab_order_verify(order=order, actor=lab_tech2)
    return CriticalAlert.objects.get(result=line)


def test_escalation_waits_for_the_parameter_then_reaches_the_care_team_then_administrators(
    alert, make_user, administrator
):
    attending = make_user("Doctor")
    on_care_team(alert.patient, attending)
    raised = alert.raised_at
    assert services.critical_alerts_escalate(now=raised + timedelta(minutes=29)) == 0
    assert services.critical_alerts_escalate(now=raised + timedelta(minutes=31)) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert Notification.objects.filter(recipient=attending, category="critical_results").exists()
    # Run twice at the same moment: nothing happens twice.
    assert services.critical_alerts_escalate(now=raised + timedelta(minutes=31)) == 0
    assert services.critical_alerts_escalate(now=raised + timedelta(minutes=62)) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert Notification.objects.filter(
        recipient=administrator, category="critical_results"
    ).exists()
    assert services.critical_alerts_escalate(now=raised + timedelta(minutes=200)) == 0
    assert list(alert.steps.values_list("action", "level")) == [
        ("raised", 0),
        ("escalated", 1),
        ("escalated", 2),
    ]


def test_the_command_is_safe_to_run_twice(alert, capsys):
    CriticalAlert.objects.filter(pk=alert.pk).update(
        raised_at=timezone.now() - timedelta(minutes=45)
    )
    call_command("escalate_critical_results")
    call_command("escalate_critical_results")
    out = capsys.readouterr().out
    assert "1 escalation step(s)" in out and "0 escalation step(s)" in out
    assert alert.steps.filter(action="escalated").count() == 1


def test_an_acknowledged_alert_does_not_escalate(alert, doctor):
    with pytest.raises(ReasonRequired):
        services.critical_alert_acknowledge(alert=alert, actor=doctor, note="")
    services.critical_alert_acknowledge(alert=alert, actor=doctor, note="K 6.8 read back")
    with pytest.raises(AlertAlreadyAcknowledged):
        services.critical_alert_acknowledge(alert=alert, actor=doctor, note="again")
    assert services.critical_alerts_escalate(now=timezone.now() + timedelta(hours=3)) == 0
    alert.refresh_from_db()
    assert alert.minutes_to_acknowledge is not None


def test_escalation_is_on_the_schedule():
    assert "critical-results-escalation" in schedule.SCHEDULE


def test_verification_publishes_lab_result_verified(alert):
    assert "lab.result_verified" in events.EVENT_TYPES
    events.event_type("lab.result_verified").validate(
        events.EVENT_TYPES["lab.result_verified"].example
    )
