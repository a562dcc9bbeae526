from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LaboratoryConfig(AppConfig):
    name = "laboratory"
    verbose_name = _("Laboratory and imaging")

    def ready(self):
        from laboratory import parameters as lab_parameters

        del lab_parameters  # imported for its definitions
