from django.urls import path

from scheduling import feeds

app_name = "scheduling"

urlpatterns = [
    # A doctor's private iCalendar feed. The token (the only credential) travels in the
    # query string, which the access logs of gunicorn and nginx leave out.
    path("feed.ics", feeds.CalendarFeedView.as_view(), name="calendar_feed"),
    path("feed/", feeds.FeedSettingsView.as_view(), name="feed_settings"),
]
