from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling (clinics, schedules, appointments)")

    def ready(self):
        from ehr.core import demo
        from scheduling.demo import seed_scheduling

        # After patients (30), before inpatient (40) and clinical (50), whose demo
        # encounters may start from the demo appointments.
        demo.register(
            demo.Seeder("scheduling", "Clinics, schedules and appointments", seed_scheduling, 35)
        )
