"""The patient record: identity, contacts, identifiers, the care team (explicit object
permissions and windowed care relationships), break-the-glass access, the chart access
log and merges."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from phonenumber_field.modelfields import PhoneNumberField

from ehr.core import parameters
from ehr.core.models import BoundedTextField, TrackedModel
from patients.exceptions import BreakGlassReasonRequired


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    PARTNERED = "partnered", _("Domestic partner")
    DIVORCED = "divorced", _("Divorced")
    SEPARATED = "separated", _("Separated")
    WIDOWED = "widowed", _("Widowed")
    UNKNOWN = "unknown", _("Unknown")


class PatientQuerySet(models.QuerySet):
    def active(self):
        """Return patients that are active (not deactivated or merged away)."""
        return self.filter(is_active=True)


class Patient(TrackedModel):
    """A person who receives care. Never deleted: deactivated, or merged into another."""

    mrn = models.CharField(
        _("medical record number"),
        max_length=20,
        unique=True,
        editable=False,
        help_text=_("Digits from the database sequence, ending in a Luhn check digit."),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    # No default: registration asks, and "unknown" is an answer someone chose, never a
    # value nobody looked at.
    sex = models.CharField(_("sex"), max_length=10, choices=Sex)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    # The patient's consent to appointment messages (reminders, booking and cancellation
    # confirmations), per channel. The email one keeps its first name in the database.
    appointment_reminders = models.BooleanField(
        _("appointment messages by email"),
        default=True,
        help_text=_("Reminders and booking confirmations to the email address above."),
    )
    sms_messages = models.BooleanField(
        _("appointment messages by text"),
        default=False,
        help_text=_("Only with the patient's consent: reminders and confirmations to the phone."),
    )
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region or state"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=50, blank=True)
    marital_status = models.CharField(
        _("marital status"), max_length=12, choices=MaritalStatus, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    insurance_payer = models.CharField(_("insurance payer"), max_length=100, blank=True)
    insurance_policy_number = models.CharField(
        _("insurance policy number"), max_length=50, blank=True
    )
    is_deceased = models.BooleanField(_("deceased"), default=False)
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient",
        help_text=_("The portal account through which the patient sees this record."),
    )
    # Search keys kept by the service on every save: metaphone codes of the names.
    first_name_phonetic = models.CharField(max_length=50, blank=True, editable=False)
    last_name_phonetic = models.CharField(max_length=50, blank=True, editable=False)
    # The phone as lists show it (international format), kept by save(): formatting a
    # number is too slow to do per row per request.
    # Nullable: SQLite adds a nullable column in place (a NOT NULL one remakes the table,
    # which the clinical triggers on patients_patient forbid).
    phone_display = models.CharField(max_length=40, blank=True, null=True, editable=False)  # noqa: DJ001

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        permissions = [
            ("view_chart", _("Open the full chart (care team)")),
            ("break_glass", _("Open a chart outside one's care team (break the glass)")),
            ("manage_care_team", _("Add and remove care-team members")),
            ("merge_patient", _("Merge duplicate patient records")),
            ("view_patient_statistics", _("See patient statistics")),
        ]
        indexes = [
            models.Index(Upper("last_name"), Upper("first_name"), name="patient_name_upper_idx"),
            models.Index(fields=["last_name_phonetic"], name="patient_last_phonetic_idx"),
            models.Index(fields=["first_name_phonetic"], name="patient_first_phonetic_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
            models.Index(fields=["email"], name="patient_email_idx"),
        ]
        constraints = [
            # Sex is always one of the answers (FHIR administrative gender): registration
            # records what was asked, "unknown" included, never an empty value.
            models.CheckConstraint(
                condition=models.Q(sex__in=Sex.values), name="patient_sex_recorded"
            ),
            # A death date only on a deceased patient (and never in the future, by the form).
            models.CheckConstraint(
                condition=models.Q(is_deceased=True) | models.Q(deceased_on__isnull=True),
                name="patient_death_date_only_if_deceased",
            ),
            # A merged-away record is never active: its data lives in the survivor.
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(is_active=False),
                name="patient_merged_is_inactive",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.display_mrn})"

    def get_absolute_url(self):
        return reverse("patients:patient_detail", kwargs={"pk": self.pk})

    @property
    def full_name(self):
        """Return first, middle and last name."""
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    @staticmethod
    def format_phone(phone):
        return phone.as_international if phone else ""

    def save(self, *args, **kwargs):
        self.phone_display = self.format_phone(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_display"}
        super().save(*args, **kwargs)

    @property
    def display_mrn(self):
        """Return the MRN with the site's prefix in front."""
        return f"{parameters.get('mrn_prefix')}{self.mrn}"

    def ensure_active(self, *, allow_deceased=False):
        """Raise PatientInactive unless this record takes new care: active, not merged
        into another, and (unless `allow_deceased`, for documentation after a death)
        alive. The one check every service asks before it books, admits or records."""
        from patients.exceptions import PatientInactive

        if self.merged_into_id:
            raise PatientInactive(
                _("This record was merged into another; use the surviving record.")
            )
        if self.is_deceased and not allow_deceased:
            raise PatientInactive(_("This patient is deceased."))
        if not self.is_active:
            raise PatientInactive()
        return self

    def age(self, on=None):
        """Return the age in whole years on `on` (today by default; the death date for
        a deceased patient)."""
        on = on or (self.deceased_on if self.is_deceased and self.deceased_on else None)
        on = on or timezone.localdate()
        dob = self.date_of_birth
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))

    @property
    def age_display(self):
        """Return the age for banners: years, or months for infants."""
        today = self.deceased_on if self.is_deceased and self.deceased_on else timezone.localdate()
        years = self.age(today)
        if years >= 2:
            return f"{years} y"
        months = (
            (today.year - self.date_of_birth.year) * 12 + today.month - self.date_of_birth.month
        )
        if today.day < self.date_of_birth.day:
            months -= 1
        return f"{max(months, 0)} mo"


