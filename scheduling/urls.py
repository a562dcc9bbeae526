from django.urls import path

from scheduling import feeds

app_name = "scheduling"

urlpatterns = [
    # A doctor's private iCalendar feed: the token in the URL is the only credential.
    path("feed/<str:token>.ics", feeds.CalendarFeedView.as_view(), name="calendar_feed"),
    path("feed/", feeds.FeedSettingsView.as_view(), name="feed_settings"),
]
