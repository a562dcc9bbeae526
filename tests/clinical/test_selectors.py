"""Reads: the ICD-10-CM search and the allergy assessment."""

import pytest

from clinical import selectors
from tests.factories.clinical import DiagnosisCodeFactory

pytestmark = pytest.mark.django_db


def codes_of(result):
    return [c.code for c in result]


def test_search_by_code_prefix_lists_the_exact_code_first(codes):
    assert codes_of(selectors.diagnosis_code_search("E11")) == ["E11", "E11.65", "E11.9"]
    assert codes_of(selectors.diagnosis_code_search("e11.9")) == ["E11.9"]
    assert codes_of(selectors.diagnosis_code_search("E119")) == ["E11.9"]


def test_search_by_words_needs_every_word_and_ranks_general_codes_first(codes):
    # Billable codes first; "…without complications" and short titles before the long,
    # specific ones.
    assert codes_of(selectors.diagnosis_code_search("diabetes")) == [
        "E10.9",
        "E11.9",
        "E11.65",
        "E11",
    ]
    assert codes_of(selectors.diagnosis_code_search("type 2 diabetes without")) == ["E11.9"]
    assert codes_of(selectors.diagnosis_code_search("HYPERTENSION")) == ["I10"]


def test_a_billable_three_character_code_ranks_high(db):
    DiagnosisCodeFactory(code="I15.9", title="Secondary hypertension, unspecified")
    DiagnosisCodeFactory(code="H40.05", title="Ocular hypertension", is_billable=False)
    DiagnosisCodeFactory(code="I10", title="Essential (primary) hypertension")
    assert codes_of(selectors.diagnosis_code_search("hypertension"))[0] == "I10"


def test_search_is_limited_and_ignores_too_short_terms(db):
    for n in range(30):
        DiagnosisCodeFactory(code=f"M{n:02d}.0", title=f"Knee problem {n}")
    assert len(selectors.diagnosis_code_search("knee")) == selectors.SEARCH_LIMIT
    assert selectors.diagnosis_code_search("k") == []
    assert selectors.diagnosis_code_search("") == []


def test_a_code_is_looked_up_whatever_its_case_or_dot(codes):
    assert selectors.diagnosis_code_get(" i10 ").code == "I10"
    assert selectors.diagnosis_code_get("J45909").code == "J45.909"
    assert selectors.diagnosis_code_get("J45.999") is None
    assert selectors.diagnosis_code_get("") is None
