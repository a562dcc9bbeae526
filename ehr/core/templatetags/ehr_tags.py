"""Template helpers shared by every app's templates."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def panel_body(context, panel, panel_context):
    """Render a home page panel's template with its context as `data` (as `{% include
    panel.template with data=... %}`), or the kept copy of a cached panel."""
    from ehr.core.dashboard import KeptPanel

    if isinstance(panel_context, KeptPanel):
        return panel_context.render(context)
    template = context.template.engine.get_template(panel.template)
    with context.push(data=panel_context):
        return template.render(context)


_LEVEL_CLASSES = {"info": "info", "warning": "warning", "critical": "danger"}


@register.simple_tag
def icon(name, label=""):
    """Render a Bootstrap icon; decorative unless `label` is given for screen readers."""
    if label:
        return format_html('<i class="bi bi-{}" role="img" aria-label="{}"></i>', name, label)
    return format_html('<i class="bi bi-{}" aria-hidden="true"></i>', name)


@register.filter
def level_class(level):
    """Return the Bootstrap colour name for a notification or alert level."""
    return _LEVEL_CLASSES.get(level, "secondary")


@register.filter
def message_class(tags):
    """Return the Bootstrap alert colour for a Django message's tags."""
    return {"error": "danger", "debug": "secondary"}.get(tags, tags or "info")
