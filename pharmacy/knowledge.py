"""Read the medication knowledge files shipped with the app (`pharmacy/knowledge/`) and
write them to the formulary tables. Idempotent: rows are matched on their natural keys
(names, the interaction `code`, the class pair) and only changed rows are saved, so a
second run writes nothing. Used by `manage.py load_medication_knowledge`."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models.functions import Upper

from pharmacy.models import AllergyCrossReactivity, Drug, DrugClass, DrugInteraction, Ingredient

KNOWLEDGE_DIR = Path(__file__).resolve().parent / "knowledge"
CHANGE_REASON = "medication knowledge load"


def knowledge_version():
    """Return the version of the shipped knowledge files."""
    return (KNOWLEDGE_DIR / "VERSION").read_text().strip()


def _rows(name):
    with open(KNOWLEDGE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _split(value):
    return [part.strip() for part in value.split(";") if part.strip()]


def _decimal(value):
    return Decimal(value) if value.strip() else None


def _save_if_changed(obj, values, *, actor, created):
    changed = created or any(getattr(obj, field) != value for field, value in values.items())
    if changed:
        for field, value in values.items():
            setattr(obj, field, value)
        obj.stamp(actor)
        obj._change_reason = CHANGE_REASON
        obj.full_clean()
        obj.save()
    return changed


def _by_name(model, name):
    obj = model.objects.filter(name__iexact=name).first()
    return (obj, False) if obj else (model(name=name), True)


@transaction.atomic
def load_knowledge(*, actor=None, progress=None):
    """Load classes, ingredients, drugs, interactions and cross-reactivity from the CSV
    files; return `{table: (rows in file, rows written)}`. `progress(step, done, total)`
    is called along the way."""
    progress = progress or (lambda step, done, total: None)
    summary = {}

    rows = _rows("classes.csv")
    classes, written = {}, 0
    for i, row in enumerate(rows, 1):
        obj, created = _by_name(DrugClass, row["name"])
        values = {
            "name": row["name"],
            "synonyms": row["synonyms"],
            "therapeutic": row["therapeutic"] == "1",
            "high_risk": row["high_risk"] == "1",
        }
        written += _save_if_changed(obj, values, actor=actor, created=created)
        classes[row["name"].lower()] = obj
        progress("classes", i, len(rows))
    summary["classes"] = (len(rows), written)

    rows = _rows("ingredients.csv")
    ingredients, written = {}, 0
    for i, row in enumerate(rows, 1):
        obj, created = _by_name(Ingredient, row["name"])
        changed = _save_if_changed(
            obj, {"name": row["name"], "synonyms": row["synonyms"]}, actor=actor, created=created
        )
        wanted = {classes[c.lower()].pk for c in _split(row["classes"])}
        if set(obj.classes.values_list("pk", flat=True)) != wanted:
            obj.classes.set(wanted)
            changed = True
        written += changed
        ingredients[row["name"].lower()] = obj
        progress("ingredients", i, len(rows))
    summary["ingredients"] = (len(rows), written)

    rows = _rows("formulary.csv")
    written = 0
    for i, row in enumerate(rows, 1):
        strength = Decimal(row["strength_value"])
        obj = (
            Drug.objects.annotate(g=Upper("generic_name"), u=Upper("strength_unit"))
            .filter(
                g=row["generic_name"].upper(),
                form=row["form"],
                strength_value=strength,
                u=row["strength_unit"].upper(),
            )
            .first()
        )
        created = obj is None
        obj = obj or Drug()
        values = {
            "generic_name": row["generic_name"],
            "brand_names": row["brand_names"],
            "form": row["form"],
            "strength_value": strength,
            "strength_unit": row["strength_unit"],
            "dose_unit": row["dose_unit"],
            "routes": _split(row["routes"]),
            "atc_code": row["atc_code"],
            "controlled": row["controlled"] == "1",
            "max_single_dose": _decimal(row["max_single_dose"]),
            "max_daily_dose": _decimal(row["max_daily_dose"]),
        }
        changed = _save_if_changed(obj, values, actor=actor, created=created)
        its = [ingredients[name.lower()] for name in _split(row["ingredients"])]
        wanted_ingredients = {ingredient.pk for ingredient in its}
        if set(obj.ingredients.values_list("pk", flat=True)) != wanted_ingredients:
            obj.ingredients.set(wanted_ingredients)
            changed = True
        wanted_classes = {c.pk for ingredient in its for c in ingredient.classes.all()}
        if set(obj.classes.values_list("pk", flat=True)) != wanted_classes:
            obj.classes.set(wanted_classes)
            changed = True
        written += changed
        progress("formulary", i, len(rows))
    summary["formulary"] = (len(rows), written)

    rows = _rows("interactions.csv")
    written = 0
    for i, row in enumerate(rows, 1):
        obj = DrugInteraction.objects.filter(code=row["code"]).first()
        created = obj is None
        obj = obj or DrugInteraction(code=row["code"])
        values = {"a_ingredient": None, "a_class": None, "b_ingredient": None, "b_class": None}
        for side in ("a", "b"):
            kind, name = row[f"{side}_kind"], row[f"{side}_name"].lower()
            if kind == "ingredient":
                values[f"{side}_ingredient"] = ingredients[name]
            else:
                values[f"{side}_class"] = classes[name]
        values.update(
            severity=row["severity"],
            effect=row["effect"],
            management=row["management"],
            source=row["source"],
        )
        written += _save_if_changed(obj, values, actor=actor, created=created)
        progress("interactions", i, len(rows))
    summary["interactions"] = (len(rows), written)

    rows = _rows("cross_reactivity.csv")
    written = 0
    for i, row in enumerate(rows, 1):
        allergen, drug_class = (
            classes[row["allergen_class"].lower()],
            classes[row["drug_class"].lower()],
        )
        obj = AllergyCrossReactivity.objects.filter(
            allergen_class=allergen, drug_class=drug_class
        ).first()
        created = obj is None
        obj = obj or AllergyCrossReactivity(allergen_class=allergen, drug_class=drug_class)
        values = {
            "risk": row["risk"],
            "severity": row["severity"],
            "note": row["note"],
            "source": row["source"],
        }
        written += _save_if_changed(obj, values, actor=actor, created=created)
        progress("cross-reactivity", i, len(rows))
    summary["cross_reactivity"] = (len(rows), written)
    return summary
