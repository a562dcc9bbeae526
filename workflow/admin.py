"""Admin of rules (with a "Try this rule" page that has no side effects), their runs
(read-only) and tasks."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ehr.core import events
from ehr.core.admin import ReadOnlyMixin, TrackedAdmin
from workflow.jobs import try_rule
from workflow.models import Rule, RuleRun, Task, TaskStatusChange
from workflow.selectors import assignable_groups, assignable_users


class TryRuleForm(forms.Form):
    payload = forms.CharField(
        label=_("Sample event (JSON)"),
        widget=forms.Textarea(attrs={"rows": 18, "cols": 80, "class": "vLargeTextField"}),
        max_length=20_000,
    )

    def clean_payload(self):
        try:
            value = json.loads(self.cleaned_data["payload"])
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The sample event must be a JSON object."))
        return value


@admin.register(Rule)
class RuleAdmin(TrackedAdmin):
    list_display = ("name", "trigger", "is_active", "create_task", "notify_care_team", "try_link")
    list_filter = ("trigger", "is_active")
    search_fields = ("name", "description")
    filter_horizontal = ("notify_users",)
    fieldsets = (
        (None, {"fields": ("name", "description", "trigger", "condition", "is_active")}),
        (
            _("Notify"),
            {
                "fields": (
                    "notify_users",
                    "notify_group",
                    "notify_care_team",
                    "care_team_filter",
                    "level",
                    "title_template",
                    "body_template",
                )
            },
        ),
        (
            _("Create a task"),
            {
                "fields": (
                    "create_task",
                    "task_title_template",
                    "task_assignee_user",
                    "task_assignee_group",
                    "task_due_minutes",
                    "task_priority",
                )
            },
        ),
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Rules tell staff, never a patient's portal account.
        if db_field.name == "notify_users":
            kwargs["queryset"] = assignable_users()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "task_assignee_user":
            kwargs["queryset"] = assignable_users()
        elif db_field.name in ("notify_group", "task_assignee_group"):
            kwargs["queryset"] = assignable_groups()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("try"))
    def try_link(self, obj):
        url = reverse("admin:workflow_rule_try", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Try this rule"))

    def get_urls(self):
        return [
            path(
                "<uuid:pk>/try/",
                self.admin_site.admin_view(self.try_view),
                name="workflow_rule_try",
            ),
            *super().get_urls(),
        ]

    def try_view(self, request, pk):
        """Evaluate the rule against a pasted sample event: whether it matches and what
        it would do. Nothing is sent, created or logged."""
        rule = get_object_or_404(Rule, pk=pk)
        if not self.has_view_or_change_permission(request, rule):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = TryRuleForm(request.POST)
            if form.is_valid():
                result = try_rule(rule, rule.trigger, form.cleaned_data["payload"])
        else:
            example = events.EVENT_TYPES[rule.trigger].example if rule.trigger else {}
            form = TryRuleForm(initial={"payload": json.dumps(example, indent=2)})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule,
            "title": _("Try the rule “%(name)s”") % {"name": rule.name},
            "rule": rule,
            "form": form,
            "result": result,
            "event_type": events.EVENT_TYPES.get(rule.trigger),
        }
        return TemplateResponse(request, "admin/workflow/rule_try.html", context)


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = ("at", "rule", "event", "matched", "has_error")
    list_filter = ("matched", "event", "rule")
    list_select_related = ("rule",)
    readonly_fields = ("rule", "event", "payload", "matched", "actions", "error", "at")
    fields = readonly_fields

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, obj):
        return bool(obj.error)


class TaskStatusChangeInline(admin.TabularInline):
    model = TaskStatusChange
    extra = 0
    fields = ("from_status", "to_status", "at", "by", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ReadOnlyMixin, TrackedAdmin):
    """Tasks are changed on the task pages (their status through the transition table);
    the admin shows them."""

    list_display = ("title", "assignee_user", "assignee_group", "status", "priority", "due_at")
    list_filter = ("status", "priority", "assignee_group")
    search_fields = ("title",)
    list_select_related = ("assignee_user", "assignee_group")
    raw_id_fields = ("patient",)
    readonly_fields = (
        "title",
        "description",
        "patient",
        "assignee_user",
        "assignee_group",
        "due_at",
        "priority",
        "status",
        "completed_at",
        "cancel_reason",
        "created_by_rule",
    )
    inlines = [TaskStatusChangeInline]
