"""No server error on any input: deeply nested JSON, NUL bytes, malformed ids, incomplete
nested objects and OPTIONS everywhere answer 4xx with a reason; API errors are JSON even
under production settings. Each test reproduces an input that gave a 500 before."""

import json
import re
import uuid

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone

from ehr import urls as site_urls
from ehr.core.models import Job
from pharmacy.models import Prescription
from tests.factories.clinical import ClinicalNoteFactory, EncounterFactory
from tests.factories.core import NotificationFactory
from tests.factories.inpatient import BedFactory, admit
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import AppointmentTypeFactory, at, book, weekly_schedule
from workflow.services import task_create

pytestmark = pytest.mark.django_db

JSON = "application/json"
DEPTH = 5_000


def nested_list(depth=DEPTH):
    return "[" * depth + "]" * depth


def nested_object(depth=DEPTH):
    return '{"a":' * depth + "1" + "}" * depth


@pytest.fixture
def api(signed_in):
    """Return a function that signs `user` in (session) and returns the client."""
    return signed_in


@pytest.fixture
def patient(doctor):
    return on_care_team(PatientFactory(), doctor)


# --- 1. Deeply nested JSON ------------------------------------------------------------------


@pytest.mark.parametrize("body", [nested_list(), nested_object()], ids=["list", "object"])
def test_deeply_nested_json_answers_400_on_the_login_endpoint(client, body):
    response = client.post("/api/v1/auth/login", body, content_type=JSON)
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("body", [nested_list(), nested_object()], ids=["list", "object"])
@pytest.mark.parametrize(
    ("persona", "method", "url"),
    [
        ("receptionist", "post", "/api/v1/patients"),
        ("receptionist", "patch", "patient"),
        ("doctor", "post", "/api/v1/appointments"),
        ("doctor", "post", "/api/v1/encounters"),
        ("doctor", "post", "notes"),
    ],
)
def test_deeply_nested_json_answers_400_on_json_endpoints(
    api, request, patient, persona, method, url, body
):
    url = {
        "patient": f"/api/v1/patients/{patient.pk}",
        "notes": f"/api/v1/patients/{patient.pk}/notes",
    }.get(url, url)
    client = api(request.getfixturevalue(persona))
    response = getattr(client, method)(url, body, content_type=JSON)
    assert response.status_code == 400
    assert "nested more than 100 levels" in response.json()["detail"]


def test_json_nested_up_to_the_limit_is_parsed_as_before(api, receptionist):
    # 100 levels reach the serializer, which answers with its own field error.
    body = json.dumps({"first_name": json.loads(nested_list(99))})
    response = api(receptionist).post("/api/v1/patients", body, content_type=JSON)
    assert response.status_code == 400
    assert "first_name" in response.json()


def test_brackets_inside_json_strings_do_not_count_as_nesting(api, receptionist, patient):
    body = json.dumps({"first_name": "[" * DEPTH + '{"' * 10})
    response = api(receptionist).patch(f"/api/v1/patients/{patient.pk}", body, content_type=JSON)
    assert response.status_code == 400
    assert "first_name" in response.json()  # too long for the field, not refused as nesting


# --- 2. JSON errors under production settings ------------------------------------------------


@login_not_required
def _raise(request):
    raise RuntimeError("boom")


@login_not_required
def _bad_request(request):
    raise BadRequest("bad")


@login_not_required
def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("api/v1/test-boom", _raise),
    path("api/v1/test-bad", _bad_request),
    path("api/v1/test-forbidden", _forbidden),
    path("test-boom/", _raise),
    path("test-bad/", _bad_request),
    path("", include(site_urls)),
]
# The site's handlers (Django's own default where the site sets none).
handler400 = getattr(site_urls, "handler400", "django.views.defaults.bad_request")
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@pytest.fixture
def error_urls():
    """The site's URLs and error handlers, plus views that fail in each way."""
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        yield


def test_an_unknown_api_address_answers_json_404_with_debug_off(api, doctor):
    with override_settings(DEBUG=False):
        for url in ("/api/v1/no-such-endpoint", "/api/v2/"):  # the API's route, the handler
            response = api(doctor).get(url)
            assert response.status_code == 404
            assert response["Content-Type"] == JSON
            assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_page_still_answers_the_html_404_page(signed_in, doctor):
    with override_settings(DEBUG=False):
        response = signed_in(doctor).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()


