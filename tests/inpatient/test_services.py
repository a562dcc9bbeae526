"""The ADT workflow rules: bed states, admission, transfer, discharge, the request queue
and the ward nurses' chart access."""

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from accounts.exceptions import NotADoctor
from ehr.core.exceptions import InvalidTransition, TimeInFuture
from inpatient import services
from inpatient.exceptions import (
    AdmissionClosed,
    BedOccupied,
    BedUnavailable,
    BlockReasonRequired,
    DischargeSummaryRequired,
    InvalidTime,
    PatientAlreadyAdmitted,
    RequestAlreadyPending,
    RequestNotPending,
    SameBed,
    TransferReasonRequired,
    WardRestricted,
)
from inpatient.models import Admission, AdmissionRequest, Bed, BedStatusChange, BedStay
from patients.exceptions import PatientInactive
from patients.models import AccessReason
from patients.selectors import chart_access_for
from tests.factories.inpatient import AdmissionRequestFactory, WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

S = Bed.Status


def put_in_state(bed, state):
    """Give a bed a state directly (the set-up of a transition test)."""
    bed.status = state
    bed.reserved_until = timezone.now() + timedelta(hours=2) if state == S.RESERVED else None
    bed.blocked_reason = "Maintenance" if state == S.BLOCKED else ""
    bed.save()
    return bed


def grant_reason(patient, user):
    """Return why `user` may open the chart of `patient` now, or None."""
    decision = chart_access_for(user, patient)
    return decision.reason if decision.allowed else None


# --- The bed state machine --------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), list(product(S.values, S.values)))
def test_every_direct_bed_state_change_follows_the_table(bed, nurse, old, new):
    put_in_state(bed, old)
    allowed = new in Bed.TRANSITIONS[old] and S.OCCUPIED not in (old, new)
    if allowed:
        services.bed_set_status(bed=bed, status=new, actor=nurse, reason="Maintenance")
        bed.refresh_from_db()
        assert bed.status == new
    else:
        with pytest.raises(InvalidTransition):
            services.bed_set_status(bed=bed, status=new, actor=nurse, reason="Maintenance")
        bed.refresh_from_db()
        assert bed.status == old


def test_a_bed_is_occupied_only_by_a_bed_stay(bed, nurse):
    with pytest.raises(InvalidTransition, match="only by an admission or a transfer"):
        services.bed_set_status(bed=bed, status=S.OCCUPIED, actor=nurse)
    bed.transition_to(S.OCCUPIED, actor=nurse, _stay=True)  # what the services do
    assert bed.status == S.OCCUPIED


def test_an_occupied_bed_cannot_be_sent_to_cleaning_while_its_patient_lies_in_it(
    bed, patient, doctor, nurse
):
    admit(patient, bed, doctor)
    with pytest.raises(InvalidTransition):
        services.bed_set_status(bed=bed, status=S.CLEANING, actor=nurse)
    with pytest.raises(InvalidTransition):
        services.bed_block(bed=bed, reason="Maintenance", actor=nurse)


def test_each_state_change_is_time_stamped_logged_and_in_history(bed, nurse):
    before = timezone.now()
    services.bed_block(bed=bed, reason="Broken equipment", actor=nurse)
    change = BedStatusChange.objects.get(bed=bed)
    assert (change.from_status, change.to_status, change.by, change.reason) == (
        S.AVAILABLE,
        S.BLOCKED,
        nurse,
        "Broken equipment",
    )
    assert change.at >= before
    bed.refresh_from_db()
    assert bed.status_changed_at == change.at
    assert bed.history.first().history_user == nurse


def test_blocking_needs_a_reason(bed, nurse):
    with pytest.raises(BlockReasonRequired):
        services.bed_block(bed=bed, reason="  ", actor=nurse)


def test_housekeeping_marks_only_a_cleaning_bed_clean(bed, nurse):
    with pytest.raises(InvalidTransition):
        services.bed_mark_clean(bed=bed, actor=nurse)
    put_in_state(bed, S.CLEANING)
    services.bed_mark_clean(bed=bed, actor=nurse)
    bed.refresh_from_db()
    assert bed.status == S.AVAILABLE


