"""System parameters of chart access (edited in the admin)."""

from django.utils.translation import gettext_lazy as _

from ehr.core.parameters import define

CHART_PREP_HOURS = define(
    "chart_prep_hours",
    label=_("Chart preparation time"),
    type="int",
    default=24,
    unit="hours",
    min_value=0,
    max_value=24 * 7,
    help_text=_(
        "How long before an appointment its doctor may open the patient's chart to prepare."
    ),
)
RELATIONSHIP_FOLLOWUP_DAYS = define(
    "relationship_followup_days",
    label=_("Follow-up access after care"),
    type="int",
    default=30,
    unit="days",
    min_value=0,
    max_value=365,
    help_text=_(
        "How long after a completed appointment, a finished encounter or a discharge the "
        "clinicians of that care may still open the chart (results, letters, follow-up)."
    ),
)
