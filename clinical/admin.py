"""Admin of clinical documentation: the ICD-10-CM catalogue (reference data, loaded by
`manage.py load_icd10`, read-only here).

Clinical records themselves are not in the admin: every read of clinical content goes
through the chart, which checks care-team access and logs the read; an admin page would
bypass both.
"""

from django.contrib import admin

from clinical.models import DiagnosisCode
from ehr.core.admin import TrackedAdmin


@admin.register(DiagnosisCode)
class DiagnosisCodeAdmin(TrackedAdmin):
    list_display = ("code", "title", "is_billable", "chapter")
    list_filter = ("is_billable", "chapter")
    search_fields = ("code", "title")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # the catalogue comes from the ICD-10-CM release (load_icd10)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # conditions refer to the codes
