"""The kernel's state machine (`ehr.core.states.StateMachine`): the table, the stamps, the
hooks, the reading helpers, and the status-change row it writes.

The logic is tested on a small record that is not a model (its `save` and
`log_status_change` only remember their calls); the status-change row on a real
appointment (`scheduling.Appointment`, whose rows are `AppointmentStatusChange`, related
name "status_changes"), through the mixin's own methods.
"""

import datetime

import pytest
from django.db import models
from django.utils import timezone

from ehr.core.exceptions import Conflict, InvalidTransition
from ehr.core.states import StateMachine, StatusChange
from scheduling.models import Appointment, AppointmentStatusChange
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import at, book, weekly_schedule

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 30))


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    DONE = "done", "Done"
    VOIDED = "voided", "Voided"


class Actor:
    is_authenticated = True


class Record(StateMachine):
    """A record with the mixin and no database: it remembers what the mixin asks of it."""

    Status = Status
    # Written in a different order from Status on purpose: allowed_transitions() follows
    # the Status order, not the table's.
    TRANSITIONS = {
        Status.DRAFT: frozenset({Status.VOIDED, Status.DONE, Status.READY}),
        Status.READY: frozenset({Status.DONE, Status.VOIDED}),
        Status.DONE: frozenset(),
        Status.VOIDED: frozenset(),
    }
    STAMPS = {Status.READY: "ready_at", Status.DONE: "done_at"}

    def __init__(self, status=Status.DRAFT):
        self.status = status
        self.ready_at = self.done_at = None
        self.status_changed_at = None
        self.stamped = []
        self.calls = []

    def stamp(self, actor):
        self.stamped.append(actor)
        return self

    def save(self):
        self.calls.append(("save", self.status))

    def log_status_change(self, old_status, new_status, *, actor, at, reason=""):
        change = {"from": old_status, "to": new_status, "by": actor, "at": at, "reason": reason}
        self.calls.append(("log", change))
        return change


