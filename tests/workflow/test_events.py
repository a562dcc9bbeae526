"""The kernel's events: typed payloads, published after commit, one job per subscriber."""

import pytest
from django.db import transaction

from clinical import services as clinical_services
from ehr.core import events, jobs
from ehr.core.models import Job
from workflow.models import RuleRun

pytestmark = pytest.mark.django_db

VITALS = dict(events.EVENT_TYPES["vitals.recorded"].example)


def test_every_example_payload_is_valid():
    for event in events.EVENT_TYPES.values():
        assert event.validate(event.example)["patient_id"]


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("vitals.unknown", VITALS, "Unknown event"),
        ("vitals.recorded", {**VITALS, "patient_id": None}, "patient_id is required"),
        ("vitals.recorded", {k: v for k, v in VITALS.items() if k != "patient_id"}, "required"),
        ("vitals.recorded", {**VITALS, "systolic_bp": "190"}, "systolic_bp must be an integer"),
        ("vitals.recorded", {**VITALS, "systolic_bp": True}, "systolic_bp"),
        ("vitals.recorded", {**VITALS, "systolic_bp": 190.5}, "systolic_bp"),
        ("vitals.recorded", {**VITALS, "patient_id": 12}, "patient_id must be a string"),
        ("vitals.recorded", {**VITALS, "surprise": 1}, "Unknown fields"),
        ("vitals.recorded", ["not", "a", "dict"], "must be a dict"),
    ],
)
def test_publish_refuses_a_payload_of_the_wrong_shape(name, payload, message):
    with pytest.raises(ValueError, match=message):
        events.publish(name, payload)


def test_optional_fields_default_to_none_and_ints_count_as_floats():
    clean = events.event_type("vitals.recorded").validate(
        {k: VITALS[k] for k in ("vital_signs_id", "patient_id", "recorded_by_id", "recorded_at")}
        | {"temperature_c": 38}
    )
    assert clean["systolic_bp"] is None and clean["temperature_c"] == 38.0
    assert isinstance(clean["temperature_c"], float)


def _event_jobs():
    return Job.objects.filter(label__startswith="event ")


def test_jobs_are_queued_only_when_the_transaction_commits(
    django_capture_on_commit_callbacks, bp_rule
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        events.publish("vitals.recorded", VITALS)
        assert not _event_jobs().exists()
    # The rule's task, once written, also invalidates the kept home panels on commit.
    queued = [c for c in callbacks if getattr(c, "__module__", "") != "ehr.core.dashboard"]
    assert len(queued) == len(events.subscribers_of("vitals.recorded")) >= 1
    assert _event_jobs().filter(status=Job.Status.SUCCEEDED).count() == len(queued)


def test_a_rolled_back_workflow_publishes_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.publish("vitals.recorded", VITALS)
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert not _event_jobs().exists()
    assert not RuleRun.objects.exists()


@jobs.job()
def failing_subscriber(event_name, payload, actor_id=None):
    raise RuntimeError("subscriber broke")


def test_a_failing_subscriber_never_breaks_the_publishing_service(
    monkeypatch, django_capture_on_commit_callbacks, patient, nurse, bp_rule
):
    monkeypatch.setitem(events.SUBSCRIBERS, "vitals.recorded", [failing_subscriber])
    with django_capture_on_commit_callbacks(execute=True):
        vitals = clinical_services.vital_signs_record(patient=patient, actor=nurse, heart_rate=80)
    assert vitals.pk
    failed = Job.objects.get(name__endswith="failing_subscriber")
    assert failed.status == Job.Status.FAILED and "subscriber broke" in failed.error
    # The rule engine (subscribed to "*") still ran for this event.
    assert _event_jobs().filter(name__endswith="rules_evaluate").get().status == (
        Job.Status.SUCCEEDED
    )


def test_the_rule_engine_runs_only_for_events_an_active_rule_listens_to(
    django_capture_on_commit_callbacks, bp_rule
):
    bp_rule.is_active = False
    bp_rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("vitals.recorded", VITALS)
    assert not _event_jobs().exists()
    bp_rule.is_active = True
    bp_rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("note.signed", events.EVENT_TYPES["note.signed"].example)
    assert not _event_jobs().exists()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("vitals.recorded", VITALS)
    assert _event_jobs().get().name.endswith("rules_evaluate")


def test_a_subscriber_that_cannot_say_whether_it_wants_the_event_gets_it(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broken(name, payload):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(events.SUBSCRIBERS, "note.signed", [failing_subscriber])
    monkeypatch.setitem(events._WANTS, events._key(failing_subscriber), broken)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("note.signed", events.EVENT_TYPES["note.signed"].example)
    assert Job.objects.filter(name__endswith="failing_subscriber").exists()


def test_the_vitals_service_publishes_typed_measures(
    monkeypatch, django_capture_on_commit_callbacks, patient, nurse, bp_rule
):
    with django_capture_on_commit_callbacks(execute=True):
        clinical_services.vital_signs_record(
            patient=patient, actor=nurse, systolic_bp=150, diastolic_bp=90, temperature_c="37.5"
        )
    job = _event_jobs().get()
    name, payload = job.arguments["args"]
    assert job.arguments["kwargs"]["actor_id"] == str(nurse.pk)
    assert name == "vitals.recorded"
    assert payload["systolic_bp"] == 150 and payload["temperature_c"] == 37.5
    assert isinstance(payload["systolic_bp"], int) and payload["heart_rate"] is None
    assert payload["patient_id"] == str(patient.pk)
    assert payload["recorded_by_id"] == str(nurse.pk)


def test_the_page_that_records_vitals_answers_even_when_a_subscriber_fails(
    monkeypatch, django_capture_on_commit_callbacks, signed_in, patient, nurse
):
    from django.urls import reverse

    from clinical.models import VitalSigns

    monkeypatch.setitem(events.SUBSCRIBERS, "vitals.recorded", [failing_subscriber])
    client = signed_in(nurse)
    client.raise_request_exception = False  # a 500 would show as a status, not raise
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clinical:vitalsigns_create", args=[patient.pk]),
            {"recorded_at": "2026-01-05T08:30", "systolic_bp": "190", "diastolic_bp": "100"},
        )
    assert response.status_code == 302
    assert VitalSigns.objects.get().systolic_bp == 190
    assert Job.objects.get(name__endswith="failing_subscriber").status == Job.Status.FAILED
