from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Workflow (rules and tasks)")

    def ready(self):
        from ehr.core import dashboard, demo, events, navigation, schedule
        from workflow import jobs, panels, parameters, selectors  # noqa: F401 (parameters)
        from workflow.demo import seed_workflow

        events.subscribe(events.ALL, jobs.rules_evaluate, wants=selectors.event_has_rules)
        navigation.register(
            navigation.NavItem(
                "tasks",
                _("Tasks"),
                "workflow:task_list",
                icon="check2-square",
                permission="workflow.view_task",
                order=60,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "my_tasks",
                _("My tasks"),
                "workflow/panels/my_tasks.html",
                permission="workflow.view_task",
                order=1,
                context=panels.my_tasks,
                cache_seconds=30,  # overdue flags change with the clock
                depends_on=("workflow.task", "patients.patient"),
            )
        )
        schedule.register(
            schedule.Periodic(
                "workflow.rule_runs_prune",
                jobs.rule_runs_prune,
                minutes=24 * 60,
                description="Delete old rule runs (rule_run_retention_days).",
            )
        )
        demo.register(demo.Seeder("workflow", "Rules and tasks", seed_workflow, 90))
