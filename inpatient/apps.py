from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InpatientConfig(AppConfig):
    name = "inpatient"
    verbose_name = _("Inpatient (admission, transfer, discharge)")

    def ready(self):
        from ehr.core import chart, dashboard, demo, navigation
        from inpatient import panels, selectors
        from inpatient import parameters as _parameters  # noqa: F401  (defines them)
        from inpatient.demo import seed_inpatient

        navigation.register(
            navigation.NavItem(
                "beds",
                _("Beds"),
                "inpatient:bed_board",
                icon="hospital",
                permission="inpatient.view_bed",
                order=30,
            )
        )
        # Admission history is ADT data (where and when the patient lay, who attended), at
        # the level of demographics: receptionists see it too. Discharge summaries, which
        # are clinical, show only with chart access.
        chart.register_tab(
            chart.ChartTab(
                "admissions",
                _("Admissions"),
                "inpatient/chart/admissions.html",
                order=50,
                clinical=False,
                permission="inpatient.view_admission",
                icon="hospital",
                context=panels.admissions_tab,
            )
        )
        dashboard.register(
            dashboard.Panel(
                "inpatient_queue",
                _("Admissions and beds"),
                "inpatient/panels/queue.html",
                # Ward staff: those who assign beds from the queue and keep the beds.
                permission="inpatient.assign_bed",
                order=3,
                context=panels.queue,
                cache_seconds=30,
                depends_on=("inpatient", "patients.patient"),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "my_inpatients",
                _("My inpatients"),
                "inpatient/panels/my_inpatients.html",
                # Doctors: those who attend admissions and order discharges.
                permission="inpatient.order_discharge",
                order=3,
                context=panels.my_inpatients,
                cache_seconds=30,
                depends_on=("inpatient", "patients.patient"),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "my_ward",
                _("My ward now"),
                "inpatient/panels/my_ward.html",
                # Ward nurses: they keep the beds and read allergies; which wards are
                # theirs is their WardNurse assignment (the panel is empty without one).
                permission=("inpatient.set_bed_status", "clinical.view_allergy"),
                order=2,
                context=panels.my_ward,
                # Ward columns other apps register change it too: within cache_seconds.
                cache_seconds=30,
                depends_on=(
                    "inpatient",
                    "clinical.allergy",
                    "clinical.allergystatus",
                    "patients.patient",
                ),
            )
        )
        selectors.ward_column_register(
            selectors.WardColumn("allergies", _("Allergies"), selectors.allergy_facts, order=10)
        )
        demo.register(demo.Seeder("inpatient", "Wards, beds and admissions", seed_inpatient, 40))
