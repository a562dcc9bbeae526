"""API v1 for scheduling: a doctor's free slots on a date, the next free slots across a
specialty, and appointments (list, book, read, change, reschedule, cancel).

Gates: the kernel's `RolePermission`, with the permissions each view declares:
`scheduling.view_appointment` to read, `add_` to book, `change_` to change, `delete_`
to cancel by DELETE; checking a patient in or marking a no-show needs
`scheduling.check_in_appointment` instead (nurses hold it, not `change_appointment`);
the free slots `scheduling.view_doctorschedule`.
Other records appear as nested references ({"id", "name"}; patients add "mrn"); the
flat `*_name` fields beside them are deprecated aliases, removed in v2. Writes take ids.
Every write goes through `scheduling.services`. Conflicts answer 409 with
{"detail", "code"} (`doctor_double_booked`, `room_double_booked`,
`outside_availability`, `invalid_transition`, `check_in_not_on_the_day`,
`appointment_closed`); bad input answers
400 with field errors.
"""

import uuid
from collections.abc import Mapping
from datetime import timedelta

from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Specialty
from accounts.selectors import active_doctors
from ehr.core.api.serializers import ReferenceSerializer
from ehr.core.models import TEXT_MAX_LENGTH
from patients.access import (
    ClinicalReasonSerializerMixin,
    PatientReferenceSerializer,
    UserReferenceSerializer,
)
from patients.selectors import patient_list_for_user
from scheduling import services
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    ConsultationRoom,
)
from scheduling.selectors import (
    appointment_list,
    appointment_list_for_user,
    free_slots,
    next_available,
    overlapping_appointments,
)

CHECK_IN_PERMISSION = "scheduling.check_in_appointment"
VIEW_SCHEDULE_PERMISSION = "scheduling.view_doctorschedule"
# The states a front desk or a ward nurse sets on arrival.
CHECK_IN_STATES = (AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW)
DEFAULT_CANCELLATION_REASON = "Cancelled through the API"


def _doctor_name(user):
    return f"Dr {user.get_full_name()}".strip()


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _requested_status(request):
    data = request.data
    return data.get("status") if isinstance(data, Mapping) else None


# --- Serializers ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "date-time"})
class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 in the site's time zone with its numeric offset (`+02:00`, `+00:00`)."""

    def to_representation(self, value):
        return timezone.localtime(value).isoformat() if value else None


class SlotSerializer(serializers.Serializer):
    start = OffsetDateTimeField()
    end = OffsetDateTimeField()


class NextSlotSerializer(SlotSerializer):
    doctor = UserReferenceSerializer(read_only=True)
    doctor_name = serializers.CharField(help_text="Deprecated: use doctor.name; removed in v2.")
    clinic = ReferenceSerializer(read_only=True, allow_null=True)
    room = ReferenceSerializer(read_only=True, allow_null=True)


DEPRECATED_NAME = "Deprecated: use {ref}.name; removed in v2."
TIMESTAMP_FIELDS = (
    "status_changed_at",
    "booked_at",
    "confirmed_at",
    "checked_in_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "no_show_at",
    "created_at",
    "updated_at",
)


