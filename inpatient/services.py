"""Writes of inpatient ADT: admission requests, admission, transfer, discharge, the bed
states housekeeping sets, and the ward nurses' chart access.

Every service runs in one transaction and locks the rows it decides on (beds, the
patient, the admission) before it reads them, so two nurses clicking at once are
served one after the other. The database constraints stay the rule of record: an
`IntegrityError` they raise becomes the matching domain error.

Lock order, to keep concurrent services from deadlocking: a new admission locks the bed,
then the patient, then the request; services on an existing admission lock the admission,
then its current stay, then beds in primary-key order.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.selectors import ensure_active_doctor, is_active_doctor
from clinical import services as clinical_services
from clinical.models import EncounterStatus
from ehr.core import events, parameters
from ehr.core.clock import clamp_to_now, ensure_not_in_future
from ehr.core.exceptions import DomainError, InvalidTransition
from inpatient.exceptions import (
    AdmissionClosed,
    BedOccupied,
    BedUnavailable,
    DeathNeedsDoctor,
    DischargeNotOrdered,
    DischargeSummaryRequired,
    InvalidTime,
    PatientAlreadyAdmitted,
    RequestAlreadyPending,
    RequestNotPending,
    RoomIsolated,
    SameBed,
    TransferReasonRequired,
    WardRestricted,
)
from inpatient.models import (
    Admission,
    AdmissionRequest,
    Bed,
    BedStay,
    Disposition,
    Priority,
    Ward,
    WardNurse,
    WardRoom,
)
from patients.exceptions import ChartAccessDenied
from patients.models import Patient
from patients.selectors import chart_access_for
from patients.services import care_relationships_sync, patient_record_death

# --- Helpers ----------------------------------------------------------------------------------


def _time(at, *, field, what, not_before=None):
    """Return the time of an event (`at`, or now): not in the future (TimeInFuture on
    `field`, within the clock tolerance it counts as now) and not before `not_before`
    (InvalidTime)."""
    now = timezone.now()
    at = at or now
    ensure_not_in_future(
        at, field=field, message=_("%(what)s cannot be in the future.") % {"what": what}, now=now
    )
    if not_before is not None and at < not_before:
        raise InvalidTime(
            _("%(what)s cannot be before %(when)s.")
            % {"what": what, "when": timezone.localtime(not_before).strftime("%Y-%m-%d %H:%M")}
        )
    return clamp_to_now(at, now=now)


def _lock_bed(pk):
    try:
        return Bed.objects.select_for_update(of=("self",)).select_related("room__ward").get(pk=pk)
    except Bed.DoesNotExist:
        raise BedUnavailable(_("This bed does not exist.")) from None


def _lock_admission(admission):
    admission = (
        Admission.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=admission.pk)
    )
    if not admission.is_open:
        raise AdmissionClosed()
    return admission


def _lock_current_stay(admission):
    return (
        BedStay.objects.select_for_update(of=("self",))
        .select_related("bed__room__ward")
        .get(admission=admission, ended_at__isnull=True)
    )


def _isolated_roommate(bed, admission=None):
    """Return True if another bed of `bed`'s room holds a patient in isolation (other
    than `admission`'s own, when a patient moves within the room)."""
    stays = BedStay.objects.filter(
        ended_at__isnull=True, bed__room_id=bed.room_id, bed__isolation=True
    ).exclude(bed=bed)
    if admission is not None:
        stays = stays.exclude(admission=admission)
    return stays.exists()


