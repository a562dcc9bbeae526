"""Inpatient ADT: wards, room classes, rooms and beds (master data); the bed state
machine; admission requests, admissions and the bed stays that record every interval a
patient spends in a bed.

The rules of record are database constraints (they hold under concurrent requests on
SQLite and PostgreSQL): one current occupant per bed, one current bed per admission, one
open admission per patient. The services in `inpatient.services` lock what they decide
on and turn a violated constraint into a domain error.
"""

from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import InvalidTransition
from ehr.core.models import NOTE_MAX_LENGTH, BoundedTextField, TrackedModel
from ehr.core.states import StateMachine, StatusChange
from inpatient.exceptions import (
    BlockReasonRequired,
    DischargeNotOrdered,
    ReservationExpiryRequired,
)
from patients.models import AccessReason, CareWindow

# --- Master data ------------------------------------------------------------------------------


class WardType(models.TextChoices):
    GENERAL = "general", _("General")
    ICU = "icu", _("Intensive care")
    MATERNITY = "maternity", _("Maternity")
    PAEDIATRIC = "paediatric", _("Paediatric")
    SURGICAL = "surgical", _("Surgical")
    OTHER = "other", _("Other")


class SexRestriction(models.TextChoices):
    FEMALE = "female", _("Female patients only")
    MALE = "male", _("Male patients only")


class Ward(TrackedModel):
    """A ward of a hospital: its rooms hold the beds, its nurses care for the patients
    lying in them."""

    hospital = models.ForeignKey(
        "core.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="wards"
    )
    name = models.CharField(_("name"), max_length=100)
    ward_type = models.CharField(
        _("type"), max_length=20, choices=WardType, default=WardType.GENERAL
    )
    floor = models.CharField(_("floor"), max_length=20, blank=True)
    sex_restriction = models.CharField(
        _("sex restriction"),
        max_length=10,
        choices=SexRestriction,
        blank=True,
        help_text=_("Leave empty for a mixed ward."),
    )
    description = BoundedTextField(_("description"), blank=True)
    nurses = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nurses"),
        through="WardNurse",
        through_fields=("ward", "user"),
        related_name="wards",
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        constraints = [
            # Staff name wards in hand-overs and transfers; two wards of one hospital with
            # the same name would send a patient to the wrong place.
            models.UniqueConstraint(fields=["hospital", "name"], name="ward_unique_name"),
        ]

    def __str__(self):
        return self.name

    def admits(self, sex):
        """Return True if a patient of `sex` may lie in this ward."""
        return not self.sex_restriction or self.sex_restriction == sex


