"""API v1 for tasks: `GET /api/v1/tasks` (`?status=&assignee=me|roles`) lists the tasks
the user may see (assigned to them or one of their roles, or created by them);
`GET /api/v1/tasks/{id}` one of them; `PATCH /api/v1/tasks/{id}` (`{"status", "reason"}`)
moves it along the transition table (cancelling needs a reason). A task the user may not
see answers 404; a change the table forbids 409; a cancellation without a reason 400.
The patient of a task is named only to users who may read demographics."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from ehr.core.api.serializers import ReferenceSerializer
from workflow import services
from workflow.models import Task, TaskStatus
from workflow.selectors import patient_name_visible, task_list_for, tasks_visible_to


class RoleReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TaskSerializer(serializers.ModelSerializer):
    assignee_user = ReferenceSerializer(read_only=True, allow_null=True)
    assignee_role = RoleReferenceSerializer(
        source="assignee_group", read_only=True, allow_null=True
    )
    patient = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "patient",
            "assignee_user",
            "assignee_role",
            "due_at",
            "priority",
            "status",
            "overdue",
            "allowed_transitions",
            "completed_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReferenceSerializer(allow_null=True))
    def get_patient(self, obj):
        user = self.context["request"].user
        if not patient_name_visible(user, obj.patient):
            return None
        return ReferenceSerializer(obj.patient).data

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.now())

    def get_allowed_transitions(self, obj) -> list[str]:
        return [status.value for status in obj.allowed_transitions()]


class TaskFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[*TaskStatus.values, "all"], required=False)
    assignee = serializers.ChoiceField(choices=["me", "roles"], required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    patient = serializers.UUIDField(required=False, format="hex_verbose")

    def validate_patient(self, value):
        return str(value)


class TaskChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks of the signed-in user (`?status=open|in_progress|done|cancelled|all`, default
    open and in progress; `?assignee=me|roles`; `?overdue=true`; `?patient=<id>`),
    soonest due first."""

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    http_method_names = ["get", "patch", "head", "options"]
    required_permissions = {
        "list": ["workflow.view_task"],
        "retrieve": ["workflow.view_task"],
        "partial_update": ["workflow.change_task"],
    }

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            filters = TaskFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return task_list_for(user, **filters.validated_data)
        return tasks_visible_to(user).select_related("assignee_user", "assignee_group", "patient")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=[*TaskStatus.values, "all"]),
            OpenApiParameter("assignee", str, enum=["me", "roles"]),
            OpenApiParameter("overdue", bool),
            OpenApiParameter(
                "patient",
                OpenApiTypes.UUID,
                description="A patient's id: only that patient's tasks (ignored for roles "
                "that may not see patients' names).",
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        """The tasks of the signed-in user (`?status=open|in_progress|done|cancelled|all`,
        default open and in progress; `?assignee=me|roles`; `?overdue=true`;
        `?patient=<id>`), soonest due first."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One task the user may see (assigned to them or one of their roles, or created
        by them); any other: 404."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=TaskChangeSerializer,
        responses={200: TaskSerializer, 400: None, 403: None, 404: None, 409: None},
    )
    def partial_update(self, request, *args, **kwargs):
        """Change the task's status (`reason` required to cancel)."""
        task = self.get_object()
        payload = TaskChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = services.task_transition(
            task=task,
            status=payload.validated_data["status"],
            reason=payload.validated_data["reason"],
            actor=request.user,
        )
        task = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)


# Collected under /api/v1/ by ehr/api.py.
routes = [("tasks", TaskViewSet, "task")]
