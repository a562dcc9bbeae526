"""Typed system parameters: defined in code, stored in `SystemParameter`, edited in the admin.

Apps define their parameters at import time with `define()`; code reads them with
`get("key")`, which returns a value of the definition's type. Values are cached per
process for `CACHE_SECONDS`, so an edit in the admin takes effect within that time on
every worker without a query per read.
"""

import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from threading import Lock

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CACHE_SECONDS = 30

REGISTRY: dict[str, "Parameter"] = {}

_TYPES = {"int": int, "decimal": Decimal, "str": str, "bool": bool}


@dataclass(frozen=True)
class Parameter:
    """The definition of one system parameter: its key, type, default and bounds."""

    key: str
    label: str
    type: str
    default: object
    help_text: str = ""
    unit: str = ""
    min_value: object = None
    max_value: object = None

    def clean(self, raw):
        """Return `raw` converted to this parameter's type, or raise ValidationError."""
        try:
            if self.type == "bool":
                truthy = ("1", "true", "yes", "on")
                value = raw if isinstance(raw, bool) else str(raw).lower() in truthy
            elif self.type == "int":
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError
                value = int(str(raw).strip())
            elif self.type == "decimal":
                value = Decimal(str(raw).strip())
                if not value.is_finite():
                    raise ValueError
            else:
                value = str(raw).strip()
        except (TypeError, ValueError, InvalidOperation):
            raise ValidationError(
                _("Enter a valid %(type)s value.") % {"type": self.type_label}, code="invalid"
            ) from None
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                _("The smallest allowed value is %(min)s.") % {"min": self.min_value},
                code="min_value",
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                _("The largest allowed value is %(max)s.") % {"max": self.max_value},
                code="max_value",
            )
        return value

    def to_json(self, value):
        """Return `value` as stored in the JSON column."""
        return str(value) if self.type == "decimal" else value

    @property
    def type_label(self):
        """Return a human name for this parameter's type."""
        return {"int": "whole number", "decimal": "number", "str": "text", "bool": "yes/no"}[
            self.type
        ]


def define(key, *, label, type, default, help_text="", unit="", min_value=None, max_value=None):
    """Register a system parameter and return its definition."""
    if type not in _TYPES:
        raise ValueError(f"Unknown parameter type {type!r}")
    if key in REGISTRY:
        raise ValueError(f"System parameter {key!r} is defined twice")
    parameter = Parameter(key, label, type, default, help_text, unit, min_value, max_value)
    parameter.clean(default)
    REGISTRY[key] = parameter
    return parameter


_cache: dict[str, object] = {}
_cache_loaded_at = 0.0
_lock = Lock()


def get(key):
    """Return the current value of system parameter `key`, typed by its definition."""
    global _cache, _cache_loaded_at
    definition = REGISTRY[key]
    if time.monotonic() - _cache_loaded_at > CACHE_SECONDS:
        from ehr.core.models import SystemParameter

        values = dict(SystemParameter.objects.values_list("key", "value"))
        with _lock:
            _cache, _cache_loaded_at = values, time.monotonic()
    if key not in _cache:
        return definition.default
    try:
        return definition.clean(_cache[key])
    except ValidationError:
        return definition.default


def invalidate():
    """Forget the cached values in this process (called after an edit)."""
    global _cache_loaded_at
    _cache_loaded_at = 0.0


def ensure_rows(**kwargs):
    """Create a stored row, holding the default, for every defined parameter that has none."""
    from ehr.core.models import SystemParameter

    existing = set(SystemParameter.objects.values_list("key", flat=True))
    for key, definition in REGISTRY.items():
        if key not in existing:
            SystemParameter.objects.create(key=key, value=definition.to_json(definition.default))
    invalidate()


# The kernel's own parameters. Other apps define theirs in their `parameters.py`,
# imported from their AppConfig.ready().
STAFF_IDLE_TIMEOUT = define(
    "staff_idle_timeout",
    label=_("Staff idle timeout"),
    type="int",
    default=15,
    unit="minutes",
    min_value=1,
    max_value=720,
    help_text=_("A staff session with no activity for this long is signed out."),
)
PORTAL_IDLE_TIMEOUT = define(
    "portal_idle_timeout",
    label=_("Portal idle timeout"),
    type="int",
    default=30,
    unit="minutes",
    min_value=1,
    max_value=720,
    help_text=_("A patient portal session with no activity for this long is signed out."),
)
BREAK_GLASS_DURATION = define(
    "break_glass_duration",
    label=_("Break-the-glass duration"),
    type="int",
    default=240,
    unit="minutes",
    min_value=5,
    max_value=24 * 60,
    help_text=_("How long emergency access to a chart outside one's care team lasts."),
)
MRN_PREFIX = define(
    "mrn_prefix",
    label=_("MRN prefix"),
    type="str",
    default="MRN",
    help_text=_("Shown in front of every medical record number."),
)
REMINDER_LEAD_TIME = define(
    "reminder_lead_time",
    label=_("Appointment reminder lead time"),
    type="int",
    default=24,
    unit="hours",
    min_value=1,
    max_value=24 * 14,
    help_text=_("How long before an appointment its reminder is sent."),
)
JOB_RETENTION = define(
    "job_retention_days",
    label=_("Background job retention"),
    type="int",
    default=30,
    unit="days",
    min_value=1,
    max_value=3650,
    help_text=_(
        "Finished background jobs (their records, results and the queue's rows) are "
        "deleted this long after they finish. Failed ones are kept twice as long."
    ),
)
