"""API v1 for clinical documentation: vital signs, notes (sign, addenda), allergies,
conditions and encounters.

The same two gates as the pages: the role permission of the request's method (each view
declares `required_permissions` for the kernel's `RolePermission`, the default permission
class), then chart access to the patient (care team or break-the-glass: 403 naming
break-the-glass otherwise), checked by `patients.access.require_chart_access`, which also
logs every read and write with channel "api". Impossible vitals and unknown ICD-10-CM
codes answer 400 with field errors; changing a signed note answers 409.

Every other record is named by its reference (`{"id", "name"}`; a patient adds `mrn`);
writes take the bare id under the same name.
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import active_doctors
from clinical import selectors, services
from clinical.models import (
    NOTE_SOAP_FIELDS,
    VITAL_MEASURES,
    Allergy,
    AllergyCategory,
    AllergyClinicalStatus,
    AllergySeverity,
    ClinicalNote,
    ClinicalStatus,
    Condition,
    ConditionCategory,
    Encounter,
    EncounterClass,
    EncounterStatus,
    NoteStatus,
    NoteType,
    VitalSigns,
    default_note_type_for,
)
from ehr.core.api.serializers import ReferenceField, ReferenceSerializer
from ehr.core.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH
from patients.access import (
    PatientReferenceSerializer,
    UserReferenceSerializer,
    require_chart_access,
    require_chart_access_many,
)
from patients.selectors import patient_get

# --- Permissions ------------------------------------------------------------------------------


def _needs(read, **writes):
    """Return `required_permissions` by HTTP method: GET needs `read`, each write its own
    permission, all of them with `patients.view_patient`."""
    methods = {"GET": ["patients.view_patient", read]}
    methods.update({m.upper(): ["patients.view_patient", p] for m, p in writes.items()})
    return methods


# --- Serializers ------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "description": "`draft` (default) or `signed` (sign at once)."}
)
class SignStatusField(serializers.ChoiceField):
    """The `status` of a new note or addendum. Documented without an enum component:
    the note's own `status` already names one, and two would collide in the schema."""

    def __init__(self, **kwargs):
        super().__init__(choices=NoteStatus.choices, default=NoteStatus.DRAFT, **kwargs)


class VitalSignsSerializer(serializers.ModelSerializer):
    """A set of vital signs. Every measure is optional (at least one); the model's
    limits give field errors for impossible values; `bmi` is derived."""

    patient = PatientReferenceSerializer(read_only=True)
    encounter = ReferenceField(
        queryset=Encounter.objects.all(),
        required=False,
        allow_null=True,
        help_text="The encounter the set was taken in (write its id).",
    )
    recorded_at = serializers.DateTimeField(required=False, help_text="Now if omitted.")
    recorded_by = UserReferenceSerializer(read_only=True)
    flags = serializers.SerializerMethodField(
        help_text="Measures outside the adult normal ranges: {measure: low | high}."
    )

    class Meta:
        model = VitalSigns
        fields = [
            "id",
            "patient",
            "encounter",
            "recorded_at",
            "recorded_by",
            *VITAL_MEASURES,
            "bmi",
            "flags",
        ]
        read_only_fields = ["id", "bmi"]
        validators = []

    def get_flags(self, vitals) -> dict[str, str]:
        return vitals.flags


class NoteSerializer(serializers.ModelSerializer):
    """A clinical note: SOAP fields or free text, never both."""

    patient = PatientReferenceSerializer(read_only=True)
    encounter = ReferenceField(
        queryset=Encounter.objects.all(),
        required=False,
        allow_null=True,
        help_text="The encounter the note documents (write its id).",
    )
    author = UserReferenceSerializer(read_only=True)
    signed_by = UserReferenceSerializer(read_only=True, allow_null=True)
    amends = ReferenceSerializer(
        read_only=True, allow_null=True, help_text="The signed note this addendum completes."
    )

    class Meta:
        model = ClinicalNote
        fields = [
            "id",
            "patient",
            "encounter",
            "note_type",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "text",
            "status",
            "author",
            "signed_by",
            "signed_at",
            "amends",
            "entered_in_error",
            "entered_in_error_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "signed_at",
            "entered_in_error",
            "entered_in_error_reason",
            "created_at",
            "updated_at",
        ]
        validators = []

    def validate(self, data):
        # SOAP or free text, never both (with a draft's other fields on a PATCH).
        def value(name):
            if name in data:
                return (data[name] or "").strip()
            return getattr(self.instance, name, "") if self.instance else ""

        if value("text") and any(value(f) for f in NOTE_SOAP_FIELDS):
            raise serializers.ValidationError(
                {"text": [_("Write the note as SOAP or as free text, not both.")]}
            )
        return data


