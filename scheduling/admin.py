"""Admin for scheduling's master data (clinics with their consultation rooms, appointment
types, hospital holidays), the doctors' weekly schedules and their exceptions, and
read-only views of what the staff pages and the services write: appointments with their
state changes, reminders, the waitlist with its offers, and calendar-feed tokens (which
an administrator may revoke).

Appointments are not edited here: booking, moving and every change of state go through
the staff pages and `scheduling.services`, which check double booking, availability and
the transition table and record each change.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.selectors import active_doctors
from ehr.core.admin import MasterDataAdmin, ReadOnlyMixin, TrackedAdmin
from ehr.core.exceptions import DomainError
from scheduling import services
from scheduling.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatusChange,
    AppointmentType,
    CalendarFeedToken,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
    Holiday,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)


class DoctorFieldMixin:
    """The `doctor` of a schedule or exception is chosen among the active doctors."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "doctor":
            kwargs["queryset"] = active_doctors()
        elif db_field.name == "room":
            kwargs["queryset"] = ConsultationRoom.objects.select_related("clinic")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Clinics and their rooms ------------------------------------------------------------------


class ConsultationRoomInline(admin.TabularInline):
    model = ConsultationRoom
    extra = 1
    fields = ("name", "is_active")
    verbose_name_plural = _("consultation rooms (never booked twice at once)")


@admin.register(Clinic)
class ClinicAdmin(MasterDataAdmin):
    list_display = ("name", "hospital", "specialty", "location", "room_count", "is_active")
    list_filter = ("is_active", "hospital", "specialty")
    search_fields = ("name", "location")
    list_select_related = ("hospital", "specialty")
    inlines = [ConsultationRoomInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_rooms=Count("rooms"))

    @admin.display(description=_("rooms"), ordering="n_rooms")
    def room_count(self, obj):
        return obj.n_rooms


@admin.register(ConsultationRoom)
class ConsultationRoomAdmin(MasterDataAdmin):
    list_display = ("name", "clinic", "is_active")
    list_filter = ("is_active", "clinic")
    search_fields = ("name", "clinic__name")
    list_select_related = ("clinic",)


# --- Appointment types and holidays -----------------------------------------------------------


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = ("name", "code", "default_duration", "colour", "is_active", "description")
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


@admin.register(AppointmentType)
class AppointmentTypeAdmin(MasterDataAdmin):
    form = AppointmentTypeForm
    list_display = ("name", "code", "default_duration", "swatch", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}

    @admin.display(description=_("colour"), ordering="colour")
    def swatch(self, obj):
        # An SVG fill, not a style attribute: the Content-Security-Policy allows no
        # inline styles.
        return format_html(
            '<svg class="colour-swatch" width="16" height="16" role="img" aria-label="{}">'
            '<rect width="16" height="16" rx="3" fill="{}" stroke="#6c757d"/></svg> '
            "<code>{}</code>",
            obj.colour,
            obj.colour,
            obj.colour,
        )


@admin.register(Holiday)
class HolidayAdmin(MasterDataAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)


# --- Doctors' schedules -----------------------------------------------------------------------


class DoctorScheduleForm(forms.ModelForm):
    class Meta:
        model = DoctorSchedule
        fields = (
            "doctor",
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            "clinic",
            "room",
            "effective_from",
            "effective_to",
        )

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # The same checks as the staff pages' service: a room of the clinic, and no
        # overlap with another session of the doctor.
        try:
            services.schedule_check(self.instance)
        except DomainError as exc:
            self.add_error(None, exc)


@admin.register(DoctorSchedule)
class DoctorScheduleAdmin(DoctorFieldMixin, MasterDataAdmin):
    form = DoctorScheduleForm
    list_display = (
        "doctor",
        "weekday",
        "start_time",
        "end_time",
        "slot_minutes",
        "clinic",
        "room",
        "effective_from",
        "effective_to",
    )
    list_filter = (("doctor", admin.RelatedOnlyFieldListFilter), "weekday", "clinic")
    list_select_related = ("doctor", "clinic", "room__clinic")
    search_fields = ("doctor__last_name", "doctor__first_name", "doctor__email")
    ordering = ("doctor__last_name", "weekday", "start_time")


