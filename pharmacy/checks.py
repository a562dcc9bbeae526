"""The one medication-safety check: drug-allergy (ingredient and class, with
cross-reactivity), drug-drug, duplicate therapy, dose range and "allergy status not
asked". Prescribing, dispensing and administration all call `medication_check`.

The knowledge (interactions, cross-reactivity) is read once per check into in-memory
indexes keyed by ingredient and class ids, so a check costs a handful of queries
whatever the number of medications and a set lookup per pair."""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from pharmacy.models import (
    BLOCKING_SEVERITIES,
    SEVERITY_RANK,
    AllergyCrossReactivity,
    DrugClass,
    DrugInteraction,
    Ingredient,
    Severity,
)


class AlertType:
    DRUG_ALLERGY = "drug_allergy"
    DRUG_DRUG = "drug_drug"
    DUPLICATE_THERAPY = "duplicate_therapy"
    DOSE_RANGE = "dose_range"
    ALLERGY_STATUS_UNKNOWN = "allergy_status_unknown"


@dataclass(frozen=True)
class Alert:
    """One finding of the check, in words a clinician understands."""

    type: str
    severity: str
    message: str
    drug: str = ""  # the drug the alert is about (its name)
    line: int | None = None  # index of the candidate line it is about

    @property
    def rank(self):
        return SEVERITY_RANK[self.severity]

    @property
    def blocking(self):
        """Return True when prescribing must stop unless overridden with a reason."""
        return self.severity in BLOCKING_SEVERITIES

    def as_dict(self):
        return {
            "type": self.type,
            "severity": self.severity,
            "message": self.message,
            "drug": self.drug,
        }


@dataclass
class DrugFacts:
    """What the check needs of one drug: its ingredient and class ids."""

    drug: object
    ingredients: frozenset
    classes: frozenset
    therapeutic_classes: frozenset = field(default_factory=frozenset)

    @classmethod
    def of(cls, drug):
        ingredients = list(drug.ingredients.all())
        classes = list(drug.classes.all())
        return cls(
            drug=drug,
            ingredients=frozenset(i.pk for i in ingredients),
            classes=frozenset(c.pk for c in classes),
            therapeutic_classes=frozenset(c.pk for c in classes if c.therapeutic),
        )

    @property
    def keys(self):
        return {("i", pk) for pk in self.ingredients} | {("c", pk) for pk in self.classes}


@dataclass(frozen=True)
class Hit:
    interaction: DrugInteraction

    @property
    def severity(self):
        return self.interaction.severity

    @property
    def rank(self):
        return SEVERITY_RANK[self.interaction.severity]


class Knowledge:
    """The interaction table as an index: side key → [(other side key, interaction)]."""

    def __init__(self):
        self.pairs = defaultdict(list)
        rows = DrugInteraction.objects.filter(is_active=True).only(
            "pk",
            "a_ingredient_id",
            "a_class_id",
            "b_ingredient_id",
            "b_class_id",
            "severity",
            "effect",
            "management",
            "code",
        )
        for row in rows:
            a = ("i", row.a_ingredient_id) if row.a_ingredient_id else ("c", row.a_class_id)
            b = ("i", row.b_ingredient_id) if row.b_ingredient_id else ("c", row.b_class_id)
            self.pairs[a].append((b, row))
            if a != b:
                self.pairs[b].append((a, row))
        self.cross = defaultdict(list)
        for row in AllergyCrossReactivity.objects.select_related("allergen_class", "drug_class"):
            self.cross[row.allergen_class_id].append(row)

    def between(self, first: DrugFacts, second: DrugFacts):
        """Return the interactions between two drugs, each once."""
        found = {}
        second_keys = second.keys
        for key in first.keys:
            for other, row in self.pairs.get(key, ()):
                if other in second_keys:
                    found[row.pk] = row
        return list(found.values())


def interactions_between(first, second):
    """Return the interactions between two formulary drugs (as `Hit`s)."""
    knowledge = Knowledge()
    return [Hit(row) for row in knowledge.between(DrugFacts.of(first), DrugFacts.of(second))]


def _norm(text):
    return " ".join(text.lower().replace("-", " ").split())


def match_allergen(text, ingredients=None, classes=None):
    """Return (ingredients, classes) whose name or a synonym matches the free-text
    allergen `text` as whole words ("Penicillin", "sulfa drugs", "Ibuprofen 400mg
    tablets"). Pass the ingredient and class lists to match many texts at once."""
    words = _norm(text)
    if not words:
        return [], []
    ingredients = Ingredient.objects.all() if ingredients is None else ingredients
    classes = DrugClass.objects.all() if classes is None else classes
    return (
        [i for i in ingredients if _matches(words, i.names())],
        [c for c in classes if _matches(words, c.names())],
    )


def _matches(words, names):
    padded = f" {words} "
    return any(f" {_norm(name)} " in padded for name in names if name)


@dataclass
class AllergyFacts:
    """An allergy as the check sees it: its label, severity, and the ingredient and
    class ids it names (coded, or matched from the free text)."""

    label: str
    ingredients: frozenset
    classes: frozenset


