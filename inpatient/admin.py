"""Admin for inpatient master data (wards and their nurses, room classes, rooms with their
beds, beds) and read-only views of admissions, requests and bed state changes.

Bed states are not edited here: they change through the board and the services, so
every change is checked against the transition table and logged.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts import roles
from ehr.core.admin import MasterDataAdmin, ReadOnlyMixin, TrackedAdmin
from ehr.core.exceptions import DomainError
from inpatient import services
from inpatient.models import (
    Admission,
    AdmissionRequest,
    AdmissionStatusChange,
    Bed,
    BedStatusChange,
    BedStay,
    RoomClass,
    Ward,
    WardNurse,
    WardRoom,
)

# --- Wards and their nurses -------------------------------------------------------------------


class WardNurseInline(admin.TabularInline):
    model = WardNurse
    extra = 1
    fields = ("user",)
    verbose_name = _("nurse of this ward")
    verbose_name_plural = _("nurses of this ward (chart access to the patients lying in it)")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(groups__name=roles.NURSE, is_active=True)
                .order_by("last_name", "first_name")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Ward)
class WardAdmin(MasterDataAdmin):
    list_display = ("name", "hospital", "ward_type", "floor", "sex_restriction", "bed_count")
    list_filter = ("hospital", "ward_type", "sex_restriction")
    search_fields = ("name",)
    list_select_related = ("hospital",)
    inlines = [WardNurseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_beds=Count("rooms__beds"))

    @admin.display(description=_("beds"), ordering="n_beds")
    def bed_count(self, obj):
        return obj.n_beds

    def save_formset(self, request, form, formset, change):
        if formset.model is not WardNurse:
            return super().save_formset(request, form, formset, change)
        # Assignments go through the services, which grant and withdraw chart access.
        ward = form.instance
        formset.save(commit=False)  # fills new_objects, changed_objects, deleted_objects
        try:
            for assignment in formset.deleted_objects:
                services.ward_nurse_unassign(ward=ward, user=assignment.user, actor=request.user)
            for assignment, _changed in formset.changed_objects:
                previous = WardNurse.objects.get(pk=assignment.pk).user
                services.ward_nurse_unassign(ward=ward, user=previous, actor=request.user)
                services.ward_nurse_assign(ward=ward, user=assignment.user, actor=request.user)
            for assignment in formset.new_objects:
                services.ward_nurse_assign(ward=ward, user=assignment.user, actor=request.user)
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))


# --- Room classes, rooms with their beds, beds ------------------------------------------------


@admin.register(RoomClass)
class RoomClassAdmin(MasterDataAdmin):
    list_display = ("name", "beds_per_room", "daily_rate")
    search_fields = ("name",)


class BedInline(admin.TabularInline):
    model = Bed
    extra = 0
    fields = ("number", "isolation", "status", "status_changed_at")
    readonly_fields = ("status", "status_changed_at")
    show_change_link = True


class WardRoomForm(forms.ModelForm):
    beds_to_create = forms.IntegerField(
        label=_("Number of beds to create"),
        required=False,
        min_value=0,
        max_value=30,
        help_text=_(
            "Beds added now, numbered A, B, C… after the existing ones. Leave empty on a new "
            "room to create as many beds as its room class has."
        ),
    )

    class Meta:
        model = WardRoom
        fields = ("ward", "room_class", "number")


@admin.register(WardRoom)
class WardRoomAdmin(MasterDataAdmin):
    """A room and its beds in one step: the beds are created with the room."""

    form = WardRoomForm
    fields = ("ward", "room_class", "number", "beds_to_create")
    list_display = ("__str__", "ward", "number", "room_class", "bed_count")
    list_filter = ("ward", "room_class")
    search_fields = ("number", "ward__name")
    list_select_related = ("ward", "room_class")
    inlines = [BedInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_beds=Count("beds"))

    @admin.display(description=_("beds"), ordering="n_beds")
    def bed_count(self, obj):
        return obj.n_beds

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        room = form.instance
        count = form.cleaned_data.get("beds_to_create")
        if count is None:
            count = 0 if change else max(room.room_class.beds_per_room - room.beds.count(), 0)
        if count:
            beds = services.room_beds_add(room=room, count=count, actor=request.user)
            messages.success(
                request,
                _("%(n)d beds created: %(numbers)s.")
                % {"n": len(beds), "numbers": ", ".join(b.number for b in beds)},
            )


class BedStatusChangeInline(ReadOnlyMixin, admin.TabularInline):
    model = BedStatusChange
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields
    ordering = ("-at",)
    max_num = 0


@admin.register(Bed)
class BedAdmin(MasterDataAdmin):
    list_display = ("__str__", "room", "number", "status", "isolation", "status_changed_at")
    list_filter = ("status", "isolation", "room__ward")
    search_fields = ("number", "room__number", "room__ward__name")
    list_select_related = ("room__ward",)
    fields = (
        "room",
        "number",
        "isolation",
        "status",
        "status_changed_at",
        "reserved_until",
        "blocked_reason",
    )
    readonly_fields = ("status", "status_changed_at", "reserved_until", "blocked_reason")
    inlines = [BedStatusChangeInline]


# --- Read-only records ------------------------------------------------------------------------


class BedStayInline(ReadOnlyMixin, admin.TabularInline):
    model = BedStay
    extra = 0
    fields = ("bed", "started_at", "ended_at", "reason", "transfer_reason")
    readonly_fields = fields


class AdmissionStatusChangeInline(ReadOnlyMixin, admin.TabularInline):
    model = AdmissionStatusChange
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields


@admin.register(Admission)
class AdmissionAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = (
        "patient",
        "status",
        "admitted_at",
        "discharged_at",
        "attending_doctor",
        "disposition",
    )
    list_filter = ("status", "disposition")
    search_fields = ("patient__mrn", "patient__last_name")
    list_select_related = ("patient", "attending_doctor")
    date_hierarchy = "admitted_at"
    inlines = [BedStayInline, AdmissionStatusChangeInline]
    show_full_result_count = False


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = (
        "patient",
        "priority",
        "status",
        "ward_preference",
        "requested_by",
        "created_at",
    )
    list_filter = ("status", "priority", "ward_preference")
    list_select_related = ("patient", "ward_preference", "requested_by")


@admin.register(BedStatusChange)
class BedStatusChangeAdmin(ReadOnlyMixin, TrackedAdmin):
    list_display = ("at", "bed", "from_status", "to_status", "by", "reason")
    list_filter = ("to_status", "from_status")
    list_select_related = ("bed__room__ward", "by")
    date_hierarchy = "at"
    show_full_result_count = False
