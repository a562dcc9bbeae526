"""The API schema tells clients the truth about errors.

drf-spectacular documents the answers a view declares, usually only its success. Every
API view can also answer with errors its code never names: DRF's authentication (401) and
permission checks (403), object lookups and invalid pages (404), serializer validation and
domain rules (400, `ehr.core.api.exceptions`), conflicts with a record's state (409),
throttling (429), and the web server's own limit on the request line (414).
`add_error_responses`, a postprocessing hook, adds those answers with their bodies to each
operation, from what the operation can do. Responses a view already documents keep their
description (and their body, when they give one).
"""

from rest_framework_simplejwt.views import TokenViewBase

# drf-spectacular's description of a response documented as None.
NO_BODY = "No response body"
WRITE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

_STRINGS = {"type": "array", "items": {"type": "string"}}

# The bodies of error answers, as components. An error is either `{detail, code}` (DRF's
# own errors, domain errors without fields) or field errors (DRF's serializers and
# Django's ValidationError with a dict, see ehr.core.api.exceptions).
ERROR_COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "description": "An error about the whole request: a message and, mostly, a "
        "machine-readable `code` (e.g. `not_authenticated`, `permission_denied`, "
        "`not_found`, `token_not_valid`, or a domain code such as `doctor_double_booked`).",
        "properties": {
            "detail": {"type": "string", "description": "A message for people."},
            "code": {"type": "string", "description": "A stable code for programs."},
        },
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "Errors by field: each field names a list of messages. Errors of "
        "nested objects are nested the same way (a list of such objects for a list of "
        "objects, one per item); `non_field_errors` holds errors about several fields.",
        "properties": {"non_field_errors": _STRINGS},
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
                {"type": "object"},
            ]
        },
    },
    "ValidationError": {
        "description": "The request is not valid: field errors, or `{detail, code}` for a "
        "rule about the request as a whole.",
        "anyOf": [
            {"$ref": "#/components/schemas/FieldErrors"},
            {"$ref": "#/components/schemas/ErrorDetail"},
        ],
    },
    "Conflict": {
        "description": "The record's state does not allow this (`code` names the rule, "
        "e.g. `invalid_transition`, `doctor_double_booked`, `bed_occupied`); some codes "
        "add details, as `candidates` for `possible_duplicate`.",
        "allOf": [{"$ref": "#/components/schemas/ErrorDetail"}],
    },
}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


# status: (component, description when the view documents nothing)
ERRORS = {
    "400": ("ValidationError", "The request is not valid (field errors or `{detail, code}`)."),
    "401": (
        "ErrorDetail",
        "Not authenticated: the `Authorization: Bearer <access>` header (or the token or "
        "credentials sent) is missing, invalid or expired.",
    ),
    "403": ("ErrorDetail", "Your role or your relation to the record does not allow this."),
    "404": ("ErrorDetail", "No such record within your scope, or no such page."),
    "409": ("Conflict", "The record's state does not allow this."),
    "414": (
        None,
        "The path and query string are longer than the web server takes (gunicorn: 4 KiB; "
        "Nginx: 8 KiB): answered by the server in front of the API, without a JSON body.",
    ),
    "429": ("ErrorDetail", "Too many requests: try again later."),
}


def add_error_responses(result, generator, request, public):
    """Add to every operation the error answers it can give, with their bodies:
    401 and 403 where it needs credentials; 404 where it looks up a record by a path
    parameter or pages a list; 400 where it takes a body, query parameters or writes;
    414 (from the web server, no body) where it takes parameters; 409 where an
    authenticated client writes; 429 where it is throttled."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_COMPONENTS)
    views = _views_by_operation(generator)
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            statuses = _error_statuses(method, operation, views.get((path, method)))
            responses = operation.setdefault("responses", {})
            # A view may document an error without a body (`400: None`): give it one.
            statuses |= {code for code in ERRORS if code in responses}
            for code in sorted(statuses):
                component, description = ERRORS[code]
                response = responses.setdefault(code, {"description": description})
                if response.get("description", "") in ("", NO_BODY):
                    response["description"] = description
                if component is not None:
                    response.setdefault(
                        "content", {"application/json": {"schema": _ref(component)}}
                    )
    return result


def _error_statuses(method, operation, view):
    parameters = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in parameters)
    in_query = [p["name"] for p in parameters if p.get("in") == "query"]
    # `[{}]` (or no security) means the operation answers without credentials.
    authenticated = bool(operation.get("security")) and {} not in operation["security"]
    writes = method in WRITE_METHODS

    statuses = set()
    if authenticated:
        statuses |= {"401", "403"}
    if in_path or "page" in in_query:  # DRF's pagination answers 404 for a page past the end
        statuses.add("404")
    if "requestBody" in operation or in_query or writes:
        statuses.add("400")
    if in_path or in_query:  # values long enough to overflow the request line
        statuses.add("414")
    if writes and authenticated:
        statuses.add("409")
    if isinstance(view, TokenViewBase):  # refresh and logout: a bad token in the body
        statuses.add("401")
    if view is not None and view.get_throttles():
        statuses.add("429")
    return statuses


def _views_by_operation(generator):
    """Return a view for each operation, by (path, lower-case method), made as the
    generator makes them."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        views[generator.coerce_path(path, method, view), method.lower()] = view
    return views
