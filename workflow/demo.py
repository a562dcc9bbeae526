"""Demo rules (idempotent: found again by name)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from ehr.core.models import Notification
from patients.selectors import patients_on_care_team_of
from workflow.models import CareTeamFilter, Priority, Rule, Task
from workflow.services import task_create

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
    """Create the demo rules (active) unless they exist, and a few open tasks so the
    "My tasks" panels have something to show."""
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
    tasks = _seed_tasks()
    return f"{created} rules created, {Rule.objects.count()} in all; {tasks} demo tasks created"


def _seed_tasks():
    """A few tasks from the demo doctor: one overdue for the nurses about one of his
    patients, one for the front desk, one for the doctor himself."""
    User = get_user_model()
    doctor = User.objects.filter(email="doctor@example.org").first()
    if doctor is None or Task.objects.filter(created_by=doctor).exists():
        return 0
    patient = patients_on_care_team_of(doctor).order_by("last_name", "first_name").first()
    now = timezone.now()
    specs = [
        {
            "title": "Wound dressing change",
            "description": "Change the dressing and note how the wound looks.",
            "assignee_group": Group.objects.filter(name=roles.NURSE).first(),
            "patient": patient,
            "due_at": now - timedelta(minutes=30),
            "priority": Priority.HIGH,
        },
        {
            "title": "Send the clinic letters of yesterday",
            "assignee_group": Group.objects.filter(name=roles.RECEPTIONIST).first(),
            "due_at": now + timedelta(hours=4),
        },
        {
            "title": "Review the discharge summary draft",
            "assignee_user": doctor,
            "patient": patient,
            "due_at": now + timedelta(days=1),
        },
    ]
    count = 0
    for spec in specs:
        if not (spec.get("assignee_group") or spec.get("assignee_user")):
            continue
        task_create(actor=doctor, **spec)
        count += 1
    return count
