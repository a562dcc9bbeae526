"""System parameters of clinical documentation: the adult normal ranges of the vital
signs. Values outside a range are flagged low or high (and shown in colour); they are
not refused (impossible values are, by `clinical.models.VITAL_LIMITS`)."""

from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ehr.core import parameters

# measure: (label, unit, type, default low, default high, min allowed, max allowed)
_RANGES = {
    "systolic_bp": (_("Systolic blood pressure"), "mmHg", "int", 90, 139, 40, 300),
    "diastolic_bp": (_("Diastolic blood pressure"), "mmHg", "int", 60, 89, 10, 200),
    "heart_rate": (_("Heart rate"), "/min", "int", 60, 100, 20, 300),
    "respiratory_rate": (_("Respiratory rate"), "/min", "int", 12, 20, 1, 100),
    "temperature_c": (
        _("Temperature"),
        "°C",
        "decimal",
        Decimal("36.0"),
        Decimal("37.9"),
        Decimal("25"),
        Decimal("45"),
    ),
    "spo2": (_("SpO₂"), "%", "int", 95, 100, 0, 100),
    "bmi": (
        _("Body mass index"),
        "kg/m²",
        "decimal",
        Decimal("18.5"),
        Decimal("24.9"),
        Decimal("5"),
        Decimal("100"),
    ),
    "pain_score": (_("Pain score"), "0–10", "int", 0, 3, 0, 10),
}

_END_LABELS = {
    "low": _("{measure}: low end of the adult normal range"),
    "high": _("{measure}: high end of the adult normal range"),
}

for _measure, (_label, _unit, _type, _low, _high, _min, _max) in _RANGES.items():
    for _end, _default in (("low", _low), ("high", _high)):
        parameters.define(
            f"vitals_{_measure}_{_end}",
            label=format_lazy(_END_LABELS[_end], measure=_label),
            type=_type,
            default=_default,
            unit=_unit,
            min_value=_min,
            max_value=_max,
            help_text=_(
                "Adult normal range: values below the low end or above the high end are "
                "flagged in the chart."
            ),
        )


def normal_range(measure):
    """Return (low, high) of the adult normal range of `measure`, or None for a
    measure without one (weight, height)."""
    if measure not in _RANGES:
        return None
    return parameters.get(f"vitals_{measure}_low"), parameters.get(f"vitals_{measure}_high")


def normal_ranges():
    """Return {measure: (low, high)} for every measure with a normal range."""
    return {measure: normal_range(measure) for measure in _RANGES}
