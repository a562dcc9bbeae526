"""Task pages: the list, a task with its status buttons, a new task. Who may see and
change a task is decided by the selectors and the services."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView

from ehr.core.pagination import NextPagePaginator
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import FormActionView, ServiceFormView, StaffViewMixin
from workflow import services
from workflow.forms import TaskForm, TaskTransitionForm
from workflow.models import TaskStatus
from workflow.panels import task_rows
from workflow.selectors import patient_name_visible, task_list_for, tasks_visible_to


class TaskViewMixin(StaffViewMixin, RolePermissionRequiredMixin):
    permission_required = "workflow.view_task"


class TaskListView(TaskViewMixin, ListView):
    """The tasks the user may see, filtered by status, assignee and overdue."""

    template_name = "workflow/task_list.html"
    context_object_name = "tasks"
    paginate_by = 25
    paginator_class = NextPagePaginator
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
        return {
            "status": status if status in self.STATUS else "",
            "assignee": assignee if assignee in self.ASSIGNEE else "",
            "overdue": get.get("overdue") == "1",
        }

    def get_queryset(self):
        return task_list_for(self.request.user, **self.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filters=self.filters(),
            status_choices=self.STATUS.items(),
            assignee_choices=self.ASSIGNEE.items(),
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
    """Start, finish, reopen or cancel (with a reason) a task: POST only."""

    form_class = TaskTransitionForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        if kwargs["status"] not in TaskStatus.values:
            raise Http404
        # A task the user may not see is not found (it does not exist for them).
        self.task = get_object_or_404(tasks_visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form):
        return services.task_transition(
            task=self.task,
            status=self.kwargs["status"],
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )

    def get_success_message(self, form):
        return _("Task: %(status)s.") % {"status": TaskStatus(self.kwargs["status"]).label}

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
