"""Portal pages. Every portal view inherits `PortalViewMixin`: patients only, and an
anonymous visitor is sent to the portal sign-in, not the staff one."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from accounts.auth import PortalLoginForm, SurfaceLoginView
from ehr.core import dashboard


@method_decorator(login_not_required, name="dispatch")
class PortalViewMixin:
    """Base of every portal page: only patient accounts; staff go to the staff home.

    Exempt from the site's sign-in middleware (which would send a visitor to the staff
    sign-in): this mixin sends anonymous visitors to the portal's own sign-in instead.
    """

    login_url = reverse_lazy("portal:login")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), self.login_url)
        if not request.user.is_portal_user:
            return redirect("core:home")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class PortalLoginView(SurfaceLoginView):
    """Patient sign-in at /portal/login/: refuses staff accounts."""

    form_class = PortalLoginForm
    template_name = "portal/login.html"


class PortalHomeView(PortalViewMixin, TemplateView):
    """The patient's home page."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = dashboard.panels_for(self.request, "portal")
        return context
