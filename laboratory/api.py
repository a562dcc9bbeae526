"""API v1 of the laboratory: the test catalogue, lab orders and their transitions,
results (the original documents' `labs` resource), critical alerts and turnaround.

The same gates as the pages: the role permission of the request (`required_permissions`
for the kernel's `RolePermission`), the patient through the one selector (404), then chart
access to the `results` part (care team, break-the-glass, or the lab's worklist),
checked and logged by `patients.access.require_chart_access`. Order lists carry no
values, so they need only the demographic level (logged too). A transition out of order
answers 409; verification by the person who entered the result 409 `same_user`.
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ehr.core.exceptions import InvalidTransition
from laboratory import selectors, services
from laboratory.documents import document_response, document_upload
from laboratory.models import (
    CriticalAlert,
    CriticalAlertStatus,
    DocumentCategory,
    LabOrder,
    LabOrderStatus,
    LabResult,
    LabTest,
    PatientDocument,
    Priority,
)
from laboratory.reports import turnaround_rows
from patients.access import (
    PatientReferenceSerializer,
    UserReferenceSerializer,
    log_demographic_read,
    require_chart_access,
    require_chart_access_many,
)
from patients.selectors import patient_get

FORBIDDEN = OpenApiResponse(
    description="The role does not allow this, or you are outside the patient's care team "
    "(break the glass first)."
)
NOT_FOUND = OpenApiResponse(description="No such record, or not in your scope.")
FIELD_ERRORS = OpenApiResponse(description="Field errors.")
CONFLICT = OpenApiResponse(
    description="The order's state does not allow this (code invalid_transition), or the "
    "verifier entered the result (code same_user)."
)
VIEW_PATIENT = "patients.view_patient"


# --- Serializers ------------------------------------------------------------------------------


class LabTestSerializer(serializers.ModelSerializer):
    specimen_type = serializers.CharField(source="specimen_type.name", default="", read_only=True)

    class Meta:
        model = LabTest
        fields = ["id", "code", "loinc", "name", "unit", "specimen_type", "is_panel"]


class LineSerializer(serializers.ModelSerializer):
    """A result line of an order without its value (the order lists)."""

    test = serializers.CharField(source="test.code", read_only=True)

    class Meta:
        model = LabResult
        fields = ["id", "test", "status"]


class LabOrderSerializer(serializers.ModelSerializer):
    patient = PatientReferenceSerializer(read_only=True)
    ordering_doctor = UserReferenceSerializer(read_only=True)
    lines = serializers.SerializerMethodField()
    accession_number = serializers.SerializerMethodField()

    class Meta:
        model = LabOrder
        fields = [
            "id",
            "patient",
            "ordering_doctor",
            "priority",
            "status",
            "ordered_at",
            "collected_at",
            "received_at",
            "resulted_at",
            "verified_at",
            "accession_number",
            "lines",
        ]

    @extend_schema(responses=LineSerializer(many=True))
    def get_lines(self, order) -> list:
        lines = [line for line in order.results.all() if line.status != "corrected"]
        return LineSerializer(lines, many=True).data

    def get_accession_number(self, order) -> str:
        specimen = order.current_specimen
        return specimen.accession_number if specimen else ""


class LabOrderCreateSerializer(serializers.Serializer):
    tests = serializers.PrimaryKeyRelatedField(
        queryset=LabTest.objects.filter(active=True), many=True, allow_empty=False
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    clinical_notes = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    fasting = serializers.BooleanField(required=False, default=False)
    encounter = serializers.UUIDField(required=False, allow_null=True)


class ResultValueSerializer(serializers.Serializer):
    line = serializers.UUIDField()
    value = serializers.CharField(max_length=500, allow_blank=False)


class ResultsEntrySerializer(serializers.Serializer):
    results = ResultValueSerializer(many=True, allow_empty=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class LabResultSerializer(serializers.ModelSerializer):
    """A result, as the original documents' `labs` resource."""

    test = serializers.CharField(source="test.name", read_only=True)
    code = serializers.CharField(source="test.code", read_only=True)
    loinc = serializers.CharField(source="test.loinc", read_only=True)
    value = serializers.CharField(source="display_value", read_only=True)
    order = serializers.UUIDField(source="order_id", read_only=True)
    resulted_at = serializers.DateTimeField(source="entered_at", read_only=True)

    class Meta:
        model = LabResult
        fields = [
            "id",
            "order",
            "test",
            "code",
            "loinc",
            "value",
            "unit",
            "reference_range",
            "flag",
            "status",
            "version",
            "resulted_at",
            "verified_at",
        ]