def _offset(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def _reference(record, name):
    return None if record is None else {"id": str(record.pk), "name": name}


class AppointmentSerializer(ClinicalReasonSerializerMixin, serializers.Serializer):
    """An appointment. `patient`, `doctor`, `clinic`, `room` and `type` are references
    ({"id", "name"}; the patient's adds "mrn"), whose ids are those other endpoints take
    (GET /api/v1/patients, GET /api/v1/doctors). `reason` (for the visit) is clinical:
    null without chart access, `reason_recorded` says whether one was written."""

    id = serializers.UUIDField()
    patient = PatientReferenceSerializer(read_only=True)
    patient_name = serializers.CharField(
        source="patient.full_name", help_text=DEPRECATED_NAME.format(ref="patient")
    )
    doctor = UserReferenceSerializer(read_only=True)
    doctor_name = serializers.SerializerMethodField(help_text=DEPRECATED_NAME.format(ref="doctor"))
    clinic = ReferenceSerializer(read_only=True, allow_null=True)
    clinic_name = serializers.CharField(
        source="clinic.name", allow_null=True, help_text=DEPRECATED_NAME.format(ref="clinic")
    )
    room = ReferenceSerializer(read_only=True, allow_null=True)
    room_name = serializers.CharField(
        source="room.name", allow_null=True, help_text=DEPRECATED_NAME.format(ref="room")
    )
    type = ReferenceSerializer(source="appointment_type", read_only=True)
    type_name = serializers.CharField(
        source="appointment_type.name", help_text=DEPRECATED_NAME.format(ref="type")
    )
    start = OffsetDateTimeField()
    end = OffsetDateTimeField()
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    allowed_transitions = serializers.SerializerMethodField()
    notes = serializers.CharField()
    cancellation_reason = serializers.CharField()
    rescheduled_from = ReferenceSerializer(
        allow_null=True,
        read_only=True,
        help_text="The appointment this one replaces (its time and type).",
    )
    series = ReferenceSerializer(
        allow_null=True, read_only=True, help_text="The recurring series it belongs to."
    )
    outside_availability = serializers.BooleanField()
    status_changed_at = OffsetDateTimeField()
    booked_at = OffsetDateTimeField(allow_null=True)
    confirmed_at = OffsetDateTimeField(allow_null=True)
    checked_in_at = OffsetDateTimeField(allow_null=True)
    started_at = OffsetDateTimeField(allow_null=True)
    completed_at = OffsetDateTimeField(allow_null=True)
    cancelled_at = OffsetDateTimeField(allow_null=True)
    no_show_at = OffsetDateTimeField(allow_null=True)
    created_at = OffsetDateTimeField()
    updated_at = OffsetDateTimeField()

    def to_representation(self, instance):
        """The declared fields as DRF's field-by-field path gives them (a test holds both
        to the same answer), built directly: a page of 25 appointments spent most of its
        time in that machinery. Subclasses with more fields take DRF's path."""
        if type(self) is not AppointmentSerializer:
            return super().to_representation(instance)
        patient, doctor = instance.patient, instance.doctor
        clinic, room, kind = instance.clinic, instance.room, instance.appointment_type
        previous, series = instance.rescheduled_from, instance.series
        patient_name = patient.full_name
        values = {
            "reason": self.get_reason(instance),
            "reason_recorded": self.get_reason_recorded(instance),
            "id": str(instance.pk),
            "patient": {
                "id": str(patient.pk),
                "name": patient_name,
                "mrn": str(patient.display_mrn),
            },
            "patient_name": str(patient_name),
            "doctor": {"id": str(doctor.pk), "name": doctor.get_full_name()},
            "doctor_name": _doctor_name(doctor),
            "clinic": _reference(clinic, clinic.name if clinic else None),
            "clinic_name": str(clinic.name) if clinic is not None else None,
            "room": _reference(room, room.name if room else None),
            "room_name": str(room.name) if room is not None else None,
            "type": _reference(kind, kind.name),
            "type_name": str(kind.name),
            "start": _offset(instance.start),
            "end": _offset(instance.end),
            "status": instance.status,
            "allowed_transitions": self.get_allowed_transitions(instance),
            "notes": str(instance.notes),
            "cancellation_reason": str(instance.cancellation_reason),
            "rescheduled_from": _reference(previous, str(previous) if previous else None),
            "series": _reference(series, str(series) if series else None),
            "outside_availability": bool(instance.outside_availability),
        }
        for name in TIMESTAMP_FIELDS:
            values[name] = _offset(getattr(instance, name))
        return {name: values[name] for name in self.fields}

    def get_doctor_name(self, appointment) -> str:
        return _doctor_name(appointment.doctor)

    def get_allowed_transitions(self, appointment) -> list[str]:
        """The states the appointment may go to now: its transition table and its own
        rules (a check-in only on its day, a no-show once it began)."""
        return [str(state) for state in appointment.allowed_transitions()]


class BookingWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    appointment = serializers.UUIDField(help_text="The patient's other appointment.")


class AppointmentWithWarningsSerializer(AppointmentSerializer):
    warnings = BookingWarningSerializer(
        many=True,
        help_text="Booked anyway, but worth a look: the patient's other appointments at "
        "the same time.",
    )


class AppointmentTypeField(serializers.CharField):
    """An appointment type by its id, its name or its code (case-insensitive)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        try:
            key = Q(pk=uuid.UUID(value))
        except ValueError:
            key = Q(name__iexact=value) | Q(code__iexact=value)
        found = AppointmentType.objects.filter(key).first()
        if found is None:
            raise serializers.ValidationError(_("No appointment type has this id, name or code."))
        if not found.is_active:
            raise serializers.ValidationError(_("This appointment type is no longer in use."))
        return found


class _AppointmentWriteSerializer(serializers.Serializer):
    doctor = serializers.UUIDField(help_text="The doctor's user id, as GET /api/v1/doctors lists.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(
        required=False, help_text="The type's default length after `start` if omitted."
    )
    type = AppointmentTypeField(help_text="The appointment type's id, name or code.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    room = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A consultation room; the room of the doctor's session if omitted.",
    )
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Book outside the doctor's availability (emergencies); needs the "
        "permission scheduling.book_outside_availability.",
    )

    def validate_doctor(self, value):
        doctor = active_doctors().filter(pk=value).first()
        if doctor is None:
            raise serializers.ValidationError(_("No active doctor has this id."))
        return doctor

    def validate_room(self, value):
        if value is None:
            return None
        room = ConsultationRoom.objects.filter(pk=value, is_active=True).first()
        if room is None:
            raise serializers.ValidationError(_("No consultation room in use has this id."))
        return room

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and end <= start:
            raise serializers.ValidationError({"end": _("The end comes after the start.")})
        return attrs


class AppointmentCreateSerializer(_AppointmentWriteSerializer):
    patient = serializers.UUIDField(help_text="The patient's id (GET /api/v1/patients).")

    def validate_patient(self, value):
        patient = patient_list_for_user(self.context["request"].user).filter(pk=value).first()
        if patient is None:
            raise serializers.ValidationError(_("No patient has this id."))
        return patient


class AppointmentChangeSerializer(_AppointmentWriteSerializer):
    """A change: either `status` (with `cancellation_reason` or `reason` as the reason
    of the change), or any of the booking's fields."""

    status = serializers.ChoiceField(choices=AppointmentStatus.choices, required=False)
    cancellation_reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    patient = serializers.UUIDField(
        required=False, help_text="May be sent (PUT), but must be the appointment's patient."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "status" in attrs:
            others = set(attrs) - {"status", "reason", "cancellation_reason", "override"}
            if others:
                raise serializers.ValidationError(
                    {
                        "status": _(
                            "Change the status on its own (with a reason); change %(fields)s "
                            "in another request."
                        )
                        % {"fields": ", ".join(sorted(others))}
                    }
                )
        appointment = self.context["appointment"]
        if "patient" in attrs and attrs["patient"] != appointment.patient_id:
            raise serializers.ValidationError(
                {"patient": _("An appointment keeps its patient; cancel it and book another.")}
            )
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    cancellation_reason = serializers.CharField(required=False, allow_blank=True, max_length=255)


class AppointmentFilterSerializer(serializers.Serializer):
    doctor = serializers.UUIDField(required=False)
    patient = serializers.UUIDField(required=False)
    date = serializers.DateField(required=False, help_text="Appointments starting that day.")
    status = serializers.MultipleChoiceField(choices=AppointmentStatus.choices, required=False)


class SlotQuerySerializer(serializers.Serializer):
    date = serializers.DateField()


class NextSlotQuerySerializer(serializers.Serializer):
    specialty = serializers.CharField(required=False, help_text="A specialty's id or code.")
    doctor = serializers.UUIDField(required=False)
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)
    after = serializers.DateTimeField(required=False, help_text="Now if omitted.")

    def validate_specialty(self, value):
        value = value.strip()
        try:
            key = Q(pk=uuid.UUID(value))
        except ValueError:
            key = Q(code__iexact=value)
        specialty = Specialty.objects.filter(key).first()
        if specialty is None:
            raise serializers.ValidationError(_("No specialty has this id or code."))
        return specialty


# --- Slots ------------------------------------------------------------------------------------


class DoctorSlotsView(APIView):
    """A doctor's free slots on a date: the weekly schedule and extra sessions, minus
    leave, blocked time, hospital holidays, the past and booked time."""

    required_permissions = {"GET": [VIEW_SCHEDULE_PERMISSION]}

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, required=True, description="YYYY-MM-DD"),
        ],
        responses={200: SlotSerializer(many=True), 400: None, 404: None},
    )
    def get(self, request, pk):
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        doctor = get_object_or_404(active_doctors(), pk=pk)
        slots = free_slots(doctor, query.validated_data["date"])
        return Response(SlotSerializer(slots, many=True).data)


