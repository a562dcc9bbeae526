"""Context of the workflow's home-page panel."""

from django.utils import timezone

from workflow.selectors import my_open_tasks, patient_name_visible


def task_rows(user, tasks, now=None):
    """Return [(task, patient name or "", overdue)] for a list of tasks shown to `user`."""
    now = now or timezone.now()
    return [
        (
            task,
            str(task.patient) if patient_name_visible(user, task.patient) else "",
            task.is_overdue(now),
        )
        for task in tasks
    ]


def my_tasks(request):
    """The open and in-progress tasks of the user and the user's roles."""
    return {"rows": task_rows(request.user, my_open_tasks(request.user))}
