"""Admin for patient records: read and audit; clinical data is never deleted here."""

from django.contrib import admin

from ehr.core.admin import TrackedAdmin
from patients.models import (
    BreakGlassAccess,
    CareRelationship,
    ChartAccess,
    EmergencyContact,
    Patient,
    PatientIdentifier,
    PatientMerge,
)


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None):
        return False  # deactivate or merge instead; records are never deleted


class IdentifierInline(NoDeleteMixin, admin.TabularInline):
    model = PatientIdentifier
    extra = 0
    fields = ("type", "value")


class EmergencyContactInline(NoDeleteMixin, admin.TabularInline):
    model = EmergencyContact
    extra = 0
    fields = ("name", "relationship", "phone")


@admin.register(Patient)
class PatientAdmin(NoDeleteMixin, TrackedAdmin):
    """Patients are registered and edited in the staff pages; the admin lists and audits."""

    list_display = ("mrn", "last_name", "first_name", "date_of_birth", "sex", "is_active")
    list_filter = ("is_active", "sex", "is_deceased")
    search_fields = ("mrn", "last_name", "first_name")
    inlines = [IdentifierInline, EmergencyContactInline]
    readonly_fields = ("mrn", "merged_into", "first_name_phonetic", "last_name_phonetic")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # registration draws an MRN and checks duplicates: use the staff page


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(NoDeleteMixin, TrackedAdmin):
    list_display = (
        "granted_at",
        "user",
        "patient",
        "reason",
        "expires_at",
        "reviewed_at",
        "reviewed_by",
    )
    list_filter = ("reason", "reviewed_at")
    list_select_related = ("user", "patient", "reviewed_by")
    readonly_fields = (
        "patient",
        "user",
        "reason",
        "details",
        "granted_at",
        "expires_at",
        "reviewed_at",
        "reviewed_by",
        "review_comment",
    )

    def has_add_permission(self, request):
        return False


@admin.register(CareRelationship)
class CareRelationshipAdmin(NoDeleteMixin, TrackedAdmin):
    """Care relationships are opened and closed by the care itself; the admin audits."""

    list_display = (
        "opens_at",
        "closes_at",
        "user",
        "patient",
        "reason",
        "self_assigned",
        "reviewed_at",
    )
    list_filter = ("reason", "self_assigned", "reviewed_at")
    list_select_related = ("user", "patient")
    readonly_fields = (
        "patient",
        "user",
        "reason",
        "source_type",
        "source_id",
        "opens_at",
        "closes_at",
        "self_assigned",
        "reviewed_at",
        "reviewed_by",
        "review_comment",
    )

    def has_add_permission(self, request):
        return False


@admin.register(ChartAccess)
class ChartAccessAdmin(NoDeleteMixin, TrackedAdmin):
    list_display = (
        "accessed_at",
        "user",
        "patient",
        "part",
        "channel",
        "ip_address",
        "grant_reason",
        "break_glass",
    )
    list_filter = ("channel", "part")
    list_select_related = ("user", "patient", "break_glass")
    date_hierarchy = "accessed_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PatientMerge)
class PatientMergeAdmin(NoDeleteMixin, TrackedAdmin):
    list_display = ("merged_at", "duplicate", "survivor", "created_by", "undone_at")
    list_select_related = ("duplicate", "survivor", "created_by")
    readonly_fields = (
        "survivor",
        "duplicate",
        "reason",
        "merged_at",
        "moved",
        "undone_at",
        "undone_by",
    )

    def has_add_permission(self, request):
        return False
