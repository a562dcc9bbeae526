"""Kernel pages (the staff home, notifications and the bell's poll, background jobs,
health, the error pages) and the one
idiom every app's form pages use: `ServiceFormView`, and for a small form posted from
another page (a button on a chart or a queue) its POST-only variant `FormActionView`."""

import logging
import mimetypes
import os

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import caches
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db import connection
from django.forms import Form
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, FormView, ListView, TemplateView

from ehr.core import bell, dashboard
from ehr.core.exceptions import DomainPermissionDenied
from ehr.core.selectors import (
    job_list_for_user,
    notification_list_for_user,
    notification_unread_count,
)
from ehr.core.services import notification_mark_all_read, notification_mark_read

logger = logging.getLogger(__name__)


class StaffViewMixin:
    """Base of every staff page: portal accounts are sent to the portal."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_portal_user:
            return redirect("portal:home")
        return super().dispatch(request, *args, **kwargs)


def add_service_error(form, exc):
    """Show a service's ValidationError on `form`: field errors under their fields (when
    the form has them), everything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, ValidationError(exc.messages))


class ServiceFormView(FormView):
    """A form page whose valid form is handed to a service: the one form-view idiom.

    GET shows the form; a valid POST calls `perform(form)`, which calls the service with
    the signed-in user as the actor and returns its result (a record, or a response).
    The service's domain errors (`ValidationError`s, `FieldDomainError`s among them) are
    shown on the form under their fields, keeping everything typed (400); a domain
    permission error (`DomainPermissionDenied`) is shown the same way with 403. On
    success the `success_message` is shown and the user is sent to `get_success_url()`,
    by default the result's own page.

    Subclasses set `form_class`, `template_name` and implement `perform`.
    """

    success_message = ""
    invalid_status = 400

    def perform(self, form):
        """Call the service with the form's cleaned data; return its result."""
        raise NotImplementedError(f"{type(self).__name__} must implement perform(form).")

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except DomainPermissionDenied as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form), status=403)
        except ValidationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        if isinstance(self.result, HttpResponse):
            return self.result
        message = self.get_success_message(form)
        if message:
            messages.success(self.request, message)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=self.invalid_status)

    def get_success_message(self, form):
        """Return the message shown after success (`success_message` by default)."""
        return self.success_message

    def get_success_url(self):
        """Return where to go on success: `success_url`, else the result's page."""
        if self.success_url:
            return str(self.success_url)
        if hasattr(self.result, "get_absolute_url"):
            return self.result.get_absolute_url()
        raise ImproperlyConfigured(
            f"{type(self).__name__} needs a success_url or a result with get_absolute_url()."
        )


class FormActionView(ServiceFormView):
    """A small form posted from another page (a chart's buttons, a review queue): POST
    only. The service's answer, success or refusal, is shown as a message on the page
    the user goes back to (`get_success_url`); an invalid form shows `invalid_message`
    there. A refusal the user's role or access decides (`DomainPermissionDenied`) is a
    403 page."""

    http_method_names = ["post"]
    form_class = Form  # an action with nothing to fill in
    invalid_message = ""

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            messages.error(request, self.get_invalid_message())
            return HttpResponseRedirect(self.get_success_url())
        return self.form_valid(form)

    def get_invalid_message(self):
        """Return the message shown when the form itself is invalid."""
        return self.invalid_message

    def render_to_response(self, context, **response_kwargs):
        # Reached when the service refused (ServiceFormView put its errors on the form).
        form = context["form"]
        text = " ".join(str(m) for errors in form.errors.values() for m in errors)
        if response_kwargs.get("status") == 403:
            raise PermissionDenied(text)
        messages.error(self.request, text)
        return HttpResponseRedirect(self.get_success_url())


class HomeView(StaffViewMixin, TemplateView):
    """The staff home page: the panels the user's roles may see."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = dashboard.panels_for(self.request, "staff", kept=True)
        context["role_names"] = sorted(self.request.user.role_names)
        return context


class NotificationListView(ListView):
    """The signed-in user's notifications, newest first, with an unread filter."""

    template_name = "core/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self):
        queryset = notification_list_for_user(self.request.user)
        if self.request.GET.get("show") == "unread":
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = (
            "layouts/portal.html" if self.request.user.is_portal_user else "layouts/staff.html"
        )
        context["show_unread"] = self.request.GET.get("show") == "unread"
        return context


class NotificationOpenView(View):
    """Mark a notification read and follow its link."""

    def get(self, request, pk):
        notification = get_object_or_404(notification_list_for_user(request.user), pk=pk)
        notification_mark_read(notification=notification, actor=request.user)
        target = notification.url
        if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "core:notification_list"
        return redirect(target)


class NotificationMarkReadView(View):
    """Mark one notification read (POST; htmx swaps the row)."""

    def post(self, request, pk):
        notification = get_object_or_404(notification_list_for_user(request.user), pk=pk)
        notification_mark_read(notification=notification, actor=request.user)
        if request.htmx:
            return render(
                request, "core/partials/notification_row.html", {"notification": notification}
            )
        return redirect("core:notification_list")


class NotificationMarkAllReadView(View):
    """Mark all of the user's notifications read (POST)."""

    def post(self, request):
        notification_mark_all_read(user=request.user)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("core:notification_list")
        return HttpResponseRedirect(target)


