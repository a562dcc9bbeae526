"""Clinical documentation: encounters, vital signs, clinical notes (signed, addenda,
entered in error), diagnoses (ICD-10-CM) and the problem list, allergies, and the
surgical, family and social history.

Clinical records are never deleted: notes, conditions and histories are marked
"entered in error" with a reason; allergies take the status `entered_in_error`. Past
medical history is not a model of its own: it is the patient's conditions of category
`problem-list-item` (resolved ones included).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from clinical.parameters import normal_range
from ehr.core.models import NOTE_MAX_LENGTH, BoundedTextField, TrackedModel
from ehr.core.states import StateMachine, StatusChange
from patients.models import AccessReason, CareWindow

# --- Entered in error -------------------------------------------------------------------------


class EnteredInErrorFields(models.Model):
    """Columns of a record that can be marked "entered in error": it stays, hidden from
    the usual lists, with who marked it, when and why."""

    entered_in_error = models.BooleanField(_("entered in error"), default=False)
    entered_in_error_reason = BoundedTextField(_("reason it was entered in error"), blank=True)
    entered_in_error_at = models.DateTimeField(
        _("marked entered in error at"), null=True, blank=True
    )
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked entered in error by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True
        constraints = [
            # A record withdrawn from the chart always says why and when (medico-legal:
            # the reader of the record must be able to follow the correction).
            models.CheckConstraint(
                condition=models.Q(entered_in_error=False)
                | (
                    ~models.Q(entered_in_error_reason="")
                    & models.Q(entered_in_error_at__isnull=False)
                ),
                name="%(class)s_entered_in_error_has_reason",
            ),
        ]


# --- ICD-10-CM ------------------------------------------------------------------------------


class DiagnosisCode(TrackedModel):
    """An ICD-10-CM category or code with its title (reference data, loaded by
    `manage.py load_icd10` from the simple-icd-10-cm package)."""

    code = models.CharField(_("code"), max_length=10, unique=True, help_text=_("With the dot."))
    title = models.CharField(_("title"), max_length=255)
    is_billable = models.BooleanField(
        _("billable"), default=False, help_text=_("A leaf code (no subdivisions).")
    )
    chapter = models.CharField(_("chapter"), max_length=2, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("diagnosis code")
        verbose_name_plural = _("diagnosis codes")

    def __str__(self):
        return f"{self.code} {self.title}"


# --- Encounters -----------------------------------------------------------------------------


class EncounterClass(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient")
    INPATIENT = "inpatient", _("Inpatient")
    EMERGENCY = "emergency", _("Emergency")
    TELEPHONE = "telephone", _("Telephone")


class EncounterStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Encounter(StateMachine, TrackedModel):
    """A contact between a patient and a doctor: a visit, a stay, an emergency or a
    telephone consultation. Its status changes only along `TRANSITIONS`
    (`transition_to`), each change time-stamped and written to `status_changes`. An
    inpatient encounter links its admission; an outpatient visit started from a
    checked-in appointment links the appointment (finishing the encounter completes it).
    """

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    encounter_class = models.CharField(
        _("class"), max_length=12, choices=EncounterClass, default=EncounterClass.OUTPATIENT
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=EncounterStatus, default=EncounterStatus.PLANNED
    )
    started_at = models.DateTimeField(
        _("start"),
        default=timezone.now,
        help_text=_("The planned start while planned; the actual start once in progress."),
    )
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = BoundedTextField(_("reason for cancelling"), blank=True)
    chief_complaint = models.CharField(_("chief complaint"), max_length=500, blank=True)
    admission = models.ForeignKey(
        "inpatient.Admission",
        verbose_name=_("admission"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encounters",
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        verbose_name=_("appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encounters",
    )

    Status = EncounterStatus
    TRANSITIONS = {
        EncounterStatus.PLANNED: frozenset(
            {EncounterStatus.IN_PROGRESS, EncounterStatus.CANCELLED}
        ),
        EncounterStatus.IN_PROGRESS: frozenset(
            {EncounterStatus.FINISHED, EncounterStatus.CANCELLED}
        ),
        EncounterStatus.FINISHED: frozenset(),
        EncounterStatus.CANCELLED: frozenset(),
    }
    # `ended_at` is set by `on_transition`: never before the start.
    STAMPS = {
        EncounterStatus.IN_PROGRESS: "started_at",
        EncounterStatus.CANCELLED: "cancelled_at",
    }
    status_log = "status_changes"
    transition_message = _("An encounter that is %(old)s cannot become %(new)s.")
    OPEN_STATUSES = (EncounterStatus.PLANNED, EncounterStatus.IN_PROGRESS)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        indexes = [
            # The chart's timeline: one patient's encounters, newest first.
            models.Index(fields=["patient", "-started_at"], name="encounter_patient_start_idx"),
            models.Index(fields=["doctor", "status"], name="encounter_doctor_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="encounter_ends_after_start",
            ),
            # A finished encounter has an end; a planned or running one has none (length
            # of stay and turnaround reports rely on it).
            models.CheckConstraint(
                condition=~models.Q(status=EncounterStatus.FINISHED)
                | models.Q(ended_at__isnull=False),
                name="encounter_finished_has_end",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    status__in=[EncounterStatus.PLANNED, EncounterStatus.IN_PROGRESS]
                )
                | models.Q(ended_at__isnull=True),
                name="encounter_open_has_no_end",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=EncounterStatus.CANCELLED)
                | models.Q(cancelled_at__isnull=False),
                name="encounter_cancelled_has_time",
            ),
            # The encounter of an admission is the inpatient stay's.
            models.CheckConstraint(
                condition=models.Q(admission__isnull=True)
                | models.Q(encounter_class=EncounterClass.INPATIENT),
                name="encounter_admission_is_inpatient",
            ),
            # One visit documents one appointment. A cancelled encounter (started by
            # mistake) frees the appointment for a new one.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=~models.Q(status=EncounterStatus.CANCELLED),
                name="encounter_one_per_appointment",
                violation_error_message=_("This appointment already has an encounter."),
            ),
            # An encounter comes from an appointment or from an admission, not both.
            models.CheckConstraint(
                condition=models.Q(appointment__isnull=True) | models.Q(admission__isnull=True),
                name="encounter_appointment_or_admission",
            ),
        ]

    def __str__(self):
        return f"{self.get_encounter_class_display()} {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("clinical:encounter_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self):
        """Return True while the encounter is planned or in progress."""
        return self.status in self.OPEN_STATUSES

    @property
    def is_cancelled(self):
        """Return True once the encounter was cancelled (it takes no new records)."""
        return self.status == EncounterStatus.CANCELLED

    def care_windows(self):
        """Return the chart access this encounter gives its doctor: from its start
        while it runs, until the follow-up time after it ends. A planned or cancelled
        encounter gives none."""
        if self.status in (EncounterStatus.PLANNED, EncounterStatus.CANCELLED):
            return []
        return [
            CareWindow.of_care(
                self.doctor,
                AccessReason.ENCOUNTER,
                starts=self.started_at,
                ends=self.ended_at if self.status == EncounterStatus.FINISHED else None,
            )
        ]

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        """Finishing ends the encounter (never before its start); cancelling keeps why."""
        if new_status == EncounterStatus.FINISHED:
            self.ended_at = max(at, self.started_at)
        elif new_status == EncounterStatus.CANCELLED:
            self.cancel_reason = reason


class EncounterStatusChange(StatusChange):
    """One change of an encounter's status: from, to, when, by whom and why (the reason
    of a cancellation)."""

    encounter = models.ForeignKey(
        Encounter,
        verbose_name=_("encounter"),
        on_delete=models.PROTECT,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=20, choices=EncounterStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=EncounterStatus)

    class Meta(StatusChange.Meta):
        verbose_name = _("encounter status change")
        verbose_name_plural = _("encounter status changes")
        indexes = [models.Index(fields=["encounter", "at"], name="encounterstatus_enc_at_idx")]


# --- Vital signs ----------------------------------------------------------------------------

# Values outside these limits are impossible (a typing error), not merely abnormal: the
# form, the API and a database constraint refuse them. Abnormal values are flagged
# against the adult normal ranges, which are system parameters (clinical/parameters.py).
VITAL_LIMITS = {
    "systolic_bp": (40, 300),
    "diastolic_bp": (10, 200),
    "heart_rate": (20, 300),
    "respiratory_rate": (1, 100),
    "temperature_c": (Decimal("25.0"), Decimal("45.0")),
    "spo2": (0, 100),
    "weight_kg": (Decimal("0.2"), Decimal("500")),
    "height_cm": (Decimal("20"), Decimal("280")),
    "pain_score": (0, 10),
}
VITAL_MEASURES = tuple(VITAL_LIMITS)


def body_mass_index(weight_kg, height_cm):
    """Return the BMI (kg/m², one decimal) of a weight and a height, or None if either
    is missing."""
    if weight_kg is None or not height_cm:
        return None
    metres = Decimal(height_cm) / 100
    return (Decimal(weight_kg) / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


VITAL_UNITS = {
    "systolic_bp": "mmHg",
    "diastolic_bp": "mmHg",
    "heart_rate": "/min",
    "respiratory_rate": "/min",
    "temperature_c": "°C",
    "spo2": "%",
    "weight_kg": "kg",
    "height_cm": "cm",
    "pain_score": "",
}


def _limits(measure):
    low, high = VITAL_LIMITS[measure]
    unit = VITAL_UNITS[measure]
    message = format_lazy(
        _("Impossible value: enter {low}–{high}{unit}."),
        low=low,
        high=high,
        # Django %-formats validator messages: a literal % must be doubled.
        unit=f" {unit}".replace("%", "%%") if unit else "",
    )
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


class VitalSigns(TrackedModel):
    """One set of vital signs taken at one time. Every measure is optional, but a set
    has at least one; BMI is derived by the service from weight and height."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="vital_signs",
    )
    encounter = models.ForeignKey(
        Encounter,
        verbose_name=_("encounter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vital_signs",
    )
    recorded_at = models.DateTimeField(_("taken at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    systolic_bp = models.PositiveSmallIntegerField(
        _("systolic BP (mmHg)"), null=True, blank=True, validators=_limits("systolic_bp")
    )
    diastolic_bp = models.PositiveSmallIntegerField(
        _("diastolic BP (mmHg)"), null=True, blank=True, validators=_limits("diastolic_bp")
    )
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate (/min)"), null=True, blank=True, validators=_limits("heart_rate")
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        _("respiratory rate (/min)"),
        null=True,
        blank=True,
        validators=_limits("respiratory_rate"),
    )
    temperature_c = models.DecimalField(
        _("temperature (°C)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_limits("temperature_c"),
    )
    spo2 = models.PositiveSmallIntegerField(
        _("SpO₂ (%)"), null=True, blank=True, validators=_limits("spo2")
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_limits("weight_kg"),
    )
    height_cm = models.DecimalField(
        _("height (cm)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_limits("height_cm"),
    )
    bmi = models.DecimalField(
        _("BMI (kg/m²)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Derived from the weight and the height (of this set or the latest)."),
    )
    pain_score = models.PositiveSmallIntegerField(
        _("pain (0–10)"), null=True, blank=True, validators=_limits("pain_score")
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("vital signs")
        verbose_name_plural = _("vital signs")
        indexes = [
            models.Index(fields=["patient", "-recorded_at"], name="vitalsigns_patient_idx"),
        ]
        constraints = [
            # Impossible values are typing errors; they never reach the chart.
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{measure}__isnull": True})
                    | models.Q(**{f"{measure}__gte": low, f"{measure}__lte": high}),
                    name=f"vitalsigns_{measure}_possible",
                )
                for measure, (low, high) in VITAL_LIMITS.items()
            ),
            models.CheckConstraint(
                condition=models.Q(systolic_bp__isnull=True)
                | models.Q(diastolic_bp__isnull=True)
                | models.Q(diastolic_bp__lt=models.F("systolic_bp")),
                name="vitalsigns_diastolic_below_systolic",
            ),
            # A blood pressure is a pair; half of one cannot be interpreted.
            models.CheckConstraint(
                condition=models.Q(systolic_bp__isnull=True, diastolic_bp__isnull=True)
                | models.Q(systolic_bp__isnull=False, diastolic_bp__isnull=False),
                name="vitalsigns_blood_pressure_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    *(models.Q(**{f"{m}__isnull": False}) for m in VITAL_MEASURES),
                    _connector=models.Q.OR,
                ),
                name="vitalsigns_some_measure",
            ),
        ]

    def __str__(self):
        return f"{self.recorded_at:%Y-%m-%d %H:%M}"

    def clean(self):
        """Refuse a diastolic pressure not below the systolic one, half a blood
        pressure, and an empty set (field errors where a field is at fault)."""
        errors = {}
        systolic, diastolic = self.systolic_bp, self.diastolic_bp
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            errors["diastolic_bp"] = _("The diastolic pressure must be below the systolic.")
        elif (systolic is None) != (diastolic is None):
            missing = "diastolic_bp" if diastolic is None else "systolic_bp"
            errors[missing] = _("Enter both the systolic and the diastolic pressure.")
        if all(getattr(self, m) is None for m in VITAL_MEASURES):
            errors["__all__"] = _("Enter at least one measurement.")
        if errors:
            raise ValidationError(errors)

    @property
    def blood_pressure(self):
        """Return "120/80", or "" without a blood pressure."""
        if self.systolic_bp is None:
            return ""
        return f"{self.systolic_bp}/{self.diastolic_bp}"

    @property
    def flags(self):
        """Return {measure: "low" | "high"} for values outside the adult normal ranges
        (system parameters)."""
        flags = {}
        for measure in (*VITAL_MEASURES, "bmi"):
            value = getattr(self, measure)
            bounds = normal_range(measure)
            if value is None or bounds is None:
                continue
            low, high = bounds
            if low is not None and value < low:
                flags[measure] = "low"
            elif high is not None and value > high:
                flags[measure] = "high"
        return flags


# --- Clinical notes -------------------------------------------------------------------------


class NoteType(models.TextChoices):
    PROGRESS = "progress", _("Progress note")
    ADMISSION = "admission", _("Admission note")
    DISCHARGE_SUMMARY = "discharge_summary", _("Discharge summary")
    CONSULTATION = "consultation", _("Consultation")
    NURSING = "nursing", _("Nursing note")
    PROCEDURE = "procedure", _("Procedure note")


class NoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


NOTE_SOAP_FIELDS = ("subjective", "objective", "assessment", "plan")
NOTE_CONTENT_FIELDS = (*NOTE_SOAP_FIELDS, "text")

# Who may sign which type of note: a permission that signs every type, and the types a
# narrower permission signs. A note is written by the one who signs it (only its author
# signs a draft), so the note forms offer a user only the types they may sign.
SIGN_ANY_NOTE = "clinical.sign_note"
SIGN_NOTE_TYPES = {"clinical.sign_nursing_note": (NoteType.NURSING,)}


def note_types_signable_by(user):
    """Return the note types `user` may sign (and so write), in `NoteType` order."""
    if user.has_perm(SIGN_ANY_NOTE):
        return list(NoteType)
    allowed = {t for perm, types in SIGN_NOTE_TYPES.items() if user.has_perm(perm) for t in types}
    return [t for t in NoteType if t in allowed]


def note_type_signable_by(note_type, user):
    """Return True if `user`'s role may sign notes of `note_type`."""
    return note_type in note_types_signable_by(user)


def default_note_type_for(user):
    """Return the type a new note of `user` starts as: a progress note for those who
    sign every type, else the first type they may sign (a nurse: a nursing note), or
    None if they sign none."""
    types = note_types_signable_by(user)
    if NoteType.PROGRESS in types:
        return NoteType.PROGRESS
    return types[0] if types else None


_NO_SOAP = models.Q(subjective="", objective="", assessment="", plan="")


class ClinicalNote(EnteredInErrorFields, TrackedModel):
    """A note in the chart. A draft only its author edits (object permission
    `change_clinicalnote`); signing records signer and time and makes it immutable;
    corrections are addenda (`amends` the signed note). SOAP fields or free text.

    A database trigger (migration 0002) refuses any change to the content or the
    signature of a signed note, whoever tries; the service refuses it first with a
    clear error.
    """

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="clinical_notes",
    )
    encounter = models.ForeignKey(
        Encounter,
        verbose_name=_("encounter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="authored_notes",
    )
    note_type = models.CharField(
        _("type"), max_length=20, choices=NoteType, default=NoteType.PROGRESS
    )
    subjective = BoundedTextField(_("subjective"), blank=True, max_length=NOTE_MAX_LENGTH)
    objective = BoundedTextField(_("objective"), blank=True, max_length=NOTE_MAX_LENGTH)
    assessment = BoundedTextField(_("assessment"), blank=True, max_length=NOTE_MAX_LENGTH)
    plan = BoundedTextField(_("plan"), blank=True, max_length=NOTE_MAX_LENGTH)
    text = BoundedTextField(
        _("text"),
        blank=True,
        help_text=_("Free text, instead of SOAP."),
        max_length=NOTE_MAX_LENGTH,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=NoteStatus, default=NoteStatus.DRAFT
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    amends = models.ForeignKey(
        "self",
        verbose_name=_("addendum to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="addenda",
    )
    admission = models.ForeignKey(
        "inpatient.Admission",
        verbose_name=_("admission"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clinical_notes",
        help_text=_("The admission whose discharge summary this is."),
    )
    legacy_mixed_format = models.BooleanField(
        _("signed with SOAP and free text"),
        default=False,
        editable=False,
        help_text=_("Signed before notes became SOAP or free text; its content stays as signed."),
    )

    class Meta(EnteredInErrorFields.Meta):
        ordering = ["-created_at"]
        verbose_name = _("clinical note")
        verbose_name_plural = _("clinical notes")
        permissions = [
            ("sign_note", _("Sign one's own clinical notes of any type")),
            ("sign_nursing_note", _("Sign one's own nursing notes")),
        ]
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="clinicalnote_patient_idx"),
        ]
        constraints = [
            *EnteredInErrorFields.Meta.constraints,
            # A signature is who and when, together (the legal record of authorship).
            models.CheckConstraint(
                condition=models.Q(
                    status=NoteStatus.DRAFT, signed_by__isnull=True, signed_at__isnull=True
                )
                | models.Q(
                    status=NoteStatus.SIGNED, signed_by__isnull=False, signed_at__isnull=False
                ),
                name="clinicalnote_signature_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=NoteStatus.SIGNED)
                | ~models.Q(subjective="", objective="", assessment="", plan="", text=""),
                name="clinicalnote_signed_has_content",
            ),
            models.CheckConstraint(
                condition=~models.Q(amends=models.F("id")),
                name="clinicalnote_addendum_not_itself",
            ),
            # A note is SOAP or free text, never both: a reader scanning the assessment
            # and plan must not miss a paragraph written beside them. Notes signed
            # before the rule with both keep their signed content (legacy_mixed_format,
            # set by migration 0015 only).
            models.CheckConstraint(
                condition=_NO_SOAP | models.Q(text="") | models.Q(legacy_mixed_format=True),
                name="clinicalnote_soap_or_text",
                violation_error_message=_("Write the note as SOAP or as free text, not both."),
            ),
            models.CheckConstraint(
                condition=models.Q(legacy_mixed_format=False) | models.Q(status=NoteStatus.SIGNED),
                name="clinicalnote_legacy_mixed_format_signed",
            ),
            # An admission has one discharge summary (the letter the next carer reads);
            # corrections are its addenda.
            models.UniqueConstraint(
                fields=["admission"],
                condition=models.Q(
                    note_type=NoteType.DISCHARGE_SUMMARY,
                    amends__isnull=True,
                    entered_in_error=False,
                ),
                name="clinicalnote_one_discharge_summary_per_admission",
                violation_error_message=_("This admission already has a discharge summary."),
            ),
        ]

    def __str__(self):
        return f"{self.get_note_type_display()} {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("clinical:note_detail", kwargs={"pk": self.pk})

    @property
    def is_signed(self):
        """Return True once the note is signed (and so immutable)."""
        return self.status == NoteStatus.SIGNED

    @property
    def is_addendum(self):
        """Return True if this note corrects or completes another (signed) note."""
        return self.amends_id is not None

    @property
    def is_soap(self):
        """Return True if the note uses the SOAP fields."""
        return any(getattr(self, f).strip() for f in NOTE_SOAP_FIELDS)

    def clean(self):
        """Refuse a note written both as SOAP and as free text (a field error on
        `text`)."""
        if self.is_soap and self.text.strip() and not self.legacy_mixed_format:
            raise ValidationError(
                {"text": _("Write the note as SOAP or as free text, not both.")},
                code="note_soap_and_text",
            )

    def signable_by(self, user):
        """Return True if `user`'s role may sign this note's type."""
        return note_type_signable_by(self.note_type, user)

    @property
    def has_content(self):
        """Return True if any SOAP field or the free text is filled in."""
        return any(getattr(self, f).strip() for f in NOTE_CONTENT_FIELDS)

    @property
    def summary(self):
        """Return the first line of the assessment or the text, for lists."""
        source = self.assessment or self.text or self.subjective or self.plan or self.objective
        return source.strip().splitlines()[0] if source.strip() else ""


class ClinicalNoteUserObjectPermission(TrackedModel, UserObjectPermissionBase):
    """A user's permission on one note (guardian, direct foreign key): the author's
    `change_clinicalnote` while the note is a draft."""

    content_object = models.ForeignKey(ClinicalNote, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("note permission of a user")
        verbose_name_plural = _("note permissions of users")


class ClinicalNoteGroupObjectPermission(TrackedModel, GroupObjectPermissionBase):
    """A group's permission on one note (guardian, direct foreign key)."""

    content_object = models.ForeignKey(ClinicalNote, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("note permission of a group")
        verbose_name_plural = _("note permissions of groups")


# --- Diagnoses and the problem list -----------------------------------------------------------


class ClinicalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")
    INACTIVE = "inactive", _("Inactive")


class ConditionCategory(models.TextChoices):
    # FHIR condition-category codes, as the API and FHIR exports use them.
    PROBLEM_LIST_ITEM = "problem-list-item", _("Problem list item")
    ENCOUNTER_DIAGNOSIS = "encounter-diagnosis", _("Encounter diagnosis")


class Condition(EnteredInErrorFields, TrackedModel):
    """A diagnosis or problem, coded in ICD-10-CM: on the problem list, or made in an
    encounter (at most one primary diagnosis per encounter). Past medical history is
    the problem list's resolved and inactive items.

    The problem list holds one problem per condition per patient
    (`condition_one_problem_per_code`), whatever its status: a condition that was
    resolved and comes back reopens its problem (its history keeps the earlier
    episode) rather than adding a second row. An encounter diagnosis links the
    patient's problem of the same code (`problem`) when there is one or when the
    doctor adds it to the problem list; one not added stays a diagnosis of its
    encounter only. Problems and their status are resolved per problem, never per
    encounter row. A duplicate problem merged into its survivor (migration 0014)
    keeps its row and history, pointing at the survivor (`merged_into`).
    """

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="conditions",
    )
    code = models.ForeignKey(
        DiagnosisCode,
        verbose_name=_("ICD-10-CM code"),
        to_field="code",
        db_column="code",
        on_delete=models.PROTECT,
        related_name="+",
    )
    onset = models.DateField(_("onset"), null=True, blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    clinical_status = models.CharField(
        _("clinical status"), max_length=10, choices=ClinicalStatus, default=ClinicalStatus.ACTIVE
    )
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=ConditionCategory,
        default=ConditionCategory.PROBLEM_LIST_ITEM,
    )
    encounter = models.ForeignKey(
        Encounter,
        verbose_name=_("encounter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="diagnoses",
    )
    is_primary = models.BooleanField(_("primary diagnosis of the encounter"), default=False)
    note = BoundedTextField(_("note"), blank=True)
    problem = models.ForeignKey(
        "self",
        verbose_name=_("problem"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encounter_diagnoses",
        help_text=_("The problem-list entry of this diagnosis's condition."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_duplicates",
        help_text=_("The problem this duplicate was merged into."),
    )

    class Meta(EnteredInErrorFields.Meta):
        ordering = ["-created_at"]
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        indexes = [
            models.Index(fields=["patient", "clinical_status"], name="condition_patient_idx"),
        ]
        constraints = [
            *EnteredInErrorFields.Meta.constraints,
            # One principal diagnosis per encounter (coding and billing rules).
            models.UniqueConstraint(
                fields=["encounter"],
                condition=models.Q(is_primary=True, entered_in_error=False),
                name="condition_one_primary_per_encounter",
                violation_error_message=_("This encounter already has a primary diagnosis."),
            ),
            models.CheckConstraint(
                condition=models.Q(is_primary=False) | models.Q(encounter__isnull=False),
                name="condition_primary_needs_encounter",
            ),
            models.CheckConstraint(
                condition=~models.Q(category=ConditionCategory.ENCOUNTER_DIAGNOSIS)
                | models.Q(encounter__isnull=False),
                name="condition_encounter_diagnosis_has_encounter",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True)
                | models.Q(onset__isnull=True)
                | models.Q(resolved_on__gte=models.F("onset")),
                name="condition_resolved_after_onset",
            ),
            # One problem per condition per patient: a problem listed twice shows twice
            # in the summary and is resolved in one row while active in the other. The
            # rule holds whatever the status (a recurrence reopens the problem);
            # problems entered in error or merged into another are out of the list.
            models.UniqueConstraint(
                fields=["patient", "code"],
                condition=models.Q(
                    category=ConditionCategory.PROBLEM_LIST_ITEM,
                    entered_in_error=False,
                    merged_into__isnull=True,
                ),
                name="condition_one_problem_per_code",
                violation_error_message=_("This condition is already on the problem list."),
            ),
            # Only an encounter diagnosis points at a problem; only a problem is merged.
            models.CheckConstraint(
                condition=models.Q(problem__isnull=True)
                | models.Q(category=ConditionCategory.ENCOUNTER_DIAGNOSIS),
                name="condition_only_diagnosis_links_problem",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True)
                | models.Q(category=ConditionCategory.PROBLEM_LIST_ITEM),
                name="condition_only_problem_is_merged",
            ),
        ]

    def __str__(self):
        return str(self.code_id)

    def follow_patient_merge(self, survivor):
        """Before this row moves to `survivor` in a merge of patient records: a problem the
        survivor already lists is merged into the survivor's (one problem per condition,
        as migration 0016 merges duplicates), its diagnoses still reaching it through
        this row. Return {attname: value before} for the merge's undo."""
        if (
            self.category != ConditionCategory.PROBLEM_LIST_ITEM
            or self.entered_in_error
            or self.merged_into_id
        ):
            return {}
        twin = (
            type(self)
            ._base_manager.filter(
                patient=survivor,
                code_id=self.code_id,
                category=ConditionCategory.PROBLEM_LIST_ITEM,
                entered_in_error=False,
                merged_into__isnull=True,
            )
            .values_list("pk", flat=True)
            .first()
        )
        if twin is None:
            return {}
        self.merged_into_id = twin
        return {"merged_into_id": None}

    @property
    def is_active(self):
        """Return True while the condition is active (not resolved or inactive)."""
        return self.clinical_status == ClinicalStatus.ACTIVE

    @property
    def is_problem(self):
        """Return True for an entry of the problem list (resolved per problem)."""
        return self.category == ConditionCategory.PROBLEM_LIST_ITEM

    def reopen(self):
        """Make this problem active again (a recurrence): no resolution date. The
        earlier episode stays in the row's history."""
        self.clinical_status = ClinicalStatus.ACTIVE
        self.resolved_on = None

    def clean(self):
        """Refuse, as field errors, an encounter diagnosis or a primary flag without an
        encounter and a resolution before the onset."""
        errors = {}
        if self.category == ConditionCategory.ENCOUNTER_DIAGNOSIS and self.encounter_id is None:
            errors["encounter"] = _("An encounter diagnosis belongs to an encounter.")
        if self.is_primary and self.encounter_id is None:
            errors["is_primary"] = _("Only a diagnosis of an encounter can be its primary one.")
        if self.onset and self.resolved_on and self.resolved_on < self.onset:
            errors["resolved_on"] = _("The resolution cannot come before the onset.")
        if self.problem_id is not None and self.category != ConditionCategory.ENCOUNTER_DIAGNOSIS:
            errors["problem"] = _("Only an encounter diagnosis links a problem.")
        if errors:
            raise ValidationError(errors)


# --- Allergies ------------------------------------------------------------------------------


class AllergyCategory(models.TextChoices):
    DRUG = "drug", _("Drug")
    FOOD = "food", _("Food")
    ENVIRONMENT = "environment", _("Environment")
    OTHER = "other", _("Other")


class AllergySeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")


class AllergyClinicalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


SEVERE_ALLERGY = (AllergySeverity.SEVERE, AllergySeverity.LIFE_THREATENING)


class Allergy(TrackedModel):
    """An allergy or intolerance. Never deleted: made inactive or entered in error."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="allergies",
    )
    allergen = models.CharField(_("allergen"), max_length=200)
    # A drug allergy may be coded as a formulary ingredient or drug class, so the
    # medication checks match it exactly; free text is still matched by name.
    allergen_ingredient = models.ForeignKey(
        "pharmacy.Ingredient",
        verbose_name=_("allergen ingredient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    allergen_class = models.ForeignKey(
        "pharmacy.DrugClass",
        verbose_name=_("allergen drug class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.CharField(
        _("category"), max_length=12, choices=AllergyCategory, default=AllergyCategory.DRUG
    )
    reaction = models.CharField(_("reaction"), max_length=300, blank=True)
    severity = models.CharField(
        _("severity"), max_length=20, choices=AllergySeverity, default=AllergySeverity.MODERATE
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AllergyClinicalStatus,
        default=AllergyClinicalStatus.ACTIVE,
    )
    status_reason = BoundedTextField(_("reason for the status"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        indexes = [models.Index(fields=["patient", "status"], name="allergy_patient_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(allergen=""), name="allergy_has_allergen"),
            # The same allergen listed twice as active would show twice in the banner
            # and hide which entry is current.
            models.UniqueConstraint(
                Upper("allergen"),
                "patient",
                condition=models.Q(status=AllergyClinicalStatus.ACTIVE),
                name="allergy_one_active_per_allergen",
                violation_error_message=_("This allergen is already recorded as active."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=AllergyClinicalStatus.ENTERED_IN_ERROR)
                | ~models.Q(status_reason=""),
                name="allergy_entered_in_error_has_reason",
            ),
        ]

    def __str__(self):
        return self.allergen

    @property
    def is_severe(self):
        """Return True for a severe or life-threatening allergy (shown in red)."""
        return self.severity in SEVERE_ALLERGY

    @property
    def is_active(self):
        """Return True for an allergy that holds (shown in the banner)."""
        return self.status == AllergyClinicalStatus.ACTIVE

    @property
    def is_entered_in_error(self):
        """Return True for an allergy withdrawn as entered in error (it stays so)."""
        return self.status == AllergyClinicalStatus.ENTERED_IN_ERROR


class AllergyStatus(TrackedModel):
    """The allergy assessment of a patient: "no known allergies" once asked and none
    found. No row means "not yet asked"; active allergies mean "has allergies" (derived
    by `clinical.selectors.allergy_state`, not stored)."""

    patient = models.OneToOneField(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="allergy_status",
    )
    no_known_allergies = models.BooleanField(_("no known allergies"), default=False)
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("allergy assessment")
        verbose_name_plural = _("allergy assessments")

    def __str__(self):
        return str(_("No known allergies") if self.no_known_allergies else _("Allergies asked"))


# --- History --------------------------------------------------------------------------------


class SurgicalHistory(EnteredInErrorFields, TrackedModel):
    """A past operation or procedure."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="surgical_history",
    )
    procedure = models.CharField(_("procedure"), max_length=200)
    performed_on = models.DateField(_("date"), null=True, blank=True)
    notes = BoundedTextField(_("notes"), blank=True)

    class Meta(EnteredInErrorFields.Meta):
        ordering = ["-performed_on", "-created_at"]
        verbose_name = _("surgical history")
        verbose_name_plural = _("surgical history")
        constraints = [
            *EnteredInErrorFields.Meta.constraints,
            models.CheckConstraint(
                condition=~models.Q(procedure=""), name="surgicalhistory_has_procedure"
            ),
        ]

    def __str__(self):
        return self.procedure


class FamilyRelationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    SISTER = "sister", _("Sister")
    BROTHER = "brother", _("Brother")
    DAUGHTER = "daughter", _("Daughter")
    SON = "son", _("Son")
    GRANDMOTHER = "grandmother", _("Grandmother")
    GRANDFATHER = "grandfather", _("Grandfather")
    AUNT = "aunt", _("Aunt")
    UNCLE = "uncle", _("Uncle")
    OTHER = "other", _("Other relative")


class FamilyHistory(EnteredInErrorFields, TrackedModel):
    """A condition of a blood relative."""

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="family_history",
    )
    relationship = models.CharField(_("relationship"), max_length=12, choices=FamilyRelationship)
    condition = models.CharField(_("condition"), max_length=200)
    age_at_onset = models.PositiveSmallIntegerField(
        _("age at onset"), null=True, blank=True, validators=[MaxValueValidator(130)]
    )
    notes = BoundedTextField(_("notes"), blank=True)

    class Meta(EnteredInErrorFields.Meta):
        ordering = ["relationship", "created_at"]
        verbose_name = _("family history")
        verbose_name_plural = _("family history")
        constraints = [
            *EnteredInErrorFields.Meta.constraints,
            models.CheckConstraint(
                condition=~models.Q(condition=""), name="familyhistory_has_condition"
            ),
            models.CheckConstraint(
                condition=models.Q(age_at_onset__isnull=True) | models.Q(age_at_onset__lte=130),
                name="familyhistory_age_at_onset_possible",
            ),
        ]

    def __str__(self):
        return f"{self.get_relationship_display()}: {self.condition}"


class SmokingStatus(models.TextChoices):
    NEVER = "never", _("Never smoked")
    FORMER = "former", _("Former smoker")
    CURRENT = "current", _("Current smoker")
    UNKNOWN = "unknown", _("Unknown")


class AlcoholUse(models.TextChoices):
    NONE = "none", _("None")
    OCCASIONAL = "occasional", _("Occasional")
    MODERATE = "moderate", _("Moderate")
    HEAVY = "heavy", _("Heavy")
    FORMER = "former", _("Former drinker")
    UNKNOWN = "unknown", _("Unknown")


class SocialHistory(TrackedModel):
    """The patient's social history: smoking, alcohol, occupation, living situation."""

    patient = models.OneToOneField(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="social_history",
    )
    smoking_status = models.CharField(
        _("smoking"), max_length=10, choices=SmokingStatus, default=SmokingStatus.UNKNOWN
    )
    alcohol = models.CharField(
        _("alcohol"), max_length=10, choices=AlcoholUse, default=AlcoholUse.UNKNOWN
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    living_situation = models.CharField(
        _("living situation"),
        max_length=200,
        blank=True,
        help_text=_("Who the patient lives with, housing, support at home."),
    )
    notes = BoundedTextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("social history")
        verbose_name_plural = _("social history")

    def __str__(self):
        return self.get_smoking_status_display()


# --- ICD-10-CM synonyms ---------------------------------------------------------------------


class Icd10Synonym(TrackedModel):
    """What clinicians type for a diagnosis that ICD-10-CM titles word otherwise: an
    abbreviation ("T2DM", "HTN") or a lay phrase ("high blood pressure"). The diagnosis
    search (`clinical.icd10.code_search`) looks for `expansion` in the titles instead of
    the term, and lists the codes under `code` first. Reference data: seeded by a data
    migration, extended by administrators in the admin."""

    # A few words at most: the search looks terms up among the query's word runs.
    MAX_TERM_WORDS = 4

    term = models.CharField(
        _("term"),
        max_length=60,
        help_text=_("What clinicians type: an abbreviation or a phrase. Case does not matter."),
    )
    expansion = models.CharField(
        _("searched as"),
        max_length=200,
        help_text=_(
            "Words that every matching ICD-10-CM title contains, e.g. "
            "“type 2 diabetes mellitus” for T2DM."
        ),
    )
    code = models.CharField(
        _("preferred code"),
        max_length=8,
        blank=True,
        help_text=_(
            "A code or category of the catalogue (E11, N39.0) whose codes are listed first. "
            "Optional."
        ),
    )

    class Meta:
        ordering = ["term"]
        verbose_name = _("ICD-10 synonym")
        verbose_name_plural = _("ICD-10 synonyms")
        constraints = [
            # One meaning per term: "MI" typed in any case must not expand two ways.
            models.UniqueConstraint(Upper("term"), name="icd10synonym_term_unique_any_case"),
            # A term without words to search for would make the search find nothing.
            models.CheckConstraint(
                condition=~models.Q(term="") & ~models.Q(expansion=""),
                name="icd10synonym_term_and_expansion_given",
            ),
        ]

    def __str__(self):
        return f"{self.term} → {self.expansion}"

    def clean(self):
        """Collapse the spaces of the term and expansion and upper-case the code;
        refuse a term of more than MAX_TERM_WORDS words and a code that is not in the
        catalogue."""
        super().clean()
        self.term = " ".join(self.term.split())
        self.expansion = " ".join(self.expansion.split())
        self.code = self.code.strip().upper()
        errors = {}
        if len(self.term.split()) > self.MAX_TERM_WORDS:
            errors["term"] = _("A term has at most %(count)s words.") % {
                "count": self.MAX_TERM_WORDS
            }
        if self.code and not DiagnosisCode.objects.filter(code=self.code).exists():
            errors["code"] = _("%(code)s is not a code or category of the catalogue.") % {
                "code": self.code
            }
        if errors:
            raise ValidationError(errors)
