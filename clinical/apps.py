from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = _("Clinical documentation")

    def ready(self):
        from clinical import panels
        from clinical import parameters as clinical_parameters
        from clinical.demo import seed_clinical
        from ehr.core import chart, dashboard, demo

        del clinical_parameters  # imported for its definitions
        tabs = [
            (
                "summary",
                _("Summary"),
                1,
                "clipboard2-pulse",
                "clinical.view_encounter",
                panels.summary_tab,
            ),
            (
                "encounters",
                _("Encounters"),
                10,
                "calendar2-week",
                "clinical.view_encounter",
                panels.encounters_tab,
            ),
            (
                "vitals",
                _("Vitals"),
                20,
                "heart-pulse",
                "clinical.view_vitalsigns",
                panels.vitals_tab,
            ),
            (
                "notes",
                _("Notes"),
                30,
                "journal-text",
                "clinical.view_clinicalnote",
                panels.notes_tab,
            ),
            (
                "problems",
                _("Problems"),
                40,
                "list-check",
                "clinical.view_condition",
                panels.problems_tab,
            ),
            (
                "allergies",
                _("Allergies"),
                50,
                "exclamation-octagon",
                "clinical.view_allergy",
                panels.allergies_tab,
            ),
            # "history" is the patients app's tab of record changes; this one is the
            # medical history (past conditions, surgical, family, social).
            (
                "medical-history",
                _("Medical history"),
                60,
                "journal-medical",
                "clinical.view_surgicalhistory",
                panels.medical_history_tab,
            ),
        ]
        # The Vitals tab draws its trend charts with Chart.js on a time axis (clinical.js);
        # the date adapter registers itself on Chart, so it comes second.
        scripts = {
            "vitals": {
                "vendor_scripts": (
                    "vendor/chart.js/chart.umd.min.js",
                    "vendor/chartjs-adapter-date-fns/chartjs-adapter-date-fns.bundle.min.js",
                ),
                "scripts": ("js/clinical.js",),
            }
        }
        for key, label, order, icon, permission, context in tabs:
            chart.register_tab(
                chart.ChartTab(
                    key,
                    label,
                    f"clinical/chart/{key.replace('-', '_')}.html",
                    order=order,
                    clinical=True,
                    permission=permission,
                    context=context,
                    icon=icon,
                    styles=("css/clinical.css",),
                    **scripts.get(key, {}),
                )
            )
        chart.register_banner_item(
            chart.BannerItem(
                "allergies",
                "clinical/partials/banner_allergies.html",
                context=panels.allergy_banner,
                order=10,
                clinical=True,
                # Every doctor and nurse sees a patient's allergies, care team or not:
                # whoever may open any chart in an emergency sees its allergies without
                # breaking the glass (worklist roles never hold this permission).
                permission="patients.break_glass",
                styles=("css/clinical.css",),
            )
        )
        dashboard.register(
            dashboard.Panel(
                "clinical_work",
                _("My clinical work"),
                "clinical/panels/my_work.html",
                # Those who write notes: doctors and nurses.
                permission="clinical.add_clinicalnote",
                order=3,
                context=panels.my_clinical_work,
                cache_seconds=30,
                depends_on=("clinical.encounter", "clinical.clinicalnote", "patients.patient"),
            )
        )
        demo.register(demo.Seeder("clinical", "Clinical records", seed_clinical, order=50))
