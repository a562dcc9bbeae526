"""The pharmacy API: the formulary, a patient's prescriptions and medications,
signing, discontinuing, the prescription PDF. The same permissions as the pages;
every read of a patient's medications passes chart access and is logged."""

from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from ehr.core.api.serializers import ReferenceSerializer
from patients.access import (
    PatientReferenceSerializer,
    UserReferenceSerializer,
    require_chart_access,
)
from patients.selectors import patient_get
from pharmacy import pdf, selectors, services
from pharmacy.exceptions import MedicationAlertBlocked
from pharmacy.models import (
    Drug,
    Frequency,
    HomeMedication,
    Prescription,
    PrescriptionItem,
    Route,
)

FORBIDDEN = OpenApiResponse(description="Your role or chart access does not allow this.")
NOT_FOUND = OpenApiResponse(description="No such record, or not in your scope.")
FIELD_ERRORS = OpenApiResponse(description="Field errors.")
CONFLICT = OpenApiResponse(description="The record's state does not allow this.")
ALERT = OpenApiResponse(
    description='`{"code": "medication_alert", "detail", "alerts": [{"type", "severity", '
    '"message"}]}`: a blocking alert without `override_reason`.'
)
PART = "medications"


def _needs(read, **writes):
    methods = {"GET": ["patients.view_patient", read]}
    methods.update({m.upper(): ["patients.view_patient", *p] for m, p in writes.items()})
    return methods


# --- Serializers ------------------------------------------------------------------------------


class DrugSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    strength = serializers.SerializerMethodField()
    ingredients = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    classes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Drug
        fields = ["id", "name", "form", "strength", "dose_unit", "routes", "ingredients", "classes"]

    def get_strength(self, drug) -> str:
        return f"{drug.strength_value.normalize():f} {drug.strength_unit}"


class AlertSerializer(serializers.Serializer):
    type = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class PrescriptionItemSerializer(serializers.ModelSerializer):
    drug = ReferenceSerializer(read_only=True)
    alerts = AlertSerializer(many=True, read_only=True)
    overridden_by = UserReferenceSerializer(read_only=True, allow_null=True)
    text = serializers.CharField(source="dose_text", read_only=True)

    class Meta:
        model = PrescriptionItem
        fields = [
            "id",
            "drug",
            "dose",
            "dose_unit",
            "route",
            "frequency",
            "duration_days",
            "quantity",
            "refills",
            "prn_reason",
            "instructions",
            "start",
            "end",
            "status",
            "status_reason",
            "text",
            "alerts",
            "override_reason",
            "overridden_by",
        ]


class PrescriptionSerializer(serializers.ModelSerializer):
    patient = PatientReferenceSerializer(read_only=True)
    prescriber = UserReferenceSerializer(read_only=True)
    items = PrescriptionItemSerializer(many=True, read_only=True)

    class Meta:
        model = Prescription
        fields = [
            "id",
            "patient",
            "prescriber",
            "encounter",
            "admission",
            "status",
            "written_at",
            "signed_at",
            "items",
        ]


class ItemWriteSerializer(serializers.Serializer):
    drug = serializers.PrimaryKeyRelatedField(queryset=Drug.objects.filter(is_active=True))
    dose = serializers.DecimalField(max_digits=10, decimal_places=3, min_value=Decimal("0.001"))
    dose_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    route = serializers.ChoiceField(choices=Route.choices)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    duration_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    refills = serializers.IntegerField(min_value=0, max_value=12, required=False, default=0)
    instructions = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    prn_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PrescriptionWriteSerializer(serializers.Serializer):
    encounter = serializers.UUIDField(required=False, allow_null=True)
    admission = serializers.UUIDField(required=False, allow_null=True)
    items = ItemWriteSerializer(many=True, allow_empty=False)
    override_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DiscontinueSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class HomeMedicationSerializer(serializers.ModelSerializer):
    drug = ReferenceSerializer(read_only=True)
    recorded_by = UserReferenceSerializer(read_only=True)

    class Meta:
        model = HomeMedication
        fields = [
            "id",
            "drug",
            "dose",
            "frequency",
            "notes",
            "status",
            "recorded_at",
            "recorded_by",
        ]


class MedicationsSerializer(serializers.Serializer):
    lines = PrescriptionItemSerializer(many=True)
    home_medications = HomeMedicationSerializer(many=True)


# --- Views ------------------------------------------------------------------------------------


def alert_response(exc):
    """Return the 409 answer of a blocking medication alert."""
    return Response(
        {
            "code": "medication_alert",
            "detail": str(exc.messages[0]),
            "alerts": [
                {"type": a.type, "severity": a.severity, "message": a.message} for a in exc.alerts
            ],
        },
        status=status.HTTP_409_CONFLICT,
    )


class DrugListView(generics.ListAPIView):
    """Search the formulary."""

    serializer_class = DrugSerializer
    queryset = Drug.objects.none()
    required_permissions = {"GET": ["pharmacy.view_drug"]}
    pagination_class = None

    @extend_schema(
        summary="Search the formulary",
        parameters=[OpenApiParameter("search", str, description="Name, brand or ingredient.")],
        responses={200: DrugSerializer(many=True), 403: FORBIDDEN},
    )
    def get(self, request):
        term = request.query_params.get("search", "")[:100]
        return Response(self.get_serializer(selectors.drug_search(term), many=True).data)


