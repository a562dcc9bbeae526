"""API v1 for inpatient ADT: wards, beds and their states, admissions (admit, transfer,
discharge) and the census.

Every view declares the permissions each action needs (`required_permissions` on the
kernel's RolePermission): reads the role's view permission, admitting
`inpatient.add_admission`, transfers `inpatient.transfer_admission`, discharges
`inpatient.discharge_admission`, bed states `inpatient.set_bed_status`, the census
`inpatient.view_census`. Other records are named by nested references ({"id", "name"};
patients add "mrn"); writes take bare ids. Domain errors answer 409 (occupied or
unavailable bed, patient already admitted, a transition the table forbids) or 400 with
field errors.
"""

from django.db.models import Count, Prefetch, Q
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import active_doctors
from clinical.selectors import discharge_summary_of
from ehr.core.api.serializers import ReferenceSerializer
from ehr.core.models import NOTE_MAX_LENGTH
from inpatient import services
from inpatient.models import Admission, Bed, BedStay, Disposition, Ward
from inpatient.selectors import (
    admission_list_for_user,
    admissions_with_location,
    bed_list_for_user,
    effective_status_expression,
    ward_list_for_user,
    ward_occupancy,
)
from patients.access import (
    ClinicalReasonSerializerMixin,
    PatientReferenceSerializer,
    UserReferenceSerializer,
)
from patients.selectors import chart_access_for, patient_get


def deprecated_alias(ref):
    """Return the help text of a flat `*_name` field kept beside the nested `ref`."""
    return f"Deprecated: use {ref}.name; removed in v2."


# --- Serializers ------------------------------------------------------------------------------


class WardSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    hospital = ReferenceSerializer()
    ward_type = serializers.CharField()
    floor = serializers.CharField()
    sex_restriction = serializers.CharField()
    total_beds = serializers.IntegerField()
    occupied_beds = serializers.IntegerField()


class CurrentPatientSerializer(PatientReferenceSerializer):
    """The patient lying in a bed: a patient reference, with the admission and since
    when (read from the bed's current stay)."""

    admission = ReferenceSerializer(read_only=True)
    since = serializers.DateTimeField(read_only=True)

    def to_representation(self, stay):
        return {
            **super().to_representation(stay.admission.patient),
            "admission": ReferenceSerializer(stay.admission).data,
            "since": self.fields["since"].to_representation(stay.started_at),
        }


class BedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    ward = ReferenceSerializer(source="room.ward")
    ward_name = serializers.CharField(source="room.ward.name", help_text=deprecated_alias("ward"))
    room = ReferenceSerializer()
    room_number = serializers.CharField(source="room.number")
    number = serializers.CharField()
    status = serializers.SerializerMethodField()
    isolation = serializers.BooleanField()
    reserved_until = serializers.DateTimeField(allow_null=True)
    blocked_reason = serializers.CharField()
    status_changed_at = serializers.DateTimeField()
    patient = serializers.SerializerMethodField()

    def get_status(self, bed) -> str:
        """The state as it counts now: an expired reservation is available."""
        return bed.current_status()

    @extend_schema_field(CurrentPatientSerializer(allow_null=True))
    def get_patient(self, bed):
        stays = getattr(bed, "current_stays", None)
        if stays is None:
            stays = list(
                bed.stays.filter(ended_at__isnull=True).select_related("admission__patient")
            )
        return CurrentPatientSerializer(stays[0]).data if stays else None


class BedStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Bed.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reserved_until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BedStaySerializer(serializers.Serializer):
    bed = ReferenceSerializer()
    ward = ReferenceSerializer(source="bed.room.ward")
    ward_name = serializers.CharField(
        source="bed.room.ward.name", help_text=deprecated_alias("ward")
    )
    room_number = serializers.CharField(source="bed.room.number")
    bed_number = serializers.CharField(source="bed.number")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    transfer_reason = serializers.CharField()


class AdmissionSerializer(ClinicalReasonSerializerMixin, serializers.Serializer):
    """An admission. `ward` and `bed` say where the patient lies (or, once discharged,
    `ward` where the patient lay last; `bed` is then null). `reason` (for admission) is
    clinical: null without chart access, `reason_recorded` says whether one was
    written."""

    id = serializers.UUIDField()
    patient = PatientReferenceSerializer()
    status = serializers.CharField()
    admitted_at = serializers.DateTimeField()
    expected_discharge = serializers.DateField(allow_null=True)
    admitting_doctor = UserReferenceSerializer()
    attending_doctor = UserReferenceSerializer()
    ward = serializers.SerializerMethodField()
    bed = serializers.SerializerMethodField()
    discharge_ordered_at = serializers.DateTimeField(allow_null=True)
    discharged_at = serializers.DateTimeField(allow_null=True)
    disposition = serializers.CharField()

    # Where the patient lies comes from the annotations of `admissions_with_location`.
    @extend_schema_field(ReferenceSerializer(allow_null=True))
    def get_ward(self, admission):
        if admission.ward_id is None:
            return None
        return {"id": str(admission.ward_id), "name": admission.ward_name}

    @extend_schema_field(ReferenceSerializer(allow_null=True))
    def get_bed(self, admission):
        if admission.bed_id is None:
            return None
        name = f"{admission.ward_name} · {admission.room_number}-{admission.bed_number}"
        return {"id": str(admission.bed_id), "name": name}


