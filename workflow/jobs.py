"""The rule engine: a job run after every committed event (subscribed to "*" by the
app's ready())."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ehr.core import events, jobs, parameters
from ehr.core.services import notification_send
from patients.models import Patient
from workflow.conditions import ConditionError, evaluate, render
from workflow.models import RuleRun
from workflow.selectors import active_rules_for, care_team_users, group_users
from workflow.services import task_create

logger = logging.getLogger(__name__)

NOTIFICATION_CATEGORY = "tasks"


@jobs.job()
def rules_evaluate(event_name, payload, actor_id=None):
    """Run every active rule of `event_name` against `payload`, each logged as a RuleRun;
    a rule that fails logs its error and the others still run. Return a summary."""
    payload = events.event_type(event_name).validate(payload)
    patient = _patient(payload.get("patient_id"))
    matched = 0
    for rule in active_rules_for(event_name):
        run = RuleRun(rule=rule, event=event_name, payload=payload, at=timezone.now())
        try:
            with transaction.atomic():
                run.matched = evaluate(rule.condition, payload)
                if run.matched:
                    run.actions = "\n".join(perform_actions(rule, payload, patient))
                    matched += 1
        except Exception as exc:  # one rule's failure must not stop the others
            logger.exception("Rule %s failed on %s", rule.pk, event_name)
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
            run.actions = ""
        run.stamp(None)
        run.save()
    return {"event": event_name, "matched": matched}


def _patient(patient_id):
    if not patient_id:
        return None
    return Patient.objects.filter(pk=patient_id).first()


def template_context(payload, patient):
    """The values a rule's texts may use: the event's fields and `patient` (the name)."""
    return {**payload, "patient": patient.full_name if patient is not None else ""}


def planned_actions(rule, payload, patient):
    """Return what `rule` would do for this event, as a dict, without doing it:
    recipients (users), title, body, and the task's fields (or None)."""
    context = template_context(payload, patient)
    recipients = {}
    for user in rule.notify_users.filter(is_active=True):
        recipients[user.pk] = user
    if rule.notify_group_id:
        for user in group_users(rule.notify_group):
            recipients[user.pk] = user
    if rule.notify_care_team and patient is not None:
        for user in care_team_users(patient, rule.care_team_filter):
            recipients[user.pk] = user
    task = None
    if rule.create_task:
        task = {
            "title": render(rule.task_title_template, context),
            "assignee_user": rule.task_assignee_user,
            "assignee_group": rule.task_assignee_group,
            "due_in_minutes": rule.task_due_minutes,
            "priority": rule.task_priority,
            "patient": patient,
        }
    return {
        "recipients": list(recipients.values()),
        "title": render(rule.title_template, context) or rule.name,
        "body": render(rule.body_template, context),
        "task": task,
    }


def describe(plan):
    """Return the lines that say what a plan does (the run log, the admin's try page)."""
    lines = []
    if plan["recipients"]:
        names = ", ".join(u.get_username() for u in plan["recipients"])
        lines.append(f"notify {names}: {plan['title']}")
    task = plan["task"]
    if task is not None:
        who = " / ".join(
            str(x)
            for x in (
                task["assignee_user"] and task["assignee_user"].get_username(),
                task["assignee_group"] and task["assignee_group"].name,
            )
            if x
        )
        due = f", due in {task['due_in_minutes']} min" if task["due_in_minutes"] else ""
        lines.append(f"task for {who}: {task['title']}{due}")
    return lines or ["nothing to do (no recipients and no task)"]


def perform_actions(rule, payload, patient):
    """Notify and/or create the task of a matched rule; return the lines of the log."""
    plan = planned_actions(rule, payload, patient)
    # The notification links the patient's chart (whose page checks access), else the
    # task; a task assigned to a role other than the recipient's is not theirs to open.
    url = patient.get_absolute_url() if patient is not None else ""
    if plan["task"] is not None:
        task = task_create(rule=rule, actor=None, **plan["task"])
        url = url or task.get_absolute_url()
    if plan["recipients"]:
        notification_send(
            recipients=plan["recipients"],
            title=plan["title"][:200],
            body=plan["body"],
            url=url,
            level=rule.level,
            category=NOTIFICATION_CATEGORY,
        )
    return describe(plan)


def try_rule(rule, event_name, payload):
    """Evaluate `rule` against a sample event without side effects. Return
    {"matched", "actions", "error"}."""
    try:
        clean = events.event_type(event_name).validate(payload)
        matched = evaluate(rule.condition, clean)
    except (ValueError, ConditionError) as exc:
        return {"matched": False, "actions": [], "error": str(exc)}
    actions = []
    if matched:
        actions = describe(planned_actions(rule, clean, _patient(clean.get("patient_id"))))
    return {"matched": matched, "actions": actions, "error": ""}


@jobs.job()
def rule_runs_prune():
    """Delete the rule runs older than the `rule_run_retention_days` parameter (those
    that matched or failed after twice that), with their history. Return the count."""
    days = parameters.get("rule_run_retention_days")
    now = timezone.now()
    quiet = Q(matched=False, error="", at__lt=now - timedelta(days=days))
    old = RuleRun.objects.filter(quiet | Q(at__lt=now - timedelta(days=2 * days)))
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            # A log leaves no version row behind (delete() would write one per run).
            RuleRun.history.filter(id__in=ids)._raw_delete(RuleRun.history.db)
            RuleRun.objects.filter(pk__in=ids)._raw_delete(RuleRun.objects.db)
        deleted += len(ids)
    return {"deleted": deleted}
