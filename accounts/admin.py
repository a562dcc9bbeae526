"""Admin for users, roles, specialties and doctor profiles."""

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import DoctorProfile, DoctorSpecialty, Specialty, User
from accounts.services import user_mfa_reset
from ehr.core.admin import MasterDataAdmin, ReadOnlyMixin, TrackedAdmin


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(TrackedAdmin, DjangoUserAdmin):
    """Users and their roles. Deactivate people instead of deleting them."""

    add_form = UserCreationForm
    form = UserChangeAdminForm
    ordering = ("last_name", "first_name")
    list_display = ("email", "first_name", "last_name", "roles", "is_active", "last_login")
    list_filter = ("is_active", "groups", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    filter_horizontal = ("groups",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "phone")}),
        (
            _("Notifications"),
            {
                "fields": (
                    "email_notifications",
                    "mobile_phone",
                    ("quiet_hours_start", "quiet_hours_end"),
                ),
                "description": _(
                    "The user chooses per category on his notification settings page."
                ),
            },
        ),
        (
            _("Roles and access"),
            {
                "fields": ("is_active", "groups"),
                "description": _(
                    "Roles give access. Administrator opens this admin site and requires "
                    "two-factor authentication."
                ),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = ((_("Operator only"), {"fields": ("is_superuser", "user_permissions")}),)
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            fieldsets = (*fieldsets, *self.superuser_fieldsets)
        return fieldsets

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: records keep pointing at the person

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj.mark_email_verified()  # accounts created by the hospital are trusted

    @admin.action(
        description=_("Reset two-factor authentication (the user enrols again)"),
        permissions=["reset_mfa"],
    )
    def reset_mfa(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                user_mfa_reset(user=user, actor=request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                _("Two-factor authentication reset for %(count)d user(s); they were told.")
                % {"count": done},
                messages.SUCCESS,
            )

    def has_reset_mfa_permission(self, request):
        return request.user.has_perm("accounts.reset_mfa")

    actions = ["reset_mfa"]


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Second factors, read-only: who has which, since when, last used. The secrets are
    never shown; removing one is the audited action "Reset two-factor authentication" on
    the user."""

    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    search_fields = ("user__email", "user__last_name")
    list_select_related = ("user",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields


@admin.register(Specialty)
class SpecialtyAdmin(MasterDataAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


class DoctorSpecialtyInline(admin.TabularInline):
    model = DoctorSpecialty
    extra = 1
    autocomplete_fields = ("specialty",)
    fields = ("specialty",)


class DoctorProfileForm(forms.ModelForm):
    class Meta:
        model = DoctorProfile
        fields = ("user", "license_number", "qualifications")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(groups__name=roles.DOCTOR).order_by(
                "last_name"
            )


@admin.register(DoctorProfile)
class DoctorProfileAdmin(MasterDataAdmin):
    form = DoctorProfileForm
    inlines = [DoctorSpecialtyInline]
    list_display = ("__str__", "license_number", "specialty_list")
    search_fields = ("user__first_name", "user__last_name", "license_number")
    list_select_related = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("specialties")

    @admin.display(description=_("specialties"))
    def specialty_list(self, obj):
        return ", ".join(s.name for s in obj.specialties.all())


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(admin.ModelAdmin):
    """Roles are defined in code (accounts/roles.py) and applied by `sync_roles`; the
    admin shows them read-only so an edit here cannot drift from the definition."""

    list_display = ("name", "permission_count")
    filter_horizontal = ("permissions",)
    readonly_fields = ("name", "permissions")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("permissions")

    @admin.display(description=_("permissions"))
    def permission_count(self, obj):
        return len(obj.permissions.all())

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
