"""Reads of the pharmacy app: the formulary, a patient's medications and the facts the
medication check needs."""

from django.db.models import Q

from clinical.models import Allergy, AllergyClinicalStatus
from clinical.selectors import NOT_ASKED, allergy_state
from pharmacy.checks import AllergyFacts, DrugFacts, match_allergen
from pharmacy.models import (
    Drug,
    DrugClass,
    HomeMedication,
    Ingredient,
    Prescription,
    PrescriptionItem,
)

DRUG_FACTS_PREFETCH = ("ingredients", "classes")


def drug_search(term="", *, limit=20):
    """Return active formulary drugs whose generic name, brand name or ingredient
    matches `term`."""
    drugs = Drug.objects.filter(is_active=True).prefetch_related(*DRUG_FACTS_PREFETCH)
    term = (term or "").strip()
    if term:
        drugs = drugs.filter(
            Q(generic_name__icontains=term)
            | Q(brand_names__icontains=term)
            | Q(ingredients__name__icontains=term)
        ).distinct()
    return drugs.order_by("generic_name", "strength_value")[:limit]


def current_items(patient):
    """Return the patient's current (active or on-hold) prescription lines."""
    return (
        PrescriptionItem.objects.filter(
            prescription__patient=patient,
            status__in=PrescriptionItem.CURRENT,
        )
        .exclude(prescription__status=Prescription.Status.CANCELLED)
        .select_related("drug", "prescription__prescriber")
        .prefetch_related("drug__ingredients", "drug__classes")
    )


def active_home_medications(patient):
    """Return the home medications the patient takes."""
    return (
        HomeMedication.objects.filter(patient=patient, status=HomeMedication.Status.ACTIVE)
        .select_related("drug")
        .prefetch_related("drug__ingredients", "drug__classes")
    )


def current_medication_facts(patient, *, exclude_items=()):
    """Return [(DrugFacts, label)] for everything the patient currently takes:
    current prescription lines and home medications."""
    facts = []
    for item in current_items(patient).exclude(pk__in=list(exclude_items)):
        facts.append((DrugFacts.of(item.drug), str(item.drug)))
    for home in active_home_medications(patient):
        facts.append((DrugFacts.of(home.drug), str(home.drug) + " (home)"))
    return facts


def allergy_facts(patient):
    """Return ([AllergyFacts], status_known) for the patient's active allergies: coded
    ones by their ingredient or class, free-text ones matched by name."""
    allergies = list(Allergy.objects.filter(patient=patient, status=AllergyClinicalStatus.ACTIVE))
    facts = []
    if allergies:
        ingredients = list(Ingredient.objects.all())
        classes = list(DrugClass.objects.all())
        for allergy in allergies:
            ingredient_ids, class_ids = set(), set()
            if allergy.allergen_ingredient_id:
                ingredient_ids.add(allergy.allergen_ingredient_id)
            if allergy.allergen_class_id:
                class_ids.add(allergy.allergen_class_id)
            matched_i, matched_c = match_allergen(allergy.allergen, ingredients, classes)
            ingredient_ids |= {i.pk for i in matched_i}
            class_ids |= {c.pk for c in matched_c}
            if ingredient_ids or class_ids:
                facts.append(
                    AllergyFacts(allergy.allergen, frozenset(ingredient_ids), frozenset(class_ids))
                )
    known = allergy_state(patient, active=bool(allergies)) != NOT_ASKED
    return facts, known


def prescription_list_for_patient(patient):
    """Return the patient's prescriptions with their lines."""
    return (
        Prescription.objects.filter(patient=patient)
        .select_related("prescriber")
        .prefetch_related("items__drug")
    )


def prescription_get(pk):
    """Return one prescription with its patient, prescriber and lines (the caller
    checks chart access to its patient)."""
    return (
        Prescription.objects.select_related("patient", "prescriber", "encounter", "admission")
        .prefetch_related("items__drug", "items__overridden_by")
        .get(pk=pk)
    )


def medication_lines(patient):
    """Return every prescription line of the patient (current first), for the chart."""
    return (
        PrescriptionItem.objects.filter(prescription__patient=patient)
        .exclude(prescription__status=Prescription.Status.CANCELLED)
        .select_related("drug", "prescription__prescriber", "overridden_by")
        .prefetch_related("drug__classes")
        .order_by("-prescription__written_at", "created_at")
    )
