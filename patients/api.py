"""API v1 for patients: list and search, registration with the duplicate check,
demographics, deactivation, field history, the care team, break-the-glass and the
access log. Same gates as the pages: the role permission (`RolePermission`, declared per
action), then the patient through the one selector (out of scope: 404); every read of a
chart is logged with channel "api". Other records are named by nested references
(`PatientReferenceSerializer`, `UserReferenceSerializer`).
"""

import datetime
import uuid
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import active_clinicians
from ehr.core.api.pagination import PageNumberPagination
from ehr.core.api.parsers import DepthLimitedJSONParser
from ehr.core.api.permissions import RolePermission
from ehr.core.pagination import NextPagePagination
from patients import services
from patients.access import (
    PatientReferenceSerializer,
    UserReferenceSerializer,
    log_demographic_read,
)
from patients.exceptions import PossibleDuplicatePatient
from patients.models import (
    BreakGlassReason,
    ChartAccess,
    IdentifierType,
    Patient,
    Sex,
)
from patients.selectors import (
    care_team_for,
    patient_get,
    patient_list_for_user,
    patient_list_search,
)

API = ChartAccess.Channel.API


# --- Serializers ------------------------------------------------------------------------------


class E164PhoneNumberField(PhoneNumberField):
    """A phone number: any usual notation in (the site's region by default), E.164 out."""

    def to_representation(self, value):
        if not value:
            return ""
        if isinstance(value, PhoneNumber) and value.is_valid():
            return value.as_e164
        return str(value)


class WholeItemsListSerializer(serializers.ListSerializer):
    """A list that replaces the stored list: each item is validated whole, even in a
    PATCH. (DRF lets a partial update skip the required fields of nested serializers
    too, so `[{"name": "Ada"}]` would reach the service without its other keys.)"""

    def run_child_validation(self, data):
        child = self.child.__class__(data=data, context=self.context)
        child.is_valid(raise_exception=True)
        return child.validated_data


class IdentifierSerializer(serializers.Serializer):
    # Not a ModelSerializer: its unique-together validator would refuse re-sending a
    # patient's own identifiers on update; the service enforces uniqueness (409).
    type = serializers.ChoiceField(choices=IdentifierType.choices)
    value = serializers.CharField(max_length=64)

    class Meta:
        list_serializer_class = WholeItemsListSerializer


class EmergencyContactSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    relationship = serializers.CharField(max_length=50)
    phone = E164PhoneNumberField()

    class Meta:
        list_serializer_class = WholeItemsListSerializer


class PatientSerializer(serializers.ModelSerializer):
    """A patient's demographics, identifiers and emergency contacts. `identifiers` and
    `emergency_contacts`, when sent, replace the patient's lists; omitted, they stay."""

    display_mrn = serializers.CharField(read_only=True, help_text="The MRN with the prefix.")
    merged_into = PatientReferenceSerializer(
        read_only=True,
        allow_null=True,
        help_text="The surviving record this one was merged into, or null.",
    )
    phone = E164PhoneNumberField(required=False, allow_blank=True)
    identifiers = IdentifierSerializer(many=True, required=False)
    emergency_contacts = EmergencyContactSerializer(many=True, required=False)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "display_mrn",
            *services.DEMOGRAPHIC_FIELDS,
            "is_deceased",
            "deceased_on",
            "is_active",
            "merged_into",
            "identifiers",
            "emergency_contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "mrn",
            "is_deceased",
            "deceased_on",
            "is_active",
            "created_at",
            "updated_at",
        ]

    def validate_identifiers(self, value):
        keys = [(item["type"], item["value"]) for item in value]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError(_("An identifier is listed twice."))
        return value


class PatientCreateSerializer(PatientSerializer):
    allow_duplicate = serializers.BooleanField(
        write_only=True,
        default=False,
        help_text="Register even though possible duplicates were found (after checking "
        "the `candidates` of a 409 answer).",
    )

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "allow_duplicate"]


class PatientListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Name (prefix or sound-alike), MRN, phone, email, date of birth, or "
        "several of these separated by spaces (every term must match).",
    )
    active = serializers.ChoiceField(
        choices=["true", "false", "all"],
        default="true",
        help_text="Active records only (default), inactive ones only, or all.",
    )
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)


class DuplicateCandidateSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="patient.id")
    mrn = serializers.CharField(source="patient.mrn")
    display_mrn = serializers.CharField(source="patient.display_mrn")
    first_name = serializers.CharField(source="patient.first_name")
    last_name = serializers.CharField(source="patient.last_name")
    date_of_birth = serializers.DateField(source="patient.date_of_birth")
    sex = serializers.CharField(source="patient.sex")
    score = serializers.IntegerField()
    matched = serializers.ListField(child=serializers.CharField())


class PossibleDuplicateSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    candidates = DuplicateCandidateSerializer(many=True)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = UserReferenceSerializer(allow_null=True)
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    changes = FieldChangeSerializer(many=True)


class CareTeamUserSerializer(UserReferenceSerializer):
    roles = serializers.SerializerMethodField()

    def get_roles(self, user) -> list[str]:
        # From the prefetched groups (User.role_names would query once per member).
        return sorted(group.name for group in user.groups.all())


class CareTeamMemberSerializer(serializers.Serializer):
    user = CareTeamUserSerializer()
    reason = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    added_by = UserReferenceSerializer(
        source="created_by",
        allow_null=True,
        help_text="Who added the member (null: the system, e.g. a break-the-glass grant "
        "or a data load).",
    )


class CareTeamChangeSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=active_clinicians(), help_text="An active doctor or nurse."
    )


class CareTeamRemovalSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text="The member to take off the care team."
    )


class BreakGlassRequestSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=BreakGlassReason.choices, help_text="Why you need this chart now."
    )
    # Its rule (15 characters for "other") is the model's, answered as a field error.
    details = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text='Required for "other" (at least 15 characters); optional otherwise.',
    )


class BreakGlassSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    patient = PatientReferenceSerializer()
    user = UserReferenceSerializer()
    reason = serializers.ChoiceField(choices=BreakGlassReason.choices)
    reason_label = serializers.CharField(source="get_reason_display")
    details = serializers.CharField()
    expires_at = serializers.DateTimeField()


class AccessLogEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="accessed_at")
    patient = PatientReferenceSerializer()
    user = UserReferenceSerializer()
    roles = serializers.CharField()
    part = serializers.CharField()
    channel = serializers.ChoiceField(choices=ChartAccess.Channel.choices)
    ip_address = serializers.IPAddressField(allow_null=True)
    break_glass = serializers.SerializerMethodField()

    def get_break_glass(self, entry) -> bool:
        return entry.break_glass_id is not None


# --- History ----------------------------------------------------------------------------------

HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_IGNORED = {"updated_at", "updated_by", "first_name_phonetic", "last_name_phonetic"}


def _json_value(value):
    if isinstance(value, PhoneNumber):
        return value.as_e164 if value.is_valid() else str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if value == "":
        return None
    return value


def _history_entries(records, older_of_last):
    entries = []
    for newer, older in zip(records, [*records[1:], older_of_last], strict=True):
        changes = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older, excluded_fields=HISTORY_IGNORED)
            changes = [
                {"field": c.field, "old": _json_value(c.old), "new": _json_value(c.new)}
                for c in delta.changes
            ]
        entries.append(
            {
                "at": newer.history_date,
                "user": newer.history_user,
                "type": HISTORY_TYPES[newer.history_type],
                "changes": changes,
            }
        )
    return entries


# --- Views ------------------------------------------------------------------------------------

INVALID = OpenApiResponse(description="Field errors, or `{detail, code}`.")
CONFLICT = OpenApiResponse(description="`{detail, code}`: the record's state forbids this.")
NOT_FOUND = OpenApiResponse(description="No such patient, or not in your scope.")
FORBIDDEN = OpenApiResponse(description="Your role does not allow this.")


