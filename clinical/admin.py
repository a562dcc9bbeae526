"""Admin of clinical documentation: the ICD-10-CM catalogue (reference data, loaded by
`manage.py load_icd10`, read-only here) and the synonyms the diagnosis search expands
(seeded by a migration, extended by administrators; history kept).

Clinical records themselves are not in the admin: every read of clinical content goes
through the chart, which checks care-team access and logs the read; an admin page would
bypass both.
"""

from django.contrib import admin

from clinical.models import DiagnosisCode, Icd10Synonym
from ehr.core.admin import ReadOnlyMixin, TrackedAdmin


@admin.register(DiagnosisCode)
class DiagnosisCodeAdmin(ReadOnlyMixin, TrackedAdmin):
    """The catalogue comes from the ICD-10-CM release (load_icd10); conditions refer to
    the codes, so none is added, changed or deleted here."""

    list_display = ("code", "title", "is_billable", "chapter")
    list_filter = ("is_billable", "chapter")
    search_fields = ("code", "title")
    show_full_result_count = False


@admin.register(Icd10Synonym)
class Icd10SynonymAdmin(TrackedAdmin):
    """What clinicians type ("T2DM", "high blood pressure") and what the diagnosis
    search looks for instead; a change takes effect on the next search."""

    list_display = ("term", "expansion", "code", "updated_at", "updated_by")
    search_fields = ("term", "expansion", "code")
    fields = ("term", "expansion", "code")
