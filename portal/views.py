"""Portal pages. Every portal view inherits `PortalViewMixin`: patients only, and an
anonymous visitor is sent to the portal sign-in, not the staff one."""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from ehr.core import dashboard


class PortalViewMixin:
    """Base of every portal page: only patient accounts; staff go to the staff home."""

    login_url = reverse_lazy("portal:login")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), self.login_url)
        if not request.user.is_portal_user:
            return redirect("core:home")
        return super().dispatch(request, *args, **kwargs)


class PortalHomeView(PortalViewMixin, TemplateView):
    """The patient's home page."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = dashboard.panels_for(self.request, "portal")
        return context
