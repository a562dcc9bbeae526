"""`ehr.core.api.permissions.RolePermission`, the one role gate of the API: what a
request needs comes from the view's `get_required_permissions(request)`, its
`required_permissions` (by viewset action, or by HTTP method on an APIView; unlisted is
refused), or else the model permissions of its queryset (`perms_map`).

Small DRF views, served by this module's own URLconf, with the project's default
permission class (RolePermission) and users holding exactly the permissions a case needs.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import include, path
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts import roles
from ehr.core.api.permissions import RolePermission, is_staff_options_request
from ehr.core.models import Hospital

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

READ = "patients.view_patient"
WRITE = "patients.change_patient"
ADD = "patients.add_patient"


class ThingViewSet(viewsets.ViewSet):
    """Declares by action: list and create, and the `archive` action; retrieve and
    destroy are not listed."""

    required_permissions = {"list": [READ], "create": [ADD], "archive": [READ, WRITE]}

    def list(self, request):
        return Response(["thing"])

    def create(self, request):
        return Response({"created": True}, status=201)

    def retrieve(self, request, pk=None):
        return Response({"id": pk})

    def destroy(self, request, pk=None):
        return Response(status=204)

    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return Response({"archived": pk})


class MethodView(APIView):
    """Declares by HTTP method: GET and POST; PUT and DELETE are not listed."""

    required_permissions = {"GET": [READ], "POST": [WRITE]}

    def get(self, request):
        return Response({"read": True})

    def post(self, request):
        return Response({"written": True})

    def put(self, request):
        return Response({"replaced": True})

    def delete(self, request):
        return Response(status=204)


class RequestDependentView(APIView):
    """Needs less to mark something seen than to change it; an unknown change is
    refused (None)."""

    def get_required_permissions(self, request):
        change = request.data.get("change")
        if change == "seen":
            return [READ]
        if change == "edit":
            return [READ, WRITE]
        return None

    def post(self, request):
        return Response({"changed": request.data.get("change")})


class HospitalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hospital
        fields = ["id", "name"]


class HospitalListView(generics.ListCreateAPIView):
    """Declares nothing: the model permissions of core.Hospital apply."""

    queryset = Hospital.objects.all()
    serializer_class = HospitalSerializer
    pagination_class = None

    def create(self, request, *args, **kwargs):
        return Response({"created": True}, status=201)  # nothing is saved


class HospitalDetailView(generics.RetrieveAPIView):
    """The object gate: found through the queryset, then checked with the same
    permissions (a role-wide one passes)."""

    queryset = Hospital.objects.all()
    serializer_class = HospitalSerializer
    required_permissions = {"GET": ["core.view_hospital"]}


router = SimpleRouter(trailing_slash=False)
router.register("things", ThingViewSet, basename="thing")

urlpatterns = [
    path("", include(router.urls)),
    path("method", MethodView.as_view()),
    path("depends", RequestDependentView.as_view()),
    path("hospitals", HospitalListView.as_view()),
    path("hospitals/<uuid:pk>", HospitalDetailView.as_view()),
]


def grant(user, *perms):
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def as_user(make_user):
    """Return an API client for a user of `role` (by default a lab technician, whose
    role holds nothing these views ask but core.view_hospital) with `perms` added."""

    def client_for(*perms, role=roles.LAB_TECHNICIAN):
        user = grant(make_user(*([role] if role else [])), *perms)
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


# --- By viewset action ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "perms", "status"),
    [
        ("get", "/things", [READ], 200),
        ("get", "/things", [], 403),
        ("get", "/things", [WRITE, ADD], 403),
        ("post", "/things", [ADD], 201),
        ("post", "/things", [READ], 403),
        ("post", "/things/1/archive", [READ, WRITE], 200),
        ("post", "/things/1/archive", [READ], 403),  # every listed permission is needed
        ("head", "/things", [READ], 200),  # HEAD is the GET action (list)
        ("head", "/things", [], 403),
    ],
)
def test_a_viewset_action_needs_the_permissions_listed_for_it(as_user, method, url, perms, status):
    response = getattr(as_user(*perms), method)(url)
    assert response.status_code == status


@pytest.mark.parametrize(("method", "url"), [("get", "/things/1"), ("delete", "/things/1")])
def test_an_action_not_listed_is_refused_even_with_every_permission(as_user, method, url):
    client = as_user(READ, WRITE, ADD, role=roles.ADMINISTRATOR)
    assert getattr(client, method)(url).status_code == 403


# --- By HTTP method ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "perms", "status"),
    [
        ("get", [READ], 200),
        ("get", [WRITE], 403),
        ("head", [READ], 200),
        ("head", [WRITE], 403),
        ("post", [WRITE], 200),
        ("post", [READ], 403),
        ("put", [READ, WRITE, ADD], 403),  # not listed
        ("delete", [READ, WRITE, ADD], 403),  # not listed
    ],
)
def test_an_apiview_method_needs_the_permissions_listed_for_it(as_user, method, perms, status):
    assert getattr(as_user(*perms), method)("/method").status_code == status


# --- OPTIONS --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/things", "/things/1", "/method", "/depends", "/hospitals"])
def test_staff_may_always_ask_options(as_user, url):
    assert as_user().options(url).status_code == 200


def test_options_lists_only_the_writes_the_role_permits(as_user):
    assert "actions" not in as_user().options("/hospitals").json()
    allowed = as_user("core.add_hospital").options("/hospitals").json()
    assert set(allowed["actions"]) == {"POST"}


@pytest.mark.parametrize("url", ["/things", "/method", "/hospitals"])
def test_options_stays_closed_to_portal_patients_and_strangers(make_user, url):
    patient = APIClient()
    patient.force_authenticate(make_user(roles.PATIENT))
    assert patient.options(url).status_code == 403
    assert APIClient().options(url).status_code == 401


def test_options_by_others_goes_through_the_normal_gate(make_user):
    # Not the staff pass: an OPTIONS of a declared view is unlisted; perms_map asks the
    # model's view permission.
    client = APIClient()
    client.force_authenticate(grant(make_user(roles.PATIENT), READ, "core.view_hospital"))
    assert client.options("/method").status_code == 403
    assert client.options("/hospitals").status_code == 200


def test_is_staff_options_request_needs_options_and_an_active_staff_user(rf, make_user):
    staff = make_user(roles.NURSE)
    request = rf.options("/")
    request.user = staff
    assert is_staff_options_request(request)
    request.user = make_user(roles.NURSE, is_active=False)
    assert not is_staff_options_request(request)
    request.user = None
    assert not is_staff_options_request(request)
    get = rf.get("/")
    get.user = staff
    assert not is_staff_options_request(get)


# --- get_required_permissions(request) -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "perms", "status"),
    [
        ("seen", [READ], 200),
        ("seen", [], 403),
        ("edit", [READ], 403),
        ("edit", [READ, WRITE], 200),
        ("unknown", [READ, WRITE, ADD], 403),  # None: refused
    ],
)
def test_get_required_permissions_decides_from_the_request(as_user, change, perms, status):
    response = as_user(*perms).post("/depends", {"change": change}, format="json")
    assert response.status_code == status


# --- perms_map fallback ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "perms", "status"),
    [
        ("get", ["core.view_hospital"], 200),
        ("get", [], 403),  # reads need the view permission too
        ("post", ["core.add_hospital"], 201),
        ("post", ["core.view_hospital", "core.change_hospital"], 403),
    ],
)
def test_without_a_declaration_the_models_permissions_apply(as_user, method, perms, status):
    client = as_user(*perms, role=None)  # no role: every staff role reads hospitals
    response = getattr(client, method)("/hospitals", {"name": "St. Elsewhere"})
    assert response.status_code == status


def test_the_object_gate_accepts_the_role_wide_permission(as_user):
    hospital = Hospital.objects.create(name="St. Elsewhere")
    response = as_user("core.view_hospital").get(f"/hospitals/{hospital.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "St. Elsewhere"


# --- Signed-in, active ----------------------------------------------------------------------


def test_a_stranger_is_asked_to_authenticate(as_user):
    assert APIClient().get("/things").status_code == 401


def test_an_inactive_user_is_refused_whatever_he_holds(make_user):
    client = APIClient()
    client.force_authenticate(grant(make_user(roles.DOCTOR, is_active=False), READ))
    assert client.get("/things").status_code == 403


def test_the_default_permission_class_is_the_role_gate():
    assert ThingViewSet.permission_classes == [RolePermission]
