"""The rule engine: conditions checked when a rule is saved, evaluated after each event,
actions (notify, create a task) logged per run; a failing rule breaks nothing else."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from clinical import services as clinical_services
from ehr.core import events
from ehr.core.models import Job, Notification
from scheduling import services as scheduling_services
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import at, book, weekly_schedule
from workflow import jobs as workflow_jobs
from workflow.conditions import render, variables
from workflow.demo import DEMO_RULES, seed_workflow
from workflow.models import Rule, RuleRun, Task

pytestmark = pytest.mark.django_db

VITALS = events.EVENT_TYPES["vitals.recorded"].example


def _rule(**fields):
    values = {
        "name": "A rule",
        "trigger": "vitals.recorded",
        "condition": {">=": [{"var": "systolic_bp"}, 180]},
        "is_active": True,
    } | fields
    return Rule(**values)


# --- Conditions are checked when a rule is saved --------------------------------------------


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ([">=", 1, 2], "must be a JSON object"),
        ("systolic_bp >= 180", "must be a JSON object"),
        ({"frobnicate": [1, 2]}, "cannot be evaluated"),
        ({">=": "x"}, "cannot be evaluated"),
        ({">=": [{"var": "systolic"}, 180]}, "has no field systolic"),
        ({"and": [{"missing": ["spo2", "pulse"]}]}, "has no field pulse"),
        ({"==": [1, 1], ">": [2, 1]}, "cannot be evaluated"),
    ],
)
def test_a_condition_that_is_not_json_logic_over_the_events_fields_is_refused(condition, message):
    with pytest.raises(ValidationError) as caught:
        _rule(condition=condition).full_clean()
    assert message in " ".join(caught.value.message_dict["condition"])


def test_a_valid_condition_and_an_empty_one_are_accepted():
    _rule(condition={"and": [{">=": [{"var": "systolic_bp"}, 180]}, {"var": "spo2"}]}).full_clean()
    _rule(name="Every event", condition={}).full_clean()


def test_a_rule_that_creates_a_task_needs_a_title_and_an_assignee():
    with pytest.raises(ValidationError) as caught:
        _rule(create_task=True).full_clean()
    assert {"task_title_template", "task_assignee_group"} <= set(caught.value.message_dict)


def test_the_fields_a_condition_reads_are_found_where_they_are_nested():
    condition = {
        "or": [
            {">=": [{"var": ["systolic_bp", 0]}, 180]},
            {"if": [{"missing_some": [1, ["spo2", "heart_rate"]]}, True, {"var": "pain_score"}]},
        ]
    }
    assert variables(condition) == {"systolic_bp", "spo2", "heart_rate", "pain_score"}


def test_texts_take_only_plain_fields_and_no_huge_padding():
    text = render(
        "{systolic_bp} {systolic_bp:>999999} {__class__} {a.b} {a[0]} {patient!r} {x:.1f} {{x}}",
        {"systolic_bp": 190, "patient": "Ann", "x": 37.25, "a": {"b": "secret"}},
    )
    assert text == "190 190    Ann 37.2 {x}"


# --- Evaluation after an event --------------------------------------------------------------


def _publish(django_capture_on_commit_callbacks, payload, name="vitals.recorded"):
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(name, payload)


def test_a_string_never_reaches_a_condition_as_a_number():
    # JSON Logic would coerce "185" to 185 and match: the typed payload refuses it first.
    with pytest.raises(ValueError, match="systolic_bp must be an integer"):
        events.publish("vitals.recorded", {**VITALS, "systolic_bp": "185"})


@pytest.mark.parametrize(("systolic", "matched"), [(190, True), (180, True), (179, False)])
def test_a_rule_matches_only_when_its_condition_holds(
    django_capture_on_commit_callbacks, bp_rule, patient, systolic, matched
):
    payload = {**VITALS, "patient_id": str(patient.pk), "systolic_bp": systolic}
    _publish(django_capture_on_commit_callbacks, payload)
    run = RuleRun.objects.get(rule=bp_rule)
    assert run.matched is matched and run.error == ""
    assert run.payload["systolic_bp"] == systolic
    assert Task.objects.filter(created_by_rule=bp_rule).exists() is matched
    assert ("task for" in run.actions) is matched


def test_inactive_rules_and_rules_of_other_events_do_not_run(
    django_capture_on_commit_callbacks, bp_rule, patient
):
    _rule(name="Off", is_active=False).save()
    _rule(name="Notes", trigger="note.signed", condition={}).save()
    _publish(django_capture_on_commit_callbacks, {**VITALS, "patient_id": str(patient.pk)})
    assert list(RuleRun.objects.values_list("rule__name", flat=True)) == ["High BP"]


def test_a_failing_rule_logs_its_error_and_the_others_still_act(
    monkeypatch, django_capture_on_commit_callbacks, bp_rule, patient, nurse
):
    broken = _rule(name="Broken", condition={})
    broken.save()
    real = workflow_jobs.perform_actions

    def perform(rule, payload, patient):
        if rule.name == "Broken":
            raise RuntimeError("the rule broke")
        return real(rule, payload, patient)

    monkeypatch.setattr(workflow_jobs, "perform_actions", perform)
    with django_capture_on_commit_callbacks(execute=True):
        vitals = clinical_services.vital_signs_record(
            patient=patient, actor=nurse, systolic_bp=190, diastolic_bp=100
        )
    assert vitals.pk  # the publishing service went through
    failed = RuleRun.objects.get(rule=broken)
    assert failed.matched and "RuntimeError: the rule broke" in failed.error
    assert failed.actions == ""
    good = RuleRun.objects.get(rule=bp_rule)
    assert good.error == "" and Task.objects.filter(created_by_rule=bp_rule).count() == 1
    assert Job.objects.get(name__endswith="rules_evaluate").status == Job.Status.SUCCEEDED


def test_a_rule_failing_halfway_leaves_nothing_behind(
    monkeypatch, django_capture_on_commit_callbacks, bp_rule, patient, doctor
):
    # The task is created, then the notification fails: the rule's transaction is undone.
    def broken_send(**kwargs):
        raise RuntimeError("no bell today")

    monkeypatch.setattr(workflow_jobs, "notification_send", broken_send)
    _publish(django_capture_on_commit_callbacks, {**VITALS, "patient_id": str(patient.pk)})
    run = RuleRun.objects.get(rule=bp_rule)
    assert "no bell today" in run.error
    assert not Task.objects.exists()


def test_the_care_team_filter_reaches_only_its_role(
    django_capture_on_commit_callbacks, bp_rule, patient, doctor, nurse, make_user
):
    stranger = make_user(roles.DOCTOR)  # a doctor, not on this patient's care team
    _publish(django_capture_on_commit_callbacks, {**VITALS, "patient_id": str(patient.pk)})
    assert list(Notification.objects.values_list("recipient", flat=True)) == [doctor.pk]
    assert not Notification.objects.filter(recipient__in=[nurse, stranger]).exists()


def test_a_rule_notifies_its_users_and_its_role(
    django_capture_on_commit_callbacks, patient, doctor, pharmacist, lab_tech
):
    rule = _rule(
        name="Notes to pharmacy",
        trigger="note.signed",
        condition={"==": [{"var": "note_type"}, "progress"]},
        notify_group=Group.objects.get(name=roles.PHARMACIST),
        title_template="A {note_type} note was signed",
        body_template="{patient}",
    )
    rule.save()
    rule.notify_users.add(lab_tech)
    payload = dict(events.EVENT_TYPES["note.signed"].example, patient_id=str(patient.pk))
    _publish(django_capture_on_commit_callbacks, payload, "note.signed")
    notes = Notification.objects.order_by("recipient__email")
    assert {n.recipient for n in notes} == {pharmacist, lab_tech}
    assert {n.title for n in notes} == {"A progress note was signed"}
    assert {n.body for n in notes} == {patient.full_name}
    assert {n.category for n in notes} == {"tasks"}


# --- The scenarios of the issue ---------------------------------------------------------------


def test_a_systolic_of_190_alerts_the_doctor_and_gives_the_nurses_a_recheck_task(
    django_capture_on_commit_callbacks, demo_rules, patient, doctor, nurse, signed_in
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        clinical_services.vital_signs_record(
            patient=patient, actor=nurse, systolic_bp=190, diastolic_bp=105
        )
    alert = Notification.objects.get(recipient=doctor)
    assert alert.level == Notification.Level.CRITICAL
    assert patient.full_name not in alert.title  # the title may leave by email or SMS
    assert patient.full_name in alert.body and "190/105" in alert.body
    assert alert.url == patient.get_absolute_url()
    assert not Notification.objects.filter(recipient=nurse).exists()
    task = Task.objects.get()
    assert task.assignee_group.name == roles.NURSE and task.assignee_user is None
    assert task.patient == patient and task.created_by_rule.name == "Very high blood pressure"
    assert task.priority == "urgent" and "190" in task.title
    assert before + timedelta(minutes=15) <= task.due_at <= timezone.now() + timedelta(minutes=15)
    # It is on the nurse's home page, with its buttons.
    home = signed_in(nurse).get(reverse("core:home"))
    assert task.title in home.content.decode()
    assert reverse("workflow:task_transition", args=[task.pk, "done"]) in home.content.decode()


def test_a_systolic_of_150_does_nothing_but_log_the_run(
    django_capture_on_commit_callbacks, demo_rules, patient, nurse
):
    with django_capture_on_commit_callbacks(execute=True):
        clinical_services.vital_signs_record(
            patient=patient, actor=nurse, systolic_bp=150, diastolic_bp=90
        )
    assert not Task.objects.exists() and not Notification.objects.exists()
    assert RuleRun.objects.get(rule__name="Very high blood pressure").matched is False


def test_a_no_show_gives_the_front_desk_a_task_to_call_the_patient(
    django_capture_on_commit_callbacks, demo_rules, doctor, receptionist, signed_in
):
    weekly_schedule(doctor)
    patient = PatientFactory()
    appointment = book(patient, doctor, at(0, 0, 0), actor=doctor, override=True, _allow_past=True)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.appointment_no_show(appointment=appointment, actor=receptionist)
    task = Task.objects.get()
    assert task.assignee_group.name == roles.RECEPTIONIST and task.patient == patient
    assert task.title.startswith("Call the patient")
    home = signed_in(receptionist).get(reverse("core:home")).content.decode()
    assert f'href="{task.get_absolute_url()}"' in home


def test_admission_and_note_events_are_published_by_their_services(monkeypatch, patient, doctor):
    from tests.factories.inpatient import BedFactory, admit

    seen = []
    real = events.publish

    def publish(name, payload, **kwargs):
        seen.append((name, real(name, payload, **kwargs)))

    monkeypatch.setattr(events, "publish", publish)
    note = clinical_services.note_create(patient=patient, actor=doctor, text="Stable", sign=True)
    bed = BedFactory()
    admission = admit(patient, bed, doctor)
    (signed, note_payload), (admitted, admission_payload) = seen
    assert signed == "note.signed" and note_payload["note_id"] == str(note.pk)
    assert note_payload["note_type"] == "progress" and note_payload["author_id"] == str(doctor.pk)
    assert note_payload["amends_id"] is None
    assert admitted == "admission.created"
    assert admission_payload["admission_id"] == str(admission.pk)
    assert admission_payload["ward"] == bed.room.ward.name
    assert admission_payload["attending_doctor_id"] == str(doctor.pk)


def test_the_demo_rules_and_tasks_are_seeded_once(make_user, nurse, receptionist):
    demo_doctor = make_user(roles.DOCTOR, email="doctor@example.org")
    patient = on_care_team(PatientFactory(), demo_doctor)
    seed_workflow()
    seed_workflow()
    assert Rule.objects.filter(is_active=True).count() == len(DEMO_RULES)
    tasks = Task.objects.order_by("title")
    assert tasks.count() == 3 and {t.created_by for t in tasks} == {demo_doctor}
    dressing = tasks.get(title="Wound dressing change")
    assert dressing.patient == patient and dressing.is_overdue()


# --- Trying a rule in the admin ---------------------------------------------------------------


def test_trying_a_rule_in_the_admin_says_what_it_would_do_and_does_nothing(
    signed_in, administrator, bp_rule, patient, doctor
):
    client = signed_in(administrator)
    url = reverse("admin:workflow_rule_try", args=[bp_rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "&quot;systolic_bp&quot;: 190" in page.content.decode()  # prefilled example
    sample = {**VITALS, "patient_id": str(patient.pk)}
    response = client.post(url, {"payload": json.dumps(sample)})
    text = response.content.decode()
    assert "Matches." in text and f"notify {doctor.get_username()}" in text
    assert "task for Nurse" in text
    response = client.post(url, {"payload": json.dumps({**sample, "systolic_bp": 120})})
    assert "Does not match." in response.content.decode()
    response = client.post(url, {"payload": json.dumps({**sample, "systolic_bp": "190"})})
    assert "must be an integer" in response.content.decode()
    response = client.post(url, {"payload": "{not json"})
    assert "Not valid JSON" in response.content.decode()
    assert not RuleRun.objects.exists() and not Task.objects.exists()
    assert not Notification.objects.exists()


def test_only_rule_admins_may_try_a_rule(signed_in, doctor, bp_rule):
    response = signed_in(doctor).get(reverse("admin:workflow_rule_try", args=[bp_rule.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_rule_admin_pages_answer(signed_in, administrator, bp_rule, patient):
    client = signed_in(administrator)
    for name, args in [
        ("admin:workflow_rule_changelist", []),
        ("admin:workflow_rule_change", [bp_rule.pk]),
        ("admin:workflow_rule_add", []),
        ("admin:workflow_rulerun_changelist", []),
        ("admin:workflow_task_changelist", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_a_rule_notifies_and_assigns_staff_only(signed_in, administrator, portal_patient):
    form = signed_in(administrator).get(reverse("admin:workflow_rule_add")).context["adminform"]
    for name in ("notify_users", "task_assignee_user"):
        assert portal_patient not in form.form.fields[name].queryset, name
    for name in ("notify_group", "task_assignee_group"):
        assert roles.PATIENT not in {g.name for g in form.form.fields[name].queryset}, name


def test_old_rule_runs_are_pruned_after_the_retention_days(bp_rule):
    now = timezone.now()

    def run(days_ago, **fields):
        row = RuleRun(rule=bp_rule, event="vitals.recorded", at=now - timedelta(days=days_ago))
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        return row

    kept = [run(10), run(100, matched=True), run(100, error="boom")]
    run(100)  # a quiet run past 90 days
    run(200, matched=True)  # an acting run past twice that
    from ehr.core import jobs

    job = jobs.enqueue(workflow_jobs.rule_runs_prune)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result == {"deleted": 2}
    assert set(RuleRun.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert RuleRun.history.count() == 3