def test_a_server_error_under_the_api_answers_json_500(client, error_urls):
    client.raise_request_exception = False
    response = client.get("/api/v1/test-boom")
    assert response.status_code == 500
    assert response["Content-Type"] == JSON
    assert response.json() == {"detail": "A server error occurred."}


def test_a_server_error_on_a_page_answers_the_html_500_page(client, error_urls):
    client.raise_request_exception = False
    response = client.get("/test-boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_a_bad_request_under_the_api_answers_json_400(client, error_urls):
    response = client.get("/api/v1/test-bad")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_a_bad_request_on_a_page_answers_the_html_400_page(client, error_urls):
    response = client.get("/test-bad/")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "could not understand" in response.content.decode()


def test_a_refusal_under_the_api_outside_drf_answers_json_403(client, error_urls):
    response = client.get("/api/v1/test-forbidden")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


# --- 3. NUL bytes -----------------------------------------------------------------------------


def test_a_nul_byte_in_a_query_parameter_answers_400(api, doctor):
    response = api(doctor).get("/api/v1/patients?search=ab%00cd")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_a_nul_byte_in_a_query_parameter_name_of_a_page_answers_400(signed_in, doctor):
    response = signed_in(doctor).get("/patients/?q%00=x")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_byte_in_a_urlencoded_form_field_answers_400(signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("scheduling:patient_search"), {"patient_q": "Ada\x00"}
    )
    assert response.status_code == 400


def test_a_nul_byte_in_a_multipart_form_field_answers_400(signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("scheduling:patient_search"),
        {"patient_q": "Ada\x00", "attachment": SimpleUploadedFile("a.bin", b"\x00\x01")},
    )
    assert response.status_code == 400


def test_a_nul_byte_in_a_json_string_answers_400(api, receptionist, patient):
    body = json.dumps({"first_name": "Ada\x00"})  # sent as the escape \u0000
    assert "\\u0000" in body
    response = api(receptionist).patch(f"/api/v1/patients/{patient.pk}", body, content_type=JSON)
    # Refused before the serializer, which would have answered with field errors.
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_a_nul_byte_in_a_json_key_answers_400(client):
    body = '{"email": "a@example.org", "password": "x", "otp\\u0000": "1"}'
    response = client.post("/api/v1/auth/login", body, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_a_nul_byte_in_a_form_encoded_api_patch_answers_400(api, receptionist, patient):
    response = api(receptionist).patch(
        f"/api/v1/patients/{patient.pk}",
        "first_name=Ada%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    patient.refresh_from_db()
    assert "\x00" not in patient.first_name


def test_an_escaped_backslash_before_u0000_is_not_a_nul_byte(api, receptionist, patient):
    body = json.dumps({"middle_name": "a\\u0000"})  # the text a\u0000, no NUL
    assert "\\\\u0000" in body
    response = api(receptionist).patch(f"/api/v1/patients/{patient.pk}", body, content_type=JSON)
    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert patient.middle_name == "a\\u0000"


def test_requests_without_nul_bytes_work_as_before(api, receptionist, patient):
    client = api(receptionist)
    assert client.get("/api/v1/patients?search=" + patient.last_name[:3]).status_code == 200
    response = client.patch(
        f"/api/v1/patients/{patient.pk}",
        json.dumps({"first_name": "Ada"}),
        content_type=JSON,
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada"


def test_a_json_body_over_the_upload_limit_answers_400(api, receptionist, patient):
    body = json.dumps({"middle_name": "a" * (3 * 1024 * 1024)})
    response = api(receptionist).patch(f"/api/v1/patients/{patient.pk}", body, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_binary_file_content_in_a_multipart_body_is_not_refused(signed_in, receptionist):
    # No page takes uploads yet; a file part with NUL bytes must still pass the check,
    # and the form fields beside it must still reach the view.
    PatientFactory(first_name="Ada", last_name="Lovelace")
    response = signed_in(receptionist).post(
        reverse("scheduling:patient_search"),
        {"patient_q": "Lovelace", "scan": SimpleUploadedFile("scan.bin", b"\x00\xff\x00" * 100)},
    )
    assert response.status_code == 200
    assert "Lovelace" in response.content.decode()


# --- 4. The booking form with malformed ids ---------------------------------------------------

# The last is a UUID but for one letter (fixed: xdist workers must collect the same ids).
MALFORMED = ["abc", "1'", "12345", "ef76b81b-51fe-44d0-889f-55c7bc82400z"]


@pytest.fixture
def booking(doctor, receptionist):
    weekly_schedule(doctor)
    start = at(1, 9)
    return {
        "doctor": str(doctor.pk),
        "date": timezone.localdate(start).isoformat(),
        "slot": f"{doctor.pk}|{timezone.localtime(start).isoformat()}",
        "patient": str(PatientFactory().pk),
        "appointment_type": str(AppointmentTypeFactory().pk),
        "reason": "Check-up",
        "step": "book",
    }


@pytest.mark.parametrize("bad", MALFORMED)
@pytest.mark.parametrize("field", ["patient", "appointment_type", "specialty", "doctor"])
def test_the_booking_form_with_a_malformed_id_shows_a_field_error(
    signed_in, receptionist, booking, field, bad
):
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_create"), {**booking, field: bad}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]


@pytest.mark.parametrize("bad", MALFORMED)
@pytest.mark.parametrize("field", ["patient", "appointment_type", "specialty", "doctor"])
def test_the_booking_address_with_a_malformed_id_does_not_fail(signed_in, receptionist, field, bad):
    url = reverse("scheduling:appointment_create") + f"?{field}={bad}"
    response = signed_in(receptionist).get(url)
    assert response.status_code in {200, 404}


@pytest.mark.parametrize("field", ["patient", "appointment_type", "specialty", "doctor"])
def test_the_booking_form_with_an_unknown_id_shows_a_field_error(
    signed_in, receptionist, booking, field
):
    response = signed_in(receptionist).post(
        reverse("scheduling:appointment_create"), {**booking, field: str(uuid.uuid4())}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]


def test_an_unknown_appointment_in_the_address_is_not_found(signed_in, receptionist):
    for name in ("appointment_detail", "appointment_reschedule"):
        url = reverse(f"scheduling:{name}", args=[uuid.uuid4()])
        assert signed_in(receptionist).get(url).status_code == 404


# --- 5. Incomplete nested objects in PATCH /api/v1/patients/{id} ------------------------------

CONTACT = {"name": "Grace Hopper", "relationship": "sister", "phone": "+1 202 555 0143"}
IDENTIFIER = {"type": "passport", "value": "X1234567"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("emergency_contacts", [{"name": "Grace Hopper"}]),
        ("emergency_contacts", [{"name": "Grace Hopper", "relationship": "sister"}]),
        ("emergency_contacts", [{}]),
        ("emergency_contacts", [None]),
        ("emergency_contacts", ["Grace"]),
        ("emergency_contacts", "Grace"),
        ("emergency_contacts", None),
        ("emergency_contacts", {"name": "Grace"}),
        ("emergency_contacts", [{**CONTACT, "phone": None}]),
        ("emergency_contacts", [{**CONTACT, "name": ["Grace"]}]),
        ("emergency_contacts", [{**CONTACT, "phone": "not a phone"}]),
        ("identifiers", [{"type": "passport"}]),
        ("identifiers", [{"value": "X1234567"}]),
        ("identifiers", [{}]),
        ("identifiers", [None]),
        ("identifiers", ["passport"]),
        ("identifiers", "passport"),
        ("identifiers", None),
        ("identifiers", [{"type": "passport", "value": None}]),
        ("identifiers", [{"type": ["passport"], "value": "X1"}]),
        ("identifiers", [{"type": "passport", "value": {"a": 1}}]),
        ("identifiers", [IDENTIFIER, {"type": "passport"}]),
    ],
)
def test_patching_a_patient_with_incomplete_nested_objects_answers_400(
    api, receptionist, patient, field, value
):
    response = api(receptionist).patch(
        f"/api/v1/patients/{patient.pk}", json.dumps({field: value}), content_type=JSON
    )
    assert response.status_code == 400
    assert field in response.json()


def test_patching_a_patient_with_complete_nested_objects_replaces_them(api, receptionist, patient):
    response = api(receptionist).patch(
        f"/api/v1/patients/{patient.pk}",
        json.dumps({"emergency_contacts": [CONTACT], "identifiers": [IDENTIFIER]}),
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["identifiers"] == [IDENTIFIER]
    assert response.json()["emergency_contacts"][0]["relationship"] == "sister"


# --- 6. OPTIONS on every API endpoint ---------------------------------------------------------


def _api_routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry.url_patterns, route)
        elif (
            isinstance(entry, URLPattern)
            and route.startswith("api/")
            and entry.name != "not_found"  # the catch-all for unknown addresses
        ):
            yield route


@pytest.fixture
def objects(doctor):
    """One real object of each kind an API address names, reachable by the doctor."""
    patient = on_care_team(PatientFactory(), doctor)
    weekly_schedule(doctor)
    bed = BedFactory()
    return {
        "patient": patient,
        "note": ClinicalNoteFactory(patient=patient, author=doctor),
        "encounter": EncounterFactory(patient=patient, doctor=doctor),
        "doctor": doctor,
        "notification": NotificationFactory(recipient=doctor),
        "job": Job.objects.create(name="patients.jobs.access_log_export", requested_by=doctor),
        "ward": bed.room.ward,
        "bed": bed,
        "admission": admit(PatientFactory(), BedFactory(), doctor),
        "appointment": book(patient, doctor, at(1, 10)),
        "task": task_create(title="Call the lab", assignee_user=doctor, actor=doctor),
        "prescription": Prescription.objects.create(patient=patient, prescriber=doctor),
    }


def _concrete(route, objects):
    """Turn a URL pattern into an address with real ids: `<uuid:patient_id>` takes the
    patient's, any other id (`<uuid:pk>`, the router's `(?P<pk>...)`) the id of the object
    the address is about (its first segment)."""
    route = route.replace("^", "").replace("$", "")
    noun = re.match(r"api/v1/([a-z]+)", route).group(1).removesuffix("s")

    def substitute(match):
        kind = "patient" if match.group("name") == "patient_id" else noun
        # OPTIONS describes an endpoint without reading its object: an address about a
        # kind the fixture does not make (a lab order, a critical alert) takes a new id.
        return str(objects[kind].pk) if kind in objects else str(uuid.uuid4())

    return "/" + re.sub(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<\w+>[^)]*\)", substitute, route)


@pytest.mark.parametrize("persona", ["doctor", "receptionist"])
def test_options_on_every_api_endpoint_answers_200_or_405(client, request, objects, persona):
    client.force_login(
        request.getfixturevalue(persona), backend="django.contrib.auth.backends.ModelBackend"
    )
    client.raise_request_exception = False  # a 500 is listed below, with its address
    routes = sorted(set(_api_routes()))
    assert len(routes) > 30
    answers = {}
    for route in routes:
        url = _concrete(route, objects)
        response = client.options(url)
        answers[url] = response.status_code
    failing = {url: code for url, code in answers.items() if code not in {200, 405}}
    assert not failing, failing


def test_options_lists_only_the_writes_the_role_permits(api, doctor, receptionist, patient):
    url = f"/api/v1/patients/{patient.pk}/notes"
    assert "POST" in api(doctor).options(url).json()["actions"]
    answer = api(receptionist).options(url)
    assert answer.status_code == 200
    assert "actions" not in answer.json()  # no note fields for a role that cannot write one


def test_options_stays_denied_to_portal_patients(api, portal_patient, patient):
    for url in ("/api/v1/patients", f"/api/v1/patients/{patient.pk}/notes"):
        assert api(portal_patient).options(url).status_code == 403


def test_options_on_a_viewset_lists_the_writes_its_actions_permit(api, receptionist, nurse):
    # A viewset answers OPTIONS as the "metadata" action; the POST it lists is checked as
    # the action POST maps to ("create"), so a role that may register patients sees it.
    assert "POST" in api(receptionist).options("/api/v1/patients").json()["actions"]
    answer = api(nurse).options("/api/v1/patients")
    assert answer.status_code == 200
    assert "POST" not in answer.json().get("actions", {})
