from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PRIVACY_REVIEW = "patients.review_breakglassaccess"
ACCESS_LOG = "patients.view_chartaccess"


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patients")

    def ready(self):
        from ehr.core import chart, dashboard, demo, navigation, schedule
        from patients import jobs as patients_jobs
        from patients import panels, parameters  # noqa: F401 (defines the parameters)
        from patients.demo import seed_patients

        schedule.register(
            schedule.Periodic(
                "access-grants-expire",
                patients_jobs.access_grants_expire,
                minutes=15,
                description="Remove expired break-the-glass permissions",
            )
        )
        navigation.register(
            navigation.NavItem(
                "patients",
                _("Patients"),
                "patients:patient_list",
                icon="people",
                permission="patients.view_patient",
                order=10,
            )
        )
        navigation.register(
            navigation.NavItem(
                "break_glass_review",
                _("Privacy review"),
                "patients:breakglass_review_list",
                icon="shield-exclamation",
                permission=PRIVACY_REVIEW,
                order=80,
            )
        )
        navigation.register(
            navigation.NavItem(
                "access_log",
                _("Access log"),
                "patients:access_log",
                icon="journal-text",
                permission=ACCESS_LOG,
                order=81,
            )
        )
        chart.register_tab(
            chart.ChartTab(
                "demographics",
                _("Demographics"),
                "patients/chart/demographics.html",
                order=0,
                clinical=False,
                permission="patients.view_patient",
                icon="person-vcard",
                context=panels.demographics_tab,
            )
        )
        chart.register_tab(
            chart.ChartTab(
                "history",
                _("History"),
                "patients/chart/history.html",
                order=1000,
                clinical=False,
                permission="patients.view_patient",
                icon="clock-history",
                context=panels.history_tab,
            )
        )
        chart.register_tab(
            chart.ChartTab(
                "care-team",
                _("Care team"),
                "patients/chart/care_team.html",
                order=900,
                clinical=False,
                permission="patients.view_patient",
                icon="people",
                context=panels.care_team_tab,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "patient_search",
                _("Find a patient"),
                "patients/panels/search.html",
                permission="patients.view_patient",
                order=1,
                context=panels.search,
                cache_seconds=300,  # a search form: only the user's permissions change it
            )
        )
        dashboard.register(
            dashboard.Panel(
                "my_patients",
                _("My patients"),
                "patients/panels/my_patients.html",
                # Clinicians, whose care teams list their patients.
                permission="patients.break_glass",
                order=2,
                context=panels.my_patients,
                cache_seconds=30,  # relationship windows open and close with the clock
                depends_on=(
                    "patients.patient",
                    "patients.patientuserobjectpermission",
                    "patients.carerelationship",
                ),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "break_glass_queue",
                _("Break-glass accesses to review"),
                "patients/panels/break_glass_queue.html",
                permission=PRIVACY_REVIEW,
                order=6,
                context=panels.break_glass_queue,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "access_log",
                _("Access log"),
                "patients/panels/access_log.html",
                permission=ACCESS_LOG,
                order=7,
                context=panels.access_log,
            )
        )
        demo.register(demo.Seeder("patients", "Patients", seed_patients, order=30))