class PatientPrescriptionsView(generics.GenericAPIView):
    """A patient's prescriptions; write one (the medication check runs first)."""

    queryset = Prescription.objects.none()
    serializer_class = PrescriptionSerializer
    required_permissions = _needs(
        "pharmacy.view_prescription", post=["pharmacy.add_prescription", "pharmacy.prescribe"]
    )

    def get_patient(self):
        patient = patient_get(self.request.user, self.kwargs["patient_id"])
        require_chart_access(self.request, patient, PART)
        return patient

    @extend_schema(
        summary="A patient's prescriptions",
        responses={200: PrescriptionSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        patient = self.get_patient()
        queryset = selectors.prescription_list_for_patient(patient)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Write a prescription",
        request=PrescriptionWriteSerializer,
        responses={
            201: PrescriptionSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: ALERT,
        },
    )
    def post(self, request, patient_id):
        patient = self.get_patient()
        body = PrescriptionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        encounter = admission = None
        if data.get("encounter"):
            encounter = get_object_or_404(patient.encounters.all(), pk=data["encounter"])
        if data.get("admission"):
            admission = get_object_or_404(patient.admissions.all(), pk=data["admission"])
        try:
            prescription = services.prescription_create(
                patient=patient,
                actor=request.user,
                items=[dict(item) for item in data["items"]],
                encounter=encounter,
                admission=admission,
                override_reason=data.get("override_reason", ""),
            )
        except MedicationAlertBlocked as exc:
            return alert_response(exc)
        prescription = selectors.prescription_get(prescription.pk)
        return Response(self.get_serializer(prescription).data, status=status.HTTP_201_CREATED)


class PrescriptionMixin:
    def get_prescription(self):
        prescription = get_object_or_404(Prescription.objects.all(), pk=self.kwargs["pk"])
        patient_get(self.request.user, prescription.patient_id)  # out of scope: 404
        require_chart_access(self.request, prescription.patient, PART)
        return selectors.prescription_get(prescription.pk)


class PrescriptionDetailView(PrescriptionMixin, generics.GenericAPIView):
    """One prescription with its lines, alerts and overrides."""

    queryset = Prescription.objects.none()
    serializer_class = PrescriptionSerializer
    required_permissions = _needs("pharmacy.view_prescription")

    @extend_schema(
        summary="One prescription",
        responses={200: PrescriptionSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        return Response(self.get_serializer(self.get_prescription()).data)


class PrescriptionSignView(PrescriptionMixin, generics.GenericAPIView):
    """Sign a draft prescription (its prescriber)."""

    queryset = Prescription.objects.none()
    serializer_class = PrescriptionSerializer
    required_permissions = {"POST": ["patients.view_patient", "pharmacy.prescribe"]}

    @extend_schema(
        summary="Sign a prescription",
        request=None,
        responses={200: PrescriptionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, pk):
        prescription = self.get_prescription()
        services.prescription_sign(prescription=prescription, actor=request.user)
        return Response(self.get_serializer(selectors.prescription_get(pk)).data)


class PrescriptionPdfView(PrescriptionMixin, generics.GenericAPIView):
    """The prescription as a PDF."""

    queryset = Prescription.objects.none()
    serializer_class = PrescriptionSerializer
    required_permissions = _needs("pharmacy.view_prescription")

    @extend_schema(
        summary="The prescription as PDF",
        responses={
            (200, "application/pdf"): OpenApiResponse(description="The PDF."),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk):
        prescription = self.get_prescription()
        response = HttpResponse(pdf.prescription_pdf(prescription), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="prescription.pdf"'
        return response


class PrescriptionItemDiscontinueView(generics.GenericAPIView):
    """Discontinue a medication line with a reason."""

    queryset = PrescriptionItem.objects.none()
    serializer_class = PrescriptionItemSerializer
    required_permissions = {"POST": ["patients.view_patient", "pharmacy.prescribe"]}

    @extend_schema(
        summary="Discontinue a medication line",
        request=DiscontinueSerializer,
        responses={
            200: PrescriptionItemSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        item = get_object_or_404(PrescriptionItem.objects.select_related("prescription"), pk=pk)
        patient = patient_get(request.user, item.prescription.patient_id)
        require_chart_access(request, patient, PART)
        body = DiscontinueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.prescription_item_discontinue(
            item=item, actor=request.user, reason=body.validated_data["reason"]
        )
        item.refresh_from_db()
        return Response(self.get_serializer(item).data)


class PatientMedicationsView(generics.GenericAPIView):
    """A patient's medication lines (current and past) and home medications."""

    queryset = PrescriptionItem.objects.none()
    serializer_class = MedicationsSerializer
    required_permissions = _needs("pharmacy.view_prescription")

    @extend_schema(
        summary="A patient's medications",
        responses={200: MedicationsSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        patient = patient_get(request.user, patient_id)
        require_chart_access(request, patient, PART)
        data = {
            "lines": selectors.medication_lines(patient),
            "home_medications": HomeMedication.objects.filter(patient=patient).select_related(
                "drug", "recorded_by"
            ),
        }
        return Response(MedicationsSerializer(data).data)


routes = []
urlpatterns = [
    path("drugs", DrugListView.as_view(), name="drug_list"),
    path(
        "patients/<uuid:patient_id>/prescriptions",
        PatientPrescriptionsView.as_view(),
        name="patient_prescriptions",
    ),
    path(
        "patients/<uuid:patient_id>/medications",
        PatientMedicationsView.as_view(),
        name="patient_medications",
    ),
    path("prescriptions/<uuid:pk>", PrescriptionDetailView.as_view(), name="prescription_detail"),
    path("prescriptions/<uuid:pk>/sign", PrescriptionSignView.as_view(), name="prescription_sign"),
    path("prescriptions/<uuid:pk>/pdf", PrescriptionPdfView.as_view(), name="prescription_pdf"),
    path(
        "prescription-items/<uuid:pk>/discontinue",
        PrescriptionItemDiscontinueView.as_view(),
        name="prescription_item_discontinue",
    ),
]
