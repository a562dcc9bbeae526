"""System parameters of the laboratory."""

from django.utils.translation import gettext_lazy as _

from ehr.core.parameters import define

CRITICAL_RESULT_ESCALATION = define(
    "critical_result_escalation",
    label=_("Critical result escalation"),
    type="int",
    default=30,
    unit="minutes",
    min_value=1,
    max_value=24 * 60,
    help_text=_(
        "How long a critical result may stay unacknowledged before it escalates to the "
        "next people (attending and care-team doctors, then administrators)."
    ),
)
UPLOAD_MAX_MB = define(
    "upload_max_mb",
    label=_("Largest upload"),
    type="int",
    default=10,
    unit="MB",
    min_value=1,
    max_value=500,
    help_text=_("The largest document or image file a user may upload."),
)
TARGET_MINUTES = {
    priority: define(
        f"lab_target_{priority}_minutes",
        label=label,
        type="int",
        default=default,
        unit="minutes",
        min_value=5,
        max_value=7 * 24 * 60,
        help_text=_("Ordered to verified: an order of this priority older than this is late."),
    )
    for priority, label, default in (
        ("stat", _("Turnaround target, stat orders"), 60),
        ("urgent", _("Turnaround target, urgent orders"), 240),
        ("routine", _("Turnaround target, routine orders"), 24 * 60),
    )
}