def test_unblocking_makes_the_bed_available_or_sends_it_to_cleaning(beds, nurse):
    first, second = beds[:2]
    for bed in (first, second):
        services.bed_block(bed=bed, reason="Maintenance", actor=nurse)
    services.bed_unblock(bed=first, actor=nurse)
    services.bed_unblock(bed=second, actor=nurse, needs_cleaning=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.blocked_reason) == (S.AVAILABLE, "")
    assert second.status == S.CLEANING


def test_a_reservation_ends_by_default_after_the_parameter_and_then_counts_as_available(bed, nurse):
    services.bed_reserve(bed=bed, actor=nurse)
    bed.refresh_from_db()
    assert bed.status == S.RESERVED
    assert bed.reserved_until - timezone.now() == pytest.approx(
        timedelta(hours=4), abs=timedelta(minutes=1)
    )
    later = bed.reserved_until + timedelta(minutes=1)
    assert bed.current_status(later) == S.AVAILABLE
    assert bed.can_take_patient(later)


def test_an_expired_reservation_can_be_reserved_again_or_released(bed, nurse):
    put_in_state(bed, S.RESERVED)
    bed.reserved_until = timezone.now() - timedelta(minutes=5)
    bed.save()
    services.bed_reserve(bed=bed, actor=nurse)
    services.bed_reservation_release(bed=bed, actor=nurse)
    bed.refresh_from_db()
    assert (bed.status, bed.reserved_until) == (S.AVAILABLE, None)


def test_isolation_is_a_flag_beside_the_state(bed, nurse):
    services.bed_set_isolation(bed=bed, isolation=True, actor=nurse)
    bed.refresh_from_db()
    assert bed.isolation and bed.status == S.AVAILABLE


# --- Admission --------------------------------------------------------------------------------


def test_admission_opens_a_stay_occupies_the_bed_and_builds_the_care_team(
    bed, patient, doctor, ward_nurse, make_user
):
    admission = admit(patient, bed, doctor, reason="Pneumonia")
    bed.refresh_from_db()
    stay = BedStay.objects.get(admission=admission)
    assert admission.status == Admission.Status.ADMITTED
    assert (stay.bed, stay.ended_at, stay.reason) == (bed, None, BedStay.Reason.ADMISSION)
    assert bed.status == S.OCCUPIED
    assert grant_reason(patient, doctor) == AccessReason.ADMISSION
    assert grant_reason(patient, ward_nurse) == AccessReason.WARD
    assert chart_access_for(ward_nurse, patient).allowed
    other_nurse = make_user("Nurse")
    assert not chart_access_for(other_nurse, patient).allowed


def test_a_reserved_bed_takes_the_patient(bed, patient, doctor, nurse):
    services.bed_reserve(bed=bed, actor=nurse)
    admit(patient, bed, doctor)
    bed.refresh_from_db()
    assert (bed.status, bed.reserved_until) == (S.OCCUPIED, None)


def test_a_second_patient_in_an_occupied_bed_is_refused(bed, doctor):
    admit(PatientFactory(), bed, doctor)
    with pytest.raises(BedOccupied):
        admit(PatientFactory(), bed, doctor)
    assert BedStay.objects.filter(bed=bed).count() == 1


@pytest.mark.parametrize("state", [S.CLEANING, S.BLOCKED])
def test_a_bed_being_cleaned_or_blocked_takes_no_patient(bed, patient, doctor, state):
    put_in_state(bed, state)
    with pytest.raises(BedUnavailable):
        admit(patient, bed, doctor)
    assert not Admission.objects.exists()


def test_a_second_open_admission_of_the_same_patient_is_refused(beds, patient, doctor):
    admit(patient, beds[0], doctor)
    with pytest.raises(PatientAlreadyAdmitted):
        admit(patient, beds[1], doctor)
    beds[1].refresh_from_db()
    assert beds[1].status == S.AVAILABLE


def test_a_patient_can_come_back_after_discharge(beds, patient, doctor):
    first = admit(patient, beds[0], doctor)
    services.admission_discharge(admission=first, disposition="home", summary="Well.", actor=doctor)
    second = admit(patient, beds[1], doctor)
    assert second.is_open and Admission.objects.filter(patient=patient).count() == 2


