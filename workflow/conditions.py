"""Rule conditions (JSON Logic, evaluated by datalogic-py: never `eval`) and the text
templates of rule actions (`str.format_map` over the event's fields: no attribute or
index access, unknown fields render empty)."""

import re
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


def variables(condition):
    """Return the set of field names `condition` reads (`var`, `missing`,
    `missing_some`), so a rule can be checked against its event's fields: a misspelt
    field would otherwise read as null and the rule never match."""
    names = set()

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for operator, argument in node.items():
            if operator == "var":
                name = argument[0] if isinstance(argument, list) and argument else argument
                if isinstance(name, str) and name:
                    names.add(name)
            elif operator == "missing":
                names.update(a for a in _listed(argument) if isinstance(a, str))
            elif operator == "missing_some" and isinstance(argument, list) and len(argument) > 1:
                names.update(a for a in _listed(argument[1]) if isinstance(a, str))
            walk(argument)  # nested operations (a computed field name, a default)

    walk(condition)
    return names


def _listed(value):
    return value if isinstance(value, list) else [value]


def _truthy(value):
    """JSON Logic truthiness: false, null, 0, "" and [] are false."""
    if isinstance(value, list | dict | str):
        return len(value) > 0
    return bool(value)


class _Blank(dict):
    def __missing__(self, key):
        return ""


_FORMATTER = string.Formatter()
# A format spec may pad and round ("{temperature_c:.1f}"), not make a huge string.
_SPEC = re.compile(r"^[^{}]?[<>=^]?[+ -]?#?0?\d{0,2}[,_]?(\.\d{1,2})?[bcdeEfFgGnosxX%]?$")


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
        if spec and not _SPEC.match(spec):
            spec = ""
        try:
            out.append(format(value, spec or ""))
        except (ValueError, TypeError):
            out.append(str(value))
    return "".join(out)