class ScheduleExceptionForm(forms.ModelForm):
    class Meta:
        model = ScheduleException
        fields = (
            "doctor",
            "kind",
            "starts_at",
            "ends_at",
            "reason",
            "clinic",
            "room",
            "slot_minutes",
        )

    def clean(self):
        data = super().clean()
        room, clinic = data.get("room"), data.get("clinic")
        if room is not None:
            if clinic is None:
                data["clinic"] = room.clinic
            elif room.clinic_id != clinic.pk:
                self.add_error("room", _("The room belongs to another clinic."))
        return data


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(DoctorFieldMixin, MasterDataAdmin):
    form = ScheduleExceptionForm
    list_display = ("doctor", "kind", "starts_at", "ends_at", "reason", "clinic", "room")
    list_filter = ("kind", ("doctor", admin.RelatedOnlyFieldListFilter), "clinic")
    list_select_related = ("doctor", "clinic", "room__clinic")
    search_fields = ("doctor__last_name", "reason")
    date_hierarchy = "starts_at"


# --- Appointments (read-only) -----------------------------------------------------------------


class AppointmentStatusChangeInline(ReadOnlyMixin, admin.TabularInline):
    model = AppointmentStatusChange
    extra = 0
    max_num = 0
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields
    ordering = ("at",)


class AppointmentReminderInline(ReadOnlyMixin, admin.TabularInline):
    model = AppointmentReminder
    extra = 0
    max_num = 0
    fields = ("channel", "state", "sent_at", "detail")
    readonly_fields = fields


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = (
        "start",
        "end",
        "patient",
        "doctor",
        "appointment_type",
        "status",
        "clinic",
        "room",
    )
    list_filter = ("status", "appointment_type", "clinic", "outside_availability")
    search_fields = ("patient__mrn", "patient__last_name", "doctor__last_name")
    list_select_related = ("patient", "doctor", "appointment_type", "clinic", "room__clinic")
    date_hierarchy = "start"
    ordering = ("-start",)
    show_full_result_count = False
    fields = (
        "patient",
        "doctor",
        "appointment_type",
        "start",
        "end",
        "clinic",
        "room",
        "status",
        "reason",
        "notes",
        "cancellation_reason",
        "outside_availability",
        "rescheduled_from",
        "series",
        "status_changed_at",
        "booked_at",
        "confirmed_at",
        "checked_in_at",
        "started_at",
        "completed_at",
        "cancelled_at",
        "no_show_at",
    )
    readonly_fields = fields
    inlines = [AppointmentStatusChangeInline, AppointmentReminderInline]


@admin.register(AppointmentReminder)
class AppointmentReminderAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = ("appointment", "channel", "state", "sent_at", "detail", "created_at")
    list_filter = ("state", "channel")
    list_select_related = ("appointment__appointment_type",)
    date_hierarchy = "created_at"
    show_full_result_count = False


# --- Waitlist (read-only) ---------------------------------------------------------------------


class WaitlistOfferInline(ReadOnlyMixin, admin.TabularInline):
    model = WaitlistOffer
    fk_name = "entry"
    extra = 0
    max_num = 0
    fields = ("start", "end", "doctor", "room", "state", "appointment")
    readonly_fields = fields


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = (
        "patient",
        "doctor",
        "specialty",
        "appointment_type",
        "earliest",
        "latest",
        "priority",
        "state",
    )
    list_filter = ("state", "priority", "specialty", "appointment_type")
    search_fields = ("patient__mrn", "patient__last_name")
    list_select_related = ("patient", "doctor", "specialty", "appointment_type")
    inlines = [WaitlistOfferInline]


# --- Calendar feed tokens ---------------------------------------------------------------------


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ReadOnlyMixin, TrackedAdmin):
    """Doctors' private calendar feeds: who has one, when it was last used; revoking one
    stops the feed at once (the doctor can make a new one on their feed page)."""

    list_display = ("user", "created_at", "last_used_at", "active", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__email", "user__last_name")
    list_select_related = ("user",)
    fields = ("user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description=_("active"), boolean=True)
    def active(self, obj):
        return obj.is_active

    def has_revoke_permission(self, request):
        return request.user.has_perm("scheduling.delete_calendarfeedtoken")

    @admin.action(description=_("Revoke the selected feeds"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.calendar_feed_token_revoke(token=token, actor=request.user)
            revoked += 1
        messages.success(
            request,
            ngettext("%(n)d feed revoked.", "%(n)d feeds revoked.", revoked) % {"n": revoked},
        )