class NoteCreateSerializer(NoteSerializer):
    status = SignStatusField(
        help_text="`signed` signs the note at once (the author's role must sign its type).",
    )

    class Meta(NoteSerializer.Meta):
        read_only_fields = [f for f in NoteSerializer.Meta.read_only_fields if f != "status"]


class AddendumCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="The correction or completion."
    )
    status = SignStatusField()


class AllergySerializer(serializers.ModelSerializer):
    recorded_by = UserReferenceSerializer(read_only=True)
    status = serializers.ChoiceField(
        choices=[AllergyClinicalStatus.ACTIVE],
        default=AllergyClinicalStatus.ACTIVE,
        help_text="New allergies are active (inactive and entered_in_error come later).",
    )
    category = serializers.ChoiceField(
        choices=AllergyCategory.choices, default=AllergyCategory.DRUG
    )
    severity = serializers.ChoiceField(
        choices=AllergySeverity.choices, default=AllergySeverity.MODERATE
    )

    class Meta:
        model = Allergy
        fields = [
            "id",
            "allergen",
            "allergen_ingredient",
            "allergen_class",
            "category",
            "reaction",
            "severity",
            "status",
            "recorded_at",
            "recorded_by",
        ]
        read_only_fields = ["id", "recorded_at"]
        extra_kwargs = {"allergen": {"required": False, "allow_blank": True}}
        validators = []

    def validate(self, attrs):
        if not (
            attrs.get("allergen") or attrs.get("allergen_ingredient") or attrs.get("allergen_class")
        ):
            raise serializers.ValidationError(
                {
                    "allergen": [
                        "Name the allergen, or give an allergen_ingredient or allergen_class."
                    ]
                }
            )
        return attrs

    def to_representation(self, allergy):
        data = super().to_representation(allergy)
        data["status"] = allergy.status
        return data


class ConditionSerializer(serializers.ModelSerializer):
    code = serializers.CharField(
        source="code_id", max_length=10, help_text='ICD-10-CM code, e.g. "E11.9".'
    )
    title = serializers.CharField(source="code.title", read_only=True)
    encounter = ReferenceField(
        queryset=Encounter.objects.all(),
        required=False,
        allow_null=True,
        help_text="The encounter of an encounter diagnosis (write its id).",
    )
    clinical_status = serializers.ChoiceField(
        choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE
    )
    category = serializers.ChoiceField(
        choices=ConditionCategory.choices, default=ConditionCategory.PROBLEM_LIST_ITEM
    )
    problem = ReferenceSerializer(
        read_only=True,
        allow_null=True,
        help_text="The problem-list entry of an encounter diagnosis's condition, or null "
        "(a diagnosis not on the problem list, or a problem itself).",
    )
    add_to_problem_list = serializers.BooleanField(
        write_only=True,
        default=False,
        help_text="For an encounter diagnosis: list its condition on the problem list (or "
        "make its problem active again). A problem of the same code is linked either way.",
    )

    class Meta:
        model = Condition
        fields = [
            "id",
            "code",
            "title",
            "clinical_status",
            "category",
            "onset",
            "resolved_on",
            "encounter",
            "is_primary",
            "problem",
            "add_to_problem_list",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "resolved_on", "created_at"]
        validators = []