def _over(value, limit):
    return limit is not None and value is not None and Decimal(value) > limit


def medication_check(*, candidates, current, allergies, allergy_status_known, doses_per_day=None):
    """Return the alerts for prescribing `candidates` (list of (DrugFacts, dose,
    frequency-doses-per-day or None)) to a patient taking `current` (list of
    (DrugFacts, label)) with `allergies` (list of AllergyFacts).

    Candidates are checked against the current medications, each other, and the
    allergies; alerts of the same type about the same pair are reported once."""
    knowledge = Knowledge()
    alerts = []
    class_names = None

    def names_of(ids):
        nonlocal class_names
        if class_names is None:
            class_names = dict(DrugClass.objects.values_list("pk", "name"))
        return ", ".join(sorted(class_names.get(pk, "?") for pk in ids))

    if not allergy_status_known:
        alerts.append(
            Alert(
                AlertType.ALLERGY_STATUS_UNKNOWN,
                Severity.MODERATE,
                _(
                    "The patient's allergies have not been asked: ask and record them "
                    "(or no known allergies)."
                ),
            )
        )
    for index, (facts, dose, per_day) in enumerate(candidates):
        start = len(alerts)
        drug = facts.drug
        name = drug.name
        for allergy in allergies:
            if facts.ingredients & allergy.ingredients or facts.classes & allergy.classes:
                alerts.append(
                    Alert(
                        AlertType.DRUG_ALLERGY,
                        Severity.CONTRAINDICATED,
                        _("%(drug)s: the patient is allergic to %(allergen)s.")
                        % {"drug": name, "allergen": allergy.label},
                        name,
                    )
                )
                continue
            worst = None
            for class_id in allergy.classes:
                for row in knowledge.cross.get(class_id, ()):
                    if row.drug_class_id in facts.classes and (
                        worst is None or SEVERITY_RANK[row.severity] > SEVERITY_RANK[worst.severity]
                    ):
                        worst = row
            if worst is not None:
                alerts.append(
                    Alert(
                        AlertType.DRUG_ALLERGY,
                        worst.severity,
                        _(
                            "%(drug)s: possible cross-reactivity with the allergy to %(allergen)s "
                            "(%(risk)s risk). %(note)s"
                        )
                        % {
                            "drug": name,
                            "allergen": allergy.label,
                            "risk": worst.get_risk_display(),
                            "note": worst.note,
                        },
                        name,
                    )
                )
        others = [(other, label) for other, label in current] + [
            (other, other.drug.name) for other, _d, _p in candidates[index + 1 :]
        ]
        for other, label in others:
            for row in knowledge.between(facts, other):
                alerts.append(
                    Alert(
                        AlertType.DRUG_DRUG,
                        row.severity,
                        _("%(drug)s with %(other)s: %(effect)s %(management)s")
                        % {
                            "drug": name,
                            "other": label,
                            "effect": row.effect,
                            "management": row.management,
                        },
                        name,
                    )
                )
            same_ingredient = facts.ingredients & other.ingredients
            same_class = facts.therapeutic_classes & other.therapeutic_classes
            if same_ingredient:
                alerts.append(
                    Alert(
                        AlertType.DUPLICATE_THERAPY,
                        Severity.MAJOR,
                        _("%(drug)s duplicates %(other)s (the same active ingredient).")
                        % {"drug": name, "other": label},
                        name,
                    )
                )
            elif same_class:
                alerts.append(
                    Alert(
                        AlertType.DUPLICATE_THERAPY,
                        Severity.MODERATE,
                        _("%(drug)s and %(other)s are both %(classes)s (duplicate therapy).")
                        % {"drug": name, "other": label, "classes": names_of(same_class)},
                        name,
                    )
                )
        if _over(dose, drug.max_single_dose):
            alerts.append(
                Alert(
                    AlertType.DOSE_RANGE,
                    Severity.MAJOR,
                    _(
                        "%(drug)s: %(dose)s %(unit)s is above the maximum single adult dose "
                        "of %(max)s %(unit)s."
                    )
                    % {
                        "drug": name,
                        "dose": _fmt(dose),
                        "unit": drug.dose_unit,
                        "max": _fmt(drug.max_single_dose),
                    },
                    name,
                )
            )
        if per_day and dose is not None and _over(Decimal(dose) * per_day, drug.max_daily_dose):
            alerts.append(
                Alert(
                    AlertType.DOSE_RANGE,
                    Severity.MAJOR,
                    _(
                        "%(drug)s: %(total)s %(unit)s a day is above the maximum daily adult dose "
                        "of %(max)s %(unit)s."
                    )
                    % {
                        "drug": name,
                        "total": _fmt(Decimal(dose) * per_day),
                        "unit": drug.dose_unit,
                        "max": _fmt(drug.max_daily_dose),
                    },
                    name,
                )
            )
        alerts[start:] = [replace(alert, line=index) for alert in alerts[start:]]
    unique = list(dict.fromkeys(alerts))
    unique.sort(key=lambda alert: -alert.rank)
    return unique


def _fmt(value):
    return f"{Decimal(value).normalize():f}"
