"""Rules that turn events into notifications and tasks, their runs, and tasks assigned to
people (a user or a role)."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core import events
from ehr.core.exceptions import FieldDomainError
from ehr.core.models import BoundedTextField, Notification, TrackedModel
from ehr.core.states import StateMachine, StatusChange
from workflow.conditions import ConditionError, evaluate, variables


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class CareTeamFilter(models.TextChoices):
    EVERYONE = "", _("Everyone on the care team")
    DOCTORS = "doctors", _("Doctors only")
    NURSES = "nurses", _("Nurses only")


class Rule(TrackedModel):
    """When an event of type `trigger` matches `condition` (JSON Logic over the event's
    payload), notify people and/or create a task."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = BoundedTextField(_("description"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=60, choices=events.choices)
    condition = models.JSONField(
        _("condition"),
        default=dict,
        blank=True,
        help_text=_(
            'JSON Logic over the event\'s fields, e.g. {">=": [{"var": "systolic_bp"}, 180]}. '
            "Empty: every event of the trigger."
        ),
    )
    is_active = models.BooleanField(_("active"), default=False)
    # Notify
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("notify users"), blank=True, related_name="+"
    )
    notify_group = models.ForeignKey(
        Group,
        verbose_name=_("notify role"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notify_care_team = models.BooleanField(_("notify the patient's care team"), default=False)
    care_team_filter = models.CharField(
        _("care team members"), max_length=10, choices=CareTeamFilter, blank=True
    )
    level = models.CharField(
        _("notification level"),
        max_length=10,
        choices=Notification.Level,
        default=Notification.Level.INFO,
    )
    title_template = models.CharField(
        _("notification title"),
        max_length=200,
        blank=True,
        help_text=_(
            "Fields of the event in braces, e.g. {systolic_bp}; {patient} is the patient's "
            "name. The title may leave by email or text message: keep names and clinical "
            "details out of it (they belong in the text, which stays behind the sign-in)."
        ),
    )
    body_template = BoundedTextField(
        _("notification text"),
        blank=True,
        help_text=_("Shown in the app only; the same fields in braces as the title."),
    )
    # Create a task
    create_task = models.BooleanField(_("create a task"), default=False)
    task_title_template = models.CharField(_("task title"), max_length=200, blank=True)
    task_assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("task for user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    task_assignee_group = models.ForeignKey(
        Group,
        verbose_name=_("task for role"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    task_due_minutes = models.PositiveIntegerField(
        _("task due in (minutes)"), null=True, blank=True
    )
    task_priority = models.CharField(
        _("task priority"), max_length=10, choices=Priority, default=Priority.NORMAL
    )

    class Meta:
        ordering = ["trigger", "name"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if not isinstance(self.condition, dict):
            errors["condition"] = _("The condition must be a JSON object (JSON Logic).")
        elif self.trigger in events.EVENT_TYPES:
            event = events.EVENT_TYPES[self.trigger]
            unknown = sorted(variables(self.condition) - set(event.fields))
            if unknown:
                errors["condition"] = _(
                    "The event %(event)s has no field %(fields)s (its fields: %(known)s)."
                ) % {
                    "event": event.name,
                    "fields": ", ".join(unknown),
                    "known": ", ".join(event.fields),
                }
            else:
                try:
                    # The example, and the same event with its optional fields empty.
                    evaluate(self.condition, event.example)
                    evaluate(self.condition, event.validate(event.required_only()))
                except ConditionError as exc:
                    errors["condition"] = _("This condition cannot be evaluated: %(error)s") % {
                        "error": exc
                    }
        if self.create_task:
            if not self.task_title_template.strip():
                errors["task_title_template"] = _("A task needs a title.")
            if not (self.task_assignee_user_id or self.task_assignee_group_id):
                errors["task_assignee_group"] = _("Assign the task to a user or a role.")
        if errors:
            raise ValidationError(errors)


class RuleRun(TrackedModel):
    """One evaluation of one rule against one event: matched or not, what was done, or
    the error."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs"
    )
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    matched = models.BooleanField(_("matched"), default=False)
    actions = BoundedTextField(_("actions taken"), blank=True)
    error = BoundedTextField(_("error"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        indexes = [models.Index(fields=["rule", "-at"], name="rulerun_rule_at_idx")]

    def __str__(self):
        return f"{self.rule} · {self.event} · {self.at:%Y-%m-%d %H:%M}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CancelReasonRequired(FieldDomainError):
    field = "reason"
    default_message = _("Say why the task is cancelled.")
    default_code = "reason_required"


class TaskQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=(TaskStatus.OPEN, TaskStatus.IN_PROGRESS))

    def overdue(self, now=None):
        return self.active().filter(due_at__lt=now or timezone.now())


class Task(StateMachine, TrackedModel):
    """Work for a person or a role: by a rule or by a person."""

    Status = TaskStatus
    TRANSITIONS = {
        TaskStatus.OPEN: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED}),
        TaskStatus.IN_PROGRESS: frozenset({TaskStatus.OPEN, TaskStatus.DONE, TaskStatus.CANCELLED}),
        TaskStatus.DONE: frozenset(),
        TaskStatus.CANCELLED: frozenset(),
    }
    STAMPS = {TaskStatus.DONE: "completed_at"}
    status_log = "status_changes"
    transition_message = _("This task cannot go from %(old)s to %(new)s.")

    title = models.CharField(_("title"), max_length=200)
    description = BoundedTextField(_("description"), blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    assignee_group = models.ForeignKey(
        Group,
        verbose_name=_("assigned to role"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus, default=TaskStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)
    created_by_rule = models.ForeignKey(
        Rule,
        verbose_name=_("created by rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "-created_at"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee_user", "status"], name="task_user_status_idx"),
            models.Index(fields=["assignee_group", "status"], name="task_group_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assignee_user__isnull=False)
                | models.Q(assignee_group__isnull=False),
                name="task_has_assignee",
                violation_error_message=_("Assign the task to a user or a role."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="task_cancel_has_reason",
                violation_error_message=_("Say why the task is cancelled."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workflow:task_detail", args=[self.pk])

    def is_overdue(self, now=None):
        return (
            self.due_at is not None
            and self.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
            and self.due_at < (now or timezone.now())
        )

    @property
    def overdue(self):
        return self.is_overdue()

    @property
    def assignee_label(self):
        parts = []
        if self.assignee_user_id:
            parts.append(self.assignee_user.get_full_name() or self.assignee_user.get_username())
        if self.assignee_group_id:
            parts.append(str(self.assignee_group.name))
        return " · ".join(parts)

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        if new_status == TaskStatus.CANCELLED and not reason:
            raise CancelReasonRequired()

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        if new_status == TaskStatus.CANCELLED:
            self.cancel_reason = reason[:255]


class TaskStatusChange(StatusChange):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=12, choices=TaskStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=TaskStatus)

    class Meta(StatusChange.Meta):
        verbose_name = _("task status change")
        verbose_name_plural = _("task status changes")