class EncounterSerializer(serializers.ModelSerializer):
    patient = PatientReferenceSerializer(read_only=True)
    doctor = ReferenceField(
        queryset=active_doctors(),
        reference_serializer=UserReferenceSerializer,
        required=False,
        help_text="An active doctor (write their id); the signed-in doctor if omitted.",
    )
    status = serializers.ChoiceField(choices=EncounterStatus.choices, required=False)
    cancel_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="Required to cancel.",
    )
    appointment = ReferenceSerializer(
        read_only=True,
        allow_null=True,
        help_text="The appointment this visit was started from (finishing the encounter "
        "completes it), or null.",
    )

    class Meta:
        model = Encounter
        fields = [
            "id",
            "patient",
            "appointment",
            "encounter_class",
            "doctor",
            "status",
            "chief_complaint",
            "started_at",
            "ended_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = ["id", "started_at", "ended_at", "cancelled_at", "created_at"]
        validators = []


class EncounterCreateSerializer(EncounterSerializer):
    patient = serializers.UUIDField(help_text="The patient's id.")
    encounter_class = serializers.ChoiceField(
        choices=EncounterClass.choices, default=EncounterClass.OUTPATIENT
    )
    status = serializers.ChoiceField(
        choices=[EncounterStatus.PLANNED, EncounterStatus.IN_PROGRESS],
        default=EncounterStatus.IN_PROGRESS,
        help_text="in_progress starts it now (the doctor joins the care team); planned "
        "needs `started_at`, the planned start.",
    )
    started_at = serializers.DateTimeField(
        required=False, help_text="The planned start, or the actual start (now if omitted)."
    )

    def validate(self, data):
        if data.get("status") == EncounterStatus.PLANNED and not data.get("started_at"):
            raise serializers.ValidationError(
                {"started_at": [_("A planned encounter needs its planned start.")]}
            )
        return data


class EncounterListQuerySerializer(serializers.Serializer):
    patient = serializers.UUIDField(required=False, help_text="One patient's encounters.")
    status = serializers.ChoiceField(choices=EncounterStatus.choices, required=False)
    doctor = serializers.UUIDField(required=False)


# --- Views ------------------------------------------------------------------------------------

FORBIDDEN = OpenApiResponse(
    description="The role does not allow this, or you are outside the patient's care team "
    "(break the glass first)."
)
NOT_FOUND = OpenApiResponse(description="No such record, or not in your scope.")
FIELD_ERRORS = OpenApiResponse(description="Field errors.")
CONFLICT = OpenApiResponse(description="The record's state does not allow this.")


class PatientClinicalListView(generics.GenericAPIView):
    """Base of /patients/{id}/<part>: the patient through the one selector (404), chart
    access (403) and the log entry, then a paginated list (GET) or a new record (POST)."""

    part = ""
    serializer_class = None

    def get_patient(self):
        patient = patient_get(self.request.user, self.kwargs["patient_id"])
        require_chart_access(self.request, patient, self.part)
        return patient

    def list_response(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PatientVitalSignsView(PatientClinicalListView):
    """A patient's vital signs, newest first; record a set."""

    queryset = VitalSigns.objects.none()  # for the schema; reads go through selectors
    serializer_class = VitalSignsSerializer
    required_permissions = _needs("clinical.view_vitalsigns", post="clinical.add_vitalsigns")
    part = "vitals"

    @extend_schema(
        summary="A patient's vital signs, newest first",
        responses={200: VitalSignsSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        patient = self.get_patient()
        return self.list_response(selectors.vital_signs_for_patient(patient))

    @extend_schema(
        summary="Record a set of vital signs",
        responses={201: VitalSignsSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, patient_id):
        patient = self.get_patient()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        vitals = services.vital_signs_record(
            patient=patient,
            actor=request.user,
            encounter=data.get("encounter"),
            recorded_at=data.get("recorded_at"),
            **{m: data.get(m) for m in VITAL_MEASURES},
        )
        return Response(self.get_serializer(vitals).data, status=status.HTTP_201_CREATED)


class PatientNotesView(PatientClinicalListView):
    """A patient's notes (signed ones and one's own drafts; `?include_entered_in_error=
    true` adds withdrawn ones), newest first, addenda included; write a note."""

    queryset = ClinicalNote.objects.none()  # for the schema; reads go through selectors
    serializer_class = NoteSerializer
    required_permissions = _needs(
        "clinical.view_clinicalnote",
        post="clinical.add_clinicalnote",
        patch="clinical.add_clinicalnote",
    )
    part = "notes"

    def get_serializer_class(self):
        return NoteCreateSerializer if self.request.method == "POST" else NoteSerializer

    @extend_schema(
        summary="A patient's notes, newest first",
        parameters=[OpenApiParameter("include_entered_in_error", bool, required=False)],
        responses={200: NoteSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        patient = self.get_patient()
        notes = selectors.note_list_for_patient(
            patient,
            request.user,
            addenda=False,
            include_entered_in_error=request.query_params.get("include_entered_in_error")
            in ("1", "true"),
        )
        return self.list_response(notes)

    @extend_schema(
        summary="Write a note (a draft, or signed at once)",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, patient_id):
        patient = self.get_patient()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        note = services.note_create(
            patient=patient,
            actor=request.user,
            note_type=data.pop("note_type", None)
            or default_note_type_for(request.user)
            or NoteType.PROGRESS,
            encounter=data.pop("encounter", None),
            sign=data.pop("status") == NoteStatus.SIGNED,
            **data,
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class NoteMixin:
    def get_note(self):
        note = get_object_or_404(
            selectors.note_list_for_user(self.request.user), pk=self.kwargs["pk"]
        )
        patient_get(self.request.user, note.patient_id)
        require_chart_access(self.request, note.patient, self.part)
        return note


class NoteDetailView(NoteMixin, generics.GenericAPIView):
    """One note; change a draft (its author only; a signed note answers 409)."""

    queryset = ClinicalNote.objects.none()  # for the schema; reads go through selectors
    serializer_class = NoteSerializer
    required_permissions = _needs(
        "clinical.view_clinicalnote",
        post="clinical.add_clinicalnote",
        patch="clinical.add_clinicalnote",
    )
    part = "note"

    @extend_schema(
        summary="A note", responses={200: NoteSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def get(self, request, pk):
        return Response(NoteSerializer(self.get_note()).data)

    @extend_schema(
        summary="Change a draft note (its author only)",
        responses={
            200: NoteSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(
                description="The note is signed (code note_signed): add an addendum instead."
            ),
        },
    )
    def patch(self, request, pk):
        note = self.get_note()
        serializer = self.get_serializer(note, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        note = services.note_update(note=note, actor=request.user, **serializer.validated_data)
        return Response(NoteSerializer(note).data)


class NoteSignView(NoteMixin, APIView):
    """Sign a draft note."""

    required_permissions = {"POST": ["patients.view_patient", "clinical.add_clinicalnote"]}
    part = "note:sign"

    @extend_schema(
        summary="Sign a draft note (its author; doctors any type, nurses nursing notes)",
        request=None,
        responses={
            200: NoteSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        note = services.note_sign(note=self.get_note(), actor=request.user)
        return Response(NoteSerializer(note).data)


class NoteAddendaView(NoteMixin, APIView):
    """Add an addendum to a signed note."""

    required_permissions = NoteSignView.required_permissions
    part = "note:addendum"

    @extend_schema(
        summary="Add an addendum to a signed note",
        request=AddendumCreateSerializer,
        responses={
            201: NoteSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        note = self.get_note()
        body = AddendumCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        addendum = services.note_addendum_create(
            note=note,
            actor=request.user,
            text=body.validated_data["text"],
            sign=body.validated_data["status"] == NoteStatus.SIGNED,
        )
        return Response(NoteSerializer(addendum).data, status=status.HTTP_201_CREATED)


class PatientAllergiesView(PatientClinicalListView):
    """A patient's allergies (active first; entered in error left out); record one."""

    queryset = Allergy.objects.none()  # for the schema; reads go through selectors
    serializer_class = AllergySerializer
    required_permissions = _needs("clinical.view_allergy", post="clinical.add_allergy")
    part = "allergies"

    @extend_schema(
        summary="A patient's allergies",
        responses={200: AllergySerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        return self.list_response(selectors.allergy_list_for_patient(self.get_patient()))

    @extend_schema(
        summary="Record an allergy",
        responses={
            201: AllergySerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, patient_id):
        patient = self.get_patient()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("status", None)
        allergy = services.allergy_record(patient=patient, actor=request.user, **data)
        return Response(self.get_serializer(allergy).data, status=status.HTTP_201_CREATED)


class AllergyStatusSerializer(serializers.Serializer):
    """The patient's allergy assessment: `has_allergies` (active allergies are listed),
    `no_known_allergies` (asked, none found) or `not_asked` (never assessed)."""

    status = serializers.ChoiceField(
        choices=[
            selectors.HAS_ALLERGIES,
            selectors.NO_KNOWN_ALLERGIES,
            selectors.NOT_ASKED,
        ]
    )
    active_allergies = serializers.IntegerField(
        read_only=True, help_text="How many active allergies are listed."
    )
    assessed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the patient was last asked (null if never recorded).",
    )
    assessed_by = UserReferenceSerializer(read_only=True, allow_null=True)


class AllergyStatusWriteSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[selectors.NO_KNOWN_ALLERGIES],
        help_text="Record that the patient was asked and has no known allergies (409 while "
        "active allergies are listed). Allergies themselves are recorded with "
        "POST /patients/{id}/allergies.",
    )


class PatientAllergyStatusView(PatientClinicalListView):
    """The allergy assessment of a patient, distinct from the list: "no known allergies"
    is an answer, "not asked" is none. PUT records "no known allergies"."""

    serializer_class = AllergyStatusSerializer
    required_permissions = _needs("clinical.view_allergystatus", put="clinical.add_allergystatus")
    part = "allergies:status"

    def assessment(self, patient):
        active = list(
            Allergy.objects.filter(patient=patient, status=AllergyClinicalStatus.ACTIVE).only("pk")
        )
        row = selectors.allergy_status_get(patient)
        return {
            "status": selectors.allergy_state(patient, active=active),
            "active_allergies": len(active),
            "assessed_at": row.assessed_at if row else None,
            "assessed_by": row.assessed_by if row else None,
        }

    @extend_schema(
        summary="A patient's allergy status (has allergies, no known allergies, not asked)",
        responses={200: AllergyStatusSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        patient = self.get_patient()
        return Response(AllergyStatusSerializer(self.assessment(patient)).data)

    @extend_schema(
        summary="Record that the patient has no known allergies",
        request=AllergyStatusWriteSerializer,
        responses={
            200: AllergyStatusSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def put(self, request, patient_id):
        patient = self.get_patient()
        serializer = AllergyStatusWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.allergy_status_set_none_known(patient=patient, actor=request.user)
        return Response(AllergyStatusSerializer(self.assessment(patient)).data)


class PatientConditionsView(PatientClinicalListView):
    """A patient's conditions (problem list and encounter diagnoses); add one by its
    ICD-10-CM code."""

    queryset = Condition.objects.none()  # for the schema; reads go through selectors
    serializer_class = ConditionSerializer
    required_permissions = _needs("clinical.view_condition", post="clinical.add_condition")
    part = "conditions"

    @extend_schema(
        summary="A patient's conditions",
        responses={200: ConditionSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        return self.list_response(selectors.condition_list_for_patient(self.get_patient()))

    @extend_schema(
        summary="Add a condition by its ICD-10-CM code",
        responses={
            201: ConditionSerializer,
            400: OpenApiResponse(
                description="Field errors; an unknown code answers "
                '{"code": ["This is not a known ICD-10-CM code."]}.'
            ),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(
                description="The encounter already has a primary diagnosis, or the condition "
                "is already on the problem list (code problem_already_listed)."
            ),
        },
    )
    def post(self, request, patient_id):
        patient = self.get_patient()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        condition = services.condition_create(
            patient=patient, actor=request.user, code=data.pop("code_id"), **data
        )
        return Response(self.get_serializer(condition).data, status=status.HTTP_201_CREATED)


# The columns EncounterSerializer reads, with those of its references (patient: name and
# MRN; doctor: name; appointment: start and type): a page of encounters without the
# patients' wide rows (their phone numbers are parsed as each row is built).
_NAME = ("id", "first_name", "last_name")
ENCOUNTER_LIST_FIELDS = (
    *EncounterSerializer.Meta.fields[:1],
    "patient_id",
    "appointment_id",
    "doctor_id",
    *(
        f
        for f in EncounterSerializer.Meta.fields
        if f not in ("id", "patient", "appointment", "doctor")
    ),
    *(f"patient__{f}" for f in (*_NAME, "middle_name", "mrn")),
    *(f"doctor__{f}" for f in _NAME),
    "appointment__id",
    "appointment__start",
    "appointment__appointment_type__id",
    "appointment__appointment_type__name",
)


class EncounterListView(generics.GenericAPIView):
    """Encounters of the patients whose chart one may open (`?patient=` for one patient,
    403 outside its care team); start or plan one."""

    queryset = Encounter.objects.none()  # for the schema; reads go through selectors
    serializer_class = EncounterSerializer
    required_permissions = _needs(
        "clinical.view_encounter", post="clinical.add_encounter", patch="clinical.change_encounter"
    )

    def get_serializer_class(self):
        return EncounterCreateSerializer if self.request.method == "POST" else (EncounterSerializer)

    @extend_schema(
        summary="Encounters, newest first",
        parameters=[EncounterListQuerySerializer],
        responses={200: EncounterSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request):
        query = EncounterListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "patient" in params:
            patient = patient_get(request.user, params["patient"])
            require_chart_access(request, patient, "encounters")
            encounters = selectors.encounter_list_for_patient(patient)
        else:
            encounters = selectors.encounter_list_for_user(request.user)
        if params.get("status"):
            encounters = encounters.filter(status=params["status"])
        if params.get("doctor"):
            encounters = encounters.filter(doctor_id=params["doctor"])
        encounters = encounters.only(*ENCOUNTER_LIST_FIELDS)
        page = self.paginate_queryset(encounters.order_by("-started_at", "-created_at"))
        if "patient" not in params:
            # A list across charts: one log entry per chart it shows, all in one insert.
            require_chart_access_many(request, [e.patient for e in page], "encounters")
        return self.get_paginated_response(EncounterSerializer(page, many=True).data)

    @extend_schema(
        summary="Start (in_progress, the doctor joins the care team) or plan an encounter",
        request=EncounterCreateSerializer,
        responses={201: EncounterSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = patient_get(request.user, data["patient"])
        require_chart_access(request, patient, "encounters:start")
        doctor = data.get("doctor") or request.user
        common = {
            "patient": patient,
            "actor": request.user,
            "doctor": doctor,
            "encounter_class": data["encounter_class"],
            "chief_complaint": data.get("chief_complaint", ""),
        }
        if data["status"] == EncounterStatus.PLANNED:
            encounter = services.encounter_plan(planned_for=data["started_at"], **common)
        else:
            encounter = services.encounter_start(started_at=data.get("started_at"), **common)
        return Response(EncounterSerializer(encounter).data, status=status.HTTP_201_CREATED)


class EncounterDetailView(generics.GenericAPIView):
    """One encounter; change its class, doctor or chief complaint, or its status along
    the transition table (409 otherwise; cancelling needs `cancel_reason`)."""

    queryset = Encounter.objects.none()  # for the schema; reads go through selectors
    serializer_class = EncounterSerializer
    required_permissions = _needs(
        "clinical.view_encounter", post="clinical.add_encounter", patch="clinical.change_encounter"
    )

    def get_encounter(self, part):
        encounter = get_object_or_404(selectors.encounter_list(), pk=self.kwargs["pk"])
        patient_get(self.request.user, encounter.patient_id)
        require_chart_access(self.request, encounter.patient, part)
        return encounter

    @extend_schema(
        summary="An encounter", responses={200: EncounterSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def get(self, request, pk):
        return Response(EncounterSerializer(self.get_encounter("encounter")).data)

    @extend_schema(
        summary="Change an encounter",
        responses={
            200: EncounterSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def patch(self, request, pk):
        encounter = self.get_encounter("encounter:edit")
        serializer = self.get_serializer(encounter, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        new_status = data.pop("status", None)
        reason = data.pop("cancel_reason", "")
        data = {k: v for k, v in data.items() if k in services.ENCOUNTER_EDITABLE}
        if data:
            encounter = services.encounter_update(encounter=encounter, actor=request.user, **data)
        if new_status:
            encounter = services.encounter_set_status(
                encounter=encounter, actor=request.user, status=new_status, reason=reason
            )
        return Response(EncounterSerializer(encounter).data)


# Collected under /api/v1/ by ehr/api.py.
urlpatterns = [
    path(
        "patients/<uuid:patient_id>/vitals", PatientVitalSignsView.as_view(), name="patient_vitals"
    ),
    path("patients/<uuid:patient_id>/notes", PatientNotesView.as_view(), name="patient_notes"),
    path(
        "patients/<uuid:patient_id>/allergies",
        PatientAllergiesView.as_view(),
        name="patient_allergies",
    ),
    path(
        "patients/<uuid:patient_id>/allergy-status",
        PatientAllergyStatusView.as_view(),
        name="patient_allergy_status",
    ),
    path(
        "patients/<uuid:patient_id>/conditions",
        PatientConditionsView.as_view(),
        name="patient_conditions",
    ),
    path("notes/<uuid:pk>", NoteDetailView.as_view(), name="note_detail"),
    path("notes/<uuid:pk>/sign", NoteSignView.as_view(), name="note_sign"),
    path("notes/<uuid:pk>/addenda", NoteAddendaView.as_view(), name="note_addenda"),
    path("encounters", EncounterListView.as_view(), name="encounter_list"),
    path("encounters/<uuid:pk>", EncounterDetailView.as_view(), name="encounter_detail"),
]
