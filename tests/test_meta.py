"""Meta-tests: every project model keeps history and audit columns; every free-text field
has a maximum length; migrations match."""

from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.validators import MaxLengthValidator
from django.db import models

from ehr.core.models import TEXT_MAX_LENGTH, TrackedFields

PROJECT_ROOT = Path(settings.BASE_DIR)


def project_models():
    for model in apps.get_models():
        module_path = Path(apps.get_app_config(model._meta.app_label).path)
        if PROJECT_ROOT in module_path.parents and ".venv" not in module_path.parts:
            if model.__name__.startswith("Historical"):
                continue
            yield model


def test_the_walk_finds_the_project_models():
    names = {m._meta.label for m in project_models()}
    assert {"accounts.User", "core.Hospital", "core.Notification"} <= names


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_every_project_model_is_tracked(model):
    assert issubclass(model, TrackedFields), f"{model._meta.label} lacks the audit columns"
    history = getattr(model, "history", None)
    assert history is not None, f"{model._meta.label} keeps no history"
    assert hasattr(model, "_meta") and model._meta.pk.get_internal_type() == "UUIDField"


# Text fields allowed without a maximum length, each with its reason. (History models are
# not walked: simple-history copies each field, its maximum included.)
UNBOUNDED_TEXT = {}
# Longer than TEXT_MAX_LENGTH: clinical narrative, and text the site writes itself.
LONG_TEXT = {
    "clinical.ClinicalNote.subjective",
    "clinical.ClinicalNote.objective",
    "clinical.ClinicalNote.assessment",
    "clinical.ClinicalNote.plan",
    "clinical.ClinicalNote.text",
    "inpatient.Admission.discharge_summary",  # the text of the discharge-summary note
    "core.Notification.body",  # quotes a reason of up to TEXT_MAX_LENGTH
    "core.Job.error",  # an exception's traceback, written by the site
    "core.OutboundMessage.body",  # an email the site writes (a series lists 52 dates)
    "laboratory.ImagingOrder.report",  # a radiologist's report, as long as a note section
}


def project_text_fields():
    for model in project_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField) and field.model is model:
                yield f"{model._meta.label}.{field.name}", field


def test_every_free_text_field_has_a_maximum_length_that_model_validation_enforces():
    unbounded, unchecked, too_long = [], [], []
    for name, field in project_text_fields():
        if name in UNBOUNDED_TEXT:
            continue
        if field.max_length is None:
            unbounded.append(name)
            continue
        if not any(
            isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length
            for v in field.validators
        ):
            unchecked.append(name)
        if field.max_length > TEXT_MAX_LENGTH and name not in LONG_TEXT:
            too_long.append(name)
    assert not unbounded, f"TextFields without max_length: {unbounded}"
    assert not unchecked, f"max_length not checked by full_clean (no validator): {unchecked}"
    assert not too_long, f"longer than {TEXT_MAX_LENGTH} without a reason: {too_long}"


def test_the_text_field_walk_finds_the_notes_and_the_allowlists_are_current():
    names = dict(project_text_fields())
    assert names["clinical.ClinicalNote.text"].max_length == 50_000
    assert names["scheduling.Appointment.notes"].max_length == TEXT_MAX_LENGTH
    assert set(UNBOUNDED_TEXT) | LONG_TEXT <= set(names)
    assert all(names[n].max_length is None for n in UNBOUNDED_TEXT), "drop it from the list"


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()
