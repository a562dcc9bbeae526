"""The laboratory: the test catalogue (specimen types, tests, panels, reference ranges),
orders with their specimens and result lines, and critical-result alerts."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core.models import BoundedTextField, TrackedModel
from ehr.core.states import StateMachine, StatusChange

# --- Catalogue ------------------------------------------------------------------------------


class SpecimenType(TrackedModel):
    """What is collected (blood, serum, urine, a swab…) and in which container."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    container = models.CharField(_("container"), max_length=100, blank=True)
    colour = models.CharField(_("cap colour"), max_length=30, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("specimen type")
        verbose_name_plural = _("specimen types")

    def __str__(self):
        return self.name


class ResultType(models.TextChoices):
    NUMERIC = "numeric", _("numeric")
    CODED = "coded", _("coded")
    TEXT = "text", _("text")


class Section(models.TextChoices):
    CHEMISTRY = "chemistry", _("Clinical chemistry")
    HAEMATOLOGY = "haematology", _("Haematology")
    COAGULATION = "coagulation", _("Coagulation")
    URINALYSIS = "urinalysis", _("Urinalysis")
    IMMUNOLOGY = "immunology", _("Immunology")
    MICROBIOLOGY = "microbiology", _("Microbiology")


class LabTest(TrackedModel):
    """A test that can be ordered: a single analyte, or a panel made of member tests
    (`is_panel`, members in `PanelMember`). Ordering a panel orders its members."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    loinc = models.CharField(_("LOINC code"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200)
    section = models.CharField(_("section"), max_length=20, choices=Section, blank=True)
    specimen_type = models.ForeignKey(
        SpecimenType,
        verbose_name=_("specimen type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tests",
    )
    unit = models.CharField(_("unit (UCUM)"), max_length=30, blank=True)
    result_type = models.CharField(
        _("result type"), max_length=10, choices=ResultType, default=ResultType.NUMERIC
    )
    coded_values = models.CharField(
        _("allowed coded values"),
        max_length=300,
        blank=True,
        help_text=_("For coded results: the values a result may take, separated by '|'."),
    )
    decimals = models.PositiveSmallIntegerField(_("decimal places"), default=1)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=0)
    active = models.BooleanField(_("active"), default=True)
    is_panel = models.BooleanField(_("panel"), default=False)
    delta_check_percent = models.DecimalField(
        _("delta check (%)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("A change larger than this since the previous result is marked for review."),
    )
    allow_negative = models.BooleanField(
        _("negative values possible"),
        default=False,
        help_text=_("Base excess, for example; counts and concentrations are never negative."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("lab test")
        verbose_name_plural = _("lab tests")
        constraints = [
            # A panel is its members; it has no value, unit or range of its own.
            models.CheckConstraint(
                condition=Q(is_panel=False) | Q(unit=""), name="labtest_panel_has_no_unit"
            ),
            models.CheckConstraint(
                condition=Q(decimals__lte=6), name="labtest_decimals_at_most_six"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="labtest_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def allowed_values(self):
        return [v.strip() for v in self.coded_values.split("|") if v.strip()]

    def member_tests(self):
        """Return the tests an order of this test produces lines for: the members of a
        panel (in panel order), or the test itself."""
        if not self.is_panel:
            return [self]
        return [m.member for m in self.members.select_related("member").order_by("position")]


class PanelMember(TrackedModel):
    """One test inside a panel."""

    panel = models.ForeignKey(
        LabTest, verbose_name=_("panel"), on_delete=models.CASCADE, related_name="members"
    )
    member = models.ForeignKey(
        LabTest, verbose_name=_("test"), on_delete=models.PROTECT, related_name="in_panels"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["panel", "position"]
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [
            models.UniqueConstraint(fields=["panel", "member"], name="panelmember_once"),
            models.CheckConstraint(condition=~Q(panel=F("member")), name="panelmember_not_itself"),
        ]

    def __str__(self):
        return f"{self.panel.code} ⊃ {self.member.code}"

    def clean(self):
        if self.member_id and self.member.is_panel:
            raise ValidationError({"member": _("A panel cannot contain another panel.")})
        if self.panel_id and not self.panel.is_panel:
            raise ValidationError({"panel": _("Only a panel has members.")})


class RangeSex(models.TextChoices):
    ANY = "any", _("any")
    FEMALE = "female", _("female")
    MALE = "male", _("male")


DAYS_PER_YEAR = 365


class ReferenceRange(TrackedModel):
    """The normal and critical limits of a test for patients of a sex and an age band
    (days, from inclusive, to exclusive). Bands of the same test and sex never overlap:
    the model's `clean()` refuses it everywhere, and on PostgreSQL an exclusion
    constraint (migration 0002) holds it under concurrent writes too."""

    test = models.ForeignKey(
        LabTest, verbose_name=_("test"), on_delete=models.CASCADE, related_name="ranges"
    )
    sex = models.CharField(_("sex"), max_length=10, choices=RangeSex, default=RangeSex.ANY)
    age_from_days = models.PositiveIntegerField(_("age from (days)"), default=0)
    age_to_days = models.PositiveIntegerField(
        _("age to (days, exclusive)"), default=150 * DAYS_PER_YEAR
    )
    normal_low = models.DecimalField(
        _("normal low"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    normal_high = models.DecimalField(
        _("normal high"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    critical_low = models.DecimalField(
        _("critical low"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    critical_high = models.DecimalField(
        _("critical high"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    abnormal_values = models.CharField(
        _("abnormal coded values"),
        max_length=300,
        blank=True,
        help_text=_("For coded results: the values flagged abnormal, separated by '|'."),
    )

    class Meta:
        ordering = ["test", "sex", "age_from_days"]
        verbose_name = _("reference range")
        verbose_name_plural = _("reference ranges")
        constraints = [
            models.CheckConstraint(
                condition=Q(age_from_days__lt=F("age_to_days")),
                name="referencerange_age_band_not_empty",
            ),
            # Limits in order, so a value is never both low and high.
            models.CheckConstraint(
                condition=Q(normal_low__isnull=True)
                | Q(normal_high__isnull=True)
                | Q(normal_low__lte=F("normal_high")),
                name="referencerange_normal_in_order",
            ),
            models.CheckConstraint(
                condition=Q(critical_low__isnull=True)
                | Q(normal_low__isnull=True)
                | Q(critical_low__lte=F("normal_low")),
                name="referencerange_critical_low_below_normal",
            ),
            models.CheckConstraint(
                condition=Q(critical_high__isnull=True)
                | Q(normal_high__isnull=True)
                | Q(critical_high__gte=F("normal_high")),
                name="referencerange_critical_high_above_normal",
            ),
        ]

    def __str__(self):
        return f"{self.test.code} {self.sex} {self.age_from_days}–{self.age_to_days} d"

    def clean(self):
        """Refuse a band that overlaps another band of the same test and sex."""
        if self.test_id is None or self.age_from_days is None or self.age_to_days is None:
            return
        if self.age_from_days >= self.age_to_days:
            raise ValidationError({"age_to_days": _("The age band ends before it starts.")})
        overlapping = (
            ReferenceRange.objects.filter(
                test_id=self.test_id,
                sex=self.sex,
                age_from_days__lt=self.age_to_days,
                age_to_days__gt=self.age_from_days,
            )
            .exclude(pk=self.pk)
            .exists()
        )
        if overlapping:
            raise ValidationError(
                _("Another range of this test covers part of these ages for the same sex.")
            )

    @property
    def abnormal_list(self):
        return [v.strip().lower() for v in self.abnormal_values.split("|") if v.strip()]

    def display(self):
        """Return the range as a reader expects it: "3.5-5.1" (with an en dash)."""
        if self.normal_low is not None and self.normal_high is not None:
            return f"{self.normal_low.normalize():f}–{self.normal_high.normalize():f}"
        if self.normal_high is not None:
            return f"< {self.normal_high.normalize():f}"
        if self.normal_low is not None:
            return f"> {self.normal_low.normalize():f}"
        return ""


# --- Orders ---------------------------------------------------------------------------------


class Priority(models.TextChoices):
    ROUTINE = "routine", _("routine")
    URGENT = "urgent", _("urgent")
    STAT = "stat", _("stat")


class RejectionReason(models.TextChoices):
    HAEMOLYSED = "haemolysed", _("haemolysed")
    CLOTTED = "clotted", _("clotted")
    INSUFFICIENT = "insufficient", _("insufficient volume")
    MISLABELLED = "mislabelled", _("mislabelled")


class LabOrderStatus(models.TextChoices):
    ORDERED = "ordered", _("ordered")
    COLLECTED = "collected", _("collected")
    RECEIVED = "received", _("received")
    IN_PROGRESS = "in_progress", _("in progress")
    RESULTED = "resulted", _("resulted")
    VERIFIED = "verified", _("verified")
    CANCELLED = "cancelled", _("cancelled")
    REJECTED = "rejected", _("rejected")


class LabOrder(StateMachine, TrackedModel):
    """Tests ordered for a patient at once. Its status changes only along `TRANSITIONS`,
    each change time-stamped (the turnaround report reads the stamps). A rejected
    specimen asks for a new collection: the order goes back to `collected` with a new
    specimen."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="lab_orders",
    )
    encounter = models.ForeignKey(
        "clinical.Encounter",
        verbose_name=_("encounter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_orders",
    )
    ordering_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordering doctor"),
        on_delete=models.PROTECT,
        related_name="lab_orders",
    )
    tests = models.ManyToManyField(
        LabTest, verbose_name=_("tests ordered"), through="LabOrderTest", related_name="+"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.ROUTINE
    )
    clinical_notes = BoundedTextField(_("clinical notes"), blank=True)
    fasting = models.BooleanField(_("fasting"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=LabOrderStatus, default=LabOrderStatus.ORDERED
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    in_progress_at = models.DateTimeField(_("started at"), null=True, blank=True)
    resulted_at = models.DateTimeField(_("resulted at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    cancel_reason = BoundedTextField(_("reason for cancelling"), blank=True)
    rejection_reason = models.CharField(
        _("reason for rejection"), max_length=20, choices=RejectionReason, blank=True
    )

    Status = LabOrderStatus
    TRANSITIONS = {
        LabOrderStatus.ORDERED: frozenset({LabOrderStatus.COLLECTED, LabOrderStatus.CANCELLED}),
        LabOrderStatus.COLLECTED: frozenset(
            {LabOrderStatus.RECEIVED, LabOrderStatus.REJECTED, LabOrderStatus.CANCELLED}
        ),
        LabOrderStatus.RECEIVED: frozenset(
            {LabOrderStatus.IN_PROGRESS, LabOrderStatus.REJECTED, LabOrderStatus.CANCELLED}
        ),
        LabOrderStatus.IN_PROGRESS: frozenset({LabOrderStatus.RESULTED, LabOrderStatus.CANCELLED}),
        LabOrderStatus.RESULTED: frozenset({LabOrderStatus.VERIFIED}),
        LabOrderStatus.VERIFIED: frozenset(),
        LabOrderStatus.CANCELLED: frozenset(),
        # A new specimen is collected (or the order cancelled).
        LabOrderStatus.REJECTED: frozenset({LabOrderStatus.COLLECTED, LabOrderStatus.CANCELLED}),
    }
    STAMPS = {
        LabOrderStatus.COLLECTED: "collected_at",
        LabOrderStatus.RECEIVED: "received_at",
        LabOrderStatus.IN_PROGRESS: "in_progress_at",
        LabOrderStatus.RESULTED: "resulted_at",
        LabOrderStatus.VERIFIED: "verified_at",
        LabOrderStatus.CANCELLED: "cancelled_at",
        LabOrderStatus.REJECTED: "rejected_at",
    }
    status_log = "status_changes"
    transition_message = _("A lab order that is %(old)s cannot become %(new)s.")
    OPEN_STATUSES = (
        LabOrderStatus.ORDERED,
        LabOrderStatus.COLLECTED,
        LabOrderStatus.RECEIVED,
        LabOrderStatus.IN_PROGRESS,
        LabOrderStatus.RESULTED,
        LabOrderStatus.REJECTED,
    )

    class Meta:
        ordering = ["-ordered_at"]
        verbose_name = _("lab order")
        verbose_name_plural = _("lab orders")
        indexes = [
            models.Index(fields=["patient", "-ordered_at"], name="laborder_patient_idx"),
            models.Index(fields=["status", "priority"], name="laborder_worklist_idx"),
        ]
        constraints = [
            # A cancelled order says why, a rejected one which fault of the specimen.
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="laborder_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="laborder_rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"{_('Lab order')} {self.ordered_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("laboratory:laborder_detail", args=[self.pk])

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        from laboratory.exceptions import ReasonRequired

        if new_status in (self.Status.CANCELLED, self.Status.REJECTED) and not reason:
            raise ReasonRequired()
        if new_status == self.Status.REJECTED and reason not in RejectionReason.values:
            raise ReasonRequired(_("Choose why the specimen is rejected."))

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        if new_status == self.Status.CANCELLED:
            self.cancel_reason = reason
        elif new_status == self.Status.REJECTED:
            self.rejection_reason = reason

    @property
    def current_specimen(self):
        specimens = sorted(self.specimens.all(), key=lambda s: s.collected_at)
        return specimens[-1] if specimens else None

    def target_minutes(self):
        from ehr.core import parameters

        return parameters.get(f"lab_target_{self.priority}_minutes")

    def is_late(self, now=None):
        """True when an open order is older than its priority's turnaround target."""
        if self.status not in self.OPEN_STATUSES:
            return False
        now = now or timezone.now()
        return (now - self.ordered_at).total_seconds() > self.target_minutes() * 60


class LabOrderTest(TrackedModel):
    """A test (or panel) as it was ordered."""

    order = models.ForeignKey(LabOrder, on_delete=models.CASCADE, related_name="ordered_tests")
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ordered test")
        verbose_name_plural = _("ordered tests")
        constraints = [
            models.UniqueConstraint(fields=["order", "test"], name="labordertest_once"),
        ]

    def __str__(self):
        return str(self.test)


class LabOrderStatusChange(StatusChange):
    order = models.ForeignKey(LabOrder, on_delete=models.CASCADE, related_name="status_changes")
    to_status = models.CharField(_("to"), max_length=20, choices=LabOrderStatus)

    class Meta(StatusChange.Meta):
        verbose_name = _("lab order status change")
        verbose_name_plural = _("lab order status changes")


class Specimen(TrackedModel):
    """A tube or container collected for an order, known by its accession number (from
    a database sequence, with a check digit: `services.accession_next`)."""

    order = models.ForeignKey(
        LabOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="specimens"
    )
    accession_number = models.CharField(_("accession number"), max_length=20, unique=True)
    specimen_type = models.ForeignKey(
        SpecimenType,
        verbose_name=_("specimen type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    collected_at = models.DateTimeField(_("collected at"), default=timezone.now)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collected by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.CharField(
        _("rejected because"), max_length=20, choices=RejectionReason, blank=True
    )

    class Meta:
        ordering = ["-collected_at"]
        verbose_name = _("specimen")
        verbose_name_plural = _("specimens")

    def __str__(self):
        return self.accession_number


class Flag(models.TextChoices):
    NORMAL = "normal", _("normal")
    LOW = "low", _("low")
    HIGH = "high", _("high")
    CRITICAL_LOW = "critical_low", _("critical low")
    CRITICAL_HIGH = "critical_high", _("critical high")
    ABNORMAL = "abnormal", _("abnormal")


CRITICAL_FLAGS = (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)


class LabResultStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    PRELIMINARY = "preliminary", _("preliminary")
    FINAL = "final", _("final")
    CORRECTED = "corrected", _("corrected (superseded)")


class LabResult(TrackedModel):
    """One result line of an order: one test's value, flag, who entered and who verified
    it. A correction of a final result is a new version; the old row stays, marked
    `corrected`, pointing to its successor."""

    order = models.ForeignKey(
        LabOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="results"
    )
    test = models.ForeignKey(
        LabTest, verbose_name=_("test"), on_delete=models.PROTECT, related_name="results"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LabResultStatus, default=LabResultStatus.PENDING
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    value_numeric = models.DecimalField(
        _("value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    value_text = models.CharField(_("value"), max_length=500, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    reference_range = models.CharField(_("reference range"), max_length=100, blank=True)
    flag = models.CharField(_("flag"), max_length=15, choices=Flag, blank=True)
    delta_flag = models.BooleanField(_("delta check"), default=False)
    previous_value = models.DecimalField(
        _("previous value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
    )
    correction_reason = BoundedTextField(_("reason for correcting"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["order", "test__name", "version"]
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        permissions = [
            ("verify_labresult", _("Can verify lab results")),
            ("enter_labresult", _("Can enter lab results")),
            ("review_labresult", _("Can mark lab results as reviewed")),
            ("view_turnaround", _("Can see the lab's turnaround times")),
        ]
        indexes = [
            models.Index(fields=["test", "status"], name="labresult_test_status_idx"),
        ]
        constraints = [
            # The four-eyes rule: a result is released by someone other than the person
            # who entered it (the Clinical Laboratory Improvement Amendments' and ISO
            # 15189's second check), whichever way the row is written.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(entered_by__isnull=True)
                | ~Q(verified_by=F("entered_by")),
                name="labresult_verified_by_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["final", "corrected"])
                | (Q(verified_by__isnull=False) & Q(verified_at__isnull=False)),
                name="labresult_final_is_verified",
            ),
            # One current version per test of an order; corrected versions stay beside it.
            models.UniqueConstraint(
                fields=["order", "test"],
                condition=~Q(status="corrected"),
                name="labresult_one_current_per_test",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(correction_reason=""),
                name="labresult_correction_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.test.code}: {self.display_value}"

    @property
    def display_value(self):
        if self.value_numeric is not None:
            decimals = self.test.decimals
            return f"{self.value_numeric:.{decimals}f}"
        return self.value_text

    @property
    def is_critical(self):
        return self.flag in CRITICAL_FLAGS

    @property
    def is_preliminary(self):
        return self.status == LabResultStatus.PRELIMINARY

    def clean(self):
        if self.verified_by_id and self.verified_by_id == self.entered_by_id:
            raise ValidationError(
                {"verified_by": _("A result is verified by someone other than who entered it.")}
            )


class CriticalAlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")


class CriticalAlert(TrackedModel):
    """A verified critical value that a doctor must acknowledge (with a read-back note).
    Unacknowledged, it escalates step by step (`escalation_level`, steps recorded in
    `CriticalAlertStep`)."""

    result = models.OneToOneField(
        LabResult,
        verbose_name=_("result"),
        on_delete=models.PROTECT,
        related_name="critical_alert",
    )
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="critical_alerts",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordering doctor"),
        on_delete=models.PROTECT,
        related_name="critical_alerts",
    )
    status = models.CharField(
        _("status"), max_length=15, choices=CriticalAlertStatus, default=CriticalAlertStatus.OPEN
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    last_escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    read_back_note = BoundedTextField(_("read-back note"), blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("critical result alert")
        verbose_name_plural = _("critical result alerts")
        constraints = [
            # An acknowledgement says who, when, and what was read back.
            models.CheckConstraint(
                condition=Q(status="open")
                | (
                    Q(acknowledged_by__isnull=False)
                    & Q(acknowledged_at__isnull=False)
                    & ~Q(read_back_note="")
                ),
                name="criticalalert_acknowledged_with_note",
            ),
        ]

    def __str__(self):
        return f"{_('Critical result')} {self.result}"

    @property
    def minutes_to_acknowledge(self):
        if self.acknowledged_at is None:
            return None
        return round((self.acknowledged_at - self.raised_at).total_seconds() / 60, 1)


class CriticalAlertStep(TrackedModel):
    """One step of an alert's life: raised, escalated (level and to whom), acknowledged."""

    alert = models.ForeignKey(CriticalAlert, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField(_("level"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20)
    recipients = models.CharField(_("recipients"), max_length=2000, blank=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("critical alert step")
        verbose_name_plural = _("critical alert steps")
        constraints = [
            # The escalation job may run twice at once: each level happens once.
            models.UniqueConstraint(fields=["alert", "level", "action"], name="alertstep_once"),
        ]

    def __str__(self):
        return f"{self.action} {self.level}"


ZERO = Decimal(0)


# --- Documents and images -------------------------------------------------------------------


class DocumentCategory(models.TextChoices):
    BLOOD_TEST = "blood_test", _("blood test")
    XRAY = "xray", _("X-ray")
    MRI = "mri", _("MRI")
    CT = "ct", _("CT")
    ULTRASOUND = "ultrasound", _("ultrasound")
    ECG = "ecg", _("ECG")
    DISCHARGE_LETTER = "discharge_letter", _("discharge letter")
    REFERRAL = "referral", _("referral")
    OTHER = "other", _("other")


def _document_path(instance, filename):
    # A server-generated name: nothing the uploader typed reaches the file system.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"documents/{instance.patient_id}/{uuid.uuid4().hex}.{extension}"


class PatientDocument(TrackedModel):
    """An uploaded report, image, PDF or DICOM file of a patient, with its category and
    a doctor's remark. The type is the one read from the content (never the name); the
    file lives in the default storage under a generated name and is served only through
    the chart-access check (`laboratory:document_file`), each download logged."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    category = models.CharField(_("category"), max_length=20, choices=DocumentCategory)
    remark = BoundedTextField(_("remark"), blank=True)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    dicom = models.JSONField(_("DICOM metadata"), default=dict, blank=True)
    warning = models.CharField(_("warning"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    imaging_order = models.ForeignKey(
        "ImagingOrder",
        verbose_name=_("imaging study"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("patient document")
        verbose_name_plural = _("patient documents")
        constraints = [
            # Only the types read from the content are ever stored or served.
            models.CheckConstraint(
                condition=Q(
                    content_type__in=[
                        "image/png",
                        "image/jpeg",
                        "image/gif",
                        "image/bmp",
                        "image/tiff",
                        "application/pdf",
                        "application/dicom",
                    ]
                ),
                name="patientdocument_safe_type",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.original_name}"

    def get_absolute_url(self):
        return reverse("laboratory:document_file", args=[self.pk])

    @property
    def is_image(self):
        return self.content_type.startswith("image/") and self.content_type != "image/tiff"

    @property
    def is_pdf(self):
        return self.content_type == "application/pdf"

    @property
    def is_dicom(self):
        return self.content_type == "application/dicom"


# --- Imaging --------------------------------------------------------------------------------


class Modality(models.TextChoices):
    XRAY = "xray", _("X-ray")
    CT = "ct", _("CT")
    MRI = "mri", _("MRI")
    ULTRASOUND = "ultrasound", _("ultrasound")
    MAMMOGRAPHY = "mammography", _("mammography")
    FLUOROSCOPY = "fluoroscopy", _("fluoroscopy")
    NUCLEAR = "nuclear", _("nuclear medicine")


class ImagingOrderStatus(models.TextChoices):
    ORDERED = "ordered", _("ordered")
    PERFORMED = "performed", _("performed")
    REPORTED = "reported", _("reported")
    CANCELLED = "cancelled", _("cancelled")


class ImagingOrder(StateMachine, TrackedModel):
    """An imaging study ordered for a patient: modality, body part, clinical question.
    Performed, then reported: the radiologist's report is signed text, unchangeable once
    signed (the service refuses it; the constraint keeps a reported study signed)."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="imaging_orders",
    )
    ordering_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordering doctor"),
        on_delete=models.PROTECT,
        related_name="imaging_orders",
    )
    modality = models.CharField(_("modality"), max_length=20, choices=Modality)
    body_part = models.CharField(_("body part"), max_length=100)
    clinical_question = BoundedTextField(_("clinical question"))
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.ROUTINE
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ImagingOrderStatus,
        default=ImagingOrderStatus.ORDERED,
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = BoundedTextField(_("reason for cancelling"), blank=True)
    report = BoundedTextField(_("report"), blank=True, max_length=20_000)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    Status = ImagingOrderStatus
    TRANSITIONS = {
        ImagingOrderStatus.ORDERED: frozenset(
            {ImagingOrderStatus.PERFORMED, ImagingOrderStatus.CANCELLED}
        ),
        ImagingOrderStatus.PERFORMED: frozenset(
            {ImagingOrderStatus.REPORTED, ImagingOrderStatus.CANCELLED}
        ),
        ImagingOrderStatus.REPORTED: frozenset(),
        ImagingOrderStatus.CANCELLED: frozenset(),
    }
    STAMPS = {
        ImagingOrderStatus.PERFORMED: "performed_at",
        ImagingOrderStatus.REPORTED: "reported_at",
        ImagingOrderStatus.CANCELLED: "cancelled_at",
    }
    status_log = "status_changes"
    transition_message = _("An imaging order that is %(old)s cannot become %(new)s.")

    class Meta:
        ordering = ["-ordered_at"]
        verbose_name = _("imaging order")
        verbose_name_plural = _("imaging orders")
        permissions = [("sign_imagingreport", _("Can sign imaging reports"))]
        constraints = [
            # A reported study carries its signed report.
            models.CheckConstraint(
                condition=~Q(status="reported")
                | (Q(signed_by__isnull=False) & Q(reported_at__isnull=False) & ~Q(report="")),
                name="imagingorder_reported_is_signed",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="imagingorder_cancel_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_modality_display()} {self.body_part}"

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        from laboratory.exceptions import ReasonRequired

        if new_status == self.Status.CANCELLED and not reason:
            raise ReasonRequired()

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        if new_status == self.Status.CANCELLED:
            self.cancel_reason = reason
        elif new_status == self.Status.REPORTED:
            self.report = kwargs["report"]
            self.signed_by = actor


class ImagingOrderStatusChange(StatusChange):
    order = models.ForeignKey(ImagingOrder, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        verbose_name = _("imaging order status change")
        verbose_name_plural = _("imaging order status changes")
