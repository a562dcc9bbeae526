"""Admin for the kernel's records: hospitals, system parameters, notifications, background
jobs."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from ehr.core import jobs, parameters
from ehr.core.models import Hospital, Job, Notification, OutboundMessage, SystemParameter


class TrackedAdmin(SimpleHistoryAdmin):
    """Admin base for tracked records: history pages, and every save attributed to the
    administrator who made it."""

    tracked_readonly = ("created_at", "created_by", "updated_at", "updated_by")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *self.tracked_readonly)

    def save_model(self, request, obj, form, change):
        obj.stamp(request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline in formset.save(commit=False):
            if hasattr(inline, "stamp"):
                inline.stamp(request.user)
            inline.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class ReadOnlyMixin:
    """Records written by the services: viewed and audited here, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MasterDataAdmin(GuardedModelAdmin, TrackedAdmin):
    """Admin base for master data: history plus per-object permissions."""


@admin.register(Hospital)
class HospitalAdmin(MasterDataAdmin):
    list_display = ("name", "phone", "email")
    search_fields = ("name",)


def parameter_value_as_typed(row):
    """Return a parameter's stored value as an administrator types it: 30, 1.5, true,
    Ward A (not its JSON: "1.5", "Ward A")."""
    value = row.value  # JSON: a number, a boolean, or a string (text, decimals)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class SystemParameterForm(forms.ModelForm):
    value = forms.CharField(label=_("value"))

    class Meta:
        model = SystemParameter
        fields = ["value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["value"] = parameter_value_as_typed(self.instance)

    def clean_value(self):
        definition = self.instance.definition
        if definition is None:
            raise forms.ValidationError(_("This parameter is no longer used."))
        return definition.to_json(definition.clean(self.cleaned_data["value"]))


@admin.register(SystemParameter)
class SystemParameterAdmin(TrackedAdmin):
    form = SystemParameterForm
    list_display = ("label", "key", "value_display", "unit", "updated_at", "updated_by")
    readonly_fields = ("key", "label", "help", "unit", "type")
    fields = ("key", "label", "help", "type", "unit", "value")

    @admin.display(description=_("parameter"))
    def label(self, obj):
        return obj.definition.label if obj.definition else obj.key

    @admin.display(description=_("value"))
    def value_display(self, obj):
        return parameter_value_as_typed(obj)

    @admin.display(description=_("unit"))
    def unit(self, obj):
        return obj.definition.unit if obj.definition else ""

    @admin.display(description=_("type"))
    def type(self, obj):
        return obj.definition.type_label if obj.definition else ""

    @admin.display(description=_("what it does"))
    def help(self, obj):
        return obj.definition.help_text if obj.definition else ""

    def has_add_permission(self, request):
        return False  # rows are created from the definitions in code

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        parameters.invalidate()


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = ("title", "recipient", "level", "category", "created_at", "read_at")
    list_filter = ("level", "category")
    search_fields = ("title", "recipient__email")
    list_select_related = ("recipient",)
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "id"]


@admin.register(Job)
class JobAdmin(ReadOnlyMixin, TrackedAdmin):
    """Every background job, whoever started it (the job pages show a user their own):
    what it is, how it went, its error with the traceback; failed ones can be run again.
    The queue's own rows are under "Task results" (django-tasks-db)."""

    list_display = (
        "__str__",
        "short_name",
        "status",
        "requested_by",
        "attempts",
        "progress",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "name")
    search_fields = ("label",)
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"
    actions = ["run_again"]
    fieldsets = (
        (None, {"fields": ("label", "name", "status", "requested_by", "arguments")}),
        (
            _("Progress"),
            {
                "fields": (
                    "progress",
                    "progress_message",
                    "attempts",
                    "max_attempts",
                    "run_after",
                    "started_at",
                    "finished_at",
                )
            },
        ),
        (_("Outcome"), {"fields": ("result", "result_file", "error_display")}),
    )
    readonly_fields = (
        "label",
        "name",
        "status",
        "requested_by",
        "arguments",
        "progress",
        "progress_message",
        "attempts",
        "max_attempts",
        "run_after",
        "started_at",
        "finished_at",
        "result",
        "result_file",
        "error_display",
    )

    @admin.display(description=_("job"), ordering="name")
    def short_name(self, obj):
        return obj.name.rsplit(".", 1)[-1]

    @admin.display(description=_("last error"))
    def error_display(self, obj):
        if not obj.error:
            return "—"
        return format_html('<pre class="job-traceback">{}</pre>', obj.error)

    def has_rerun_permission(self, request):
        return request.user.has_perm("core.change_job")

    @admin.action(description=_("Run again (failed jobs)"), permissions=["rerun"])
    def run_again(self, request, queryset):
        queued = skipped = 0
        for job_row in queryset:
            if job_row.status == Job.Status.FAILED and jobs.rerun(job_row, actor=request.user):
                queued += 1
            else:
                skipped += 1
        if queued:
            self.message_user(
                request,
                ngettext("%(n)d job was queued again.", "%(n)d jobs were queued again.", queued)
                % {"n": queued},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d job was left alone: only failed jobs of a known kind run again.",
                    "%(n)d jobs were left alone: only failed jobs of a known kind run again.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyMixin, TrackedAdmin):
    """Every email and text message the site sent or tried to: to whom, its delivery
    status (the SMS gateway's reports included) and its last error."""

    list_display = ("__str__", "channel", "category", "status", "attempts", "created_at", "sent_at")
    list_filter = ("channel", "status", "category")
    search_fields = ("to", "subject", "provider_id", "reference")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboundMessage._meta.fields if f.name != "id"]
