from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LaboratoryConfig(AppConfig):
    name = "laboratory"
    verbose_name = _("Laboratory and imaging")

    def ready(self):
        from ehr.core import access, chart, dashboard, demo, navigation, schedule
        from laboratory import jobs as lab_jobs
        from laboratory import panels, selectors
        from laboratory import parameters as lab_parameters
        from laboratory.demo import seed_laboratory

        del lab_parameters  # imported for its definitions
        chart.register_tab(
            chart.ChartTab(
                "results",
                _("Results"),
                "laboratory/chart/results.html",
                order=25,
                clinical=True,
                permission="laboratory.view_labresult",
                context=panels.results_tab,
                icon="clipboard2-data",
                styles=("css/laboratory.css",),
                vendor_scripts=(
                    "vendor/chart.js/chart.umd.min.js",
                    "vendor/chartjs-adapter-date-fns/chartjs-adapter-date-fns.bundle.min.js",
                ),
                scripts=("js/laboratory.js",),
            )
        )
        # Orders without values: the front desk sees that they exist (billing,
        # scheduling); clinicians see the values in Results.
        chart.register_tab(
            chart.ChartTab(
                "lab-orders",
                _("Lab orders"),
                "laboratory/chart/orders.html",
                order=26,
                clinical=False,
                permission="laboratory.view_laborder",
                context=panels.orders_tab,
                icon="list-check",
            )
        )
        chart.register_tab(
            chart.ChartTab(
                "documents",
                _("Documents & imaging"),
                "laboratory/chart/documents.html",
                order=27,
                clinical=True,
                permission="laboratory.view_patientdocument",
                context=panels.documents_tab,
                icon="images",
                styles=("css/laboratory.css",),
            )
        )
        chart.register_banner_item(
            chart.BannerItem(
                "critical-results",
                "laboratory/partials/banner_critical.html",
                context=panels.critical_banner,
                order=5,
                clinical=True,
                styles=("css/laboratory.css",),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "critical_results",
                _("Critical results to acknowledge"),
                "laboratory/panels/critical_alerts.html",
                permission="laboratory.change_criticalalert",
                order=1,
                context=panels.critical_alerts_panel,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "results_to_review",
                _("Results to review"),
                "laboratory/panels/to_review.html",
                permission="laboratory.review_labresult",
                order=5,
                context=panels.results_to_review_panel,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "lab_worklist",
                _("Lab worklist"),
                "laboratory/panels/worklist.html",
                permission="laboratory.enter_labresult",
                order=2,
                context=panels.worklist_panel,
            )
        )
        navigation.register(
            navigation.NavItem(
                "lab-worklist",
                _("Lab worklist"),
                "laboratory:worklist",
                icon="clipboard2-data",
                permission="laboratory.enter_labresult",
                order=45,
            )
        )
        access.register(
            access.AccessProvider(
                key="laboratory",
                parts=frozenset({"results"}),
                permission="laboratory.enter_labresult",
                patients=selectors.worklist_patient_ids,
            )
        )
        demo.register(
            demo.Seeder("laboratory", "Laboratory and imaging", seed_laboratory, order=65)
        )
        schedule.register(
            schedule.Periodic(
                "critical-results-escalation",
                lab_jobs.critical_results_escalate,
                minutes=5,
                description="Escalate critical lab results not acknowledged in time",
            )
        )
