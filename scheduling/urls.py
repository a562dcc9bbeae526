from django.urls import path

from scheduling import feeds, views

app_name = "scheduling"

urlpatterns = [
    # A doctor's private iCalendar feed. The token (the only credential) travels in the
    # query string, which the access logs of gunicorn and nginx leave out.
    path("feed.ics", feeds.CalendarFeedView.as_view(), name="calendar_feed"),
    path("feed/", feeds.FeedSettingsView.as_view(), name="feed_settings"),
    # Calendars and the day lists. Filters are ids in the query string, never names.
    path("", views.CalendarView.as_view(), name="calendar"),
    path("events/", views.CalendarEventsView.as_view(), name="calendar_events"),
    path("free/", views.CalendarFreeDoctorsView.as_view(), name="calendar_free"),
    path("day/", views.DayListView.as_view(), name="day_list"),
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    # Booking. The patient search is a POST, so no name travels in an address.
    path("book/", views.AppointmentCreateView.as_view(), name="appointment_create"),
    path("book/slots/", views.SlotListView.as_view(), name="appointment_slots"),
    path("book/patients/", views.PatientSearchView.as_view(), name="patient_search"),
    # One appointment.
    path(
        "appointments/<uuid:pk>/",
        views.AppointmentDetailView.as_view(),
        name="appointment_detail",
    ),
    path(
        "appointments/<uuid:pk>/slip/",
        views.AppointmentSlipView.as_view(),
        name="appointment_slip",
    ),
    path(
        "appointments/<uuid:pk>/move/",
        views.AppointmentMoveView.as_view(),
        name="appointment_move",
    ),
    path(
        "appointments/<uuid:pk>/reschedule/",
        views.AppointmentRescheduleView.as_view(),
        name="appointment_reschedule",
    ),
    path(
        "appointments/<uuid:pk>/confirm/",
        views.AppointmentActionView.as_view(action="confirm"),
        name="appointment_confirm",
    ),
    path(
        "appointments/<uuid:pk>/accept/",
        views.AppointmentActionView.as_view(action="accept"),
        name="appointment_accept",
    ),
    path(
        "appointments/<uuid:pk>/check-in/",
        views.AppointmentActionView.as_view(action="check-in"),
        name="appointment_check_in",
    ),
    path(
        "appointments/<uuid:pk>/no-show/",
        views.AppointmentActionView.as_view(action="no-show"),
        name="appointment_no_show",
    ),
    path(
        "appointments/<uuid:pk>/complete/",
        views.AppointmentActionView.as_view(action="complete"),
        name="appointment_complete",
    ),
    path(
        "appointments/<uuid:pk>/cancel/",
        views.AppointmentActionView.as_view(action="cancel"),
        name="appointment_cancel",
    ),
    # Doctors' schedules.
    path("doctors/", views.DoctorListView.as_view(), name="doctor_list"),
    path(
        "doctors/<uuid:doctor>/schedule/",
        views.DoctorScheduleView.as_view(),
        name="doctor_schedule",
    ),
    path(
        "doctors/<uuid:doctor>/schedule/sessions/new/",
        views.DoctorScheduleFormView.as_view(),
        name="doctorschedule_create",
    ),
    path(
        "doctors/<uuid:doctor>/schedule/sessions/<uuid:pk>/edit/",
        views.DoctorScheduleFormView.as_view(),
        name="doctorschedule_update",
    ),
    path(
        "doctors/<uuid:doctor>/schedule/sessions/<uuid:pk>/delete/",
        views.DoctorScheduleDeleteView.as_view(),
        name="doctorschedule_delete",
    ),
    path(
        "doctors/<uuid:doctor>/schedule/exceptions/new/",
        views.ScheduleExceptionCreateView.as_view(),
        name="scheduleexception_create",
    ),
    path(
        "doctors/<uuid:doctor>/schedule/exceptions/<uuid:pk>/delete/",
        views.ScheduleExceptionDeleteView.as_view(),
        name="scheduleexception_delete",
    ),
    # Waitlist.
    path("waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path("waitlist/new/", views.WaitlistEntryCreateView.as_view(), name="waitlistentry_create"),
    path(
        "waitlist/<uuid:pk>/remove/",
        views.WaitlistEntryRemoveView.as_view(),
        name="waitlistentry_remove",
    ),
    path(
        "waitlist/offers/<uuid:pk>/",
        views.WaitlistOfferView.as_view(),
        name="waitlist_offer",
    ),
    path(
        "waitlist/offers/<uuid:pk>/book/",
        views.WaitlistOfferBookView.as_view(),
        name="waitlist_offer_book",
    ),
]
