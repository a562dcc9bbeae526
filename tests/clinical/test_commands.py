"""manage.py load_icd10: loads ICD-10-CM codes with their titles, with progress, and
returns at once when the table already holds the release."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clinical.management.commands import load_icd10
from clinical.models import DiagnosisCode

pytestmark = pytest.mark.django_db


def test_load_icd10_loads_codes_with_titles_and_is_idempotent():
    out = StringIO()
    call_command("load_icd10", limit=300, batch_size=100, stdout=out)
    assert DiagnosisCode.objects.count() == 300
    cholera = DiagnosisCode.objects.get(code="A00.0")
    assert cholera.title == "Cholera due to Vibrio cholerae 01, biovar cholerae"
    assert cholera.is_billable and cholera.chapter == "1"
    assert not DiagnosisCode.objects.get(code="A00").is_billable  # a category
    assert not DiagnosisCode.objects.filter(code__contains="-").exists()  # no blocks
    text = out.getvalue()
    assert "[####" in text and "300/300" in text  # the progress bar
    history = DiagnosisCode.history.filter(code="A00.0").get()
    assert history.history_change_reason == load_icd10.CHANGE_REASON

    again = StringIO()
    call_command("load_icd10", limit=300, stdout=again)
    assert "already loaded" in again.getvalue()
    assert DiagnosisCode.objects.count() == 300


def test_load_icd10_adds_only_the_missing_codes():
    DiagnosisCode.objects.create(code="A00.1", title="Loaded before")
    call_command("load_icd10", limit=5, stdout=StringIO())
    assert DiagnosisCode.objects.count() == 5
    assert DiagnosisCode.objects.get(code="A00.1").title == "Loaded before"


def test_a_loaded_release_is_recognised_without_reading_the_package(monkeypatch):
    monkeypatch.setitem(load_icd10.CATALOGUE_SIZES, "1.5.0", 2)
    DiagnosisCode.objects.create(code="A00", title="Cholera")
    DiagnosisCode.objects.create(code="A00.0", title="Cholera 01")
    monkeypatch.setattr(load_icd10, "catalogue_rows", lambda limit=None: 1 / 0)
    out = StringIO()
    call_command("load_icd10", stdout=out)
    assert "already loaded (2 codes)" in out.getvalue()


def test_load_icd10_refuses_a_bad_limit():
    with pytest.raises(CommandError):
        call_command("load_icd10", limit=0, stdout=StringIO())