def test_a_restricted_ward_refuses_patients_of_the_other_sex(doctor):
    maternity = WardFactory(name="Maternity", sex_restriction="female")
    bed = beds_in(maternity, 1)[0]
    with pytest.raises(WardRestricted):
        admit(PatientFactory(sex="male"), bed, doctor)
    admit(PatientFactory(sex="female"), bed, doctor)


def test_the_attending_doctor_must_be_a_doctor(bed, patient, doctor, nurse):
    with pytest.raises(NotADoctor):
        services.admission_create(
            patient=patient, bed=bed, attending_doctor=nurse, actor=doctor, reason="x"
        )


def test_a_deceased_patient_is_not_admitted(bed, doctor):
    patient = PatientFactory(is_deceased=True, deceased_on=timezone.localdate())
    with pytest.raises(PatientInactive):
        admit(patient, bed, doctor)


def test_admission_times_are_not_in_the_future_nor_before_the_bed_was_free(bed, patient, doctor):
    bed.status_changed_at = timezone.now() - timedelta(hours=2)
    bed.save()
    with pytest.raises(TimeInFuture, match="cannot be in the future"):
        admit(patient, bed, doctor, admitted_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(InvalidTime):
        admit(patient, bed, doctor, admitted_at=bed.status_changed_at - timedelta(hours=1))
    admission = admit(patient, bed, doctor, admitted_at=timezone.now() - timedelta(minutes=5))
    assert BedStay.objects.get(admission=admission).started_at == admission.admitted_at


# --- Request queue ----------------------------------------------------------------------------


def test_assigning_a_bed_to_a_request_admits_its_patient(bed, doctor, nurse, ward):
    request = services.admission_request_create(
        patient=PatientFactory(),
        reason="Chest pain",
        priority="urgent",
        ward_preference=ward,
        actor=doctor,
    )
    admission = services.admission_create(
        request=request, bed=bed, attending_doctor=doctor, actor=nurse
    )
    request.refresh_from_db()
    assert request.status == AdmissionRequest.Status.ASSIGNED
    assert request.admission == admission
    assert (admission.reason, admission.admitting_doctor) == ("Chest pain", doctor)
    with pytest.raises(RequestNotPending):
        services.admission_create(request=request, bed=bed, attending_doctor=doctor, actor=nurse)


def test_a_patient_waits_in_the_queue_once(doctor, patient):
    services.admission_request_create(patient=patient, reason="x", actor=doctor)
    with pytest.raises(RequestAlreadyPending):
        services.admission_request_create(patient=patient, reason="y", actor=doctor)


def test_an_admitted_patient_is_not_queued(bed, doctor, patient):
    admit(patient, bed, doctor)
    with pytest.raises(PatientAlreadyAdmitted):
        services.admission_request_create(patient=patient, reason="x", actor=doctor)


def test_only_doctors_request_admission(nurse, patient):
    with pytest.raises(NotADoctor):
        services.admission_request_create(patient=patient, reason="x", actor=nurse)


def test_a_cancelled_request_leaves_the_queue_once(nurse):
    request = AdmissionRequestFactory()
    services.admission_request_cancel(request=request, actor=nurse, reason="Went home")
    request.refresh_from_db()
    assert (request.status, request.cancel_reason) == ("cancelled", "Went home")
    with pytest.raises(RequestNotPending):
        services.admission_request_cancel(request=request, actor=nurse)


# --- Transfer ---------------------------------------------------------------------------------


def test_transfer_closes_one_stay_and_opens_the_next(beds, patient, doctor, nurse):
    admission = admit(patient, beds[0], doctor)
    new_stay = services.admission_transfer(
        admission=admission, bed=beds[1], reason="Needs a single room", actor=nurse
    )
    old_stay = BedStay.objects.get(admission=admission, bed=beds[0])
    assert old_stay.ended_at == new_stay.started_at
    assert (new_stay.reason, new_stay.transfer_reason) == ("transfer", "Needs a single room")
    beds[0].refresh_from_db()
    beds[1].refresh_from_db()
    assert (beds[0].status, beds[1].status) == (S.CLEANING, S.OCCUPIED)
    assert BedStay.objects.filter(admission=admission, ended_at__isnull=True).get() == new_stay


def test_transfer_into_an_occupied_bed_changes_nothing(beds, doctor, nurse):
    admission = admit(PatientFactory(), beds[0], doctor)
    admit(PatientFactory(), beds[1], doctor)
    with pytest.raises(BedOccupied):
        services.admission_transfer(admission=admission, bed=beds[1], reason="x", actor=nurse)
    beds[0].refresh_from_db()
    assert beds[0].status == S.OCCUPIED
    assert BedStay.objects.get(admission=admission).ended_at is None


def test_transfer_is_one_transaction(beds, patient, doctor, nurse, monkeypatch):
    admission = admit(patient, beds[0], doctor)

    sync = services._sync_stay_care

    def fail(stay, *args, **kwargs):
        if stay.ended_at is None:
            raise RuntimeError("crash after the new stay was written")
        return sync(stay, *args, **kwargs)

    monkeypatch.setattr(services, "_sync_stay_care", fail)
    other = WardFactory(name="Elsewhere")
    target = beds_in(other, 1)[0]
    with pytest.raises(RuntimeError):
        services.admission_transfer(admission=admission, bed=target, reason="x", actor=nurse)
    beds[0].refresh_from_db()
    target.refresh_from_db()
    assert (beds[0].status, target.status) == (S.OCCUPIED, S.AVAILABLE)
    assert list(BedStay.objects.filter(admission=admission).values_list("bed", "ended_at")) == [
        (beds[0].pk, None)
    ]


def test_transfer_needs_a_reason_and_another_bed(beds, patient, doctor, nurse):
    admission = admit(patient, beds[0], doctor)
    with pytest.raises(TransferReasonRequired):
        services.admission_transfer(admission=admission, bed=beds[1], reason=" ", actor=nurse)
    with pytest.raises(SameBed):
        services.admission_transfer(admission=admission, bed=beds[0], reason="x", actor=nurse)


def test_transfer_to_another_ward_moves_the_ward_nurses_access(
    bed, other_bed, other_ward, patient, doctor, ward_nurse, make_user
):
    other_nurse = make_user("Nurse")
    services.ward_nurse_assign(ward=other_ward, user=other_nurse, actor=None)
    admission = admit(patient, bed, doctor)
    services.admission_transfer(admission=admission, bed=other_bed, reason="x", actor=ward_nurse)
    assert not chart_access_for(ward_nurse, patient).allowed
    assert grant_reason(patient, other_nurse) == AccessReason.WARD
    assert grant_reason(patient, doctor) == AccessReason.ADMISSION


def test_transfer_within_the_ward_keeps_the_nurses_access(beds, patient, doctor, ward_nurse):
    admission = admit(patient, beds[0], doctor)
    services.admission_transfer(admission=admission, bed=beds[1], reason="x", actor=ward_nurse)
    assert grant_reason(patient, ward_nurse) == AccessReason.WARD


def test_a_nurse_on_both_wards_keeps_access_across_a_transfer(
    bed, other_bed, other_ward, patient, doctor, ward_nurse
):
    services.ward_nurse_assign(ward=other_ward, user=ward_nurse, actor=None)
    admission = admit(patient, bed, doctor)
    services.admission_transfer(admission=admission, bed=other_bed, reason="x", actor=ward_nurse)
    assert grant_reason(patient, ward_nurse) == AccessReason.WARD


# --- Discharge --------------------------------------------------------------------------------


def test_ordering_a_discharge_keeps_the_bed_occupied(bed, patient, doctor):
    admission = admit(patient, bed, doctor)
    admission = services.admission_order_discharge(admission=admission, actor=doctor)
    bed.refresh_from_db()
    assert admission.status == Admission.Status.DISCHARGE_ORDERED
    assert admission.discharge_ordered_by == doctor
    assert bed.status == S.OCCUPIED
    with pytest.raises(InvalidTransition):
        services.admission_order_discharge(admission=admission, actor=doctor)
    admission = services.admission_discharge_order_cancel(admission=admission, actor=doctor)
    assert (admission.status, admission.discharge_ordered_at) == ("admitted", None)


def test_completing_the_discharge_frees_the_bed_for_cleaning(bed, patient, doctor, ward_nurse):
    admission = admit(patient, bed, doctor)
    services.admission_order_discharge(admission=admission, actor=doctor)
    admission = services.admission_discharge(
        admission=admission, disposition="home", summary="Recovered.", actor=doctor
    )
    bed.refresh_from_db()
    stay = BedStay.objects.get(admission=admission)
    assert admission.status == Admission.Status.DISCHARGED
    assert (admission.disposition, admission.discharge_summary) == ("home", "Recovered.")
    assert stay.ended_at == admission.discharged_at
    assert bed.status == S.CLEANING
    assert not chart_access_for(ward_nurse, patient).allowed
    assert grant_reason(patient, doctor) == AccessReason.ADMISSION  # follow-up stays possible


def test_an_explicit_care_team_membership_survives_the_discharge(bed, patient, doctor, ward_nurse):
    from patients.services import care_team_add

    care_team_add(patient=patient, user=ward_nurse, actor=None)
    admission = admit(patient, bed, doctor)
    services.admission_discharge(admission=admission, disposition="home", summary="x", actor=doctor)
    assert grant_reason(patient, ward_nurse) == AccessReason.EXPLICIT


def test_a_deceased_disposition_records_the_death(bed, patient, doctor):
    admission = admit(patient, bed, doctor)
    services.admission_discharge(
        admission=admission, disposition="deceased", summary="Died peacefully.", actor=doctor
    )
    patient.refresh_from_db()
    assert patient.is_deceased and patient.deceased_on == timezone.localdate()


def test_a_discharge_needs_a_summary_and_happens_once(bed, patient, doctor):
    admission = admit(patient, bed, doctor)
    with pytest.raises(DischargeSummaryRequired):
        services.admission_discharge(
            admission=admission, disposition="home", summary="", actor=doctor
        )
    services.admission_discharge(admission=admission, disposition="home", summary="x", actor=doctor)
    with pytest.raises(AdmissionClosed):
        services.admission_discharge(
            admission=admission, disposition="home", summary="x", actor=doctor
        )
    with pytest.raises(AdmissionClosed):
        services.admission_transfer(admission=admission, bed=bed, reason="x", actor=doctor)


def test_a_discharge_cannot_predate_the_last_bed_stay(beds, patient, doctor, nurse):
    admission = admit(patient, beds[0], doctor)
    stay = services.admission_transfer(admission=admission, bed=beds[1], reason="x", actor=nurse)
    with pytest.raises(InvalidTime):
        services.admission_discharge(
            admission=admission,
            disposition="home",
            summary="x",
            actor=doctor,
            discharged_at=stay.started_at - timedelta(minutes=1),
        )


def admission_in_state(bed, doctor, state):
    """Admit a patient into `bed` and put the admission in `state` directly (the set-up
    of a transition test)."""
    admission = admit(PatientFactory(), bed, doctor)
    if state == Admission.Status.DISCHARGED:
        admission.disposition, admission.discharged_at = "home", timezone.now()
    admission.status = state
    admission.save()
    return admission


@pytest.mark.parametrize(
    ("old", "new"), list(product(Admission.Status.values, Admission.Status.values))
)
def test_admission_states_follow_their_table(bed, doctor, old, new):
    admission = admission_in_state(bed, doctor, old)
    rows = admission.status_changes.count()
    if new in Admission.TRANSITIONS[old]:
        if new == Admission.Status.DISCHARGED:
            admission.disposition = "home"
        admission.transition_to(new, actor=doctor)
        admission.refresh_from_db()
        assert admission.status == new
        assert admission.status_changes.count() == rows + 1
    else:
        with pytest.raises(InvalidTransition, match="An admission cannot go from"):
            admission.transition_to(new, actor=doctor)
        admission.refresh_from_db()
        assert admission.status == old
        assert admission.status_changes.count() == rows


def test_each_admission_transition_writes_one_status_change_with_actor_and_time(
    beds, patient, doctor, nurse
):
    before = timezone.now()
    admission = admit(patient, beds[0], doctor)
    services.admission_order_discharge(admission=admission, actor=doctor)
    services.admission_discharge_order_cancel(admission=admission, actor=doctor)
    services.admission_transfer(admission=admission, bed=beds[1], reason="x", actor=nurse)
    services.admission_discharge(admission=admission, disposition="home", summary="x", actor=doctor)
    changes = list(admission.status_changes.order_by("at", "created_at"))
    assert [(c.from_status, c.to_status, c.by) for c in changes] == [
        ("", "admitted", doctor),
        ("admitted", "discharge_ordered", doctor),
        ("discharge_ordered", "admitted", doctor),
        ("admitted", "discharged", doctor),
    ]
    assert all(change.at >= before for change in changes)
    admission.refresh_from_db()
    assert changes[-1].at == admission.discharged_at
    assert changes[1].at <= changes[2].at


def test_each_bed_transition_writes_one_status_change_with_actor_and_time(
    bed, other_bed, patient, doctor, nurse
):
    before = timezone.now()
    admission = admit(patient, bed, doctor, actor=nurse)
    services.admission_transfer(admission=admission, bed=other_bed, reason="x", actor=nurse)
    services.bed_mark_clean(bed=bed, actor=nurse)
    services.bed_reserve(bed=bed, actor=nurse, reason="From theatre")
    services.bed_block(bed=bed, reason="Maintenance", actor=nurse)
    services.bed_unblock(bed=bed, actor=nurse, needs_cleaning=True)
    changes = list(bed.status_changes.order_by("at", "created_at"))
    assert [(c.from_status, c.to_status, c.by) for c in changes] == [
        (S.AVAILABLE, S.OCCUPIED, nurse),
        (S.OCCUPIED, S.CLEANING, nurse),
        (S.CLEANING, S.AVAILABLE, nurse),
        (S.AVAILABLE, S.RESERVED, nurse),
        (S.RESERVED, S.BLOCKED, nurse),
        (S.BLOCKED, S.CLEANING, nurse),
    ]
    assert all(change.at >= before for change in changes)
    bed.refresh_from_db()
    assert bed.status_changed_at == changes[-1].at


def test_a_bed_change_the_table_forbids_is_refused_and_not_logged(bed, nurse):
    with pytest.raises(InvalidTransition, match="A bed cannot go from available to cleaning"):
        bed.transition_to(S.CLEANING, actor=nurse)
    bed.refresh_from_db()
    assert bed.status == S.AVAILABLE and not bed.status_changes.exists()


# --- Master data ------------------------------------------------------------------------------


def test_a_room_is_created_with_its_beds(ward):
    from tests.factories.inpatient import RoomClassFactory

    room = services.ward_room_create(
        ward=ward,
        room_class=RoomClassFactory(name="Triple", beds_per_room=3),
        number="12",
        actor=None,
    )
    assert sorted(room.beds.values_list("number", flat=True)) == ["A", "B", "C"]
    services.room_beds_add(room=room, count=2, actor=None)
    assert sorted(room.beds.values_list("number", flat=True)) == ["A", "B", "C", "D", "E"]


def test_bed_numbers_continue_past_z():
    assert services.bed_numbers(3, existing=["A", "C"]) == ["B", "D", "E"]
    assert services.bed_numbers(28)[-2:] == ["AA", "AB"]


def test_assigning_a_nurse_gives_access_to_the_patients_already_in_the_ward(
    bed, patient, doctor, ward, nurse
):
    admit(patient, bed, doctor)
    assert not chart_access_for(nurse, patient).allowed
    services.ward_nurse_assign(ward=ward, user=nurse, actor=None)
    assert grant_reason(patient, nurse) == AccessReason.WARD
    services.ward_nurse_unassign(ward=ward, user=nurse, actor=None)
    assert not chart_access_for(nurse, patient).allowed


def test_only_nurses_are_assigned_to_wards(ward, receptionist):
    from ehr.core.exceptions import DomainError

    with pytest.raises(DomainError):
        services.ward_nurse_assign(ward=ward, user=receptionist, actor=None)
