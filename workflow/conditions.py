"""Rule conditions (JSON Logic, evaluated by datalogic-py: never `eval`) and the text
templates of rule actions (`str.format_map` over the event's fields: no attribute or
index access, unknown fields render empty)."""

import string

from datalogic_py import apply


class ConditionError(ValueError):
    """A condition that is not JSON Logic or cannot be evaluated."""


def evaluate(condition, payload):
    """Return True if `condition` (a JSON Logic dict; empty: always) holds for `payload`.
    Raise ConditionError if it cannot be evaluated."""
    if not isinstance(condition, dict):
        raise ConditionError("The condition must be a JSON object.")
    if not condition:
        return True
    try:
        result = apply(condition, payload)
    except Exception as exc:  # the library's errors have no common public base
        raise ConditionError(str(exc)) from exc
    return _truthy(result)


def _truthy(value):
    """JSON Logic truthiness: false, null, 0, "" and [] are false."""
    if isinstance(value, list | dict | str):
        return len(value) > 0
    return bool(value)


class _Blank(dict):
    def __missing__(self, key):
        return ""


_FORMATTER = string.Formatter()


def render(template, context):
    """Render `template` with `{field}` replaced by the field's value from `context`
    (None and unknown fields: empty). Only plain names are taken: `{a.b}`, `{a[0]}` and
    conversions render empty, so a template can reach nothing but the values given."""
    values = _Blank({k: ("" if v is None else v) for k, v in context.items()})
    out = []
    try:
        parsed = list(_FORMATTER.parse(template or ""))
    except ValueError:
        return template or ""
    for literal, field, spec, _conversion in parsed:
        out.append(literal)
        if field is None:
            continue
        if not field.isidentifier():
            continue
        value = values[field]
        try:
            out.append(format(value, spec or ""))
        except (ValueError, TypeError):
            out.append(str(value))
    return "".join(out)
