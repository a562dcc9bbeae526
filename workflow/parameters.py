"""System parameters of the rule engine (edited in the admin)."""

from django.utils.translation import gettext_lazy as _

from ehr.core.parameters import define

RULE_RUN_RETENTION = define(
    "rule_run_retention_days",
    label=_("Rule run log retention"),
    type="int",
    default=90,
    unit="days",
    min_value=1,
    max_value=3650,
    help_text=_(
        "The log of rule runs is deleted this long after each run; runs that matched "
        "(and acted) or failed are kept twice as long."
    ),
)
