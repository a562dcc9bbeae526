"""Doctors' private iCalendar feeds (being written)."""

from django.http import Http404
from django.views import View


class CalendarFeedView(View):
    def get(self, request):
        raise Http404


class FeedSettingsView(View):
    def get(self, request):
        raise Http404
