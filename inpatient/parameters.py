"""System parameters of inpatient ADT (edited in the admin)."""

from django.utils.translation import gettext_lazy as _

from ehr.core.parameters import define

BED_RESERVATION_HOURS = define(
    "bed_reservation_hours",
    label=_("Bed reservation length"),
    type="int",
    default=4,
    unit="hours",
    min_value=1,
    max_value=72,
    help_text=_(
        "How long a bed reserved from the bed board (or the API) stays reserved when no end "
        "is given. An expired reservation counts as an available bed."
    ),
)