class IdentifierType(models.TextChoices):
    NATIONAL_ID = "national_id", _("National ID")
    PASSPORT = "passport", _("Passport")
    DRIVER_LICENSE = "driver_license", _("Driver's licence")
    INSURANCE_MEMBER = "insurance_member", _("Insurance member ID")
    OTHER = "other", _("Other")


class PatientIdentifier(TrackedModel):
    """A national or other identifier of a patient, unique per type."""

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="identifiers"
    )
    type = models.CharField(_("type"), max_length=20, choices=IdentifierType)
    value = models.CharField(_("value"), max_length=64)

    class Meta:
        ordering = ["type"]
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        constraints = [
            # One identifier value names one person: two records with the same passport
            # number are a duplicate to merge, not two patients.
            models.UniqueConstraint(
                fields=["type", "value"], name="patientidentifier_unique_value"
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} {self.value}"


class EmergencyContact(TrackedModel):
    """Someone to call about a patient."""

    patient = models.ForeignKey(
        Patient,
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="emergency_contacts",
    )
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=50)
    phone = PhoneNumberField(_("phone"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")

    def __str__(self):
        return f"{self.name} ({self.relationship})"


class AccessReason(models.TextChoices):
    EXPLICIT = "explicit", _("Added to the care team")
    APPOINTMENT = "appointment", _("Appointment")
    ENCOUNTER = "encounter", _("Encounter")
    ADMISSION = "admission", _("Admission")
    WARD = "ward", _("Nurse of the patient's ward")
    BREAK_GLASS = "break_glass", _("Break the glass")


# Why a read was allowed, as the access log keeps it: the reasons above, a worklist
# role opening the parts of the chart its work needs (`ehr.core.access`), or a clinician's
# role showing a banner item on any chart (allergies: safety before privacy,
# `ehr.core.chart.BannerItem.permission`); neither makes a permission row or a care
# relationship.
WORKLIST = "worklist"
BANNER = "banner"
LOGGED_ACCESS_REASONS = [
    *AccessReason.choices,
    (WORKLIST, _("Worklist")),
    (BANNER, _("Patient banner")),
]


class PatientUserObjectPermission(TrackedModel, UserObjectPermissionBase):
    """A user's permission on one patient (guardian, direct foreign key).

    `patients.view_chart` rows are the care team. Each row says why it exists and, for
    break-the-glass, when it expires; expiry is enforced by every check, and
    `manage.py expire_access_grants` removes expired rows.
    """

    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)
    reason = models.CharField(
        _("reason"), max_length=20, choices=AccessReason, default=AccessReason.EXPLICIT
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("patient permission of a user")
        verbose_name_plural = _("patient permissions of users")
        indexes = [
            models.Index(fields=["user", "permission", "content_object"], name="patient_uperm_idx"),
            models.Index(fields=["expires_at"], name="patient_uperm_expiry_idx"),
        ]

    def is_current(self, now=None):
        """Return True unless this permission has expired."""
        return self.expires_at is None or self.expires_at > (now or timezone.now())


@dataclass(frozen=True)
class CareWindow:
    """The time in which one clinician may open a chart because of one piece of care
    (an appointment, an encounter, an admission, a stay on a ward). `closes_at` None: open
    until the care ends. Source models compute theirs (`care_windows()`)."""

    user: object
    reason: str
    opens_at: datetime
    closes_at: datetime | None = None

    @classmethod
    def of_care(cls, user, reason, *, starts, ends=None, prepare=False):
        """Return the window of care that starts at `starts` (earlier by the
        `chart_prep_hours` parameter when `prepare`) and ends at `ends`, plus the
        `relationship_followup_days` parameter (`ends` None: open until the care ends)."""
        opens_at = starts
        if prepare:
            opens_at -= timedelta(hours=parameters.get("chart_prep_hours"))
        closes_at = None
        if ends is not None:
            closes_at = max(ends, opens_at) + timedelta(
                days=parameters.get("relationship_followup_days")
            )
        return cls(user, reason, opens_at, closes_at)


class CareRelationshipQuerySet(models.QuerySet):
    def current(self, now=None):
        """Return the relationships open at `now` (opened, not yet closed)."""
        now = now or timezone.now()
        return self.filter(opens_at__lte=now).filter(
            models.Q(closes_at__isnull=True) | models.Q(closes_at__gt=now)
        )

    def to_review(self):
        """Return the self-assigned relationships no privacy reviewer has looked at."""
        return self.filter(self_assigned=True, reviewed_at__isnull=True)


class CareRelationship(TrackedModel):
    """A treatment relationship that opens a patient's chart to one clinician for a time
    window, tied to its source (an appointment, encounter, admission or bed stay).

    The source sets the window as its state changes (`patients.services.
    care_relationships_sync`): an appointment opens the chart a little before it starts
    and closes it some days after it is completed, a cancelled one closes it at once.
    Expiry is enforced at every check. Rows are never deleted: they record who had
    access, when and why. A relationship a clinician created for himself with a patient
    he could not open otherwise is `self_assigned` and waits for a privacy review, as
    break-the-glass does.
    """

    patient = models.ForeignKey(
        Patient,
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="care_relationships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clinician"),
        on_delete=models.PROTECT,
        related_name="care_relationships",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=AccessReason)
    source_type = models.CharField(
        _("source type"), max_length=100, help_text=_("Model label, e.g. scheduling.appointment.")
    )
    source_id = models.UUIDField(_("source id"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(
        _("closes at"), null=True, blank=True, help_text=_("Empty: until the care ends.")
    )
    self_assigned = models.BooleanField(
        _("self-assigned"),
        default=False,
        help_text=_(
            "Created by the clinician himself for a patient whose chart he could not open."
        ),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = BoundedTextField(_("review comment"), blank=True)

    objects = CareRelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("care relationship")
        verbose_name_plural = _("care relationships")
        constraints = [
            # One relationship per clinician and piece of care: a state change of the
            # source moves its window, it never adds a second grant.
            models.UniqueConstraint(
                fields=["source_type", "source_id", "user"],
                name="carerelationship_one_per_source_and_user",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__isnull=True)
                | models.Q(closes_at__gte=models.F("opens_at")),
                name="carerelationship_closes_after_opening",
            ),
            # Explicit membership and break-the-glass are object permissions, not care.
            models.CheckConstraint(
                condition=models.Q(
                    reason__in=[
                        AccessReason.APPOINTMENT,
                        AccessReason.ENCOUNTER,
                        AccessReason.ADMISSION,
                        AccessReason.WARD,
                    ]
                ),
                name="carerelationship_reason_is_care",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "patient", "opens_at"], name="carerel_user_patient_idx"),
            models.Index(fields=["patient", "opens_at"], name="carerel_patient_idx"),
            models.Index(
                fields=["-opens_at"],
                condition=models.Q(self_assigned=True, reviewed_at__isnull=True),
                name="carerel_to_review_idx",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.patient_id} ({self.reason})"

    def is_current(self, now=None):
        """Return True while the relationship opens the chart."""
        now = now or timezone.now()
        return self.opens_at <= now and (self.closes_at is None or self.closes_at > now)

    @property
    def source(self):
        """Return the record this relationship comes from, or None if it is gone."""
        model = apps.get_model(self.source_type)
        return model._base_manager.filter(pk=self.source_id).first()


class PatientGroupObjectPermission(TrackedModel, GroupObjectPermissionBase):
    """A group's permission on one patient (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("patient permission of a group")
        verbose_name_plural = _("patient permissions of groups")


class BreakGlassReason(models.TextChoices):
    """Why a clinician broke the glass: the common cases, or "other" described in full."""

    EMERGENCY_CARE = "emergency_care", _("Emergency care")
    ON_CALL = "on_call", _("Covering on call")
    TRANSFERRED_IN = "transferred_in", _("Patient transferred in")
    OTHER = "other", _("Other")


class BreakGlassAccess(TrackedModel):
    """An emergency opening of a chart outside one's care team: who, why, until when,
    and the privacy review of it. Kept for ever, also after the access expired."""

    # "Other" must say enough for the privacy review to judge it.
    OTHER_DETAILS_MIN_LENGTH = 15

    # An audit record names the record that was opened; a merge does not rewrite it.
    stays_on_merge = True

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="break_glass"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="break_glass_accesses",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=BreakGlassReason)
    details = BoundedTextField(
        _("details"),
        blank=True,
        help_text=_("Required for “other” (at least 15 characters); optional otherwise."),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = BoundedTextField(_("review comment"), blank=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        permissions = [("review_breakglassaccess", _("Review break-the-glass accesses"))]
        constraints = [
            # An emergency access always states why (HIPAA "minimum necessary" review):
            # one of the listed reasons, and words for "other". (The 15-character
            # minimum is `clean()`'s: rows from before the list keep their short text.)
            models.CheckConstraint(
                condition=models.Q(reason__in=BreakGlassReason.values),
                name="breakglassaccess_reason_listed",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=BreakGlassReason.OTHER) | ~models.Q(details=""),
                name="breakglassaccess_other_has_details",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="breakglassaccess_expires_after_grant",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewed_at", "-granted_at"], name="breakglass_review_idx")
        ]

    def __str__(self):
        return f"{self.user} → {self.patient} ({self.granted_at:%Y-%m-%d %H:%M})"

    @property
    def reason_text(self):
        """Return the reason's label with its details ("Other: …")."""
        label = self.get_reason_display()
        return f"{label}: {self.details}" if self.details else str(label)

    def clean(self):
        """Require details of at least OTHER_DETAILS_MIN_LENGTH characters for "other"."""
        super().clean()
        self.details = (self.details or "").strip()
        if (
            self.reason == BreakGlassReason.OTHER
            and len(self.details) < self.OTHER_DETAILS_MIN_LENGTH
        ):
            raise BreakGlassReasonRequired(
                _("Describe the reason in at least %(count)d characters.")
                % {"count": self.OTHER_DETAILS_MIN_LENGTH}
            )

    def is_current(self, now=None):
        """Return True while the access lasts."""
        return self.expires_at > (now or timezone.now())


class ChartAccess(TrackedModel):
    """One read of a chart or of one of its parts: the access log ("who looked")."""

    # An audit record names the record that was opened; a merge does not rewrite it.
    stays_on_merge = True

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        FHIR = "fhir", _("FHIR")
        PORTAL = "portal", _("Portal")

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="chart_accesses",
    )
    roles = models.CharField(_("roles"), max_length=200, blank=True)
    part = models.CharField(_("what was viewed"), max_length=50)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.WEB)
    accessed_at = models.DateTimeField(_("when"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    break_glass = models.ForeignKey(
        BreakGlassAccess,
        verbose_name=_("under break-the-glass"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chart_accesses",
    )
    grant_reason = models.CharField(
        _("access through"), max_length=20, choices=LOGGED_ACCESS_REASONS, blank=True
    )
    care_relationship = models.ForeignKey(
        CareRelationship,
        verbose_name=_("under care relationship"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chart_accesses",
    )

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name = _("chart access")
        verbose_name_plural = _("chart accesses")
        indexes = [
            models.Index(fields=["patient", "-accessed_at"], name="chartaccess_patient_idx"),
            models.Index(fields=["user", "-accessed_at"], name="chartaccess_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} viewed {self.part} of {self.patient_id} at {self.accessed_at}"


class PatientMerge(TrackedModel):
    """A merge of a duplicate record into a survivor, listing exactly what moved, so an
    Administrator can undo it."""

    survivor = models.ForeignKey(
        Patient, verbose_name=_("survivor"), on_delete=models.PROTECT, related_name="+"
    )
    duplicate = models.ForeignKey(
        Patient, verbose_name=_("duplicate"), on_delete=models.PROTECT, related_name="+"
    )
    reason = BoundedTextField(_("reason"), blank=True)
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    moved = models.JSONField(
        _("what moved"),
        default=list,
        help_text=_("Each moved record: model label, primary key and field."),
    )
    duplicate_was_active = models.BooleanField(
        _("duplicate was active"),
        default=True,
        help_text=_("Undoing the merge restores this state of the duplicate."),
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("patient merge")
        verbose_name_plural = _("patient merges")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(survivor=models.F("duplicate")),
                name="patientmerge_distinct_records",
            ),
            # A record is merged away at most once at a time.
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=models.Q(undone_at__isnull=True),
                name="patientmerge_one_open_merge_per_duplicate",
            ),
        ]

    def __str__(self):
        return f"{self.duplicate_id} → {self.survivor_id}"


def luhn_check_digit(digits: str) -> str:
    """Return the Luhn (mod 10) check digit for a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_is_valid(number: str) -> bool:
    """Return True if `number` (digits) ends in its correct Luhn check digit."""
    return number.isdigit() and len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]