class NextSlotsView(APIView):
    """The next free slots, earliest first, across the doctors of a specialty
    (`?specialty=<id or code>`), one doctor (`?doctor=<id>`), or every doctor, looking
    up to 60 days ahead; each slot names its doctor."""

    required_permissions = {"GET": [VIEW_SCHEDULE_PERMISSION]}

    @extend_schema(
        parameters=[
            OpenApiParameter("specialty", str, description="Specialty id or code"),
            OpenApiParameter("doctor", str, description="Doctor id"),
            OpenApiParameter("limit", int, description="1 to 50 (default 10)"),
            OpenApiParameter("after", str, description="ISO 8601 date-time (default now)"),
        ],
        responses={200: NextSlotSerializer(many=True), 400: None},
    )
    def get(self, request):
        query = NextSlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        doctors = active_doctors(data.get("specialty"))
        if "doctor" in data:
            doctors = doctors.filter(pk=data["doctor"])
        doctors = {doctor.pk: doctor for doctor in doctors}
        # Never offer time that has passed, whatever `after` says.
        after = max(data.get("after") or timezone.now(), timezone.now())
        slots = next_available(doctors=list(doctors.values()), after=after, limit=data["limit"])
        clinics = Clinic.objects.in_bulk({slot.clinic_id for slot in slots if slot.clinic_id})
        rooms = ConsultationRoom.objects.in_bulk({slot.room_id for slot in slots if slot.room_id})
        rows = [
            {
                "doctor": doctors[slot.doctor_id],
                "doctor_name": _doctor_name(doctors[slot.doctor_id]),
                "start": slot.start,
                "end": slot.end,
                "clinic": clinics.get(slot.clinic_id),
                "room": rooms.get(slot.room_id),
            }
            for slot in slots
        ]
        return Response(NextSlotSerializer(rows, many=True).data)