@extend_schema_view(
    list=extend_schema(
        summary="Search and list patients",
        description="Active patients by default; `search` takes names (prefix or "
        "sound-alike), MRN, phone, email and dates of birth. Listing is not a chart read.",
        parameters=[PatientListQuerySerializer],
        responses={200: PatientSerializer(many=True), 403: FORBIDDEN},
    ),
    create=extend_schema(
        summary="Register a patient",
        description="Draws the MRN. Answers 409 with the possible duplicates unless "
        "`allow_duplicate` is true.",
        request=PatientCreateSerializer,
        responses={
            201: PatientSerializer,
            400: INVALID,
            403: FORBIDDEN,
            409: OpenApiResponse(
                PossibleDuplicateSerializer,
                description="Possible duplicates (`code` possible_duplicate, with "
                "`candidates`): resend with `allow_duplicate` if this is another person. "
                "Also `identifier_in_use`.",
            ),
        },
    ),
    retrieve=extend_schema(
        summary="A patient's demographics",
        description="Logged in the chart's access log (part `demographics`, channel `api`).",
        responses={200: PatientSerializer, 404: NOT_FOUND},
    ),
    update=extend_schema(
        summary="Replace a patient's demographics",
        description="`identifiers` and `emergency_contacts`, when sent, replace the lists.",
        responses={200: PatientSerializer, 400: INVALID, 404: NOT_FOUND, 409: CONFLICT},
    ),
    partial_update=extend_schema(
        summary="Change some of a patient's demographics",
        description="Only the fields sent change.",
        responses={200: PatientSerializer, 400: INVALID, 404: NOT_FOUND, 409: CONFLICT},
    ),
    destroy=extend_schema(
        summary="Deactivate a patient",
        description="Patients are never deleted: the record stays, with `is_active` false.",
        responses={204: None, 404: NOT_FOUND},
    ),
)
class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Patients: search, register, read and edit demographics, deactivate; the care
    team, break-the-glass and the access log of one patient."""

    serializer_class = PatientSerializer
    permission_classes = [RolePermission]
    # DELETE deactivates (records are never deleted), as the page's button does; changing
    # the care team also needs standing access to the chart, which the service checks.
    required_permissions = {
        "list": ["patients.view_patient"],
        "retrieve": ["patients.view_patient"],
        "history": ["patients.view_patient"],
        "create": ["patients.add_patient"],
        "update": ["patients.change_patient"],
        "partial_update": ["patients.change_patient"],
        "destroy": ["patients.change_patient"],
        "care_team": ["patients.view_patient"],
        "care_team_add": ["patients.view_patient", "patients.manage_care_team"],
        "care_team_remove": ["patients.view_patient", "patients.manage_care_team"],
        "break_glass": ["patients.view_patient", "patients.break_glass"],
        "access_log": ["patients.view_patient", "patients.view_chartaccess"],
    }
    lookup_value_regex = "[0-9a-fA-F-]{36}"  # anything else is the API's JSON 404
    filter_backends = []  # the query parameters are validated in filter_queryset

    @property
    def pagination_class(self):
        # The patient list: no COUNT(*) over the patients per page (`count` only on the
        # last page, null before). The other lists (history, care team, access log) are
        # one patient's and keep their exact count.
        return NextPagePagination if self.action == "list" else PageNumberPagination

    parser_classes = [DepthLimitedJSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Patient.objects.none()
        # `merged_into` is a reference (name and MRN): joined, not read per merged row.
        return (
            patient_list_for_user(self.request.user)
            .select_related("merged_into")
            .prefetch_related("identifiers", "emergency_contacts")
        )

    def filter_queryset(self, queryset):
        # Here, not in get_queryset: the permission check calls get_queryset first, and a
        # role without access must get 403, not a 400 about its query parameters.
        query = PatientListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if params["active"] != "all":
            queryset = queryset.filter(is_active=params["active"] == "true")
        if params.get("sex"):
            queryset = queryset.filter(sex=params["sex"])
        # The page's order: the name index walked for everyone, matches sorted for a search.
        return patient_list_search(queryset, params.get("search", ""))

    def get_serializer_class(self):
        if self.action == "create":
            return PatientCreateSerializer
        return PatientSerializer

    def get_object(self):
        patient = patient_get(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, patient)
        return patient

    def retrieve(self, request, pk=None):
        patient = self.get_object()
        log_demographic_read(request, patient, "demographics")
        return Response(self.get_serializer(patient).data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            patient = services.patient_register(
                actor=request.user,
                allow_duplicate=data.pop("allow_duplicate", False),
                identifiers=data.pop("identifiers", []),
                contacts=data.pop("emergency_contacts", []),
                **data,
            )
        except PossibleDuplicatePatient as exc:
            body = {
                "detail": " ".join(exc.messages),
                "code": exc.code,
                "candidates": DuplicateCandidateSerializer(exc.candidates, many=True).data,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        patient = self.get_object()
        serializer = self.get_serializer(patient, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        identifiers = data.pop("identifiers", None)
        contacts = data.pop("emergency_contacts", None)
        patient = services.patient_edit(
            patient=patient,
            actor=request.user,
            identifiers=identifiers,
            contacts=contacts,
            **data,
        )
        return Response(PatientSerializer(patient).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        services.patient_deactivate(patient=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Field-level changes of the patient record, newest first",
        responses={200: HistoryEntrySerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Who changed which field of the record, when, from what to what."""
        patient = self.get_object()
        log_demographic_read(request, patient, "history")
        records = patient.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )
        page = list(self.paginate_queryset(records))
        older_of_last = None
        if page:
            last = page[-1]
            older_of_last = records.filter(
                Q(history_date__lt=last.history_date)
                | Q(history_date=last.history_date, history_id__lt=last.history_id)
            ).first()
        entries = _history_entries(page, older_of_last)
        return self.get_paginated_response(HistoryEntrySerializer(entries, many=True).data)

    @extend_schema(
        summary="The patient's care team",
        responses={200: CareTeamMemberSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="care-team")
    def care_team(self, request, pk=None):
        """The clinicians who may open the chart; its members may change it."""
        patient = self.get_object()
        log_demographic_read(request, patient, "care-team")
        page = self.paginate_queryset(care_team_for(patient))
        return self.get_paginated_response(CareTeamMemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a doctor or nurse to the care team (members only)",
        request=CareTeamChangeSerializer,
        responses={201: CareTeamMemberSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @care_team.mapping.post
    def care_team_add(self, request, pk=None):
        """Add a doctor or nurse; the service refuses anyone who may not manage the team."""
        patient = self.get_object()
        change = CareTeamChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        row = services.care_team_add(
            patient=patient, user=change.validated_data["user"], actor=request.user
        )
        row = care_team_for(patient).get(pk=row.pk)
        return Response(CareTeamMemberSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take someone off the care team (members only)",
        description='Name the member as `?user=<id>` (or in a JSON body `{"user"}`).',
        parameters=[OpenApiParameter("user", uuid.UUID, required=False)],
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @care_team.mapping.delete
    def care_team_remove(self, request, pk=None):
        """Take a member off; the service refuses anyone who may not manage the team."""
        patient = self.get_object()
        body = request.data if hasattr(request.data, "get") else {}
        removal = CareTeamRemovalSerializer(
            data={"user": request.query_params.get("user") or body.get("user")}
        )
        if not removal.is_valid():
            raise exceptions.NotFound(_("This user is not on the care team."))
        if not services.care_team_remove(
            patient=patient, user=removal.validated_data["user"], actor=request.user
        ):
            raise exceptions.NotFound(_("This user is not on the care team."))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Break the glass: time-limited access to this chart, for a stated reason",
        description="The access is logged and the privacy reviewers are notified. 400 "
        'without a reason of the list, or for "other" without 15 characters of details; '
        "409 when you already have access.",
        request=BreakGlassRequestSerializer,
        responses={
            201: BreakGlassSerializer,
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request, pk=None):
        """Open this chart outside one's care team, for a stated reason."""
        patient = self.get_object()
        body = BreakGlassRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = services.break_glass_open(
            patient=patient, user=request.user, **body.validated_data
        )
        return Response(BreakGlassSerializer(access).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Who looked at this chart, newest first",
        responses={200: AccessLogEntrySerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request, pk=None):
        """Every read of this chart: who, with which roles, what, how, from where."""
        patient = self.get_object()
        entries = (
            ChartAccess.objects.filter(patient=patient)
            .select_related("user", "patient")
            .order_by("-accessed_at")
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AccessLogEntrySerializer(page, many=True).data)


# Collected under /api/v1/ by ehr/api.py.
routes = [("patients", PatientViewSet, "patient")]
