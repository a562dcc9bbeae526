"""The shipped formulary and medication knowledge: the files load, a second load
changes nothing, and the content is what clinicians expect."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from pharmacy.knowledge import KNOWLEDGE_DIR
from pharmacy.models import (
    AllergyCrossReactivity,
    Drug,
    DrugClass,
    DrugInteraction,
    Ingredient,
    Severity,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    out = StringIO()
    call_command("load_medication_knowledge", stdout=out)
    return out.getvalue()


def test_loading_fills_every_table_and_reports_progress(loaded):
    assert Drug.objects.count() >= 80
    assert DrugInteraction.objects.count() >= 60
    assert AllergyCrossReactivity.objects.exists()
    assert "formulary: " in loaded and "interactions: " in loaded
    assert "Medication knowledge loaded." in loaded


def test_second_load_writes_nothing(loaded):
    histories = DrugInteraction.history.count() + Drug.history.count()
    out = StringIO()
    call_command("load_medication_knowledge", stdout=out)
    assert "0 added or updated" in out.getvalue()
    assert "1 added or updated" not in out.getvalue()
    assert DrugInteraction.history.count() + Drug.history.count() == histories


def test_every_interaction_names_a_source_and_a_valid_severity():
    with open(KNOWLEDGE_DIR / "interactions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 60
    assert len({row["code"] for row in rows}) == len(rows)
    for row in rows:
        assert row["source"].strip(), row["code"]
        assert row["severity"] in Severity.values, row["code"]


@pytest.mark.parametrize(
    ("a", "b", "severity"),
    [
        ("warfarin", "ibuprofen", Severity.MAJOR),
        ("warfarin", "clarithromycin", Severity.MAJOR),
        ("simvastatin", "clarithromycin", Severity.CONTRAINDICATED),
        ("ramipril", "spironolactone", Severity.MAJOR),
        ("sertraline", "phenelzine", Severity.CONTRAINDICATED),
        ("methotrexate", "trimethoprim", Severity.MAJOR),
        ("clopidogrel", "omeprazole", Severity.MAJOR),
        ("citalopram", "haloperidol", Severity.MAJOR),
    ],
)
def test_well_known_interactions_are_in_the_knowledge(loaded, a, b, severity):
    from pharmacy.checks import interactions_between

    first = Drug.objects.filter(generic_name=a).first()
    second = Drug.objects.filter(generic_name=b).first()
    found = interactions_between(first, second)
    assert found, (a, b)
    assert max(found, key=lambda i: i.rank).severity == severity


def test_formulary_drugs_have_ingredients_classes_and_consistent_maximum_doses(loaded):
    amoxicillin = Drug.objects.get(generic_name="amoxicillin", strength_value=500)
    assert [i.name for i in amoxicillin.ingredients.all()] == ["amoxicillin"]
    assert "penicillins" in {c.name for c in amoxicillin.classes.all()}
    assert amoxicillin.max_single_dose == 1000 and amoxicillin.max_daily_dose == 3000
    for drug in Drug.objects.all():
        assert drug.ingredients.exists(), drug
        if drug.max_single_dose and drug.max_daily_dose:
            assert drug.max_single_dose <= drug.max_daily_dose, drug
    assert DrugClass.objects.get(name="anticoagulants").high_risk


def test_interaction_side_must_name_one_ingredient_or_one_class(loaded):
    warfarin = Ingredient.objects.get(name="warfarin")
    nsaids = DrugClass.objects.get(name="NSAIDs")
    with pytest.raises(IntegrityError), transaction.atomic():
        DrugInteraction.objects.create(
            code="bad",
            a_ingredient=warfarin,
            a_class=nsaids,
            b_class=nsaids,
            severity=Severity.MAJOR,
            effect="x",
            source="y",
        )


def test_interaction_without_source_is_refused(loaded):
    warfarin = Ingredient.objects.get(name="warfarin")
    nsaids = DrugClass.objects.get(name="NSAIDs")
    with pytest.raises(IntegrityError), transaction.atomic():
        DrugInteraction.objects.create(
            code="nosource",
            a_ingredient=warfarin,
            b_class=nsaids,
            severity=Severity.MAJOR,
            effect="x",
            source="",
        )


def test_admin_finds_a_drug_by_brand_name(loaded, administrator):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/pharmacy/drug/", {"q": "Amoxil"})
    request.user = administrator
    model_admin = site._registry[Drug]
    queryset, _ = model_admin.get_search_results(request, Drug.objects.all(), "Amoxil")
    assert {d.generic_name for d in queryset} == {"amoxicillin"}
