"""Admin of the formulary and the medication knowledge: administrators search and edit
drugs, ingredients, classes, interactions and cross-reactivity, and import or export
them as CSV (django-import-export) to apply a reviewed update; history is kept."""

from django.contrib import admin
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin

from ehr.core.admin import TrackedAdmin
from pharmacy.models import AllergyCrossReactivity, Drug, DrugClass, DrugInteraction, Ingredient


class TrackedResource(resources.ModelResource):
    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        instance.stamp(user)


class DrugClassResource(TrackedResource):
    class Meta:
        model = DrugClass
        import_id_fields = ("name",)
        fields = ("name", "synonyms", "therapeutic", "high_risk")


class IngredientResource(TrackedResource):
    classes = fields.Field(
        attribute="classes",
        column_name="classes",
        widget=widgets.ManyToManyWidget(DrugClass, field="name", separator=";"),
    )

    class Meta:
        model = Ingredient
        import_id_fields = ("name",)
        fields = ("name", "synonyms", "classes")


class DrugInteractionResource(TrackedResource):
    a_ingredient = fields.Field(
        attribute="a_ingredient",
        column_name="a_ingredient",
        widget=widgets.ForeignKeyWidget(Ingredient, "name"),
    )
    a_class = fields.Field(
        attribute="a_class",
        column_name="a_class",
        widget=widgets.ForeignKeyWidget(DrugClass, "name"),
    )
    b_ingredient = fields.Field(
        attribute="b_ingredient",
        column_name="b_ingredient",
        widget=widgets.ForeignKeyWidget(Ingredient, "name"),
    )
    b_class = fields.Field(
        attribute="b_class",
        column_name="b_class",
        widget=widgets.ForeignKeyWidget(DrugClass, "name"),
    )

    class Meta:
        model = DrugInteraction
        import_id_fields = ("code",)
        fields = (
            "code",
            "a_ingredient",
            "a_class",
            "b_ingredient",
            "b_class",
            "severity",
            "effect",
            "management",
            "source",
            "is_active",
        )


class AllergyCrossReactivityResource(TrackedResource):
    allergen_class = fields.Field(
        attribute="allergen_class",
        column_name="allergen_class",
        widget=widgets.ForeignKeyWidget(DrugClass, "name"),
    )
    drug_class = fields.Field(
        attribute="drug_class",
        column_name="drug_class",
        widget=widgets.ForeignKeyWidget(DrugClass, "name"),
    )

    class Meta:
        model = AllergyCrossReactivity
        import_id_fields = ("allergen_class", "drug_class")
        fields = ("allergen_class", "drug_class", "risk", "severity", "note", "source")


class DrugResource(TrackedResource):
    ingredients = fields.Field(
        attribute="ingredients",
        column_name="ingredients",
        widget=widgets.ManyToManyWidget(Ingredient, field="name", separator=";"),
    )
    classes = fields.Field(
        attribute="classes",
        column_name="classes",
        widget=widgets.ManyToManyWidget(DrugClass, field="name", separator=";"),
    )

    class Meta:
        model = Drug
        import_id_fields = ("generic_name", "form", "strength_value", "strength_unit")
        fields = (
            "generic_name",
            "brand_names",
            "form",
            "strength_value",
            "strength_unit",
            "dose_unit",
            "routes",
            "ingredients",
            "classes",
            "atc_code",
            "controlled",
            "max_single_dose",
            "max_daily_dose",
            "is_active",
        )


@admin.register(DrugClass)
class DrugClassAdmin(ImportExportMixin, TrackedAdmin):
    resource_classes = [DrugClassResource]
    list_display = ("name", "therapeutic", "high_risk")
    list_filter = ("therapeutic", "high_risk")
    search_fields = ("name", "synonyms")


@admin.register(Ingredient)
class IngredientAdmin(ImportExportMixin, TrackedAdmin):
    resource_classes = [IngredientResource]
    list_display = ("name", "synonyms")
    search_fields = ("name", "synonyms", "classes__name")
    filter_horizontal = ("classes",)


@admin.register(Drug)
class DrugAdmin(ImportExportMixin, TrackedAdmin):
    resource_classes = [DrugResource]
    list_display = (
        "generic_name",
        "strength_value",
        "strength_unit",
        "form",
        "controlled",
        "is_active",
    )
    list_filter = ("form", "controlled", "is_active", "classes")
    search_fields = ("generic_name", "brand_names", "atc_code", "ingredients__name")
    filter_horizontal = ("ingredients", "classes")


@admin.register(DrugInteraction)
class DrugInteractionAdmin(ImportExportMixin, TrackedAdmin):
    resource_classes = [DrugInteractionResource]
    list_display = ("code", "__str__", "severity", "source", "is_active")
    list_filter = ("severity", "is_active")
    search_fields = (
        "code",
        "a_ingredient__name",
        "b_ingredient__name",
        "a_class__name",
        "b_class__name",
        "source",
    )
    autocomplete_fields = ("a_ingredient", "b_ingredient", "a_class", "b_class")


@admin.register(AllergyCrossReactivity)
class AllergyCrossReactivityAdmin(ImportExportMixin, TrackedAdmin):
    resource_classes = [AllergyCrossReactivityResource]
    list_display = ("allergen_class", "drug_class", "risk", "severity", "source")
    list_filter = ("risk", "severity")
    search_fields = ("allergen_class__name", "drug_class__name", "source")
