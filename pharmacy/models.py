"""The formulary and the medication knowledge the safety checks read: ingredients, drug
classes, drugs, drug interactions and allergy cross-reactivity. The knowledge is data
(shipped as versioned CSV files in `pharmacy/knowledge/`, loaded by
`manage.py load_medication_knowledge`, kept up to date by administrators in the admin),
never code."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core.models import BoundedTextField, TrackedModel
from ehr.core.states import StateMachine, StatusChange
from pharmacy.exceptions import ReasonRequired


class Ingredient(TrackedModel):
    """An active ingredient (INN, lower case as the BNF writes it: "amoxicillin")."""

    name = models.CharField(_("name"), max_length=120)
    synonyms = models.CharField(
        _("synonyms"),
        max_length=300,
        blank=True,
        help_text=_("Other names, separated by ';' (e.g. 'penicillin V; acetaminophen')."),
    )
    classes = models.ManyToManyField(
        "pharmacy.DrugClass", verbose_name=_("classes"), related_name="ingredients", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("ingredient")
        verbose_name_plural = _("ingredients")
        constraints = [
            # Two rows for one ingredient would split its interactions and allergies.
            models.UniqueConstraint(Upper("name"), name="ingredient_unique_name"),
            models.CheckConstraint(condition=~models.Q(name=""), name="ingredient_has_name"),
        ]

    def __str__(self):
        return self.name

    def names(self):
        """Return the lower-case name and synonyms this ingredient is known by."""
        return {
            self.name.lower(),
            *(s.strip().lower() for s in self.synonyms.split(";") if s.strip()),
        }


class DrugClass(TrackedModel):
    """A group of drugs (pharmacological or therapeutic, or a risk such as QT
    prolongation). `therapeutic` classes count for duplicate therapy; `high_risk` ones
    put a banner on the chart."""

    name = models.CharField(_("name"), max_length=120)
    synonyms = models.CharField(
        _("synonyms"),
        max_length=300,
        blank=True,
        help_text=_("Other names, separated by ';' (e.g. 'penicillin; beta-lactam')."),
    )
    therapeutic = models.BooleanField(
        _("therapeutic class"),
        default=True,
        help_text=_("Two drugs of this class at once count as duplicate therapy."),
    )
    high_risk = models.BooleanField(
        _("high-risk medication"),
        default=False,
        help_text=_("Anticoagulants, insulins, opioids: a banner on the chart."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("drug class")
        verbose_name_plural = _("drug classes")
        constraints = [
            models.UniqueConstraint(Upper("name"), name="drugclass_unique_name"),
            models.CheckConstraint(condition=~models.Q(name=""), name="drugclass_has_name"),
        ]

    def __str__(self):
        return self.name

    def names(self):
        """Return the lower-case name and synonyms this class is known by."""
        return {
            self.name.lower(),
            *(s.strip().lower() for s in self.synonyms.split(";") if s.strip()),
        }


class DosageForm(models.TextChoices):
    TABLET = "tablet", _("tablet")
    CAPSULE = "capsule", _("capsule")
    ORAL_SOLUTION = "oral_solution", _("oral solution")
    INJECTION = "injection", _("injection")
    INFUSION = "infusion", _("infusion")
    INHALER = "inhaler", _("inhaler")
    CREAM = "cream", _("cream")
    DROPS = "drops", _("drops")
    SUPPOSITORY = "suppository", _("suppository")
    PATCH = "patch", _("patch")


class Route(models.TextChoices):
    ORAL = "oral", _("oral")
    IV = "iv", _("intravenous")
    IM = "im", _("intramuscular")
    SC = "sc", _("subcutaneous")
    INHALED = "inhaled", _("inhaled")
    TOPICAL = "topical", _("topical")
    TRANSDERMAL = "transdermal", _("transdermal")
    RECTAL = "rectal", _("rectal")
    SUBLINGUAL = "sublingual", _("sublingual")
    OPHTHALMIC = "ophthalmic", _("eye")


class Drug(TrackedModel):
    """A formulary item: one product in one form and strength. Doses of it are written
    in `dose_unit`; the maximum single and daily adult doses (same unit) drive the dose
    check, and are left empty where none applies (opioids titrated to effect)."""

    generic_name = models.CharField(_("generic name"), max_length=160)
    brand_names = models.CharField(_("brand names"), max_length=300, blank=True)
    form = models.CharField(_("dosage form"), max_length=20, choices=DosageForm)
    strength_value = models.DecimalField(_("strength"), max_digits=12, decimal_places=3)
    strength_unit = models.CharField(_("strength unit"), max_length=30)
    dose_unit = models.CharField(
        _("dose unit"),
        max_length=20,
        help_text=_("The unit doses are written in: mg, microgram, units…"),
    )
    routes = models.JSONField(_("routes"), default=list, help_text=_('Route codes, e.g. ["oral"].'))
    ingredients = models.ManyToManyField(
        Ingredient, verbose_name=_("ingredients"), related_name="drugs"
    )
    classes = models.ManyToManyField(
        DrugClass, verbose_name=_("classes"), related_name="drugs", blank=True
    )
    atc_code = models.CharField(_("ATC code"), max_length=8, blank=True)
    controlled = models.BooleanField(_("controlled substance"), default=False)
    max_single_dose = models.DecimalField(
        _("maximum single adult dose"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    max_daily_dose = models.DecimalField(
        _("maximum daily adult dose"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["generic_name", "strength_value"]
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")
        constraints = [
            # One formulary row per product: the loader and the search rely on it.
            models.UniqueConstraint(
                Upper("generic_name"),
                "form",
                "strength_value",
                Upper("strength_unit"),
                name="drug_unique_product",
            ),
            models.CheckConstraint(
                condition=models.Q(strength_value__gt=0), name="drug_strength_positive"
            ),
            # A single dose above the daily maximum would make the dose check contradict itself.
            models.CheckConstraint(
                condition=models.Q(max_single_dose__isnull=True)
                | models.Q(max_daily_dose__isnull=True)
                | models.Q(max_single_dose__lte=models.F("max_daily_dose")),
                name="drug_single_dose_within_daily",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        """Return the name prescribers read: "amoxicillin 500 mg capsule"."""
        strength = f"{self.strength_value.normalize():f} {self.strength_unit}"
        return f"{self.generic_name} {strength} {self.get_form_display()}"


class Severity(models.TextChoices):
    CONTRAINDICATED = "contraindicated", _("contraindicated")
    MAJOR = "major", _("major")
    MODERATE = "moderate", _("moderate")
    MINOR = "minor", _("minor")


SEVERITY_RANK = {
    Severity.CONTRAINDICATED: 4,
    Severity.MAJOR: 3,
    Severity.MODERATE: 2,
    Severity.MINOR: 1,
}
BLOCKING_SEVERITIES = frozenset({Severity.CONTRAINDICATED, Severity.MAJOR})


def _one_side(prefix):
    ingredient = models.Q(**{f"{prefix}_ingredient__isnull": False})
    drug_class = models.Q(**{f"{prefix}_class__isnull": False})
    return (ingredient & ~drug_class) | (~ingredient & drug_class)


class DrugInteraction(TrackedModel):
    """An interaction between two ingredients, two classes, or an ingredient and a
    class, with its severity, effect and management, and the reference it comes from."""

    code = models.SlugField(
        _("code"), max_length=80, unique=True, help_text=_("Stable key of the knowledge file.")
    )
    a_ingredient = models.ForeignKey(
        Ingredient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ingredient A"),
    )
    a_class = models.ForeignKey(
        DrugClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class A"),
    )
    b_ingredient = models.ForeignKey(
        Ingredient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ingredient B"),
    )
    b_class = models.ForeignKey(
        DrugClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class B"),
    )
    severity = models.CharField(_("severity"), max_length=16, choices=Severity)
    effect = BoundedTextField(_("effect"))
    management = BoundedTextField(_("management"), blank=True)
    source = models.CharField(_("source"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("drug interaction")
        verbose_name_plural = _("drug interactions")
        constraints = [
            # Each side names exactly one ingredient or one class: a row with neither
            # would match nothing and hide a missing interaction.
            models.CheckConstraint(condition=_one_side("a"), name="druginteraction_side_a_one"),
            models.CheckConstraint(condition=_one_side("b"), name="druginteraction_side_b_one"),
            # Clinical knowledge without a named reference cannot be reviewed.
            models.CheckConstraint(
                condition=~models.Q(source=""), name="druginteraction_has_source"
            ),
            models.CheckConstraint(
                condition=~models.Q(effect=""), name="druginteraction_has_effect"
            ),
        ]

    def __str__(self):
        return f"{self.a_ingredient or self.a_class} + {self.b_ingredient or self.b_class}"


class CrossReactivityRisk(models.TextChoices):
    LOW = "low", _("low")
    MODERATE = "moderate", _("moderate")
    HIGH = "high", _("high")


class AllergyCrossReactivity(TrackedModel):
    """A patient allergic to `allergen_class` may react to `drug_class` too (penicillin
    allergy → cephalosporins: low risk, a warning)."""

    allergen_class = models.ForeignKey(
        DrugClass,
        on_delete=models.PROTECT,
        related_name="cross_reactions_from",
        verbose_name=_("allergen class"),
    )
    drug_class = models.ForeignKey(
        DrugClass,
        on_delete=models.PROTECT,
        related_name="cross_reactions_to",
        verbose_name=_("drug class"),
    )
    risk = models.CharField(_("risk"), max_length=10, choices=CrossReactivityRisk)
    severity = models.CharField(
        _("alert severity"),
        max_length=16,
        choices=Severity,
        help_text=_("How strongly the alert warns."),
    )
    note = BoundedTextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        ordering = ["allergen_class__name", "drug_class__name"]
        verbose_name = _("allergy cross-reactivity")
        verbose_name_plural = _("allergy cross-reactivities")
        constraints = [
            models.UniqueConstraint(
                fields=["allergen_class", "drug_class"], name="allergycrossreactivity_unique_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(source=""), name="allergycrossreactivity_has_source"
            ),
        ]

    def __str__(self):
        return f"{self.allergen_class} → {self.drug_class} ({self.get_risk_display()})"


# --- Prescribing ---------------------------------------------------------------------------


class Frequency(models.TextChoices):
    """The coded frequency vocabulary. `DOSES_PER_DAY` drives the daily dose check and
    the administration schedule (standard times are a system parameter)."""

    ONCE = "once", _("once only")
    DAILY = "daily", _("once a day")
    BID = "bid", _("twice a day")
    TID = "tid", _("three times a day")
    QID = "qid", _("four times a day")
    Q4H = "q4h", _("every 4 hours")
    Q6H = "q6h", _("every 6 hours")
    Q8H = "q8h", _("every 8 hours")
    Q12H = "q12h", _("every 12 hours")
    AT_NIGHT = "at_night", _("at night")
    PRN = "prn", _("as needed")
    STAT = "stat", _("immediately, once")


DOSES_PER_DAY = {
    Frequency.ONCE: 1,
    Frequency.DAILY: 1,
    Frequency.BID: 2,
    Frequency.TID: 3,
    Frequency.QID: 4,
    Frequency.Q4H: 6,
    Frequency.Q6H: 4,
    Frequency.Q8H: 3,
    Frequency.Q12H: 2,
    Frequency.AT_NIGHT: 1,
    Frequency.PRN: None,
    Frequency.STAT: 1,
}


class Prescription(StateMachine, TrackedModel):
    """A prescription: written as a draft, signed by its prescriber (then immutable;
    changing therapy means discontinuing a line and prescribing anew)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SIGNED = "signed", _("signed")
        CANCELLED = "cancelled", _("cancelled")

    TRANSITIONS = {
        Status.DRAFT: frozenset({Status.SIGNED, Status.CANCELLED}),
        Status.SIGNED: frozenset(),
        Status.CANCELLED: frozenset(),
    }
    STAMPS = {Status.SIGNED: "signed_at"}
    status_log = "status_changes"
    transition_message = _("A prescription cannot go from %(old)s to %(new)s.")

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    encounter = models.ForeignKey(
        "clinical.Encounter",
        verbose_name=_("encounter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriptions",
    )
    admission = models.ForeignKey(
        "inpatient.Admission",
        verbose_name=_("admission"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriptions",
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prescriber"),
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    written_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        ordering = ["-written_at"]
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        permissions = [
            ("prescribe", _("Can prescribe medications")),
            ("override_alert", _("Can override a blocking medication alert with a reason")),
        ]
        constraints = [
            # A signed prescription is a legal document: it carries its signing time.
            models.CheckConstraint(
                condition=~models.Q(status="signed") | models.Q(signed_at__isnull=False),
                name="prescription_signed_has_time",
            ),
        ]

    def __str__(self):
        return _("Prescription of %(date)s") % {"date": self.written_at.date()}

    def get_absolute_url(self):
        return reverse("pharmacy:prescription_detail", args=[self.pk])

    @property
    def is_signed(self):
        """Return True once signed (the prescription and its lines no longer change)."""
        return self.status == self.Status.SIGNED


class PrescriptionStatusChange(StatusChange):
    prescription = models.ForeignKey(
        Prescription, on_delete=models.CASCADE, related_name="status_changes"
    )


class PrescriptionItem(StateMachine, TrackedModel):
    """One order line of a prescription, with the alerts the check raised when it was
    prescribed and the prescriber's override (shown to the pharmacist and the nurse)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        ON_HOLD = "on_hold", _("on hold")
        COMPLETED = "completed", _("completed")
        DISCONTINUED = "discontinued", _("discontinued")
        ENTERED_IN_ERROR = "entered_in_error", _("entered in error")

    TRANSITIONS = {
        Status.ACTIVE: frozenset(
            {Status.ON_HOLD, Status.COMPLETED, Status.DISCONTINUED, Status.ENTERED_IN_ERROR}
        ),
        Status.ON_HOLD: frozenset({Status.ACTIVE, Status.DISCONTINUED, Status.ENTERED_IN_ERROR}),
        Status.COMPLETED: frozenset(),
        Status.DISCONTINUED: frozenset(),
        Status.ENTERED_IN_ERROR: frozenset(),
    }
    STAMPS = {Status.DISCONTINUED: "discontinued_at", Status.COMPLETED: "completed_at"}
    status_log = "status_changes"
    transition_message = _("A medication line cannot go from %(old)s to %(new)s.")
    CURRENT = (Status.ACTIVE, Status.ON_HOLD)

    prescription = models.ForeignKey(
        Prescription, verbose_name=_("prescription"), on_delete=models.PROTECT, related_name="items"
    )
    drug = models.ForeignKey(
        Drug, verbose_name=_("drug"), on_delete=models.PROTECT, related_name="prescription_items"
    )
    dose = models.DecimalField(_("dose"), max_digits=10, decimal_places=3)
    dose_unit = models.CharField(_("dose unit"), max_length=20)
    route = models.CharField(_("route"), max_length=20, choices=Route)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency)
    duration_days = models.PositiveIntegerField(_("duration (days)"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity to dispense"), max_digits=10, decimal_places=2)
    refills = models.PositiveSmallIntegerField(_("refills"), default=0)
    prn_reason = models.CharField(_("reason when needed"), max_length=200, blank=True)
    start = models.DateTimeField(_("start"), default=timezone.now)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    instructions = BoundedTextField(_("instructions for the patient"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.ACTIVE)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    discontinued_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_reason = BoundedTextField(_("reason for the status"), blank=True)
    alerts = models.JSONField(_("alerts shown"), default=list, blank=True)
    override_reason = BoundedTextField(_("override reason"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("prescription line")
        verbose_name_plural = _("prescription lines")
        indexes = [models.Index(fields=["status"], name="prescriptionitem_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dose__gt=0), name="prescriptionitem_dose_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="prescriptionitem_quantity_positive"
            ),
            # "As needed" without a reason leaves the nurse guessing when to give it.
            models.CheckConstraint(
                condition=~models.Q(frequency="prn") | ~models.Q(prn_reason=""),
                name="prescriptionitem_prn_has_reason",
            ),
            # Stopping therapy or voiding a line is explained.
            models.CheckConstraint(
                condition=~models.Q(status__in=["discontinued", "entered_in_error"])
                | ~models.Q(status_reason=""),
                name="prescriptionitem_stop_has_reason",
            ),
            # An override is always attributed to a prescriber.
            models.CheckConstraint(
                condition=models.Q(override_reason="") | models.Q(overridden_by__isnull=False),
                name="prescriptionitem_override_has_author",
            ),
        ]

    def __str__(self):
        return f"{self.drug} {self.dose_text}"

    @property
    def dose_text(self):
        """Return the line in plain words: "1000 mg oral, three times a day, 7 days"."""
        text = f"{self.dose.normalize():f} {self.dose_unit} {self.get_route_display()}, "
        text += str(self.get_frequency_display())
        if self.prn_reason:
            text += f" ({self.prn_reason})"
        if self.duration_days:
            text += ", " + str(_("%(n)s days") % {"n": self.duration_days})
        return text

    @property
    def doses_per_day(self):
        return DOSES_PER_DAY[self.frequency]

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        if new_status in (self.Status.DISCONTINUED, self.Status.ENTERED_IN_ERROR) and not reason:
            raise ReasonRequired()

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        if reason:
            self.status_reason = reason


class PrescriptionItemStatusChange(StatusChange):
    item = models.ForeignKey(
        PrescriptionItem, on_delete=models.CASCADE, related_name="status_changes"
    )


class HomeMedication(TrackedModel):
    """A medication the patient takes at home, as reported (recorded by a doctor or a
    nurse); it takes part in the checks while active."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("taking")
        STOPPED = "stopped", _("stopped")
        ENTERED_IN_ERROR = "entered_in_error", _("entered in error")

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="home_medications",
    )
    drug = models.ForeignKey(
        Drug, verbose_name=_("drug"), on_delete=models.PROTECT, related_name="home_uses"
    )
    dose = models.DecimalField(_("dose"), max_digits=10, decimal_places=3, null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency, blank=True)
    notes = BoundedTextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.ACTIVE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("home medication")
        verbose_name_plural = _("home medications")
        permissions = [("record_homemedication", _("Can record home medications"))]

    def __str__(self):
        return str(self.drug)
