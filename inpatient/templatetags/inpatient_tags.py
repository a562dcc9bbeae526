"""Template helpers of the inpatient pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

# The markup of one bed on the board. It is built here rather than in a template because
# a board holds up to hundreds of beds: through the template engine 500 tiles took about
# 200 ms, here a few. Every value goes through html.escape (quotes included).
TILE = (
    '<a id="bed-{id}" data-bed="{id}" class="bed-tile {css}{selected}" href="{url}" '
    'hx-get="{url}" hx-target="#bed-panel" hx-swap="outerHTML"{oob}>'
    '<span class="bed-head">'
    '<span class="bed-number"><span class="visually-hidden">{bed} </span>{number}</span>'
    '<span class="bed-state">{state}</span>{isolation}</span>{lines}</a>'
)
ISOLATION = (
    '<i class="bi bi-shield-fill-exclamation bed-isolation" role="img" aria-label="{0}" '
    'title="{0}"></i>'
)


@register.simple_tag(takes_context=True)
def bed_tiles(context, tiles, oob=False):
    """Render the board tiles of `tiles` (BedTile); `oob` marks them for an htmx
    out-of-band swap. The tile of `selected_bed` (context) is highlighted."""
    selected = str(context.get("selected_bed") or "")
    bed = escape(gettext("Bed"))
    isolation = ISOLATION.format(escape(gettext("Isolation")))
    oob_attribute = ' hx-swap-oob="true"' if oob else ""
    html = []
    for tile in tiles:
        html.append(
            TILE.format(
                id=escape(tile.id),
                css=escape(tile.css),
                selected=" is-selected" if tile.id == selected else "",
                url=escape(tile.url),
                oob=oob_attribute,
                bed=bed,
                number=escape(tile.number),
                state=escape(str(tile.status_label)),
                isolation=isolation if tile.isolation else "",
                lines="".join(
                    f'<span class="{escape(css)}">{escape(str(text))}</span>'
                    for css, text in tile.lines
                ),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped
