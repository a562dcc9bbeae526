"""Template helpers of the inpatient pages."""

import uuid
from html import escape

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from ehr.core.templatetags.ehr_tags import icon
from inpatient.selectors import STATUS_LABELS

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


def _tile_words(context):
    """The tiles' translated words, looked up once per template rendered (a board calls
    the tag once per room)."""
    words = context.render_context.get(_tile_words)
    if words is None:
        words = context.render_context[_tile_words] = {
            "bed": escape(gettext("Bed")),
            "isolation": ISOLATION.format(escape(gettext("Isolation"))),
            "states": {value: escape(str(label)) for value, label in STATUS_LABELS.items()},
        }
    return words


@register.simple_tag(takes_context=True)
def bed_tiles(context, tiles, oob=False):
    """Render the board tiles of `tiles` (BedTile); `oob` marks them for an htmx
    out-of-band swap. The tile of `selected_bed` (context) is highlighted."""
    selected = str(context.get("selected_bed") or "")
    words = _tile_words(context)
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
                bed=words["bed"],
                number=escape(tile.number),
                state=words["states"][tile.status],
                isolation=words["isolation"] if tile.isolation else "",
                lines="".join(
                    f'<span class="{escape(css)}">{escape(str(text))}</span>'
                    for css, text in tile.lines
                ),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


ROOM_CARD = (
    '<div class="room-card"><div class="room-head">'
    '<span class="room-number">{number}</span> <span class="room-class">{room_class}</span>'
    '</div><div class="room-beds">{beds}</div></div>'
)


@register.simple_tag(takes_context=True)
def room_cards(context, rooms):
    """Render the room cards of a ward on the board (`RoomRow`s), each with its tiles,
    as one tag rather than a template loop: a ward holds up to a hundred rooms."""
    room = gettext("Room %(number)s")
    no_beds = '<p class="small text-body-secondary mb-0">{}</p>'.format(escape(gettext("No beds.")))
    return mark_safe(  # noqa: S308 - every value is escaped here or by bed_tiles
        "".join(
            ROOM_CARD.format(
                number=escape(room % {"number": row.number}),
                room_class=escape(row.room_class or ""),
                beds=bed_tiles(context, row.tiles) if row.tiles else no_beds,
            )
            for row in rooms
        )
    )


# One row of the census's day-by-day table, built here for the same reason as the tiles:
# thirty rows of six cells through the template engine cost more than the census itself.
CENSUS_DAY = (
    '<tr><th scope="row"><time datetime="{iso}">{label}</time></th>'
    '<td class="text-end">{occupied}</td><td class="text-end">{occupancy}</td>'
    '<td class="text-end">{admissions}</td><td class="text-end">{discharges}</td>'
    '<td class="text-end">{transfers}</td></tr>'
)


@register.simple_tag
def census_day_rows(days):
    """Render the rows of the census's day-by-day table, newest day first, as
    `{{ day|date:"D j M" }}` and `{{ number }}` would (the names of days and months
    translated once, not per row)."""
    weekdays = {n: str(name) for n, name in WEEKDAYS_ABBR.items()}
    months = {n: str(name).title() for n, name in MONTHS_3.items()}
    html = []
    for day in reversed(days):
        date = day.day
        html.append(
            CENSUS_DAY.format(
                iso=date.isoformat(),
                label=escape(f"{weekdays[date.weekday()]} {date.day} {months[date.month]}"),
                occupied=day.occupied_at_midnight,
                occupancy=escape(formats.localize(day.occupancy)),
                admissions=day.admissions,
                discharges=day.discharges,
                transfers=day.transfers,
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - dates and numbers, escaped where text


# One patient of a nurse's ward (the home panel), built here like the tiles: a ward holds
# dozens of patients, each with a link, a bed and the facts of every ward column.
WARD_PATIENT = (
    '<li class="list-group-item" data-testid="ward-patient">'
    '<div class="d-flex justify-content-between align-items-start gap-2">'
    '<span><span class="badge text-bg-light border me-1">{bed}</span>'
    '<a class="fw-semibold" href="{url}">{name}</a> '
    '<span class="small text-body-secondary">{age_sex}</span></span>{discharge}</div>'
    "{facts}</li>"
)
WARD_FACTS = '<div class="small"><span class="text-body-secondary">{label}:</span> {facts}</div>'
_ANY_ID = uuid.UUID(int=0)


@register.simple_tag
def ward_patient_rows(patients):
    """Render the rows of a nurse's ward panel (`WardPatient`s): bed, patient (linked to
    the admission), age and sex, a discharge order, and the facts of each column."""
    url = reverse("inpatient:admission_detail", args=[_ANY_ID]).replace(str(_ANY_ID), "{}")
    discharge = (
        '<span class="badge text-bg-warning text-nowrap">'
        f"{icon('door-open')} {escape(gettext('discharge ordered'))}</span>"
    )
    labels = {}
    html = []
    for row in patients:
        facts = []
        for column, column_facts in row.facts:
            if column.key not in labels:
                labels[column.key] = escape(str(column.label))
            facts.append(
                WARD_FACTS.format(
                    label=labels[column.key],
                    facts=", ".join(
                        '<span class="{}">{}</span>'.format(
                            "text-danger fw-semibold" if fact.alert else "", escape(fact.text)
                        )
                        for fact in column_facts
                    ),
                )
            )
        html.append(
            WARD_PATIENT.format(
                bed=escape(row.bed),
                url=escape(url.format(row.admission_id)),
                name=escape(row.name),
                age_sex=escape(row.age_sex),
                discharge=discharge if row.discharge_ordered else "",
                facts="".join(facts),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


@register.simple_tag
def choice_select(bound_field):
    """Render the <select> of a ChoiceField with flat choices as its Select widget would
    (name, attributes, id, selected options), without the form renderer's templates."""
    widget = bound_field.field.widget
    selected = {str(v) for v in widget.format_value(bound_field.value())}
    attrs = {"name": bound_field.html_name, **widget.attrs, "id": bound_field.auto_id}
    options = "".join(
        '<option value="{}"{}>{}</option>'.format(
            escape(str(value)), " selected" if str(value) in selected else "", escape(str(label))
        )
        for value, label in bound_field.field.choices
    )
    attributes = " ".join(f'{key}="{escape(str(value))}"' for key, value in attrs.items() if value)
    return mark_safe(f"<select {attributes}>{options}</select>")  # noqa: S308 - escaped
