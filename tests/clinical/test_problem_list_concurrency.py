"""The problem list under real parallel transactions (PostgreSQL): the same condition
listed by many requests at once gives one problem, and parallel diagnoses added to the
problem list all link that one problem."""

import pytest

from clinical import services
from clinical.exceptions import ProblemAlreadyListed
from clinical.models import Condition, ConditionCategory
from tests.concurrency import run_together, split
from tests.factories.clinical import EncounterFactory, make_codes
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("connection_per_thread"),
]

THREADS = 20


@pytest.fixture
def chart(doctor, nurse):
    make_codes()
    return on_care_team(PatientFactory(), doctor, nurse)


def test_parallel_listings_of_one_condition_give_one_problem(chart, doctor):
    def work(i):
        return services.condition_create(patient=chart, actor=doctor, code="I10")

    results, errors = split(run_together(THREADS, work))
    assert sum(r is not None for r in results) == 1
    assert all(isinstance(e, ProblemAlreadyListed) for e in errors), errors
    assert Condition.objects.filter(patient=chart).count() == 1


def test_parallel_diagnoses_added_to_the_list_share_one_problem(chart, doctor):
    encounters = [EncounterFactory(patient=chart, doctor=doctor) for _ in range(THREADS)]

    def work(i):
        return services.condition_create(
            patient=chart,
            actor=doctor,
            code="E11.9",
            encounter=encounters[i],
            category=ConditionCategory.ENCOUNTER_DIAGNOSIS,
            add_to_problem_list=True,
        )

    results, errors = split(run_together(THREADS, work))
    assert not errors, errors
    problems = Condition.objects.filter(patient=chart, category=ConditionCategory.PROBLEM_LIST_ITEM)
    assert problems.count() == 1
    assert {d.problem_id for d in results} == {problems.get().pk}
