"""Factories for the pharmacy tests: the shipped knowledge is loaded once per test
(`load_knowledge`), and drugs are looked up by generic name."""

from pharmacy.knowledge import load_knowledge
from pharmacy.models import Drug


def knowledge():
    """Load the shipped formulary and knowledge (idempotent)."""
    load_knowledge()


def drug(generic_name, strength=None):
    """Return the formulary drug of that generic name (the first strength, or `strength`)."""
    drugs = Drug.objects.filter(generic_name=generic_name)
    if strength is not None:
        drugs = drugs.filter(strength_value=strength)
    return drugs.order_by("strength_value").first()


def line(generic_name, *, dose=None, frequency="tid", quantity=21, route="oral", **extra):
    """Return a prescription line (the service's input) for that drug."""
    found = drug(generic_name)
    return {
        "drug": found,
        "dose": dose if dose is not None else found.strength_value,
        "dose_unit": found.dose_unit,
        "route": route,
        "frequency": frequency,
        "duration_days": extra.pop("duration_days", 7),
        "quantity": quantity,
        **extra,
    }
