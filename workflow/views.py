"""Task pages: the list, a task with its status buttons, a new task. Who may see and
change a task is decided by the selectors and the services."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView

from ehr.core.exceptions import DomainPermissionDenied
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import FormActionView, ServiceFormView, StaffViewMixin
from workflow import services
from workflow.forms import TaskForm, TaskTransitionForm
from workflow.models import TaskStatus
from workflow.panels import my_tasks, task_rows
from workflow.selectors import (
    patient_name_visible,
    task_list_for,
    task_patient_choices,
    tasks_visible_to,
)


class TaskViewMixin(StaffViewMixin, RolePermissionRequiredMixin):
    permission_required = "workflow.view_task"


class TaskListView(TaskViewMixin, ListView):
    """The tasks the user may see, filtered by status, assignee and overdue."""

    template_name = "workflow/task_list.html"
    context_object_name = "tasks"
    paginate_by = 25
    STATUS = {
        "": _("Open and in progress"),
        **{s.value: s.label for s in TaskStatus},
        "all": _("All"),
    }
    ASSIGNEE = {
        "": _("Mine, my roles' and those I created"),
        "me": _("Assigned to me"),
        "roles": _("Assigned to my roles"),
    }

    def filters(self):
        get = self.request.GET
        status = get.get("status", "")
        assignee = get.get("assignee", "")
        patient = get.get("patient", "")
        patients = dict(self.patient_choices())
        return {
            "status": status if status in self.STATUS else "",
            "assignee": assignee if assignee in self.ASSIGNEE else "",
            "overdue": get.get("overdue") == "1",
            "patient": patient if patient in patients else "",
        }

    def patient_choices(self):
        """The patients the list can be narrowed to: (id, name) of the patients of the
        user's tasks, for users who may see patients' names."""
        if not hasattr(self, "_patient_choices"):
            self._patient_choices = task_patient_choices(self.request.user)
        return self._patient_choices

    def get_queryset(self):
        return task_list_for(self.request.user, **self.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filters=self.filters(),
            status_choices=self.STATUS.items(),
            assignee_choices=self.ASSIGNEE.items(),
            patient_choices=self.patient_choices(),
            rows=task_rows(self.request.user, context["tasks"]),
        )
        return context


class TaskDetailView(TaskViewMixin, DetailView):
    """One task: its details, status history and the changes the user may make."""

    template_name = "workflow/task_detail.html"
    context_object_name = "task"

    def get_queryset(self):
        return tasks_visible_to(self.request.user).select_related(
            "assignee_user", "assignee_group", "patient", "created_by", "created_by_rule"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        task = self.object
        context.update(
            patient_name=str(task.patient)
            if patient_name_visible(self.request.user, task.patient)
            else "",
            overdue=task.is_overdue(timezone.now()),
            transitions=task.allowed_transitions(),
            history=task.status_changes.select_related("by").order_by("at"),
            form=TaskTransitionForm(),
        )
        return context


class TaskTransitionView(TaskViewMixin, FormActionView):
    """Start, finish, reopen or cancel (with a reason) a task: POST only. From the home
    page's "My tasks" panel (htmx, `panel=1`) the answer is the panel's list again, with
    what was done or why not; otherwise the user goes back to the task (or `next`)."""

    permission_required = "workflow.change_task"
    form_class = TaskTransitionForm

    def post(self, request, *args, **kwargs):
        # Looked up after the role gate: a task the user may not see does not exist for
        # them (404), whatever its status.
        if kwargs["status"] not in TaskStatus.values:
            raise Http404
        self.task = get_object_or_404(tasks_visible_to(request.user), pk=kwargs["pk"])
        if self.answers_with_panel():
            return self.panel_answer()
        return super().post(request, *args, **kwargs)

    def answers_with_panel(self):
        return bool(self.request.htmx) and self.request.POST.get("panel") == "1"

    def panel_answer(self):
        """Do the change and answer with the panel's list and what happened."""
        form = self.get_form()
        error = done = ""
        if not form.is_valid():
            error = self.get_invalid_message()
        else:
            try:
                self.perform(form)
            except (ValidationError, DomainPermissionDenied) as exc:
                error = " ".join(getattr(exc, "messages", [str(exc)]))
            else:
                done = self.get_success_message(form)
        context = {
            "data": my_tasks(self.request),
            "error": error,
            "done": done,
            "next_url": reverse("core:home"),
        }
        return render(self.request, "workflow/partials/my_tasks_list.html", context)

    def perform(self, form):
        return services.task_transition(
            task=self.task,
            status=self.kwargs["status"],
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )

    def get_success_message(self, form):
        return _("%(task)s: %(status)s.") % {
            "task": self.task.title,
            "status": TaskStatus(self.kwargs["status"]).label,
        }

    def get_invalid_message(self):
        return _("The reason is too long.")

    def get_success_url(self):
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return reverse("workflow:task_detail", args=[self.task.pk])


class TaskCreateView(TaskViewMixin, ServiceFormView):
    """A new task for a person or a role, optionally about a patient."""

    permission_required = "workflow.add_task"
    form_class = TaskForm
    template_name = "workflow/task_form.html"
    success_message = _("The task was created.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if "patient" in self.request.GET:
            initial["patient"] = self.request.GET["patient"]
        return initial

    def perform(self, form):
        return services.task_create(actor=self.request.user, **form.cleaned_data)
