"""People who use the site: the user account (email is the login), specialties and the
doctor's professional profile."""

from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from accounts import roles
from ehr.core.models import BoundedTextField, TrackedFields, TrackedModel, history_user


class UserManager(BaseUserManager):
    """Create users whose email is their login. Accounts made here are provisioned by the
    hospital, so their email address counts as verified."""

    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra_fields):
        """Create and return an active user with a verified email address."""
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        user.mark_email_verified()
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        """Create a superuser (for operators; day-to-day administrators get a role)."""
        extra_fields["is_superuser"] = True
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin, TrackedFields):
    """A person who signs in: staff (roles Doctor, Nurse, …) or a patient (role Patient).

    Access to the Django admin (`is_staff`) is not a flag: it follows from the
    Administrator role, so roles remain the one place where access is granted.
    """

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    phone = PhoneNumberField(_("phone"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Deactivate instead of deleting: records keep pointing at the person."),
    )
    email_notifications = models.BooleanField(
        _("email me my notifications"),
        default=False,
        help_text=_("Also send in-app notifications to this address."),
    )
    mobile_phone = PhoneNumberField(
        _("mobile number for text messages"),
        blank=True,
        help_text=_("With the country code, e.g. +1 555 555 0123. Stored in E.164."),
    )
    # Text messages that are not urgent wait for the end of these (local times; they may
    # span midnight). Both empty: no quiet hours.
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    date_joined = models.DateTimeField(_("date joined"), auto_now_add=True)
    token_generation = models.PositiveIntegerField(
        _("token generation"),
        default=0,
        editable=False,
        help_text=_("Raised to revoke every API token the user holds."),
    )

    # The password hash and last sign-in time are kept out of the version history.
    # Role changes (groups) are versioned with the user, so "who made whom an
    # Administrator" has an answer.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login", "token_generation"],
        m2m_fields=["groups"],
        get_user=history_user,
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Email is the login and is compared case-insensitively by allauth.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # Quiet hours are a span: both ends or neither, and not empty.
            models.CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | (
                    models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
                    & ~models.Q(quiet_hours_start=F("quiet_hours_end"))
                ),
                name="user_quiet_hours_span",
            ),
        ]
        permissions = [
            ("reset_mfa", _("Can reset another user's two-factor authentication")),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        """Return first and last name."""
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        """Return the first name."""
        return self.first_name

    @cached_property
    def role_names(self):
        """Return the names of this user's roles (cached on the instance, and briefly in
        the cache by `ehr.core.user_access`, which role changes invalidate)."""
        from ehr.core import user_access

        return user_access.role_names(self)

    @cached_property
    def _perm_cache(self):
        """The permission set Django's ModelBackend keeps on the user (it computes it
        only when the attribute is missing): taken here from `ehr.core.user_access`, one
        cache read instead of two queries. Inactive users get none from the backend."""
        from ehr.core import user_access

        return set(user_access.permissions(self))

    def has_role(self, *names):
        """Return True if the user holds any of the named roles."""
        return bool(self.role_names.intersection(names))

    @property
    def is_staff(self):
        """Return True if the user may use the Django admin (Administrator role)."""
        return self.is_active and (self.is_superuser or self.has_role(roles.ADMINISTRATOR))

    @property
    def is_portal_user(self):
        """Return True for patient accounts (role Patient and no staff role)."""
        return (
            not self.is_superuser
            and roles.PATIENT in self.role_names
            and not self.has_role(*roles.STAFF_ROLES)
        )

    @property
    def is_hospital_staff(self):
        """Return True for staff accounts (any staff role, or an operator superuser)."""
        return self.is_superuser or self.has_role(*roles.STAFF_ROLES)

    @property
    def requires_mfa(self):
        """Return True when this user's role requires a second factor."""
        return self.is_superuser or self.has_role(*roles.MFA_REQUIRED_ROLES)

    def token_stamp(self):
        """Return the digest API tokens carry (`accounts.tokens`): it changes with the
        password and with `revoke_tokens`, which revokes every token issued before."""
        return salted_hmac(
            "ehr.accounts.tokens",
            f"{self.password}|{self.token_generation}",
            algorithm="sha256",
        ).hexdigest()[:32]

    def save(self, *args, **kwargs):
        """Save; an inactive account's API tokens are revoked with it, however it was
        deactivated (the admin, a script), so that reactivating it revives none."""
        super().save(*args, **kwargs)
        if not self.is_active:
            self.revoke_tokens()

    def revoke_tokens(self):
        """Revoke every API token (access and refresh) this user holds."""
        User.objects.filter(pk=self.pk).update(token_generation=F("token_generation") + 1)
        self.refresh_from_db(fields=["token_generation"])

    def mark_email_verified(self):
        """Record this user's email as verified and primary (hospital-provisioned)."""
        from allauth.account.models import EmailAddress

        EmailAddress.objects.filter(user=self).exclude(email__iexact=self.email).update(
            primary=False
        )
        EmailAddress.objects.update_or_create(
            user=self, email=self.email, defaults={"verified": True, "primary": True}
        )


class Specialty(TrackedModel):
    """A medical specialty (cardiology, paediatrics…), master data."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = BoundedTextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")

    def __str__(self):
        return self.name


class DoctorProfile(TrackedModel):
    """A doctor's professional data: specialties, licence and qualifications."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="doctor_profile"
    )
    specialties = models.ManyToManyField(
        Specialty,
        verbose_name=_("specialties"),
        related_name="doctors",
        blank=True,
        through="DoctorSpecialty",
    )
    license_number = models.CharField(_("licence number"), max_length=50, unique=True)
    qualifications = BoundedTextField(_("qualifications"), blank=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        verbose_name = _("doctor profile")
        verbose_name_plural = _("doctor profiles")

    def __str__(self):
        return f"Dr {self.user.get_full_name()}"


class DoctorSpecialty(TrackedModel):
    """A doctor practising a specialty (a tracked link, so changes keep history)."""

    doctor = models.ForeignKey(DoctorProfile, verbose_name=_("doctor"), on_delete=models.CASCADE)
    specialty = models.ForeignKey(Specialty, verbose_name=_("specialty"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("doctor specialty")
        verbose_name_plural = _("doctor specialties")
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "specialty"], name="doctorspecialty_unique_pair"
            ),
        ]

    def __str__(self):
        return f"{self.doctor}: {self.specialty}"