class WardNurse(TrackedModel):
    """A nurse assigned to a ward: she has chart access to the patients lying in it
    (care-team reason "ward"), granted and withdrawn by the admission services."""

    ward = models.ForeignKey(
        Ward, verbose_name=_("ward"), on_delete=models.CASCADE, related_name="nurse_assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nurse"),
        on_delete=models.CASCADE,
        related_name="ward_assignments",
    )

    class Meta:
        ordering = ["ward__name", "user__last_name"]
        verbose_name = _("ward nurse")
        verbose_name_plural = _("ward nurses")
        constraints = [
            models.UniqueConstraint(fields=["ward", "user"], name="wardnurse_unique_assignment"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.ward}"


class RoomClass(TrackedModel):
    """A class of room (standard, semi-private, private, ICU…): how many beds it has and
    what a day in it costs."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = BoundedTextField(_("description"), blank=True)
    beds_per_room = models.PositiveSmallIntegerField(_("beds per room"), default=1)
    daily_rate = models.DecimalField(_("daily rate"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("room class")
        verbose_name_plural = _("room classes")
        constraints = [
            models.CheckConstraint(
                condition=Q(beds_per_room__gte=1), name="roomclass_at_least_one_bed"
            ),
            models.CheckConstraint(
                condition=Q(daily_rate__gte=0), name="roomclass_rate_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


class WardRoom(TrackedModel):
    """A room of a ward."""

    ward = models.ForeignKey(
        Ward, verbose_name=_("ward"), on_delete=models.PROTECT, related_name="rooms"
    )
    room_class = models.ForeignKey(
        RoomClass, verbose_name=_("room class"), on_delete=models.PROTECT, related_name="rooms"
    )
    number = models.CharField(_("number"), max_length=20)

    class Meta:
        ordering = ["ward__name", "number"]
        verbose_name = _("ward room")
        verbose_name_plural = _("ward rooms")
        constraints = [
            # A room number says where to go: it must be unambiguous within its ward.
            models.UniqueConstraint(fields=["ward", "number"], name="wardroom_unique_number"),
        ]

    def __str__(self):
        return f"{self.ward} · {self.number}"


# --- Beds and their states --------------------------------------------------------------------


class Bed(StateMachine, TrackedModel):
    """A bed in a ward room, with its state.

    State changes go through `transition_to` (`ehr.core.states.StateMachine`), guarded
    by `TRANSITIONS`, time-stamped and written to `BedStatusChange` (for turnaround
    reports) and to the history. Occupancy follows the bed stays: only the admission and
    transfer services move a bed into or out of "occupied" (out of it into "cleaning",
    when the stay ends).
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        RESERVED = "reserved", _("Reserved")
        OCCUPIED = "occupied", _("Occupied")
        CLEANING = "cleaning", _("Cleaning")
        BLOCKED = "blocked", _("Blocked")

    # The one table of allowed state changes.
    TRANSITIONS = {
        Status.AVAILABLE: frozenset({Status.RESERVED, Status.OCCUPIED, Status.BLOCKED}),
        Status.RESERVED: frozenset({Status.AVAILABLE, Status.OCCUPIED, Status.BLOCKED}),
        Status.OCCUPIED: frozenset({Status.CLEANING}),
        Status.CLEANING: frozenset({Status.AVAILABLE, Status.BLOCKED}),
        Status.BLOCKED: frozenset({Status.AVAILABLE, Status.CLEANING}),
    }
    # Changes into or out of this state belong to the bed stays (admission, transfer,
    # discharge), never to a direct status change.
    STAY_STATE = Status.OCCUPIED
    transition_message = _("A bed cannot go from %(old)s to %(new)s.")

    room = models.ForeignKey(
        WardRoom, verbose_name=_("room"), on_delete=models.PROTECT, related_name="beds"
    )
    number = models.CharField(_("number"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.AVAILABLE, editable=False
    )
    status_changed_at = models.DateTimeField(
        _("status changed at"), default=timezone.now, editable=False
    )
    reserved_until = models.DateTimeField(
        _("reserved until"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("A reservation that has run out counts as available."),
    )
    blocked_reason = models.CharField(
        _("reason blocked"), max_length=200, blank=True, editable=False
    )
    isolation = models.BooleanField(
        _("isolation"), default=False, help_text=_("Barrier nursing / infection control.")
    )

    class Meta:
        ordering = ["room__ward__name", "room__number", "number"]
        verbose_name = _("bed")
        verbose_name_plural = _("beds")
        permissions = [
            ("set_bed_status", _("Mark beds clean, block, unblock and reserve them")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["room", "number"], name="bed_unique_number"),
            # A blocked bed says why (maintenance, infection control…) so the next shift
            # knows whether it may be unblocked.
            models.CheckConstraint(
                condition=~Q(status="blocked") | ~Q(blocked_reason=""),
                name="bed_blocked_has_reason",
            ),
            # A reservation without an end would hold a bed for ever.
            models.CheckConstraint(
                condition=~Q(status="reserved") | Q(reserved_until__isnull=False),
                name="bed_reserved_has_expiry",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="bed_status_idx")]

    def __str__(self):
        return f"{self.room.ward} · {self.label}"

    @property
    def label(self):
        """Return the bed's short name: room and bed number ("101-A")."""
        return f"{self.room.number}-{self.number}"

    def current_status(self, now=None):
        """Return the status as it counts at `now`: a reservation that has run out counts
        as available."""
        return self.Status(
            effective_status(self.status, self.reserved_until, now or timezone.now())
        )

    @property
    def holds_reservation(self):
        """Return True if the bed is reserved, also when the reservation has run out
        (it can still be released)."""
        return self.status == self.Status.RESERVED

    def reservation_expired(self, now=None):
        """Return True if the bed is reserved and the reservation has run out."""
        return self.holds_reservation and self.current_status(now) == self.Status.AVAILABLE

    def can_take_patient(self, now=None):
        """Return True if a patient may be put in this bed now (available, or reserved)."""
        return self.current_status(now) in (self.Status.AVAILABLE, self.Status.RESERVED)

    def misfit(self, *, sex=None, now=None, occupied=False, isolated_roommate=False):
        """Return why this bed cannot take a patient (of `sex`, when known) at `now`, as
        a `BedMisfit`, or None if it fits. The one fit rule: the bed picker shows it
        beside each bed and the admission and transfer services refuse with it.

        `occupied`: a current bed stay holds the bed. `isolated_roommate`: another bed of
        the room holds a patient in isolation (barrier nursing), so a shared room takes
        nobody else. The room's ward must take patients of `sex`."""
        status = self.current_status(now or timezone.now())
        if occupied or status == self.Status.OCCUPIED:
            return BedMisfit("occupied", _("occupied"))
        if status == self.Status.CLEANING:
            return BedMisfit("unavailable", _("being cleaned"))
        if status == self.Status.BLOCKED:
            return BedMisfit(
                "unavailable", _("blocked: %(reason)s") % {"reason": self.blocked_reason}
            )
        ward = self.room.ward
        if sex is not None and not ward.admits(sex):
            return BedMisfit(
                "ward_sex",
                _("%(restriction)s: %(ward)s")
                % {"restriction": ward.get_sex_restriction_display().lower(), "ward": ward},
            )
        if isolated_roommate:
            return BedMisfit("isolation", _("shares the room with a patient in isolation"))
        return None

    def check_transition(self, new_status, *, actor, at, reason, reserved_until=None, _stay=False):
        """Refuse a change into or out of "occupied" that does not come from a bed stay
        (`_stay`, set only by the admission services: InvalidTransition), a block without
        a reason (BlockReasonRequired) and a reservation without an end in the future
        (ReservationExpiryRequired)."""
        if self.STAY_STATE in (self.current_status(at), new_status) and not _stay:
            raise InvalidTransition(
                _(
                    "A bed becomes occupied only by an admission or a transfer, and is freed "
                    "by a transfer or a completed discharge."
                )
            )
        if new_status == self.Status.BLOCKED and not reason:
            raise BlockReasonRequired()
        if new_status == self.Status.RESERVED:
            if reserved_until is None:
                raise ReservationExpiryRequired()
            if reserved_until <= at:
                raise ReservationExpiryRequired(_("A reservation must end in the future."))

    def on_transition(
        self, old_status, new_status, *, actor, at, reason, reserved_until=None, _stay=False
    ):
        """Keep the reservation's end and the block's reason while they apply."""
        max_length = self._meta.get_field("blocked_reason").max_length
        self.reserved_until = reserved_until if new_status == self.Status.RESERVED else None
        self.blocked_reason = reason[:max_length] if new_status == self.Status.BLOCKED else ""


class BedMisfit(NamedTuple):
    """Why a bed cannot take a patient: `code` (occupied, unavailable, ward_sex,
    isolation) and the words the picker and the error show."""

    code: str
    reason: str


def effective_status(status, reserved_until, now):
    """Return a bed's status as it counts at `now`: a reservation that has run out counts
    as available."""
    if status == Bed.Status.RESERVED and reserved_until is not None and reserved_until <= now:
        return Bed.Status.AVAILABLE
    return status


class BedStatusChange(StatusChange):
    """One change of a bed's state: from, to, when, by whom and why (turnaround times:
    how long beds wait for cleaning, how long they stay blocked)."""

    bed = models.ForeignKey(
        Bed, verbose_name=_("bed"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Bed.Status)
    to_status = models.CharField(_("to"), max_length=10, choices=Bed.Status)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("bed status change")
        verbose_name_plural = _("bed status changes")
        indexes = [models.Index(fields=["bed", "-at"], name="bedstatuschange_bed_idx")]

    def __str__(self):
        return f"{self.bed_id}: {self.from_status} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}"


# --- Admission requests, admissions, bed stays ------------------------------------------------


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class AdmissionRequest(TrackedModel):
    """A doctor's request to admit a patient, waiting in the queue that nurses and
    receptionists work: they assign a bed (which creates the admission) or cancel it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ASSIGNED = "assigned", _("Bed assigned")
        CANCELLED = "cancelled", _("Cancelled")

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="admission_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="admission_requests",
    )
    ward_preference = models.ForeignKey(
        Ward,
        verbose_name=_("preferred ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admission_requests",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.ROUTINE
    )
    reason = BoundedTextField(_("reason for admission"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, editable=False
    )
    admission = models.OneToOneField(
        "Admission",
        verbose_name=_("admission"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="request",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("admission request")
        verbose_name_plural = _("admission requests")
        permissions = [("assign_bed", _("Assign a bed to an admission request"))]
        constraints = [
            # Two pending requests for one patient would have the queue assign two beds.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="pending"),
                name="admissionrequest_one_pending_per_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(admission__isnull=False),
                name="admissionrequest_assigned_has_admission",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="admissionrequest_has_reason"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="admissionrequest_queue_idx")
        ]

    def __str__(self):
        return f"{self.patient} ({self.get_priority_display()}, {self.get_status_display()})"

    @property
    def is_pending(self):
        """Return True while the request waits for a bed."""
        return self.status == self.Status.PENDING

    @property
    def is_assigned(self):
        """Return True once a bed was assigned (the request became an admission)."""
        return self.status == self.Status.ASSIGNED


class Disposition(models.TextChoices):
    HOME = "home", _("Home")
    TRANSFER_FACILITY = "transfer_facility", _("Transfer to another facility")
    AGAINST_MEDICAL_ADVICE = "against_medical_advice", _("Against medical advice")
    DECEASED = "deceased", _("Deceased")


class AdmissionQuerySet(models.QuerySet):
    def open(self):
        """Admissions not yet discharged (a patient has at most one)."""
        return self.exclude(status=Admission.Status.DISCHARGED)

    def discharged(self):
        """Admissions whose discharge is completed."""
        return self.filter(status=Admission.Status.DISCHARGED)


class Admission(StateMachine, TrackedModel):
    """A patient's stay in hospital, from admission to discharge. Where the patient lies
    is the current `BedStay`; every earlier bed is a closed one. Its status changes go
    through `transition_to` (`ehr.core.states.StateMachine`) and are logged in
    `AdmissionStatusChange`.

    Other apps reach a patient's open admission through the relation
    (`patient.admissions.open()`), without importing this app."""

    objects = AdmissionQuerySet.as_manager()

    class Status(models.TextChoices):
        ADMITTED = "admitted", _("Admitted")
        DISCHARGE_ORDERED = "discharge_ordered", _("Discharge ordered")
        DISCHARGED = "discharged", _("Discharged")

    # The one table of allowed state changes. An ordered discharge can be withdrawn
    # (back to admitted); a doctor may also discharge without ordering first.
    TRANSITIONS = {
        Status.ADMITTED: frozenset({Status.DISCHARGE_ORDERED, Status.DISCHARGED}),
        Status.DISCHARGE_ORDERED: frozenset({Status.ADMITTED, Status.DISCHARGED}),
        Status.DISCHARGED: frozenset(),
    }
    transition_message = _("An admission cannot go from %(old)s to %(new)s.")

    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="admissions",
    )
    admitting_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("admitting doctor"),
        on_delete=models.PROTECT,
        related_name="admissions_admitted",
    )
    attending_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attending doctor"),
        on_delete=models.PROTECT,
        related_name="admissions_attending",
    )
    admitted_at = models.DateTimeField(_("admitted at"), default=timezone.now)
    reason = BoundedTextField(_("reason for admission"))
    expected_discharge = models.DateField(_("expected discharge"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.ADMITTED, editable=False
    )
    discharge_ordered_at = models.DateTimeField(
        _("discharge ordered at"), null=True, blank=True, editable=False
    )
    discharge_ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("discharge ordered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("discharged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    disposition = models.CharField(_("disposition"), max_length=30, choices=Disposition, blank=True)
    # The text of the chart's discharge-summary note: a note's length.
    discharge_summary = BoundedTextField(
        _("discharge summary"), blank=True, max_length=NOTE_MAX_LENGTH
    )

    class Meta:
        ordering = ["-admitted_at"]
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        permissions = [
            ("transfer_admission", _("Transfer an admitted patient to another bed")),
            ("order_discharge", _("Order a patient's discharge")),
            ("discharge_admission", _("Complete a patient's discharge")),
            (
                "complete_ordered_discharge",
                _("Complete a discharge a doctor ordered (time and disposition)"),
            ),
            ("view_census", _("See the inpatient census")),
        ]
        constraints = [
            # A patient is in hospital once at a time: a second open admission would split
            # the record of the stay and could put one person in two beds.
            models.UniqueConstraint(
                fields=["patient"],
                condition=~Q(status="discharged"),
                name="admission_one_open_per_patient",
            ),
            # A completed discharge says when and where the patient went.
            models.CheckConstraint(
                condition=~Q(status="discharged")
                | (Q(discharged_at__isnull=False) & ~Q(disposition="")),
                name="admission_discharged_has_time_and_disposition",
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True)
                | Q(discharged_at__gte=models.F("admitted_at")),
                name="admission_discharged_after_admitted",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-admitted_at"], name="admission_status_idx"),
            models.Index(fields=["discharged_at"], name="admission_discharged_idx"),
            models.Index(fields=["attending_doctor", "status"], name="admission_attending_idx"),
        ]

    def __str__(self):
        return f"{self.patient} · {self.admitted_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("inpatient:admission_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self):
        """Return True until the discharge is completed."""
        return self.status != self.Status.DISCHARGED

    def care_windows(self):
        """Return the chart access this admission gives its attending doctor: from the
        admission until the follow-up time after the discharge."""
        return [
            CareWindow.of_care(
                self.attending_doctor,
                AccessReason.ADMISSION,
                starts=self.admitted_at,
                ends=self.discharged_at,
            )
        ]

    def length_of_stay(self, now=None):
        """Return the time from admission to discharge (or to now, while open)."""
        end = self.discharged_at or now or timezone.now()
        return end - self.admitted_at

    @property
    def discharge_is_ordered(self):
        """Return True while a doctor's discharge order stands (ward staff may complete it)."""
        return self.status == self.Status.DISCHARGE_ORDERED and self.discharge_ordered_by_id

    def check_transition(self, new_status, *, actor, at, reason, on_order=False, **kwargs):
        """Refuse to complete a discharge `on_order` (the ward completing a doctor's
        order) unless a doctor's order stands (DischargeNotOrdered)."""
        if new_status == self.Status.DISCHARGED and on_order and not self.discharge_is_ordered:
            raise DischargeNotOrdered()

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        """Keep who ordered the discharge and when (cleared when the order is withdrawn),
        and who completed it and when."""
        if new_status == self.Status.DISCHARGE_ORDERED:
            self.discharge_ordered_at, self.discharge_ordered_by = at, actor
        elif new_status == self.Status.ADMITTED:
            self.discharge_ordered_at = self.discharge_ordered_by = None
        elif new_status == self.Status.DISCHARGED:
            self.discharged_at, self.discharged_by = at, actor


class AdmissionStatusChange(StatusChange):
    """One change of an admission's status: admitted, discharge ordered (or withdrawn),
    discharged; when and by whom (turnaround from the discharge order to the bed freed)."""

    admission = models.ForeignKey(
        Admission,
        verbose_name=_("admission"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Admission.Status, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Admission.Status)

    class Meta:
        ordering = ["at"]
        verbose_name = _("admission status change")
        verbose_name_plural = _("admission status changes")
        indexes = [models.Index(fields=["admission", "at"], name="admissionstatuschange_adm_idx")]


class BedStay(TrackedModel):
    """One interval a patient spends in one bed. An admission opens the first; a
    transfer closes one and opens the next; a discharge closes the last."""

    class Reason(models.TextChoices):
        ADMISSION = "admission", _("Admission")
        TRANSFER = "transfer", _("Transfer")

    admission = models.ForeignKey(
        Admission, verbose_name=_("admission"), on_delete=models.PROTECT, related_name="stays"
    )
    bed = models.ForeignKey(
        Bed, verbose_name=_("bed"), on_delete=models.PROTECT, related_name="stays"
    )
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason, default=Reason.ADMISSION)
    transfer_reason = models.CharField(_("why transferred"), max_length=200, blank=True)

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("bed stay")
        verbose_name_plural = _("bed stays")
        constraints = [
            # One patient per bed: two current stays in one bed would put two people in
            # it (or leave one of them lost on the board).
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(ended_at__isnull=True),
                name="bedstay_one_current_occupant_per_bed",
            ),
            # A patient lies in one bed at a time: a transfer closes the old stay in the
            # same transaction that opens the new one.
            models.UniqueConstraint(
                fields=["admission"],
                condition=Q(ended_at__isnull=True),
                name="bedstay_one_current_bed_per_admission",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="bedstay_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["bed", "-started_at"], name="bedstay_bed_idx"),
            models.Index(fields=["started_at"], name="bedstay_started_idx"),
            models.Index(fields=["ended_at"], name="bedstay_ended_idx"),
        ]

    def __str__(self):
        return f"{self.admission_id} in {self.bed_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_current(self):
        """Return True while the patient is still in this bed."""
        return self.ended_at is None

    def care_windows(self, nurses):
        """Return the chart access this stay gives the nurses of its ward (`nurses`):
        while the patient lies in the bed, no longer."""
        return [
            CareWindow(nurse, AccessReason.WARD, self.started_at, self.ended_at) for nurse in nurses
        ]

    def duration(self, now=None):
        """Return how long the patient has been (or was) in this bed."""
        return (self.ended_at or now or timezone.now()) - self.started_at

    def days_in_bed(self, now=None):
        """Return the whole days spent in this bed so far."""
        return self.duration(now) // timedelta(days=1)
