"""Writes of the workflow app: tasks created and moved by people and by rules."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import DomainPermissionDenied, FieldDomainError
from workflow.models import Priority, Task, TaskStatus
from workflow.selectors import patient_linkable_by, task_changeable_by


class TaskNotYours(DomainPermissionDenied):
    default_message = _("Only the people the task is assigned to, or its author, may change it.")

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class PatientNotOpen(FieldDomainError):
    field = "patient"
    status_code = 403
    default_message = _("You may link a task only to a patient whose chart you may open.")
    default_code = "patient_not_open"


class AssigneeRequired(FieldDomainError):
    field = "assignee_group"
    default_message = _("Assign the task to a user or a role.")
    default_code = "assignee_required"


@transaction.atomic
def task_create(
    *,
    title,
    actor=None,
    description="",
    patient=None,
    assignee_user=None,
    assignee_group=None,
    due_at=None,
    due_in_minutes=None,
    priority=Priority.NORMAL,
    rule=None,
):
    """Create an open task for a user and/or a role. A person (`actor`) may link it to a
    patient only if they may open the patient's chart (PatientNotOpen); a rule
    (`actor` None, `rule` set) links the event's patient. Return the task."""
    if assignee_user is None and assignee_group is None:
        raise AssigneeRequired()
    if patient is not None and actor is not None and not patient_linkable_by(actor, patient):
        raise PatientNotOpen()
    if due_at is None and due_in_minutes is not None:
        due_at = timezone.now() + timedelta(minutes=due_in_minutes)
    task = Task(
        title=(title or "").strip()[:200],
        description=(description or "").strip(),
        patient=patient,
        assignee_user=assignee_user,
        assignee_group=assignee_group,
        due_at=due_at,
        priority=priority,
        created_by_rule=rule,
    )
    task.full_clean()
    task.stamp(actor)
    task.save()
    task.log_status_change("", TaskStatus.OPEN, actor=actor, at=task.created_at)
    return task


@transaction.atomic
def task_transition(*, task, status, actor, reason=""):
    """Move `task` to `status` (cancelling needs a reason: CancelReasonRequired). Only a
    user the task is assigned to (or to whose role), or its author, may (TaskNotYours).
    Return the task."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if not task_changeable_by(task, actor):
        raise TaskNotYours()
    task.transition_to(status, actor=actor, reason=reason)
    return task