class AdmissionDetailSerializer(AdmissionSerializer):
    """An admission with its bed stays. The discharge summary is clinical: it is
    included only for users with chart access (else null)."""

    stays = BedStaySerializer(many=True)
    discharge_summary = serializers.SerializerMethodField()
    discharge_summary_note = serializers.SerializerMethodField(
        help_text="The signed discharge-summary note (GET /api/v1/notes/{id}), with chart "
        "access; else null."
    )

    def _chart_access(self, admission):
        user = self.context["request"].user
        return chart_access_for(user, admission.patient).allowed

    def get_discharge_summary(self, admission) -> str | None:
        return admission.discharge_summary if self._chart_access(admission) else None

    @extend_schema_field(ReferenceSerializer(allow_null=True))
    def get_discharge_summary_note(self, admission):
        if admission.discharged_at is None or not self._chart_access(admission):
            return None
        note = discharge_summary_of(admission)
        return ReferenceSerializer(note).data if note is not None else None


class AdmissionCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    bed = serializers.UUIDField()
    attending_doctor = serializers.UUIDField(
        help_text="The doctor's user id, as listed by GET /api/v1/doctors."
    )
    reason = serializers.CharField(max_length=2000)
    expected_discharge = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_bed(self, value):
        bed = bed_list_for_user(self.context["request"].user).filter(pk=value).first()
        if bed is None:
            raise serializers.ValidationError("No bed has this id.")
        return bed

    def validate_attending_doctor(self, value):
        doctor = active_doctors().filter(pk=value).first()
        if doctor is None:
            raise serializers.ValidationError("No active doctor has this id.")
        return doctor


class TransferSerializer(serializers.Serializer):
    bed = serializers.UUIDField()
    reason = serializers.CharField(max_length=200)

    validate_bed = AdmissionCreateSerializer.validate_bed


class DischargeSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    summary = serializers.CharField(max_length=NOTE_MAX_LENGTH)
    discharged_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CensusWardSerializer(serializers.Serializer):
    ward = serializers.SerializerMethodField()
    ward_name = serializers.CharField(source="name", help_text=deprecated_alias("ward"))
    total = serializers.IntegerField()
    available = serializers.IntegerField()
    reserved = serializers.IntegerField()
    occupied = serializers.IntegerField()
    cleaning = serializers.IntegerField()
    blocked = serializers.IntegerField()

    @extend_schema_field(ReferenceSerializer())
    def get_ward(self, row):
        return {"id": str(row["ward"]), "name": row["name"]}


# --- Views ------------------------------------------------------------------------------------


class WardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Wards, each with its total and occupied beds."""

    queryset = Ward.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = WardSerializer
    required_permissions = {
        "list": ["inpatient.view_ward"],
        "retrieve": ["inpatient.view_ward"],
    }

    def get_queryset(self):
        return ward_list_for_user(self.request.user).annotate(
            total_beds=Count("rooms__beds"),
            occupied_beds=Count("rooms__beds", filter=Q(rooms__beds__status=Bed.Status.OCCUPIED)),
        )


class BedFilterSerializer(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=Bed.Status.choices, required=False)


def _current_stays():
    return Prefetch(
        "stays",
        queryset=BedStay.objects.filter(ended_at__isnull=True).select_related("admission__patient"),
        to_attr="current_stays",
    )


class BedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Beds with their state and current patient (`?ward=<id>`, `?status=<state>`)."""

    queryset = Bed.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = BedSerializer
    required_permissions = {
        "list": ["inpatient.view_bed"],
        "retrieve": ["inpatient.view_bed"],
        "status": ["inpatient.set_bed_status"],
    }

    def get_queryset(self):
        queryset = (
            bed_list_for_user(self.request.user)
            .prefetch_related(_current_stays())
            .order_by("room__ward__name", "room__number", "number")
        )
        if self.action == "list":
            filters = BedFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if ward := filters.validated_data.get("ward"):
                queryset = queryset.filter(room__ward_id=ward)
            if state := filters.validated_data.get("status"):
                queryset = queryset.alias(state=effective_status_expression(timezone.now())).filter(
                    state=state
                )
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("ward", str, description="Ward id"),
            OpenApiParameter("status", str, enum=Bed.Status.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=BedStatusSerializer, responses={200: BedSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Change the bed's state as the transition table allows (409 otherwise).
        "occupied" is never set here: admit or transfer a patient instead."""
        bed = self.get_object()
        payload = BedStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        bed = services.bed_set_status(
            bed=bed,
            status=data["status"],
            reason=data["reason"],
            reserved_until=data["reserved_until"],
            actor=request.user,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=bed.pk)).data)


class AdmissionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Admission.Status.values,
        required=False,
        help_text="admitted: every patient in hospital (a discharge may be ordered).",
    )
    ward = serializers.UUIDField(required=False)


class AdmissionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Admissions (`?status=admitted|discharged`, `?ward=<id>`: where the patient lies or
    lay last). POST admits a patient into a bed; `transfer` and `discharge` act on one."""

    queryset = Admission.objects.none()  # the schema's model; rows come from get_queryset
    required_permissions = {
        "list": ["inpatient.view_admission"],
        "retrieve": ["inpatient.view_admission"],
        "create": ["inpatient.add_admission"],
        "transfer": ["inpatient.transfer_admission"],
        "discharge": ["inpatient.discharge_admission"],
    }

    def get_serializer_class(self):
        if self.action == "list":
            return AdmissionSerializer
        if self.action == "create":
            return AdmissionCreateSerializer
        return AdmissionDetailSerializer

    def get_queryset(self):
        queryset = admissions_with_location(
            admission_list_for_user(self.request.user).select_related(
                "patient", "admitting_doctor", "attending_doctor"
            )
        ).order_by("-admitted_at", "pk")
        if self.action == "list":
            filters = AdmissionFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            state = filters.validated_data.get("status")
            if state == Admission.Status.ADMITTED:
                queryset = queryset.open()
            elif state:
                queryset = queryset.filter(status=state)
            if ward := filters.validated_data.get("ward"):
                queryset = queryset.filter(ward_id=ward)
        else:
            queryset = queryset.prefetch_related(
                Prefetch(
                    "stays",
                    queryset=BedStay.objects.select_related("bed__room__ward").order_by(
                        "started_at"
                    ),
                )
            )
        return queryset

    def _detail(self, admission, code=status.HTTP_200_OK):
        admission = self.get_queryset().get(pk=admission.pk)
        if not admission.is_open:
            admission.bed_id = None
        return Response(
            AdmissionDetailSerializer(admission, context=self.get_serializer_context()).data,
            status=code,
        )

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Admission.Status.values),
            OpenApiParameter("ward", str, description="Ward id"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AdmissionCreateSerializer,
        responses={201: AdmissionDetailSerializer, 400: None, 404: None, 409: None},
    )
    def create(self, request, *args, **kwargs):
        """Admit a patient into a bed (409: bed occupied or unavailable, patient already
        admitted)."""
        payload = AdmissionCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        patient = patient_get(request.user, data["patient"])
        admission = services.admission_create(
            patient=patient,
            bed=data["bed"],
            attending_doctor=data["attending_doctor"],
            reason=data["reason"],
            expected_discharge=data["expected_discharge"],
            actor=request.user,
        )
        return self._detail(admission, status.HTTP_201_CREATED)

    @extend_schema(request=TransferSerializer, responses={200: AdmissionDetailSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Move the patient to another bed (409: bed occupied or unavailable)."""
        admission = self.get_object()
        payload = TransferSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        services.admission_transfer(
            admission=admission,
            bed=payload.validated_data["bed"],
            reason=payload.validated_data["reason"],
            actor=request.user,
        )
        return self._detail(admission)

    @extend_schema(request=DischargeSerializer, responses={200: AdmissionDetailSerializer})
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        """Complete the discharge; the bed goes to cleaning."""
        admission = self.get_object()
        payload = DischargeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.admission_discharge(
            admission=admission,
            disposition=payload.validated_data["disposition"],
            summary=payload.validated_data["summary"],
            discharged_at=payload.validated_data["discharged_at"],
            actor=request.user,
        )
        return self._detail(admission)


class CensusView(APIView):
    """Beds per ward by state now: the five states add up to the total."""

    required_permissions = {"GET": ["inpatient.view_census"]}

    @extend_schema(responses=CensusWardSerializer(many=True))
    def get(self, request):
        wards = ward_occupancy(wards=ward_list_for_user(request.user))
        return Response(CensusWardSerializer(wards, many=True).data)


# Collected under /api/v1/ by ehr/api.py.
routes = [
    ("wards", WardViewSet, "ward"),
    ("beds", BedViewSet, "bed"),
    ("admissions", AdmissionViewSet, "admission"),
]
urlpatterns = [path("inpatient/census", CensusView.as_view(), name="inpatient_census")]
