"""Merging two patient records that list the same condition: the problem list keeps one
problem per condition (clinical's `condition_one_problem_per_code`), so the duplicate's
problem is merged into the survivor's, and the undo brings it back as it was."""

import pytest

from clinical.models import Condition, ConditionCategory
from patients import services
from tests.factories.clinical import ConditionFactory, DiagnosisCodeFactory
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def problem(patient, code):
    return ConditionFactory(
        patient=patient, code=code, category=ConditionCategory.PROBLEM_LIST_ITEM
    )


def listed(patient):
    return Condition.objects.filter(
        patient=patient,
        category=ConditionCategory.PROBLEM_LIST_ITEM,
        entered_in_error=False,
        merged_into__isnull=True,
    )


def test_two_records_listing_the_same_condition_merge_into_one_problem(administrator):
    survivor, duplicate = PatientFactory(), PatientFactory()
    code, other_code = DiagnosisCodeFactory(), DiagnosisCodeFactory()
    kept, twin = problem(survivor, code), problem(duplicate, code)
    moved_only = problem(duplicate, other_code)

    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)

    twin.refresh_from_db()
    assert twin.patient == survivor and twin.merged_into == kept
    assert set(listed(survivor)) == {kept, moved_only}
    assert twin.history.count() >= 2  # the merge is in the duplicate problem's history


def test_the_undo_brings_the_duplicates_problem_back_as_it_was(administrator):
    survivor, duplicate = PatientFactory(), PatientFactory()
    code = DiagnosisCodeFactory()
    kept, twin = problem(survivor, code), problem(duplicate, code)
    merge = services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)

    services.patient_merge_undo(merge=merge, actor=administrator)

    twin.refresh_from_db()
    assert twin.patient == duplicate and twin.merged_into is None
    assert list(listed(duplicate)) == [twin] and list(listed(survivor)) == [kept]
