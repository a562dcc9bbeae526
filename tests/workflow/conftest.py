import pytest
from django.contrib.auth.models import Group

from accounts import roles
from ehr.core.models import Notification
from tests.factories.patients import PatientFactory, on_care_team
from workflow.demo import seed_workflow
from workflow.models import CareTeamFilter, Rule


@pytest.fixture
def patient(doctor, nurse):
    return on_care_team(PatientFactory(), doctor, nurse)


@pytest.fixture
def nurse_group(nurse):
    return Group.objects.get(name=roles.NURSE)


@pytest.fixture
def bp_rule(nurse_group):
    rule = Rule(
        name="High BP",
        trigger="vitals.recorded",
        condition={">=": [{"var": "systolic_bp"}, 180]},
        is_active=True,
        notify_care_team=True,
        care_team_filter=CareTeamFilter.DOCTORS,
        level=Notification.Level.CRITICAL,
        title_template="BP {systolic_bp}: {patient}",
        create_task=True,
        task_title_template="Recheck blood pressure ({systolic_bp})",
        task_assignee_group=nurse_group,
        task_due_minutes=15,
    )
    rule.full_clean()
    rule.save()
    return rule


@pytest.fixture
def demo_rules(doctor, nurse, receptionist):
    seed_workflow()
    return Rule.objects.all()