@method_decorator(login_not_required, name="dispatch")
class NotificationPollView(View):
    """The bell's background poll (ehr.core.bell), from every staff and portal page.

    Nothing changed (the count the page shows, no new urgent notification): 204, and
    htmx keeps the page as it is. Otherwise the poller again, the bell out of band and
    a toast per new urgent notification. Signed out meanwhile (another tab): 401 with
    HX-Refresh, so the page reloads and its own sign-in rule sends the user to the right
    sign-in page, instead of htmx swapping a sign-in page into the bell.
    """

    def get(self, request):
        user = request.user
        if not user.is_authenticated:
            response = HttpResponse(status=401)
            response["HX-Refresh"] = "true"
            return response
        unread = notification_unread_count(user)
        since = bell.parse_since(request.GET.get("since")) or timezone.now()
        urgent = bell.new_urgent_notifications(
            notification_list_for_user(user), unread=unread, since=since
        )
        if not urgent and request.GET.get("shown") == str(unread):
            return HttpResponse(status=204)
        shown = urgent[: bell.TOAST_LIMIT]
        # Oldest first, so the newest ends up at the bottom, nearest the eye.
        toasts = [
            (notification, index == 0 and len(urgent) > len(shown))
            for index, notification in enumerate(shown)
        ][::-1]
        on_list = request.GET.get("here") == "list"
        context = {
            "request": request,
            "unread_notifications": unread,
            "toasts": toasts,
            "on_list": on_list,
            **bell.poller_context(
                since=urgent[0].created_at if urgent else since, shown=unread, on_list=on_list
            ),
        }
        # No context processors: the answer needs neither the navigation nor the site name.
        return HttpResponse(
            loader.render_to_string("core/partials/notification_poll.html", context)
        )


# --- Background jobs: the page of the user who started one --------------------------------

# How often a job's page asks how far the job has come, in seconds.
JOB_POLL_SECONDS = 2


def job_error_summary(job):
    """Return the last line of a failed job's error (the exception and its message),
    shortened: what its requester sees. The traceback stays in the admin."""
    lines = [line for line in (job.error or "").splitlines() if line.strip()]
    if not lines:
        return ""
    summary = lines[-1].strip()
    return summary if len(summary) <= 300 else summary[:299] + "…"


def _layout_for(user):
    return "layouts/portal.html" if user.is_portal_user else "layouts/staff.html"


class JobListView(ListView):
    """My jobs: the background jobs the signed-in user started, newest first."""

    template_name = "core/job_list.html"
    context_object_name = "jobs"
    paginate_by = 25

    def get_queryset(self):
        return job_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = _layout_for(self.request.user)
        return context


class JobDetailView(DetailView):
    """One job's status for the user who started it (anyone else: 404): its progress,
    polled by htmx (marked background) while it runs, then its result or what went
    wrong. An htmx request gets the status card alone."""

    template_name = "core/job_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        return job_list_for_user(self.request.user)

    def get_template_names(self):
        if self.request.htmx:
            return ["core/partials/job_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = _layout_for(self.request.user)
        context["error_summary"] = job_error_summary(self.object)
        context["poll_seconds"] = JOB_POLL_SECONDS
        return context


class JobDownloadView(View):
    """A job's result file, to the user who started the job only (anyone else: 404),
    as an attachment that browsers neither sniff nor keep."""

    def get(self, request, pk):
        job = get_object_or_404(job_list_for_user(request.user).exclude(result_file=""), pk=pk)
        name = os.path.basename(job.result_file.name)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            handle = job.result_file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=True, filename=name, content_type=content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        add_never_cache_headers(response)
        return response


@method_decorator([login_not_required, never_cache], name="dispatch")
class HealthView(View):
    """Report database and cache health as JSON, for load balancers and monitoring.

    200 "ok" when everything answers; 200 "degraded" when a cache does not (the site
    still works); 503 "unavailable" when the database does not.
    """

    def get(self, request):
        checks = {"database": self._check_database()}
        for alias in ("default", "bulk"):
            checks[f"cache:{alias}"] = self._check_cache(alias)
        if checks["database"] != "ok":
            status, code = "unavailable", 503
        elif any(v != "ok" for v in checks.values()):
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return JsonResponse({"status": status, "checks": checks}, status=code)

    def _check_database(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return "ok"
        except Exception:
            logger.exception("Health check: database unavailable")
            return "unavailable"

    def _check_cache(self, alias):
        cache = caches[alias]
        key = "health-check-probe"
        try:
            if alias == "bulk" and hasattr(cache, "client"):
                # django-redis ignores errors on this cache; ask the server directly.
                cache.client.get_client(write=True).ping()
            cache.set(key, "1", 10)
            if cache.get(key) != "1":
                return "unavailable"
            return "ok"
        except Exception:
            logger.warning("Health check: cache %s unavailable", alias, exc_info=True)
            return "unavailable"


@login_not_required
def favicon(request):
    """Answer browsers' automatic /favicon.ico request with the site's icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# Django's error handlers. Under /api/ they answer JSON as DRF's own errors do ({"detail"}),
# for what fails outside a DRF view: an unknown address, a request refused by a middleware
# (a NUL byte, a malformed multipart body), an uncaught exception.
API_PREFIX = "/api/"


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def error_400(request, exception=None):
    """Answer a bad request: JSON under /api/, else the 400 page."""
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    # Like the 500 page, without a request context: a 400 may be raised before the
    # session and the user are loaded (RefuseNulBytesMiddleware).
    return HttpResponseBadRequest(loader.get_template("errors/400.html").render())


def error_403(request, exception=None):
    """Answer a refusal: JSON under /api/, else the 403 page."""
    if _is_api(request):
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    """Answer an unknown address or object: JSON under /api/, else the 404 page."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return render(request, "errors/404.html", status=404)


def error_500(request):
    """Answer a server error: JSON under /api/, else the 500 page."""
    if _is_api(request):
        return JsonResponse({"detail": "A server error occurred."}, status=500)
    # No request context: the failure may be the database the context processors use.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
