"""Demo rules (idempotent: found again by name)."""

from django.contrib.auth.models import Group

from accounts import roles
from ehr.core.models import Notification
from workflow.models import CareTeamFilter, Priority, Rule

DEMO_RULES = [
    {
        "name": "Very high blood pressure",
        "description": "Systolic blood pressure of 180 mmHg or more: tell the care team's "
        "doctors at once and have a nurse recheck it within 15 minutes.",
        "trigger": "vitals.recorded",
        "condition": {">=": [{"var": "systolic_bp"}, 180]},
        "notify_care_team": True,
        "care_team_filter": CareTeamFilter.DOCTORS,
        "level": Notification.Level.CRITICAL,
        "title_template": "Very high blood pressure recorded for a patient of yours",
        "body_template": "{patient}: blood pressure {systolic_bp}/{diastolic_bp} mmHg "
        "recorded at {recorded_at}. The nurses have a task to recheck it within 15 minutes.",
        "create_task": True,
        "task_title_template": "Recheck blood pressure ({systolic_bp} mmHg)",
        "task_group": roles.NURSE,
        "task_due_minutes": 15,
        "task_priority": Priority.URGENT,
    },
    {
        "name": "No-show: call the patient",
        "description": "A patient missed an appointment: the front desk calls to rebook.",
        "trigger": "appointment.no_show",
        "condition": {},
        "create_task": True,
        "task_title_template": "Call the patient about the missed appointment of {start}",
        "task_group": roles.RECEPTIONIST,
        "task_due_minutes": 24 * 60,
        "task_priority": Priority.NORMAL,
    },
]


def seed_workflow(*, password=None, stdout=None, options=None):
    """Create the demo rules (active) unless they exist."""
    created = 0
    for spec in DEMO_RULES:
        spec = dict(spec)
        group_name = spec.pop("task_group", None)
        if Rule.objects.filter(name=spec["name"]).exists():
            continue
        rule = Rule(**spec, is_active=True)
        if group_name:
            rule.task_assignee_group, _ = Group.objects.get_or_create(name=group_name)
        rule.full_clean()
        rule.save()
        created += 1
    return f"{created} rules created, {Rule.objects.count()} in all"
