from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling (clinics, schedules, appointments)")

    def ready(self):
        from ehr.core import chart, dashboard, demo, navigation, schedule
        from scheduling import jobs as scheduling_jobs
        from scheduling import panels
        from scheduling.demo import seed_scheduling

        schedule.register(
            schedule.Periodic(
                "appointment-reminders",
                scheduling_jobs.appointment_reminders_send,
                minutes=5,
                description="Send the appointment reminders that are due",
            )
        )
        navigation.register(
            navigation.NavItem(
                "scheduling",
                _("Appointments"),
                "scheduling:calendar",
                icon="calendar3",
                permission="scheduling.view_appointment",
                order=20,
            )
        )
        # Appointments are at the level of demographics (who, when, with whom, why):
        # receptionists see the tab too.
        chart.register_tab(
            chart.ChartTab(
                "appointments",
                _("Appointments"),
                "scheduling/chart/appointments.html",
                order=40,
                clinical=False,
                permission="scheduling.view_appointment",
                icon="calendar3",
                context=panels.appointments_tab,
                scripts=("js/scheduling.js",),  # the appointment types' colours
            )
        )
        dashboard.register(
            dashboard.Panel(
                "todays_arrivals",
                _("Today's arrivals"),
                "scheduling/panels/arrivals.html",
                # The front desk: checks in the patients of every doctor.
                permission=("scheduling.check_in_appointment", "scheduling.manage_any_schedule"),
                order=2,
                context=panels.arrivals,
                cache_seconds=30,
                depends_on=("scheduling.appointment", "patients.patient"),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "my_day",
                _("My day"),
                "scheduling/panels/my_day.html",
                # A doctor's own patients of the day, whose encounters he starts.
                permission=("scheduling.view_appointment", "clinical.add_encounter"),
                order=2,
                context=panels.my_day,
                cache_seconds=30,
                depends_on=("scheduling.appointment", "patients.patient"),
            )
        )
        # After patients (30), before inpatient (40) and clinical (50), whose demo
        # encounters may start from the demo appointments.
        demo.register(
            demo.Seeder("scheduling", "Clinics, schedules and appointments", seed_scheduling, 35)
        )