class CriticalAlertSerializer(serializers.ModelSerializer):
    patient = PatientReferenceSerializer(read_only=True)
    doctor = UserReferenceSerializer(read_only=True)
    acknowledged_by = UserReferenceSerializer(read_only=True, allow_null=True)
    result = LabResultSerializer(read_only=True)
    minutes_to_acknowledge = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = CriticalAlert
        fields = [
            "id",
            "patient",
            "doctor",
            "result",
            "status",
            "raised_at",
            "escalation_level",
            "acknowledged_by",
            "acknowledged_at",
            "read_back_note",
            "minutes_to_acknowledge",
        ]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


# --- Views ------------------------------------------------------------------------------------


class LabTestListView(generics.ListAPIView):
    """The active tests and panels; `?search=` in code, name or LOINC code."""

    serializer_class = LabTestSerializer
    required_permissions = {"GET": ["laboratory.view_labtest"]}

    @extend_schema(
        summary="The lab test catalogue",
        parameters=[OpenApiParameter("search", str, description="Code, name or LOINC code.")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.lab_test_search(self.request.query_params.get("search", "")[:100])


class PatientLabOrdersView(generics.GenericAPIView):
    """A patient's lab orders (without values); order tests or panels."""

    serializer_class = LabOrderSerializer
    queryset = LabOrder.objects.none()  # for the schema; reads go through selectors
    required_permissions = {
        "GET": [VIEW_PATIENT, "laboratory.view_laborder"],
        "POST": [VIEW_PATIENT, "laboratory.add_laborder"],
    }

    @extend_schema(
        summary="A patient's lab orders, newest first (no values)",
        responses={200: LabOrderSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, patient_id):
        patient = patient_get(request.user, patient_id)
        log_demographic_read(request, patient, "lab-orders")
        orders = (
            selectors.laborder_list_for_user(request.user)
            .filter(patient=patient)
            .prefetch_related("results__test", "specimens")
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(LabOrderSerializer(page, many=True).data)

    @extend_schema(
        summary="Order lab tests or panels (panels are expanded into result lines)",
        request=LabOrderCreateSerializer,
        responses={201: LabOrderSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, patient_id):
        patient = patient_get(request.user, patient_id)
        require_chart_access(request, patient, "results:order")
        serializer = LabOrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        encounter = None
        if data.get("encounter"):
            encounter = patient.encounters.filter(pk=data["encounter"]).first()
            if encounter is None:
                raise serializers.ValidationError({"encounter": ["Not this patient's encounter."]})
        order = services.lab_order_create(
            patient=patient,
            actor=request.user,
            tests=data["tests"],
            priority=data["priority"],
            clinical_notes=data["clinical_notes"],
            fasting=data["fasting"],
            encounter=encounter,
        )
        return Response(LabOrderSerializer(order).data, status=status.HTTP_201_CREATED)


class LabOrderActionView(APIView):
    """Base of /lab-orders/{id}/<action>: the order through the selector (404), chart
    access to `results:<action>` (403), then the service (409 out of order)."""

    action = ""
    request_serializer = None

    def get_order(self):
        order = get_object_or_404(
            selectors.laborder_list_for_user(self.request.user), pk=self.kwargs["pk"]
        )
        require_chart_access(self.request, order.patient, f"results:{self.action}")
        return order

    def respond(self, order, **extra):
        order = selectors.laborder_detail_queryset(self.request.user).get(pk=order.pk)
        return Response({**LabOrderSerializer(order).data, **extra})

    def validated(self, request):
        serializer = self.request_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _action_schema(summary, request=None):
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: LabOrderSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )


class LabOrderCollectView(LabOrderActionView):
    required_permissions = {"POST": ["laboratory.add_specimen"]}
    action = "collect"

    @_action_schema("Record the specimen's collection; answers its accession_number")
    def post(self, request, pk):
        specimen = services.lab_order_collect(order=self.get_order(), actor=request.user)
        return self.respond(specimen.order)


class LabOrderReceiveView(LabOrderActionView):
    required_permissions = {"POST": ["laboratory.change_specimen"]}
    action = "receive"

    @_action_schema("Receive the order's specimen in the lab")
    def post(self, request, pk):
        order = self.get_order()
        specimen = order.current_specimen
        if specimen is None or not order.can_transition_to(LabOrderStatus.RECEIVED):
            raise InvalidTransition(
                order.transition_message
                % {"old": order.get_status_display(), "new": LabOrderStatus.RECEIVED.label}
            )
        order = services.lab_order_receive(
            accession_number=specimen.accession_number, actor=request.user
        )
        return self.respond(order)


class LabOrderResultsView(LabOrderActionView):
    required_permissions = {"POST": ["laboratory.enter_labresult"]}
    action = "enter"
    request_serializer = ResultsEntrySerializer

    @_action_schema("Enter results: {results: [{line, value}]}", ResultsEntrySerializer)
    def post(self, request, pk):
        order = self.get_order()
        data = self.validated(request)
        values = {str(item["line"]): item["value"] for item in data["results"]}
        order = services.lab_results_enter(order=order, actor=request.user, values=values)
        return self.respond(order)


class LabOrderVerifyView(LabOrderActionView):
    required_permissions = {"POST": ["laboratory.verify_labresult"]}
    action = "verify"

    @_action_schema("Verify the results (a second person: 409 same_user otherwise)")
    def post(self, request, pk):
        order = services.lab_order_verify(order=self.get_order(), actor=request.user)
        return self.respond(order)


class LabOrderCancelView(LabOrderActionView):
    required_permissions = {"POST": ["laboratory.change_laborder"]}
    action = "cancel"
    request_serializer = ReasonSerializer

    @_action_schema("Cancel the order with a reason", ReasonSerializer)
    def post(self, request, pk):
        order = self.get_order()
        data = self.validated(request)
        order = services.lab_order_cancel(order=order, actor=request.user, reason=data["reason"])
        return self.respond(order)


class LabsView(generics.GenericAPIView):
    """Results of a patient (`?patient=`, required), newest first; enter one result."""

    serializer_class = LabResultSerializer
    queryset = LabResult.objects.none()  # for the schema; reads go through selectors
    required_permissions = {
        "GET": [VIEW_PATIENT, "laboratory.view_labresult"],
        "POST": ["laboratory.enter_labresult"],
    }

    @extend_schema(
        summary="A patient's lab results",
        parameters=[OpenApiParameter("patient", str, required=True, description="Patient id.")],
        responses={
            200: LabResultSerializer(many=True),
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request):
        patient_id = request.query_params.get("patient", "")
        if not patient_id:
            raise serializers.ValidationError({"patient": ["This parameter is required."]})
        patient = patient_get(request.user, patient_id)
        require_chart_access(request, patient, "results")
        results = selectors.results_for_patient(patient)
        page = self.paginate_queryset(results)
        return self.get_paginated_response(LabResultSerializer(page, many=True).data)

    @extend_schema(
        summary="Enter one result: {line, value}",
        request=ResultValueSerializer,
        responses={
            201: LabResultSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request):
        serializer = ResultValueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line = get_object_or_404(
            LabResult.objects.filter(
                order__in=selectors.laborder_list_for_user(request.user)
            ).select_related("order__patient"),
            pk=data["line"],
        )
        require_chart_access(request, line.order.patient, "results:enter")
        services.lab_results_enter(
            order=line.order, actor=request.user, values={str(line.pk): data["value"]}
        )
        line.refresh_from_db()
        return Response(LabResultSerializer(line).data, status=status.HTTP_201_CREATED)


class CriticalAlertListView(generics.GenericAPIView):
    """The critical alerts of the user's orders (`?status=open|acknowledged`)."""

    serializer_class = CriticalAlertSerializer
    queryset = CriticalAlert.objects.none()  # for the schema; reads go through selectors
    required_permissions = {"GET": [VIEW_PATIENT, "laboratory.view_criticalalert"]}

    @extend_schema(
        summary="The critical alerts of the user's orders",
        parameters=[
            OpenApiParameter("status", str, enum=CriticalAlertStatus.values, required=False)
        ],
        responses={200: CriticalAlertSerializer(many=True), 403: FORBIDDEN},
    )
    def get(self, request):
        alerts = selectors.critical_alert_list_for_user(request.user).filter(doctor=request.user)
        wanted = request.query_params.get("status", "")
        if wanted in CriticalAlertStatus.values:
            alerts = alerts.filter(status=wanted)
        page = self.paginate_queryset(alerts.order_by("-raised_at"))
        require_chart_access_many(request, {a.patient for a in page}, "results")
        return self.get_paginated_response(CriticalAlertSerializer(page, many=True).data)


class CriticalAlertAcknowledgeView(APIView):
    required_permissions = {"POST": [VIEW_PATIENT, "laboratory.change_criticalalert"]}

    @extend_schema(
        summary="Acknowledge a critical result with the read-back note",
        request=NoteSerializer,
        responses={
            200: CriticalAlertSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        alert = get_object_or_404(selectors.critical_alert_list_for_user(request.user), pk=pk)
        patient = patient_get(request.user, alert.patient_id)
        require_chart_access(request, patient, "results:acknowledge")
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = services.critical_alert_acknowledge(
            alert=alert, actor=request.user, note=serializer.validated_data["note"]
        )
        return Response(CriticalAlertSerializer(alert).data)


class TurnaroundQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields


class TurnaroundView(APIView):
    """Median and 90th percentile of each stage per test and priority (minutes)."""

    required_permissions = {"GET": ["laboratory.view_turnaround"]}

    @extend_schema(
        summary="Turnaround times per test and priority",
        parameters=[
            OpenApiParameter("from", str, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("to", str, description="Last day (YYYY-MM-DD)."),
        ],
        responses={
            200: OpenApiResponse(description="Rows per test and priority."),
            400: FIELD_ERRORS,
        },
    )
    def get(self, request):
        query = TurnaroundQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = turnaround_rows(
            start=query.validated_data.get("from"), end=query.validated_data.get("to")
        )
        return Response({"results": rows})


class DocumentSerializer(serializers.ModelSerializer):
    patient = PatientReferenceSerializer(read_only=True)

    class Meta:
        model = PatientDocument
        fields = [
            "id",
            "patient",
            "category",
            "remark",
            "original_name",
            "content_type",
            "size",
            "dicom",
            "warning",
            "uploaded_at",
        ]


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    category = serializers.ChoiceField(choices=DocumentCategory.choices)
    remark = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PatientDocumentsView(APIView):
    """Upload a document or image of a patient (multipart: file, category, remark)."""

    parser_classes = [MultiPartParser]
    required_permissions = {"POST": [VIEW_PATIENT, "laboratory.add_patientdocument"]}

    @extend_schema(
        summary="Upload a document or image (type checked by content)",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, patient_id):
        patient = patient_get(request.user, patient_id)
        require_chart_access(request, patient, "documents:upload")
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = document_upload(
            patient=patient,
            actor=request.user,
            upload=data["file"],
            category=data["category"],
            remark=data["remark"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentFileView(APIView):
    """The file of a document, after the chart-access check (logged)."""

    required_permissions = {"GET": [VIEW_PATIENT, "laboratory.view_patientdocument"]}

    @extend_schema(
        summary="Download a document's file",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file."),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk):
        document = get_object_or_404(selectors.document_list_for_user(request.user), pk=pk)
        patient = patient_get(request.user, document.patient_id)
        require_chart_access(request, patient, "documents:download")
        return document_response(document)


routes = []
urlpatterns = [
    path("lab/tests", LabTestListView.as_view(), name="lab_tests"),
    path("lab/turnaround", TurnaroundView.as_view(), name="lab_turnaround"),
    path(
        "patients/<uuid:patient_id>/lab-orders",
        PatientLabOrdersView.as_view(),
        name="patient_lab_orders",
    ),
    path("lab-orders/<uuid:pk>/collect", LabOrderCollectView.as_view(), name="laborder_collect"),
    path("lab-orders/<uuid:pk>/receive", LabOrderReceiveView.as_view(), name="laborder_receive"),
    path("lab-orders/<uuid:pk>/results", LabOrderResultsView.as_view(), name="laborder_results"),
    path("lab-orders/<uuid:pk>/verify", LabOrderVerifyView.as_view(), name="laborder_verify"),
    path("lab-orders/<uuid:pk>/cancel", LabOrderCancelView.as_view(), name="laborder_cancel"),
    path("labs", LabsView.as_view(), name="labs"),
    path(
        "patients/<uuid:patient_id>/documents",
        PatientDocumentsView.as_view(),
        name="patient_documents",
    ),
    path("documents/<uuid:pk>/file", DocumentFileView.as_view(), name="document_file"),
    path("critical-alerts", CriticalAlertListView.as_view(), name="critical_alerts"),
    path(
        "critical-alerts/<uuid:pk>/acknowledge",
        CriticalAlertAcknowledgeView.as_view(),
        name="criticalalert_acknowledge",
    ),
]
