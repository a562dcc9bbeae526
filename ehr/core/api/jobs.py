"""API v1 for background jobs: how far a job the client started has come, and where its
result is (`GET /api/v1/jobs/{id}`). A job is shown to the user who requested it only;
anyone else gets 404, as for a job that does not exist."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets

from ehr.core.api.permissions import IsSignedIn
from ehr.core.models import Job
from ehr.core.selectors import job_list_for_user


@extend_schema_field(OpenApiTypes.ANY)
class JobResultField(serializers.JSONField):
    """The job's own result: any JSON value (often an object of counts), null until it
    succeeds."""


class JobSerializer(serializers.ModelSerializer):
    result = JobResultField(
        read_only=True,
        allow_null=True,
        help_text="What the job returned (any JSON value); null until it succeeded.",
    )
    result_url = serializers.SerializerMethodField(
        help_text="Where to download the job's result file (same sign-in), or null if it "
        "has none (yet)."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "label",
            "status",
            "progress",
            "progress_message",
            "result",
            "result_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_result_url(self, job):
        if not job.result_file:
            return None
        url = reverse("core:job_download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A background job the signed-in user started (an export, a report): its status and
    progress while it runs, then its result."""

    serializer_class = JobSerializer
    permission_classes = [IsSignedIn]
    lookup_value_regex = "[0-9a-fA-F-]{36}"  # anything else is the API's JSON 404

    def get_queryset(self):
        return job_list_for_user(self.request.user)

    @extend_schema(
        summary="A background job's status and result",
        responses={
            200: JobSerializer,
            404: OpenApiResponse(description="No such job, or not one you started."),
        },
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
