"""API v1 for the kernel: the user's notifications and background jobs, and the answer
to URLs it does not know."""

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ehr.core.api.jobs import JobViewSet
from ehr.core.api.permissions import IsSignedIn
from ehr.core.models import Notification
from ehr.core.selectors import notification_list_for_user
from ehr.core.services import notification_mark_read
from ehr.core.views import error_404


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "level", "category", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The signed-in user's notifications (`?unread=true` for unread only)."""

    serializer_class = NotificationSerializer
    permission_classes = [IsSignedIn]

    def get_queryset(self):
        queryset = notification_list_for_user(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notification read."""
        notification = notification_mark_read(notification=self.get_object(), actor=request.user)
        return Response(self.get_serializer(notification).data)


@csrf_exempt  # it changes nothing; a POST without a CSRF token still learns only "not found"
@login_not_required  # API clients get JSON, never a redirect to the sign-in page
def api_not_found(request, path=""):
    """Answer 404 with a JSON body, as DRF answers for a missing record, for any URL under
    the API that no endpoint matches (an id that is not one, an unknown path), instead of
    the site's HTML page: API clients read JSON."""
    return error_404(request)


# Collected under /api/v1/ by ehr/api.py (`CoreConfig.api_module`).
routes = [
    ("notifications", NotificationViewSet, "notification"),
    ("jobs", JobViewSet, "job"),
]