class HookedRecord(Record):
    """A record whose hooks refuse a change and set a field a change implies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hooks = []
        self.void_reason = ""

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        self.hooks.append(("check", new_status, actor, at, reason, kwargs))
        if new_status == Status.VOIDED and not reason:
            raise Conflict("A voided record says why.")

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        self.hooks.append(("on", old_status, new_status, actor, at, reason, kwargs))
        if new_status == Status.VOIDED:
            self.void_reason = reason


class LapsingRecord(Record):
    """A record whose READY lapses back to DRAFT after a day (as a bed reservation
    lapses): `current_status(now)` says what counts."""

    def current_status(self, now=None):
        now = now or timezone.now()
        if self.status == Status.READY and self.ready_at and now - self.ready_at > _DAY:
            return Status.DRAFT
        return super().current_status(now)


class TimedRecord(Record):
    """A record whose DONE is refused before a deadline whatever the user gives (a rule of
    time, as an appointment's check-in only on its day): `transition_refusal`."""

    deadline = NOW

    def transition_refusal(self, new_status, at):
        if new_status == Status.DONE and at < self.deadline:
            return Conflict("Not done before the deadline.")
        return None


_DAY = datetime.timedelta(days=1)


# --- The table ------------------------------------------------------------------------------


def test_a_change_the_table_allows_sets_the_status_and_returns_the_logged_change():
    record, actor = Record(), Actor()
    change = record.transition_to(Status.READY, actor=actor, at=NOW, reason="  checked  ")
    assert record.status == Status.READY
    assert change == {
        "from": Status.DRAFT,
        "to": Status.READY,
        "by": actor,
        "at": NOW,
        "reason": "checked",
    }


def test_a_change_the_table_does_not_allow_is_refused_with_the_labels_and_nothing_is_saved():
    record = Record(Status.DONE)
    with pytest.raises(InvalidTransition) as refused:
        record.transition_to(Status.READY, actor=Actor(), at=NOW)
    assert refused.value.messages == ["This record cannot go from done to ready."]
    assert record.status == Status.DONE
    assert record.calls == [] and record.stamped == []


def test_the_refusal_uses_the_models_own_transition_message():
    class Named(Record):
        transition_message = "A widget cannot go from %(old)s to %(new)s."

    with pytest.raises(InvalidTransition, match="A widget cannot go from draft to draft"):
        Named().transition_to(Status.DRAFT, actor=None, at=NOW)


def test_the_refusal_is_a_conflict_with_its_own_code():
    with pytest.raises(Conflict) as refused:
        Record(Status.VOIDED).transition_to(Status.DONE, actor=None, at=NOW)
    assert refused.value.status_code == 409
    assert refused.value.code == "invalid_transition"


def test_a_status_given_as_its_value_is_accepted():
    record = Record()
    record.transition_to("ready", actor=None, at=NOW)
    assert record.status is Status.READY


def test_an_unknown_status_is_a_value_error():
    with pytest.raises(ValueError):
        Record().transition_to("lost", actor=None, at=NOW)


# --- Stamps, actor, save, log ---------------------------------------------------------------


def test_entering_a_stamped_status_sets_its_field_and_status_changed_at():
    record = Record()
    record.transition_to(Status.READY, actor=None, at=NOW)
    assert record.ready_at == NOW and record.status_changed_at == NOW
    later = NOW + datetime.timedelta(hours=1)
    record.transition_to(Status.DONE, actor=None, at=later)
    assert (record.ready_at, record.done_at, record.status_changed_at) == (NOW, later, later)


def test_an_unstamped_status_sets_no_stamp_field():
    record = Record()
    record.transition_to(Status.VOIDED, actor=None, at=NOW)
    assert record.ready_at is None and record.done_at is None
    assert record.status_changed_at == NOW


def test_without_at_the_change_is_stamped_now():
    record = Record()
    before = timezone.now()
    change = record.transition_to(Status.READY, actor=None)
    assert before <= change["at"] <= timezone.now()
    assert record.ready_at == change["at"]


def test_the_actor_is_stamped_then_the_record_saved_once_then_one_change_logged():
    record, actor = Record(), Actor()
    record.transition_to(Status.READY, actor=actor, at=NOW, reason="why")
    assert record.stamped == [actor]
    assert [call[0] for call in record.calls] == ["save", "log"]
    assert record.calls[0] == ("save", Status.READY)  # saved with the new status
    assert record.calls[1][1]["by"] is actor and record.calls[1][1]["reason"] == "why"


def test_a_system_job_changes_state_with_no_actor():
    record = Record()
    change = record.transition_to(Status.READY, actor=None, at=NOW)
    assert change["by"] is None and record.stamped == [None]


def test_each_change_logs_its_own_from_and_to():
    record = Record()
    record.transition_to(Status.READY, actor=None, at=NOW)
    record.transition_to(Status.DONE, actor=None, at=NOW)
    logged = [(c["from"], c["to"]) for name, c in record.calls if name == "log"]
    assert logged == [(Status.DRAFT, Status.READY), (Status.READY, Status.DONE)]


# --- Hooks ----------------------------------------------------------------------------------


def test_check_transition_sees_the_change_and_the_callers_extra_arguments():
    record, actor = HookedRecord(), Actor()
    record.transition_to(Status.READY, actor=actor, at=NOW, reason=" r ", ward="B")
    check, on = record.hooks
    assert check == ("check", Status.READY, actor, NOW, "r", {"ward": "B"})
    assert on == ("on", Status.DRAFT, Status.READY, actor, NOW, "r", {"ward": "B"})


def test_a_rule_in_check_transition_refuses_the_change_before_anything_is_written():
    record = HookedRecord()
    with pytest.raises(Conflict, match="A voided record says why"):
        record.transition_to(Status.VOIDED, actor=Actor(), at=NOW)
    assert record.status == Status.DRAFT
    assert [hook[0] for hook in record.hooks] == ["check"]  # on_transition not called
    assert record.calls == [] and record.status_changed_at is None


def test_on_transition_sets_the_fields_a_change_implies_and_they_are_saved():
    record = HookedRecord()
    record.transition_to(Status.VOIDED, actor=Actor(), at=NOW, reason="Entered in error")
    assert record.void_reason == "Entered in error"
    assert record.calls[0] == ("save", Status.VOIDED)


def test_the_table_is_checked_before_the_hooks():
    record = HookedRecord(Status.DONE)
    with pytest.raises(InvalidTransition):
        record.transition_to(Status.VOIDED, actor=None, at=NOW)
    assert record.hooks == []


# --- current_status(now) --------------------------------------------------------------------


def test_a_lapsed_status_counts_as_what_current_status_says():
    record = LapsingRecord()
    record.transition_to(Status.READY, actor=None, at=NOW)
    later = NOW + 2 * _DAY
    assert record.current_status(later) == Status.DRAFT
    assert record.allowed_transitions(later) == [Status.READY, Status.DONE, Status.VOIDED]
    assert record.can_transition_to(Status.READY, later)
    # Before it lapses, READY → READY is not in the table.
    assert not record.can_transition_to(Status.READY, NOW)


def test_a_change_from_a_lapsed_status_is_checked_and_logged_from_what_counts():
    record = LapsingRecord()
    record.transition_to(Status.READY, actor=None, at=NOW)
    later = NOW + 2 * _DAY
    change = record.transition_to(Status.READY, actor=None, at=later)
    assert change["from"] == Status.DRAFT
    assert record.ready_at == later
    with pytest.raises(InvalidTransition, match="from ready to ready"):
        record.transition_to(Status.READY, actor=None, at=later)


# --- Reading --------------------------------------------------------------------------------


def test_allowed_transitions_follow_the_status_order_not_the_tables():
    assert Record().allowed_transitions() == [Status.READY, Status.DONE, Status.VOIDED]
    assert Record(Status.READY).allowed_transitions() == [Status.DONE, Status.VOIDED]
    assert Record(Status.DONE).allowed_transitions() == []


def test_can_transition_to_answers_from_the_table():
    record = Record(Status.READY)
    assert record.can_transition_to(Status.DONE)
    assert record.can_transition_to("voided")
    assert not record.can_transition_to(Status.DRAFT)


def test_status_flags_name_every_status_with_only_the_current_one_true():
    assert Record(Status.READY).status_flags == {
        "draft": False,
        "ready": True,
        "done": False,
        "voided": False,
    }


def test_status_flags_follow_current_status():
    record = LapsingRecord(Status.READY)
    record.ready_at = timezone.now() - 2 * _DAY
    assert record.status_flags["draft"] and not record.status_flags["ready"]


# --- The status-change row ------------------------------------------------------------------


def test_a_status_change_reads_from_and_to():
    assert str(AppointmentStatusChange(from_status="booked", to_status="cancelled")) == (
        "booked → cancelled"
    )
    assert StatusChange._meta.abstract


@pytest.fixture
def appointment(doctor):
    weekly_schedule(doctor)
    appointment = book(PatientFactory(), doctor, at(1, 10), actor=doctor)
    # The mixin finds the rows through `status_log` (a class attribute of a model on the
    # mixin; set here too so the test does not depend on which models have moved yet).
    appointment.status_log = "status_changes"
    return appointment


@pytest.mark.django_db
def test_log_status_change_writes_one_row_with_from_to_at_by_and_reason(appointment, nurse):
    before = appointment.status_changes.count()
    change = StateMachine.log_status_change(
        appointment,
        Appointment.Status.BOOKED,
        Appointment.Status.CONFIRMED,
        actor=nurse,
        at=NOW,
        reason="Phoned",
    )
    assert appointment.status_changes.count() == before + 1
    change = AppointmentStatusChange.objects.get(pk=change.pk)
    assert change.appointment_id == appointment.pk
    assert (change.from_status, change.to_status) == ("booked", "confirmed")
    assert (change.at, change.by, change.reason) == (NOW, nurse, "Phoned")
    assert change.created_by == nurse  # the row is stamped too
    assert change.history.first().history_user == nurse


@pytest.mark.django_db
def test_log_status_change_of_a_first_status_has_no_from_and_cuts_the_reason(appointment):
    change = StateMachine.log_status_change(
        appointment, None, Appointment.Status.BOOKED, actor=None, at=NOW, reason="x" * 400
    )
    change.refresh_from_db()
    assert change.from_status == "" and change.by is None
    assert change.reason == "x" * 255  # the row's max_length


@pytest.mark.django_db
def test_an_appointment_on_the_mixin_is_saved_and_logged_by_transition_to(appointment, nurse):
    if not issubclass(Appointment, StateMachine):
        pytest.skip("scheduling.Appointment is not on the StateMachine mixin yet")
    before = appointment.status_changes.count()
    change = appointment.transition_to(Appointment.Status.CONFIRMED, actor=nurse, reason=" phoned ")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.confirmed_at == change.at == appointment.status_changed_at
    assert appointment.updated_by == nurse
    assert appointment.status_changes.count() == before + 1
    assert (change.from_status, change.to_status, change.by, change.reason) == (
        "booked",
        "confirmed",
        nurse,
        "phoned",
    )
    assert appointment.status_flags["confirmed"]


def test_a_rule_of_time_hides_the_change_before_its_time_and_offers_it_after():
    record = TimedRecord()
    early, late = NOW - _DAY, NOW + _DAY
    assert record.allowed_transitions(early) == [Status.READY, Status.VOIDED]
    assert not record.can_transition_to(Status.DONE, early)
    assert record.allowed_transitions(late) == [Status.READY, Status.DONE, Status.VOIDED]
    assert record.can_transition_to("done", late)


def test_a_rule_of_time_refuses_with_its_own_error_and_nothing_is_written():
    record = TimedRecord()
    with pytest.raises(Conflict, match="deadline") as refused:
        record.transition_to(Status.DONE, actor=Actor(), at=NOW - _DAY)
    assert not isinstance(refused.value, InvalidTransition)
    assert record.status == Status.DRAFT and record.calls == []
    record.transition_to(Status.DONE, actor=Actor(), at=NOW + _DAY)
    assert record.status == Status.DONE


def test_a_change_the_table_forbids_is_refused_by_the_table_before_any_rule_of_time():
    record = TimedRecord(status=Status.VOIDED)
    with pytest.raises(InvalidTransition):
        record.transition_to(Status.DONE, actor=Actor(), at=NOW - _DAY)