# --- Appointments -----------------------------------------------------------------------------


def _patient_warnings(patient, start, end, exclude=None):
    others = overlapping_appointments(
        start=start, end=end, patient=patient, exclude=exclude
    ).select_related("doctor")
    return [
        {
            "code": "patient_already_booked",
            "detail": _(
                "The patient already has an appointment from %(start)s to %(end)s with %(doctor)s."
            )
            % {
                "start": _local(other.start),
                "end": timezone.localtime(other.end).strftime("%H:%M"),
                "doctor": _doctor_name(other.doctor),
            },
            "appointment": other.pk,
        }
        for other in others.order_by("start")
    ]


# The appointment's own columns and what the references name (AppointmentSerializer).
API_FIELDS = (
    *(
        field.name if not field.is_relation else field.attname
        for field in Appointment._meta.concrete_fields
    ),
    "patient__first_name",
    "patient__middle_name",
    "patient__last_name",
    "patient__mrn",
    "doctor__first_name",
    "doctor__last_name",
    "clinic__name",
    "room__name",
    "appointment_type__name",
)


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Appointments (`?doctor=<id>`, `?patient=<id>`, `?date=YYYY-MM-DD`,
    `?status=<state>`, repeatable), booked, changed and cancelled through the
    scheduling services."""

    queryset = Appointment.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = AppointmentSerializer
    # The role gate (the kernel's RolePermission) by HTTP method; see
    # get_required_permissions for arrival marks.
    method_permissions = {
        "GET": ["scheduling.view_appointment"],
        "HEAD": ["scheduling.view_appointment"],
        "OPTIONS": ["scheduling.view_appointment"],
        "POST": ["scheduling.add_appointment"],
        "PUT": ["scheduling.change_appointment"],
        "PATCH": ["scheduling.change_appointment"],
        "DELETE": ["scheduling.delete_appointment"],
    }

    def get_required_permissions(self, request):
        """Return what `request` needs: a change that only checks the patient in or
        marks a no-show needs `scheduling.check_in_appointment`; every other change
        `change_appointment`; DELETE (cancel) `delete_appointment`; reads
        `view_appointment`."""
        if request.method in ("PUT", "PATCH") and _requested_status(request) in CHECK_IN_STATES:
            return [CHECK_IN_PERMISSION]
        return self.method_permissions.get(request.method)

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            query = AppointmentFilterSerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            data = query.validated_data
            filters = {
                "doctor": data.get("doctor"),
                "patient": data.get("patient"),
                "day": data.get("date"),
                "status": sorted(data["status"]) if data.get("status") else None,
            }
        # The filtered list (with what it shows) within the user's scope. The related
        # records are named only: their few columns; the rarely set rescheduled-from and
        # series are read apart (a query each only when a row has one), since every join
        # makes PostgreSQL's planning of the page's query costlier than running it.
        queryset = appointment_list(**filters) & appointment_list_for_user(self.request.user)
        return (
            queryset.only(*API_FIELDS)
            .prefetch_related(
                Prefetch(
                    "rescheduled_from",
                    queryset=Appointment.objects.select_related("appointment_type").only(
                        "start", "appointment_type__name"
                    ),
                ),
                "series",
            )
            .order_by("start", "doctor__last_name", "pk")
        )

    def _answer(self, appointment, warnings, code=status.HTTP_200_OK):
        appointment = self.get_queryset().get(pk=appointment.pk)
        data = AppointmentSerializer(appointment, context=self.get_serializer_context()).data
        data["warnings"] = BookingWarningSerializer(warnings, many=True).data
        return Response(data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("doctor", str, description="Doctor id"),
            OpenApiParameter("patient", str, description="Patient id"),
            OpenApiParameter("date", str, description="YYYY-MM-DD: appointments starting that day"),
            OpenApiParameter("status", str, many=True, enum=AppointmentStatus.values, explode=True),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AppointmentCreateSerializer,
        responses={
            201: AppointmentWithWarningsSerializer,
            400: OpenApiResponse(description="Field errors, or a time that has passed."),
            409: OpenApiResponse(
                description="The doctor or the room is booked (`doctor_double_booked`, "
                "`room_double_booked`), or the time is outside the doctor's availability "
                "(`outside_availability`) without an allowed override."
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """Book an appointment. A patient with another appointment at the same time is
        booked anyway; the answer's `warnings` lists the other appointments."""
        payload = AppointmentCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        appointment_type = data["type"]
        end = data.get("end") or data["start"] + timedelta(
            minutes=appointment_type.default_duration
        )
        warnings = _patient_warnings(data["patient"], data["start"], end)
        appointment = services.appointment_book(
            patient=data["patient"],
            doctor=data["doctor"],
            start=data["start"],
            end=end,
            room=data.get("room"),
            appointment_type=appointment_type,
            reason=data.get("reason", ""),
            notes=data.get("notes", ""),
            override=data["override"],
            allow_patient_overlap=True,
            actor=request.user,
        )
        return self._answer(appointment, warnings, status.HTTP_201_CREATED)

    @extend_schema(
        request=AppointmentChangeSerializer,
        responses={
            200: AppointmentWithWarningsSerializer,
            400: OpenApiResponse(description="Field errors; a cancellation without a reason."),
            409: OpenApiResponse(
                description="A state change the transition table forbids "
                "(`invalid_transition`), a check-in on another day than the appointment's "
                "(`check_in_not_on_the_day`), a closed appointment (`appointment_closed`), or "
                "the new time is taken or outside availability."
            ),
        },
        description=(
            "Change an appointment (PUT needs `doctor`, `start` and `type`; fields left "
            "out keep their values; PATCH takes any of them).\n\n"
            "* `status` alone (PATCH) follows the transition table (forbidden: 409). Cancelling "
            "needs `cancellation_reason` (or `reason`): 400 without; so does completing a "
            '`checked_in` visit (no encounter was started): 400 `{"reason": [...]}`. '
            "`checked_in` only on the appointment's day, the hospital's local date (else 409 "
            "`check_in_not_on_the_day`); `allowed_transitions` lists what is allowed now. "
            "`checked_in` and `no_show` need `scheduling.check_in_appointment`.\n"
            "* `reason`, `notes` and `type` change the appointment in place.\n"
            "* A new `start`, `end`, `doctor` or `room` **reschedules**: the appointment "
            'is cancelled (reason "Rescheduled") and a new one is booked by the same '
            "rules as POST. The answer is the **new** appointment, with a new `id`; its "
            "`rescheduled_from` names the old one. If the new time is refused, nothing "
            "changes. `room: null` keeps the room (with a new doctor: the room of their "
            "session)."
        ),
    )
    def update(self, request, *args, **kwargs):
        return self._change(request, partial=False)

    @extend_schema(
        request=AppointmentChangeSerializer,
        responses={200: AppointmentWithWarningsSerializer, 400: None, 409: None},
        description="As PUT, with any subset of the fields.",
    )
    def partial_update(self, request, *args, **kwargs):
        return self._change(request, partial=True)

    def _change(self, request, *, partial):
        appointment = self.get_object()
        payload = AppointmentChangeSerializer(
            data=request.data,
            partial=partial,
            context={"request": request, "appointment": appointment},
        )
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        actor = request.user
        if "status" in data:
            new_status = AppointmentStatus(data["status"])
            if new_status != appointment.status:
                appointment = services.appointment_transition(
                    appointment=appointment,
                    status=new_status,
                    reason=data.get("cancellation_reason") or data.get("reason", ""),
                    actor=actor,
                )
            return self._answer(appointment, [])
        warnings = []
        with transaction.atomic():
            edits = {
                name: data[key]
                for key, name in (
                    ("reason", "reason"),
                    ("notes", "notes"),
                    ("type", "appointment_type"),
                )
                if key in data and data[key] != getattr(appointment, name)
            }
            if edits:
                appointment = services.appointment_update(
                    appointment=appointment, actor=actor, **edits
                )
            start = data.get("start", appointment.start)
            end = data.get("end") or (
                appointment.end
                if "start" not in data
                else start + (appointment.end - appointment.start)
            )
            doctor = data.get("doctor") or appointment.doctor
            room = data.get("room") or None
            moves = (
                start != appointment.start
                or end != appointment.end
                or doctor.pk != appointment.doctor_id
                or (room is not None and room.pk != appointment.room_id)
            )
            if moves:
                warnings = _patient_warnings(appointment.patient, start, end, exclude=appointment)
                appointment = services.appointment_reschedule(
                    appointment=appointment,
                    start=start,
                    end=end,
                    doctor=doctor,
                    room=room,
                    override=data.get("override", False),
                    allow_patient_overlap=True,
                    actor=actor,
                )
        return self._answer(appointment, warnings)

    @extend_schema(
        request=CancelSerializer,
        responses={
            204: None,
            409: OpenApiResponse(description="Completed or a no-show: it cannot be cancelled."),
        },
        description=(
            "Cancel the appointment: the record stays, in state `cancelled`, with the "
            'reason given (`reason` or `cancellation_reason`) or "Cancelled through the '
            'API". The freed time is offered to the waitlist.'
        ),
    )
    def destroy(self, request, *args, **kwargs):
        appointment = self.get_object()
        payload = CancelSerializer(data=request.data if isinstance(request.data, Mapping) else {})
        payload.is_valid(raise_exception=True)
        if not appointment.is_cancelled:
            reason = (
                payload.validated_data.get("cancellation_reason")
                or payload.validated_data.get("reason")
                or DEFAULT_CANCELLATION_REASON
            )
            services.appointment_cancel(appointment=appointment, actor=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Collected under /api/v1/ by ehr/api.py.
routes = [("appointments", AppointmentViewSet, "appointment")]
urlpatterns = [
    path("doctors/<uuid:pk>/slots", DoctorSlotsView.as_view(), name="doctor_slots"),
    path("slots/next", NextSlotsView.as_view(), name="slots_next"),
]