def _check_bed_takes(bed, patient, now, admission=None):
    """Raise unless `bed` (locked) can take `patient` at `now` (which may be back-dated,
    but not to before the bed's last change of state): `Bed.misfit`, the rule the bed
    picker shows, turned into its domain error."""
    occupied = (
        bed.status == Bed.Status.OCCUPIED
        or BedStay.objects.filter(bed=bed, ended_at__isnull=True).exists()
    )
    misfit = bed.misfit(
        sex=patient.sex,
        now=now,
        occupied=occupied,
        isolated_roommate=_isolated_roommate(bed, admission),
    )
    if misfit is not None and misfit.code == "occupied":
        raise BedOccupied()
    if misfit is not None and misfit.code == "unavailable":
        raise BedUnavailable(
            _("Bed %(bed)s is %(status)s; it cannot take a patient now.")
            % {"bed": bed.label, "status": misfit.reason}
        )
    if now < bed.status_changed_at:
        raise InvalidTime(
            _("Bed %(bed)s last changed state at %(when)s; choose a later time.")
            % {
                "bed": bed.label,
                "when": timezone.localtime(bed.status_changed_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if misfit is not None and misfit.code == "ward_sex":
        raise WardRestricted(
            _("%(ward)s takes %(who)s.")
            % {"ward": bed.room.ward, "who": bed.room.ward.get_sex_restriction_display().lower()}
        )
    if misfit is not None:
        raise RoomIsolated()


def ward_nurses(ward):
    """Return the active nurses assigned to `ward`."""
    return list(
        get_user_model()
        .objects.filter(ward_assignments__ward=ward, is_active=True, groups__name=roles.NURSE)
        .distinct()
    )


def _sync_stay_care(stay, actor, nurses=None):
    """Give the nurses of the stay's ward chart access while the patient lies there;
    a closed stay closes it. `nurses` defaults to the ward's nurses now."""
    if nurses is None:
        nurses = ward_nurses(stay.bed.room.ward)
    care_relationships_sync(
        source=stay,
        patient=stay.admission.patient,
        windows=stay.care_windows(nurses),
        actor=actor,
    )


def _sync_admission_care(admission, actor):
    """Give the attending doctor the chart access the admission allows."""
    care_relationships_sync(
        source=admission,
        patient=admission.patient,
        windows=admission.care_windows(),
        actor=actor,
    )


def _check_chart_access(actor, patient):
    """Discharging and recording a death act on the chart: only a clinician who may open
    it (attending doctor, care team, break-the-glass) may; a system job (None) may."""
    if actor is not None and not chart_access_for(actor, patient).allowed:
        raise ChartAccessDenied()


def _save(obj, actor, error):
    """Save `obj` in a savepoint; a violated constraint becomes `error`."""
    obj.stamp(actor)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise error() from None
    return obj


# --- Admission requests -----------------------------------------------------------------------


@transaction.atomic
def admission_request_create(
    *, patient, reason, actor, priority=Priority.ROUTINE, ward_preference=None
):
    """Put a patient in the admission queue on behalf of the requesting doctor (`actor`).
    Raise NotADoctor, PatientInactive, PatientAlreadyAdmitted or RequestAlreadyPending.
    Return the request."""
    ensure_active_doctor(actor, field=NON_FIELD_ERRORS)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.ensure_active()
    if Admission.objects.filter(patient=patient).open().exists():
        raise PatientAlreadyAdmitted()
    if AdmissionRequest.objects.filter(
        patient=patient, status=AdmissionRequest.Status.PENDING
    ).exists():
        raise RequestAlreadyPending()
    request = AdmissionRequest(
        patient=patient,
        requested_by=actor,
        ward_preference=ward_preference,
        priority=priority,
        reason=(reason or "").strip(),
    )
    request.full_clean(validate_constraints=False)
    return _save(request, actor, RequestAlreadyPending)


@transaction.atomic
def admission_request_cancel(*, request, actor, reason=""):
    """Take a pending request out of the queue, saying why. Raise RequestNotPending if it
    was already handled."""
    request = AdmissionRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_pending:
        raise RequestNotPending()
    request.status = AdmissionRequest.Status.CANCELLED
    request.cancelled_at = timezone.now()
    request.cancel_reason = (reason or "").strip()[:200]
    request.stamp(actor)
    request.save()
    return request


# --- Admission, transfer, discharge -----------------------------------------------------------


@transaction.atomic
def admission_create(
    *,
    bed,
    attending_doctor,
    actor,
    patient=None,
    request=None,
    reason="",
    admitting_doctor=None,
    expected_discharge=None,
    admitted_at=None,
):
    """Admit a patient into a bed: directly (`patient`) or from the queue (`request`,
    whose patient, reason and requesting doctor are the defaults).

    Create the admission and its first bed stay, make the bed occupied, put the attending
    doctor in a care relationship (reason admission; self-assigned when doctors admit
    patients they could not open under themselves) and the ward's nurses too (reason
    ward), and mark the request assigned. Raise BedOccupied, BedUnavailable,
    PatientAlreadyAdmitted, PatientInactive, RequestNotPending, WardRestricted,
    NotADoctor, TimeInFuture, InvalidTime… Return the admission.
    """
    bed = _lock_bed(bed.pk)
    if request is not None:
        patient = request.patient
    if patient is None:
        raise DomainError(_("Choose the patient to admit."))
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if request is not None:
        request = AdmissionRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_pending:
            raise RequestNotPending()
        reason = reason or request.reason
        admitting_doctor = admitting_doctor or request.requested_by
    if admitting_doctor is None:
        admitting_doctor = actor if is_active_doctor(actor) else attending_doctor
    ensure_active_doctor(attending_doctor, field="attending_doctor")
    ensure_active_doctor(admitting_doctor, field="admitting_doctor")
    patient.ensure_active()
    at = _time(admitted_at, field="admitted_at", what=_("The admission time"))
    if Admission.objects.filter(patient=patient).open().exists():
        raise PatientAlreadyAdmitted()
    if Admission.objects.filter(patient=patient, discharged_at__gt=at).exists():
        raise InvalidTime(_("The patient was in hospital at that time."))
    _check_bed_takes(bed, patient, at)
    if expected_discharge is not None and expected_discharge < timezone.localdate(at):
        raise InvalidTime(_("The expected discharge cannot be before the admission."))

    admission = Admission(
        patient=patient,
        admitting_doctor=admitting_doctor,
        attending_doctor=attending_doctor,
        admitted_at=at,
        reason=(reason or "").strip(),
        expected_discharge=expected_discharge,
    )
    admission.full_clean(validate_constraints=False)
    _save(admission, actor, PatientAlreadyAdmitted)
    admission.log_status_change("", admission.status, actor=actor, at=at)
    stay = BedStay(admission=admission, bed=bed, started_at=at, reason=BedStay.Reason.ADMISSION)
    _save(stay, actor, BedOccupied)
    bed.transition_to(Bed.Status.OCCUPIED, actor=actor, reason=_("Admission"), at=at, _stay=True)
    if request is not None:
        request.status = AdmissionRequest.Status.ASSIGNED
        request.admission = admission
        request.stamp(actor)
        request.save()
    _sync_admission_care(admission, actor)
    _sync_stay_care(stay, actor, ward_nurses(bed.room.ward))
    events.publish(
        "admission.created",
        {
            "admission_id": str(admission.pk),
            "patient_id": str(patient.pk),
            "ward_id": str(bed.room.ward_id),
            "ward": str(bed.room.ward.name),
            "attending_doctor_id": str(attending_doctor.pk),
            "admitting_doctor_id": str(admitting_doctor.pk),
            "admitted_at": at.isoformat(),
        },
        actor=actor,
    )
    return admission


@transaction.atomic
def admission_transfer(*, admission, bed, reason, actor, at=None):
    """Move an admitted patient to another bed, with a reason: close the current stay and
    open the next in one transaction; the old bed goes to cleaning, the new one becomes
    occupied. The ward access of the old stay's nurses ends and that of the new ward's
    nurses begins. Return the new stay."""
    admission = _lock_admission(admission)
    reason = (reason or "").strip()
    if not reason:
        raise TransferReasonRequired()
    stay = _lock_current_stay(admission)
    if stay.bed_id == bed.pk:
        raise SameBed()
    locked = {
        b.pk: b
        for b in Bed.objects.select_for_update(of=("self",))
        .select_related("room__ward")
        .filter(pk__in=[stay.bed_id, bed.pk])
        .order_by("pk")
    }
    if bed.pk not in locked:
        raise BedUnavailable(_("This bed does not exist."))
    old_bed, new_bed = locked[stay.bed_id], locked[bed.pk]
    at = _time(at, field="at", what=_("The transfer time"), not_before=stay.started_at)
    _check_bed_takes(new_bed, admission.patient, at, admission)

    stay.ended_at = at
    stay.stamp(actor)
    stay.save()
    _sync_stay_care(stay, actor)
    old_bed.transition_to(
        Bed.Status.CLEANING, actor=actor, reason=_("Patient transferred"), at=at, _stay=True
    )
    new_stay = BedStay(
        admission=admission,
        bed=new_bed,
        started_at=at,
        reason=BedStay.Reason.TRANSFER,
        transfer_reason=reason[:200],
    )
    _save(new_stay, actor, BedOccupied)
    new_bed.transition_to(Bed.Status.OCCUPIED, actor=actor, reason=_("Transfer"), at=at, _stay=True)
    _sync_stay_care(new_stay, actor, ward_nurses(new_bed.room.ward))
    admission.stamp(actor)
    admission.save(update_fields=["updated_at", "updated_by"])
    return new_stay


@transaction.atomic
def admission_order_discharge(*, admission, actor, at=None, summary=""):
    """Record the doctor's order to discharge, with the discharge summary if written now
    (the ward may then complete the discharge: `admission_discharge_complete`). The
    patient keeps the bed (it stays occupied) until the discharge is completed. Only a
    doctor orders (NotADoctor), with chart access (ChartAccessDenied)."""
    admission = _lock_admission(admission)
    if actor is not None:
        ensure_active_doctor(actor, field=NON_FIELD_ERRORS)
    _check_chart_access(actor, admission.patient)
    at = _time(at, field="at", what=_("The discharge order"), not_before=admission.admitted_at)
    summary = (summary or "").strip()
    if summary:
        admission.discharge_summary = summary
        admission.full_clean(validate_constraints=False)
    admission.transition_to(Admission.Status.DISCHARGE_ORDERED, actor=actor, at=at)
    return admission


@transaction.atomic
def admission_discharge_order_cancel(*, admission, actor):
    """Withdraw an ordered discharge: the patient stays admitted. Only a doctor with
    chart access (NotADoctor, ChartAccessDenied)."""
    admission = _lock_admission(admission)
    if actor is not None:
        ensure_active_doctor(actor, field=NON_FIELD_ERRORS)
    _check_chart_access(actor, admission.patient)
    admission.transition_to(Admission.Status.ADMITTED, actor=actor)
    return admission


def _check_disposition(disposition):
    if disposition not in Disposition.values:
        raise DomainError(_("Choose a disposition."), code="invalid_disposition")


def _leave_bed(admission, stay, actor, at):
    """Close the last bed stay at `at`, end the ward nurses' access, keep the attending
    doctor's for the follow-up time, and send the bed to cleaning."""
    stay.ended_at = at
    stay.stamp(actor)
    stay.save()
    _sync_stay_care(stay, actor)
    _sync_admission_care(admission, actor)
    bed = _lock_bed(stay.bed_id)
    bed.transition_to(
        Bed.Status.CLEANING, actor=actor, reason=_("Patient discharged"), at=at, _stay=True
    )


@transaction.atomic
def admission_discharge(*, admission, disposition, summary, actor, discharged_at=None):
    """Complete a discharge: time, disposition and summary; close the bed stay and send
    the bed to cleaning; withdraw the ward nurses' access. A deceased disposition records
    the death on the patient record. The summary becomes the signed discharge-summary
    note of the chart (`clinical.services.discharge_summary_record`), and the inpatient
    encounter still running ends. The attending doctor keeps chart access for the
    follow-up time; the ward nurses' access ends. Needs chart access (attending doctor,
    care team or break-the-glass: ChartAccessDenied). Return the admission."""
    admission = _lock_admission(admission)
    _check_chart_access(actor, admission.patient)
    _check_disposition(disposition)
    summary = (summary or "").strip()
    if not summary:
        raise DischargeSummaryRequired()
    stay = _lock_current_stay(admission)
    at = _time(
        discharged_at,
        field="discharged_at",
        what=_("The discharge time"),
        not_before=stay.started_at,
    )
    # Set before the change of status, which saves: a completed discharge has its
    # disposition (admission_discharged_has_time_and_disposition).
    admission.disposition = disposition
    admission.discharge_summary = summary
    admission.full_clean(validate_constraints=False)
    admission.transition_to(Admission.Status.DISCHARGED, actor=actor, at=at)
    # The summary is also the chart's discharge-summary note, signed by the discharging
    # doctor and linked from the admission (read with chart access, like every note).
    clinical_services.discharge_summary_record(
        admission=admission, text=summary, actor=actor, at=at
    )
    _leave_bed(admission, stay, actor, at)
    if disposition == Disposition.DECEASED and not admission.patient.is_deceased:
        patient_record_death(
            patient=admission.patient, actor=actor, deceased_on=timezone.localdate(at)
        )
    return admission


@transaction.atomic
def admission_discharge_complete(*, admission, disposition, actor, discharged_at=None):
    """Complete a discharge a doctor ordered: the time and the disposition, as the ward
    (nurses, receptionists acting as ADT clerks) records them. Raise DischargeNotOrdered
    unless a doctor's order stands. Chart access is neither needed nor given: the actor
    joins no care team, and the ward nurses' access ends with the bed stay.

    The summary stays the doctor's: the text written with the order becomes the chart's
    discharge-summary note as a draft of the attending doctor, who alone edits and signs
    it; without one, the running inpatient encounter ends and the doctor writes it. A
    death is recorded by a doctor (`admission_discharge`), not by the ward. Return the
    admission."""
    admission = _lock_admission(admission)
    if not admission.discharge_is_ordered:
        raise DischargeNotOrdered()
    _check_disposition(disposition)
    if disposition == Disposition.DECEASED and not is_active_doctor(actor):
        raise DeathNeedsDoctor()
    stay = _lock_current_stay(admission)
    at = _time(
        discharged_at,
        field="discharged_at",
        what=_("The discharge time"),
        not_before=max(stay.started_at, admission.discharge_ordered_at),
    )
    admission.disposition = disposition
    admission.full_clean(validate_constraints=False)
    admission.transition_to(Admission.Status.DISCHARGED, actor=actor, at=at, on_order=True)
    if admission.discharge_summary:
        # actor None: the note is the attending doctor's draft, not the ward's.
        clinical_services.discharge_summary_record(
            admission=admission, text=admission.discharge_summary, actor=None, at=at
        )
    else:
        for encounter in admission.encounters.filter(status=EncounterStatus.IN_PROGRESS):
            clinical_services.encounter_finish(encounter=encounter, actor=None, at=at)
    _leave_bed(admission, stay, actor, at)
    return admission


# --- Bed states -------------------------------------------------------------------------------


def reservation_default_end(now=None):
    """Return when a reservation made now ends if no end is given."""
    return (now or timezone.now()) + timedelta(hours=parameters.get("bed_reservation_hours"))


@transaction.atomic
def bed_set_status(*, bed, status, actor, reason="", reserved_until=None, at=None):
    """Change a bed's state as the transition table allows (housekeeping, blocks,
    reservations). "occupied" is refused: beds are occupied by admissions and transfers.
    Raise InvalidTransition (409) or a DomainError for a missing reason. Return the bed."""
    bed = _lock_bed(bed.pk)
    if status not in Bed.Status.values:
        raise DomainError(_("Unknown bed status."), code="invalid_status")
    if status == Bed.Status.RESERVED and reserved_until is None:
        reserved_until = reservation_default_end(at)
    bed.transition_to(status, actor=actor, reason=reason, reserved_until=reserved_until, at=at)
    return bed


def _require_status(bed, expected, message):
    if bed.status != expected:
        raise InvalidTransition(message)


@transaction.atomic
def bed_mark_clean(*, bed, actor, at=None):
    """Housekeeping is done: a bed being cleaned becomes available."""
    locked = _lock_bed(bed.pk)
    _require_status(locked, Bed.Status.CLEANING, _("Only a bed being cleaned can be marked clean."))
    locked.transition_to(Bed.Status.AVAILABLE, actor=actor, reason=_("Cleaned"), at=at)
    return locked


@transaction.atomic
def bed_block(*, bed, reason, actor, at=None):
    """Take a bed out of use (maintenance, infection control…); the reason is required."""
    locked = _lock_bed(bed.pk)
    locked.transition_to(Bed.Status.BLOCKED, actor=actor, reason=reason, at=at)
    return locked


@transaction.atomic
def bed_unblock(*, bed, actor, needs_cleaning=False, at=None):
    """Put a blocked bed back in use: available, or first to cleaning."""
    locked = _lock_bed(bed.pk)
    _require_status(locked, Bed.Status.BLOCKED, _("This bed is not blocked."))
    target = Bed.Status.CLEANING if needs_cleaning else Bed.Status.AVAILABLE
    locked.transition_to(target, actor=actor, reason=_("Unblocked"), at=at)
    return locked


@transaction.atomic
def bed_reserve(*, bed, actor, until=None, reason="", at=None):
    """Hold a free bed for an expected patient until `until` (by default for the
    `bed_reservation_hours` parameter). After that it counts as available again."""
    locked = _lock_bed(bed.pk)
    locked.transition_to(
        Bed.Status.RESERVED,
        actor=actor,
        reason=reason,
        reserved_until=until or reservation_default_end(at),
        at=at,
    )
    return locked


@transaction.atomic
def bed_reservation_release(*, bed, actor, at=None):
    """Give up a reservation (also one that already ran out): the bed is available."""
    locked = _lock_bed(bed.pk)
    _require_status(locked, Bed.Status.RESERVED, _("This bed is not reserved."))
    locked.transition_to(Bed.Status.AVAILABLE, actor=actor, reason=_("Reservation released"), at=at)
    return locked


@transaction.atomic
def bed_set_isolation(*, bed, isolation, actor):
    """Turn the isolation flag (barrier nursing) on or off."""
    locked = _lock_bed(bed.pk)
    locked.isolation = bool(isolation)
    locked.stamp(actor)
    locked.save(update_fields=["isolation", "updated_at", "updated_by"])
    return locked


# --- Master data: rooms with their beds, ward nurses ------------------------------------------


def bed_numbers(count, existing=()):
    """Return `count` new bed numbers for a room, continuing A, B, C… after `existing`."""
    taken = set(existing)
    numbers, index = [], 0
    while len(numbers) < count:
        index += 1
        label, n = "", index
        while n:
            n, rest = divmod(n - 1, 26)
            label = chr(ord("A") + rest) + label
        if label not in taken:
            numbers.append(label)
    return numbers


@transaction.atomic
def room_beds_add(*, room, count, actor):
    """Add `count` beds to a room, numbered after the ones it has. Return the new beds."""
    if count < 0:
        raise DomainError(_("The number of beds cannot be negative."))
    existing = list(room.beds.values_list("number", flat=True))
    beds = []
    for number in bed_numbers(count, existing):
        bed = Bed(room=room, number=number)
        bed.full_clean(validate_constraints=False)
        beds.append(_save(bed, actor, lambda: DomainError(_("A bed number is taken."))))
    return beds


@transaction.atomic
def ward_room_create(*, ward, room_class, number, actor, beds=None):
    """Create a room with its beds in one step (by default as many as its class has)."""
    room = WardRoom(ward=ward, room_class=room_class, number=number)
    room.full_clean(validate_constraints=False)
    _save(room, actor, lambda: DomainError(_("This ward already has a room with this number.")))
    room_beds_add(room=room, count=room_class.beds_per_room if beds is None else beds, actor=actor)
    return room


def current_stays_in(ward):
    """Return the current bed stays of `ward`, with their admission's patient."""
    return BedStay.objects.filter(ended_at__isnull=True, bed__room__ward=ward).select_related(
        "admission__patient", "bed__room__ward"
    )


@transaction.atomic
def ward_nurse_assign(*, ward, user, actor):
    """Assign a nurse to a ward; she gets chart access to the patients lying in it.
    Return the assignment (the existing one if she was assigned already)."""
    if not user.is_active or not user.has_role(roles.NURSE):
        raise DomainError(_("Only active nurses can be assigned to a ward."))
    ward = Ward.objects.select_for_update().get(pk=ward.pk)
    assignment = WardNurse.objects.filter(ward=ward, user=user).first()
    if assignment is None:
        assignment = WardNurse(ward=ward, user=user)
        _save(assignment, actor, lambda: DomainError(_("This nurse is already assigned.")))
    for stay in current_stays_in(ward):
        _sync_stay_care(stay, actor)
    return assignment


@transaction.atomic
def ward_nurse_unassign(*, ward, user, actor):
    """End a nurse's assignment to a ward; her ward access to its patients ends too."""
    ward = Ward.objects.select_for_update().get(pk=ward.pk)
    assignments = list(WardNurse.objects.filter(ward=ward, user=user))
    for assignment in assignments:
        assignment._history_user = actor
        assignment.delete()
    for stay in current_stays_in(ward):
        _sync_stay_care(stay, actor)
    return bool(assignments)
