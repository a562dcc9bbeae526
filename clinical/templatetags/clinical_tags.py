"""Template helpers of clinical documentation."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from clinical.selectors import discharge_summary_of

register = template.Library()

_FLAG_TEXT = {"high": "▲", "low": "▼"}


@register.simple_tag
def vital_value(vitals, measure, flags):
    """Render one measure of a set of vital signs, flagged (colour, arrow and words for
    screen readers) when outside its normal range; "—" when not measured."""
    if measure == "blood_pressure":
        if vitals.systolic_bp is None:
            return "—"
        flag = flags.get("systolic_bp") or flags.get("diastolic_bp")
        value = vitals.blood_pressure
    else:
        value = getattr(vitals, measure)
        if value is None:
            return "—"
        flag = flags.get(measure)
        value = _number(value, measure)
    if not flag:
        return format_html('<span class="vital-value">{}</span>', value)
    label = _("high") if flag == "high" else _("low")
    return format_html(
        '<span class="vital-value vital-{}">{} <span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">({})</span></span>',
        flag,
        value,
        _FLAG_TEXT[flag],
        label,
    )


# Decimal places shown per measure (the others are whole numbers).
_PLACES = {"temperature_c": 1, "bmi": 1, "height_cm": 1, "weight_kg": 1}


def _number(value, measure=""):
    places = _PLACES.get(measure)
    if places is None:
        return str(value)
    text = f"{value:.2f}" if measure == "weight_kg" else f"{value:.{places}f}"
    if measure == "weight_kg" and text.endswith("0"):
        text = text[:-1]  # 70.50 → 70.5, 70.25 stays
    return text


@register.simple_tag
def discharge_summary_note(admission):
    """Return the discharge-summary note of `admission` (with its author, signer and
    number of addenda), or None. The caller shows it only with chart access."""
    return discharge_summary_of(admission)
