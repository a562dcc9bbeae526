"""Reads of the workflow app: who a rule reaches, which tasks a user sees and may change."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F, Q
from django.utils import timezone

from accounts import roles
from patients.models import AccessReason, CareRelationship, Patient
from patients.selectors import care_team_for, chart_access_for
from workflow.models import CareTeamFilter, Rule, Task, TaskStatus

User = get_user_model()

CARE_TEAM_ROLES = {CareTeamFilter.DOCTORS: roles.DOCTOR, CareTeamFilter.NURSES: roles.NURSE}


def active_rules_for(event_name):
    """Return the active rules triggered by `event_name`, with their recipients."""
    return (
        Rule.objects.filter(trigger=event_name, is_active=True)
        .select_related("notify_group", "task_assignee_user", "task_assignee_group")
        .prefetch_related("notify_users")
        .order_by("name")
    )


def event_has_rules(event_name, payload=None):
    """Return True if an active rule listens to `event_name` (else the rule engine
    need not run for it)."""
    return Rule.objects.filter(trigger=event_name, is_active=True).exists()


def care_team_users(patient, member_filter="", now=None):
    """Return the active users on `patient`'s care team now: explicit members and open
    care relationships (break-the-glass does not make one a member), optionally only
    the doctors or the nurses."""
    now = now or timezone.now()
    explicit = (
        care_team_for(patient, now)
        .exclude(reason=AccessReason.BREAK_GLASS)
        .values("user_id")
        .order_by()
    )
    related = (
        CareRelationship.objects.current(now).filter(patient=patient).values("user_id").order_by()
    )
    users = User.objects.filter(is_active=True).filter(Q(pk__in=explicit) | Q(pk__in=related))
    role = CARE_TEAM_ROLES.get(member_filter)
    if role:
        users = users.filter(groups__name=role)
    return users.distinct()


def group_users(group):
    """Return the active users of role `group`."""
    return User.objects.filter(is_active=True, groups=group)


def _mine(user):
    return Q(assignee_user=user) | Q(assignee_group__in=user.groups.all())


def tasks_assigned_to(user):
    """Return the tasks assigned to `user` or to one of the user's roles."""
    return Task.objects.filter(_mine(user))


def tasks_visible_to(user):
    """Return the tasks `user` may see and change: assigned to the user or one of the
    user's roles, or created by the user."""
    return Task.objects.filter(_mine(user) | Q(created_by=user))


def task_list_for(user, *, status="", assignee="", overdue=False, patient="", now=None):
    """Return the tasks of the task list: `status` one of TaskStatus (default: open and
    in progress; "all"), `assignee` "me" (assigned to the user), "roles" (to the user's
    roles) or "" (all the user may see), `overdue` only those past due, `patient` (an
    id) only that patient's, for users who may see patients' names (for others the
    filter is ignored: they cannot tell which patient a task is about). Soonest due
    first."""
    tasks = tasks_visible_to(user)
    if assignee == "me":
        tasks = tasks.filter(assignee_user=user)
    elif assignee == "roles":
        tasks = tasks.filter(assignee_group__in=user.groups.all())
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    elif status != "all":
        tasks = tasks.active()
    if overdue:
        tasks = tasks.overdue(now)
    if patient and may_see_patient_names(user):
        tasks = tasks.filter(patient_id=patient)
    return tasks.select_related("assignee_user", "assignee_group", "patient").order_by(
        F("due_at").asc(nulls_last=True), "-created_at", "pk"
    )


def task_patient_choices(user):
    """Return [(id as str, name)] of the patients of the tasks `user` sees, by name; empty
    for users who may not see patients' names."""
    if not may_see_patient_names(user):
        return []
    ids = tasks_visible_to(user).filter(patient__isnull=False).values("patient_id")
    return [
        (str(patient.pk), str(patient))
        for patient in Patient.objects.filter(pk__in=ids)
        .order_by("last_name", "first_name")
        # What str(patient) shows (name and MRN): not the wide rest of the row.
        .only("id", "first_name", "middle_name", "last_name", "mrn")
    ]


def my_open_tasks(user, limit=10):
    """The "My tasks" panel: open and in-progress tasks of the user and the user's
    roles, soonest due first."""
    return list(
        tasks_assigned_to(user)
        .active()
        .select_related("assignee_user", "assignee_group", "patient")
        .order_by(F("due_at").asc(nulls_last=True), "-created_at")[:limit]
    )


def task_changeable_by(task, user):
    """Return True if `user` may change `task`'s status."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        task.assignee_user_id == user.pk
        or (
            task.assignee_group_id is not None
            and user.groups.filter(pk=task.assignee_group_id).exists()
        )
        or (task.created_by_id is not None and task.created_by_id == user.pk)
    )


def may_see_patient_names(user):
    """Return True if `user` may read patients' demographics: the rule of the patient
    list (`patients.selectors.patient_list_for_user`), which tasks follow."""
    return user.is_authenticated and user.has_perm("patients.view_patient")


def patient_name_visible(user, patient):
    """A task shows its patient's name only to users who may read patient demographics
    (`may_see_patient_names`); others see the task without it. The chart itself is
    checked by the chart's own pages: a task never opens it."""
    return patient is not None and may_see_patient_names(user)


def patient_linkable_by(user, patient):
    """A person links a task to a patient only if they may open that patient's chart."""
    return chart_access_for(user, patient).allowed


def assignable_groups():
    """The roles a task may be assigned to: the staff roles."""
    return Group.objects.filter(name__in=roles.STAFF_ROLES).order_by("name")


def assignable_users():
    """The users a task may be assigned to: active members of staff."""
    return (
        User.objects.filter(is_active=True, groups__name__in=roles.STAFF_ROLES)
        .distinct()
        .order_by("last_name", "first_name")
    )
