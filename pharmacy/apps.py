from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PharmacyConfig(AppConfig):
    name = "pharmacy"
    verbose_name = _("Pharmacy")

    def ready(self):
        from ehr.core import chart, demo
        from pharmacy import panels
        from pharmacy.demo import seed_pharmacy

        chart.register_tab(
            chart.ChartTab(
                "medications",
                _("Medications"),
                "pharmacy/chart/medications.html",
                order=45,
                permission="pharmacy.view_prescription",
                icon="capsule",
                context=panels.medications_tab,
            )
        )
        # Anticoagulants, insulins and opioids on every chart page (with chart access).
        chart.register_banner_item(
            chart.BannerItem(
                "high_risk_medications",
                "pharmacy/partials/banner_high_risk.html",
                context=panels.high_risk_banner,
                order=20,
                clinical=True,
            )
        )
        demo.register(demo.Seeder("pharmacy", "Pharmacy", seed_pharmacy, order=70))
