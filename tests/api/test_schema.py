"""The OpenAPI schema tells clients the truth: it generates cleanly, every operation
documents the errors it can answer with their bodies, and real error answers match those
bodies."""

import io

import jsonschema_rs
import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "patch", "delete"}
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def is_authenticated(operation):
    return bool(operation.get("security")) and {} not in operation["security"]


def body_schema(response):
    return response["content"]["application/json"]["schema"]


def validator(schema, component):
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    )


def test_schema_generates_and_validates_without_warnings_or_errors():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert yaml.safe_load(out.getvalue())["paths"]


def test_every_authenticated_operation_documents_401_and_403_with_an_error_body(schema):
    for path, method, operation in operations(schema):
        if not is_authenticated(operation):
            continue
        for code in ("401", "403"):
            response = operation["responses"].get(code)
            assert response, f"{method.upper()} {path} does not document {code}"
            assert "$ref" in str(body_schema(response)), f"{method.upper()} {path} {code}"


def test_operations_that_need_no_credentials_do_not_claim_403(schema):
    open_operations = [
        (path, operation)
        for path, _, operation in operations(schema)
        if not is_authenticated(operation)
    ]
    assert {path for path, _ in open_operations} == {
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
    }
    for path, operation in open_operations:
        assert "403" not in operation["responses"], path
        assert "409" not in operation["responses"], path


def test_token_endpoints_document_401_for_a_bad_token(schema):
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"):
        response = schema["paths"][path]["post"]["responses"]["401"]
        assert body_schema(response) == {"$ref": "#/components/schemas/ErrorDetail"}


def test_every_operation_with_a_path_parameter_or_pages_documents_404(schema):
    for path, method, operation in operations(schema):
        parameters = operation.get("parameters", [])
        if any(p["in"] == "path" or p["name"] == "page" for p in parameters):
            response = operation["responses"].get("404")
            assert response, f"{method.upper()} {path} does not document 404"
            assert "content" in response


def test_every_operation_taking_input_or_writing_documents_400_with_field_errors(schema):
    for path, method, operation in operations(schema):
        takes_input = "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )
        if takes_input or method in WRITES:
            response = operation["responses"].get("400")
            assert response, f"{method.upper()} {path} does not document 400"
            assert body_schema(response) == {"$ref": "#/components/schemas/ValidationError"}


def test_every_authenticated_write_documents_409(schema):
    for path, method, operation in operations(schema):
        if method in WRITES and is_authenticated(operation):
            response = operation["responses"].get("409")
            assert response, f"{method.upper()} {path} does not document 409"
            assert "content" in response


def test_a_conflict_body_a_view_documents_is_kept(schema):
    response = schema["paths"]["/api/v1/patients"]["post"]["responses"]["409"]
    assert body_schema(response) == {"$ref": "#/components/schemas/PossibleDuplicate"}


def test_errors_documented_without_a_body_get_one_and_a_description(schema):
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    for code in ("401", "429"):
        assert body_schema(login[code]) == {"$ref": "#/components/schemas/ErrorDetail"}
        assert login[code]["description"] != "No response body"


def test_reads_without_input_document_no_400(schema):
    operation = schema["paths"]["/api/v1/auth/me"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403"}


def test_field_errors_match_the_documented_400_body(schema, client, doctor):
    client.force_login(doctor)
    response = client.post(
        "/api/v1/patients",
        {"first_name": "", "identifiers": [{"type": "x"}], "emergency_contacts": "no"},
        content_type="application/json",
    )
    assert response.status_code in (400, 403)
    validator(schema, "ValidationError").validate(response.json())


def test_domain_errors_and_not_found_match_their_documented_bodies(schema, client, doctor):
    client.force_login(doctor)
    missing = client.get("/api/v1/patients/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    validator(schema, "ErrorDetail").validate(missing.json())
    unauthenticated = client.__class__().get("/api/v1/auth/me")
    assert unauthenticated.status_code == 401
    validator(schema, "ErrorDetail").validate(unauthenticated.json())
    validator(schema, "ValidationError").validate({"detail": "Too late.", "code": "invalid"})
    validator(schema, "Conflict").validate({"detail": "Taken.", "code": "bed_occupied"})


def test_a_field_error_body_is_not_mistaken_for_a_detail(schema):
    with pytest.raises(jsonschema_rs.ValidationError):
        validator(schema, "ValidationError").validate({"first_name": 3})
    with pytest.raises(jsonschema_rs.ValidationError):
        validator(schema, "ErrorDetail").validate({"first_name": ["This field is required."]})


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/patients/0.5",
        "/api/v1/notes/null,null",
        "/api/v1/doctors/x/slots",
        "/api/v1/no-such-endpoint",
        "/api/v1/patients/a%0Ab/allergies",  # a newline in the path
    ],
)
def test_a_url_no_api_route_matches_answers_404_with_json(client, doctor, url):
    client.force_login(doctor)
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_api_url_answers_json_404_without_credentials_or_csrf_token(client):
    client = client.__class__(enforce_csrf_checks=True)
    response = client.post("/api/v1/patients/0.5/nothing", {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_catch_all_comes_after_every_api_route(client, doctor):
    client.force_login(doctor)
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get("/api/v1/doctors").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 200


def test_operations_with_parameters_document_the_web_servers_414_without_a_body(schema):
    for path, method, operation in operations(schema):
        if operation.get("parameters"):
            response = operation["responses"].get("414")
            assert response, f"{method.upper()} {path} does not document 414"
            assert "content" not in response
