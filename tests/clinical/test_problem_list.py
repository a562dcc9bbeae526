"""The problem list: one problem per condition per patient (database, service), the link
of an encounter diagnosis to the problem of its code (added on the diagnosis form or
not), resolving per problem, the Summary's active problems, the pages and the API, and
the merge of existing duplicates (migration 0014)."""

from datetime import date
from importlib import import_module

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from clinical import panels, selectors, services
from clinical.exceptions import DiagnosisNotResolvable, ProblemAlreadyListed
from clinical.models import ClinicalStatus, Condition, ConditionCategory
from tests.factories.clinical import EncounterFactory
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

PROBLEM = ConditionCategory.PROBLEM_LIST_ITEM
DIAGNOSIS = ConditionCategory.ENCOUNTER_DIAGNOSIS


def _diagnose(patient, doctor, code, **kwargs):
    encounter = kwargs.pop("encounter", None) or EncounterFactory(patient=patient, doctor=doctor)
    return services.condition_create(
        patient=patient, actor=doctor, code=code, encounter=encounter, category=DIAGNOSIS, **kwargs
    )


# --- The rule in the database ---------------------------------------------------------------


def test_the_database_lists_a_condition_once_per_patient_whatever_its_status(patient, codes):
    Condition.objects.create(
        patient=patient, code=codes["I10"], clinical_status=ClinicalStatus.RESOLVED
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Condition.objects.create(patient=patient, code=codes["I10"])
    # Another patient, an encounter diagnosis of the code: not a second problem.
    Condition.objects.create(patient=PatientFactory(), code=codes["I10"])
    encounter = EncounterFactory(patient=patient)
    Condition.objects.create(
        patient=patient, code=codes["I10"], category=DIAGNOSIS, encounter=encounter
    )


def test_a_problem_entered_in_error_frees_its_place_on_the_list(patient, doctor):
    wrong = services.condition_create(patient=patient, actor=doctor, code="I10")
    services.condition_mark_entered_in_error(condition=wrong, actor=doctor, reason="Wrong chart")
    again = services.condition_create(patient=patient, actor=doctor, code="I10")
    assert list(selectors.problem_list(patient)) == [again]


# --- Services ---------------------------------------------------------------------------------


def test_listing_a_condition_already_on_the_list_is_refused_even_when_resolved(patient, doctor):
    problem = services.condition_create(patient=patient, actor=doctor, code="I10")
    with pytest.raises(ProblemAlreadyListed) as exc_info:
        services.condition_create(patient=patient, actor=doctor, code="i10")
    assert exc_info.value.status_code == 409
    services.condition_resolve(condition=problem, actor=doctor)
    with pytest.raises(ProblemAlreadyListed):
        services.condition_create(patient=patient, actor=doctor, code="I10")
    assert Condition.objects.filter(patient=patient).count() == 1


def test_a_diagnosis_added_to_the_problem_list_creates_and_links_its_problem(patient, doctor):
    diagnosis = _diagnose(patient, doctor, "E11.9", add_to_problem_list=True, is_primary=True)
    problem = diagnosis.problem
    assert problem.category == PROBLEM and problem.encounter_id is None
    assert problem.code_id == "E11.9" and problem.is_active
    assert list(selectors.problem_list(patient)) == [problem]


def test_later_diagnoses_of_the_code_link_the_same_problem_added_or_not(patient, doctor):
    first = _diagnose(patient, doctor, "E11.9", add_to_problem_list=True)
    second = _diagnose(patient, doctor, "E11.9")
    third = _diagnose(patient, doctor, "E11.9", add_to_problem_list=True)
    assert first.problem == second.problem == third.problem
    assert Condition.objects.filter(patient=patient, category=PROBLEM).count() == 1
    assert set(first.problem.encounter_diagnoses.all()) == {first, second, third}


def test_a_diagnosis_not_added_stays_an_encounter_diagnosis_only(patient, doctor):
    diagnosis = _diagnose(patient, doctor, "J45.909")
    assert diagnosis.problem is None
    assert list(selectors.problem_list(patient)) == []
    assert list(selectors.diagnoses_not_on_problem_list(patient)) == [diagnosis]


def test_listing_a_problem_links_the_earlier_diagnoses_of_its_code(patient, doctor):
    earlier = _diagnose(patient, doctor, "I10")
    problem = services.condition_create(patient=patient, actor=doctor, code="I10")
    earlier.refresh_from_db()
    assert earlier.problem == problem
    assert list(selectors.diagnoses_not_on_problem_list(patient)) == []


def test_adding_a_diagnosis_to_the_list_later_links_it(patient, doctor):
    diagnosis = _diagnose(patient, doctor, "I10")
    problem = services.diagnosis_add_to_problem_list(diagnosis=diagnosis, actor=doctor)
    diagnosis.refresh_from_db()
    assert diagnosis.problem == problem and problem.is_active
    assert list(selectors.problem_list(patient)) == [problem]


def test_a_recurrence_added_to_the_list_reopens_the_resolved_problem(patient, doctor):
    first = _diagnose(patient, doctor, "J18.9", add_to_problem_list=True)
    problem = services.condition_resolve(condition=first.problem, actor=doctor)
    assert problem.resolved_on is not None
    recurrence = _diagnose(patient, doctor, "J18.9", add_to_problem_list=True)
    problem.refresh_from_db()
    assert recurrence.problem == problem
    assert problem.is_active and problem.resolved_on is None
    # The earlier episode stays in the problem's history.
    assert ClinicalStatus.RESOLVED in problem.history.values_list("clinical_status", flat=True)


def test_a_diagnosis_not_added_leaves_a_resolved_problem_resolved(patient, doctor):
    first = _diagnose(patient, doctor, "J18.9", add_to_problem_list=True)
    services.condition_resolve(condition=first.problem, actor=doctor)
    later = _diagnose(patient, doctor, "J18.9")
    later.problem.refresh_from_db()
    assert later.problem == first.problem and not later.problem.is_active


def test_resolving_is_per_problem_not_per_encounter_diagnosis(patient, doctor):
    diagnosis = _diagnose(patient, doctor, "I10", add_to_problem_list=True)
    with pytest.raises(DiagnosisNotResolvable) as exc_info:
        services.condition_resolve(condition=diagnosis, actor=doctor)
    assert exc_info.value.status_code == 409
    with pytest.raises(DiagnosisNotResolvable):
        services.condition_update(
            condition=diagnosis, actor=doctor, clinical_status=ClinicalStatus.RESOLVED
        )
    services.condition_update(condition=diagnosis, actor=doctor, note="Poorly controlled")
    services.condition_resolve(condition=diagnosis.problem, actor=doctor)
    assert list(selectors.problem_list(patient)) == []
    assert list(selectors.past_medical_history(patient)) == [diagnosis.problem]


def test_the_summary_active_problems_are_the_problem_list(patient, doctor):
    _diagnose(patient, doctor, "I10", add_to_problem_list=True)
    _diagnose(patient, doctor, "I10", add_to_problem_list=True)
    _diagnose(patient, doctor, "J45.909")
    problem = selectors.problem_of(patient, "I10")
    request = RequestFactory().get("/")
    request.user = doctor
    assert panels.summary_tab(request, patient)["problems"] == [problem]


# --- Pages ------------------------------------------------------------------------------------


def test_the_diagnosis_form_offers_adding_to_the_problem_list(signed_in, doctor, patient):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    client = signed_in(doctor)
    url = reverse("clinical:condition_create", args=[patient.pk])
    page = client.get(f"{url}?encounter={encounter.pk}")
    assert b'name="add_to_problem_list"' in page.content
    client.post(
        url,
        {
            "code": "E11.9",
            "clinical_status": "active",
            "encounter": encounter.pk,
            "add_to_problem_list": "on",
        },
    )
    client.post(url, {"code": "J45.909", "clinical_status": "active", "encounter": encounter.pk})
    assert [c.code_id for c in selectors.problem_list(patient)] == ["E11.9"]
    assert {d.code_id: d.problem_id is not None for d in encounter.diagnoses.all()} == {
        "E11.9": True,
        "J45.909": False,
    }


def test_a_problem_listed_twice_on_the_form_is_refused_with_the_reason(signed_in, doctor, patient):
    services.condition_create(patient=patient, actor=doctor, code="I10")
    response = signed_in(doctor).post(
        reverse("clinical:condition_create", args=[patient.pk]),
        {"code": "I10", "clinical_status": "active"},
    )
    assert response.status_code == 400
    assert b"already on the problem list" in response.content


def test_the_problems_tab_resolves_problems_and_lists_other_diagnoses_apart(
    signed_in, doctor, patient
):
    listed = _diagnose(patient, doctor, "I10", add_to_problem_list=True)
    unlisted = _diagnose(patient, doctor, "J45.909")
    client = signed_in(doctor)
    page = client.get(reverse("patients:patient_chart", args=[patient.pk, "problems"]))
    content = page.content.decode()
    assert reverse("clinical:condition_resolve", args=[listed.problem.pk]) in content
    assert reverse("clinical:condition_resolve", args=[listed.pk]) not in content
    assert reverse("clinical:condition_resolve", args=[unlisted.pk]) not in content
    add_url = reverse("clinical:diagnosis_add_to_problem_list", args=[unlisted.pk])
    assert add_url in content
    client.post(add_url)
    assert {c.code_id for c in selectors.problem_list(patient)} == {"I10", "J45.909"}


# --- API --------------------------------------------------------------------------------------


def test_the_api_adds_a_diagnosis_to_the_problem_list_and_refuses_a_second_problem(
    client, doctor, patient
):
    client.force_login(doctor)
    encounter = services.encounter_start(patient=patient, actor=doctor)
    url = f"/api/v1/patients/{patient.pk}/conditions"
    response = client.post(
        url,
        {
            "code": "E11.9",
            "category": DIAGNOSIS,
            "encounter": str(encounter.pk),
            "add_to_problem_list": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    problem = selectors.problem_of(patient, "E11.9")
    assert response.json()["problem"]["id"] == str(problem.pk)
    response = client.post(url, {"code": "E11.9"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "problem_already_listed"


# --- Migration 0014: merging the duplicates ---------------------------------------------------

MERGE = import_module("clinical.migrations.0016_merge_duplicate_problems")


@pytest.fixture
def without_problem_rule():
    """Drop the unique index of one problem per code for this test's transaction (rolled
    back with it), to build the duplicates the merge migration finds."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX condition_one_problem_per_code")
    yield


def _merge():
    return MERGE.merge_duplicate_problems(Condition, Condition.history.model)


def test_the_merge_keeps_one_problem_and_every_row_and_its_history(
    without_problem_rule, patient, doctor, codes
):
    encounter = EncounterFactory(patient=patient, doctor=doctor)
    old = Condition.objects.create(
        patient=patient,
        code=codes["I10"],
        clinical_status=ClinicalStatus.RESOLVED,
        onset=date(2015, 3, 1),
        resolved_on=date(2016, 1, 1),
        note="Lifestyle measures",
    )
    active = Condition.objects.create(patient=patient, code=codes["I10"], note="On amlodipine")
    in_encounter = Condition.objects.create(
        patient=patient, code=codes["I10"], encounter=encounter, is_primary=True
    )
    diagnosis = Condition.objects.create(
        patient=patient,
        code=codes["I10"],
        category=DIAGNOSIS,
        encounter=EncounterFactory(patient=patient, doctor=doctor),
    )
    other_patient = Condition.objects.create(patient=PatientFactory(), code=codes["I10"])
    history_before = {c.pk: c.history.count() for c in (old, active, in_encounter, diagnosis)}

    assert _merge() == {"merged": 2, "linked": 1}

    for row in (old, active, in_encounter, diagnosis, other_patient):
        row.refresh_from_db()
    assert active.category == PROBLEM and active.is_active  # the active one survives
    assert active.onset == date(2015, 3, 1)  # with the earliest onset
    assert "On amlodipine" in active.note and "Lifestyle measures" in active.note
    assert old.merged_into == active and old.category == PROBLEM
    # A duplicate recorded in an encounter stays that encounter's (primary) diagnosis.
    assert in_encounter.category == DIAGNOSIS and in_encounter.problem == active
    assert in_encounter.is_primary and in_encounter in encounter.diagnoses.all()
    assert diagnosis.problem == active
    assert other_patient.merged_into is None
    assert list(selectors.problem_list(patient)) == [active]
    # Nothing deleted; every changed row has one more history entry, saying why.
    assert Condition.objects.filter(patient=patient).count() == 4
    for row in (old, active, in_encounter, diagnosis):
        assert row.history.count() == history_before[row.pk] + 1
        assert "Problem list" in row.history.first().history_change_reason
    assert set(active.merged_duplicates.all()) == {old}
    request = RequestFactory().get("/")
    request.user = doctor
    [listed] = panels.problems_tab(request, patient)["page_obj"].object_list
    assert listed == active and listed.merged_count == 1  # the tab says so
    # The rule can now be enforced: the index builds on the merged rows.
    constraint = next(
        c for c in Condition._meta.constraints if c.name == "condition_one_problem_per_code"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as at a migration's commit
        cursor.execute(str(constraint.create_sql(Condition, connection.schema_editor())))


def test_the_merge_keeps_the_first_problem_when_none_is_active_and_ignores_errors(
    without_problem_rule, patient, codes
):
    first = Condition.objects.create(
        patient=patient, code=codes["E11.9"], clinical_status=ClinicalStatus.INACTIVE
    )
    second = Condition.objects.create(
        patient=patient, code=codes["E11.9"], clinical_status=ClinicalStatus.INACTIVE
    )
    Condition.objects.create(
        patient=patient,
        code=codes["J45.909"],
        entered_in_error=True,
        entered_in_error_reason="Wrong chart",
        entered_in_error_at="2026-01-01T00:00:00Z",
    )
    Condition.objects.create(patient=patient, code=codes["J45.909"])
    assert _merge() == {"merged": 1, "linked": 0}
    second.refresh_from_db()
    assert second.merged_into == first
    assert _merge() == {"merged": 0, "linked": 0}  # runs once: a second run changes nothing
