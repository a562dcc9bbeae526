"""Meta-tests: every project model keeps history and audit columns; migrations match."""

from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from ehr.core.models import TrackedFields

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


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()
