"""Admin of the laboratory catalogue: specimen types, tests and panels, reference ranges
(with import and export, django-import-export). Orders, specimens and results are not
here: every read of them goes through the chart, which checks access and logs it."""

from django.contrib import admin
from import_export import resources
from import_export.admin import ImportExportModelAdmin

from ehr.core.admin import TrackedAdmin
from laboratory.models import LabTest, PanelMember, ReferenceRange, SpecimenType


class SpecimenTypeResource(resources.ModelResource):
    class Meta:
        model = SpecimenType
        import_id_fields = ("code",)
        fields = ("code", "name", "container", "colour")


class LabTestResource(resources.ModelResource):
    class Meta:
        model = LabTest
        import_id_fields = ("code",)
        fields = (
            "code",
            "loinc",
            "name",
            "section",
            "specimen_type",
            "unit",
            "result_type",
            "coded_values",
            "decimals",
            "price",
            "active",
            "is_panel",
            "delta_check_percent",
        )


class ReferenceRangeResource(resources.ModelResource):
    class Meta:
        model = ReferenceRange
        fields = (
            "id",
            "test",
            "sex",
            "age_from_days",
            "age_to_days",
            "normal_low",
            "normal_high",
            "critical_low",
            "critical_high",
            "abnormal_values",
        )


class CatalogueAdmin(ImportExportModelAdmin, TrackedAdmin):
    """Catalogue records: history, import and export; the imported rows are attributed
    to the administrator (import-export saves through the model, history records it)."""


@admin.register(SpecimenType)
class SpecimenTypeAdmin(CatalogueAdmin):
    resource_classes = [SpecimenTypeResource]
    list_display = ("code", "name", "container", "colour")
    search_fields = ("code", "name")


class PanelMemberInline(admin.TabularInline):
    model = PanelMember
    fk_name = "panel"
    extra = 0
    autocomplete_fields = ("member",)
    fields = ("member", "position")


class ReferenceRangeInline(admin.TabularInline):
    model = ReferenceRange
    extra = 0
    fields = (
        "sex",
        "age_from_days",
        "age_to_days",
        "normal_low",
        "normal_high",
        "critical_low",
        "critical_high",
        "abnormal_values",
    )


@admin.register(LabTest)
class LabTestAdmin(CatalogueAdmin):
    resource_classes = [LabTestResource]
    list_display = ("code", "name", "loinc", "unit", "specimen_type", "is_panel", "active")
    list_filter = ("is_panel", "active", "section", "result_type", "specimen_type")
    search_fields = ("code", "name", "loinc")
    inlines = [PanelMemberInline, ReferenceRangeInline]


@admin.register(ReferenceRange)
class ReferenceRangeAdmin(CatalogueAdmin):
    resource_classes = [ReferenceRangeResource]
    list_display = (
        "test",
        "sex",
        "age_from_days",
        "age_to_days",
        "normal_low",
        "normal_high",
        "critical_low",
        "critical_high",
    )
    list_filter = ("sex",)
    search_fields = ("test__code", "test__name", "test__loinc")
    autocomplete_fields = ("test",)
