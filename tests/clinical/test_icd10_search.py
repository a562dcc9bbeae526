"""The ICD-10-CM search: clinicians' synonyms and abbreviations (seeded, extended in the
admin, with history) and the ranking: billable codes holding every word first, then
partial matches; the same on SQLite and PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinical import icd10, selectors
from clinical.models import Icd10Synonym
from tests.factories.clinical import DiagnosisCodeFactory

pytestmark = pytest.mark.django_db

# Real ICD-10-CM titles (simple-icd-10-cm 1.5.0): the diabetes and hypertension codes a
# search for "T2DM" or "high blood pressure" must choose between.
CATALOGUE = [
    ("E10.9", "Type 1 diabetes mellitus without complications", True),
    ("E11", "Type 2 diabetes mellitus", False),
    ("E11.2", "Type 2 diabetes mellitus with kidney complications", False),
    ("E11.21", "Type 2 diabetes mellitus with diabetic nephropathy", True),
    ("E11.65", "Type 2 diabetes mellitus with hyperglycemia", True),
    ("E11.8", "Type 2 diabetes mellitus with unspecified complications", True),
    ("E11.9", "Type 2 diabetes mellitus without complications", True),
    ("O24.1", "Pre-existing type 2 diabetes mellitus", False),
    ("O24.119", "Pre-existing type 2 diabetes mellitus, in pregnancy, unspecified trimester", True),
    ("O24.12", "Pre-existing type 2 diabetes mellitus, in childbirth", True),
    ("E13.9", "Other specified diabetes mellitus without complications", True),
    ("I10", "Essential (primary) hypertension", True),
    ("I11.9", "Hypertensive heart disease without heart failure", True),
    ("I15.9", "Secondary hypertension, unspecified", True),
    ("H40.05", "Ocular hypertension", False),
    ("R03.0", "Elevated blood-pressure reading, without diagnosis of hypertension", True),
    ("I95.9", "Hypotension, unspecified", True),
    ("J18.9", "Pneumonia, unspecified organism", True),
    ("J15.9", "Unspecified bacterial pneumonia", True),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", True),
    ("N39.0", "Urinary tract infection, site not specified", True),
    ("I48.91", "Unspecified atrial fibrillation", True),
    ("I50.9", "Heart failure, unspecified", True),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis", True),
    ("J06.9", "Acute upper respiratory infection, unspecified", True),
    ("N18.9", "Chronic kidney disease, unspecified", True),
    ("I21.9", "Acute myocardial infarction, unspecified", True),
    ("I25.2", "Old myocardial infarction", True),
    (
        "R09.89",
        "Other specified symptoms and signs involving the circulatory and respiratory systems",
        True,
    ),
    (
        "S82.001A",
        "Unspecified fracture of right patella, initial encounter for closed fracture",
        True,
    ),
    ("M25.561", "Pain in right knee", True),
]


@pytest.fixture
def catalogue(db):
    return {
        code: DiagnosisCodeFactory(code=code, title=title, is_billable=billable)
        for code, title, billable in CATALOGUE
    }


def codes_of(search):
    return [c.code for c in search.codes]


def test_the_migration_seeds_the_common_synonyms():
    terms = {s.term.upper() for s in Icd10Synonym.objects.all()}
    assert len(terms) >= 40
    assert {"T2DM", "DM2", "HTN", "HIGH BLOOD PRESSURE", "CAP", "MI", "COPD", "CKD", "UTI"} <= terms
    assert {"AF", "CHF", "GERD", "URTI"} <= terms
    seeded = Icd10Synonym.objects.get(term="T2DM")
    assert (seeded.expansion, seeded.code) == ("type 2 diabetes mellitus", "E11")
    assert seeded.history.get().history_type == "+"


def test_t2dm_finds_the_type_2_diabetes_codes_first_e11_9_at_the_top(catalogue):
    search = icd10.code_search("T2DM")
    found = codes_of(search)
    assert found[0] == "E11.9"
    # The billable E11 codes, general before specific, then the other billable codes
    # holding every word (pregnancy), then the categories.
    assert found[:4] == ["E11.9", "E11.8", "E11.65", "E11.21"]
    assert found.index("O24.12") > found.index("E11.21")
    assert found.index("E11") > found.index("O24.119")
    assert "E10.9" not in found and "E13.9" not in found
    assert [s.term for s in search.synonyms] == ["T2DM"]


def test_synonyms_are_found_whatever_their_case(catalogue):
    assert codes_of(icd10.code_search("dm2"))[0] == "E11.9"
    assert codes_of(icd10.code_search("t2dm"))[0] == "E11.9"


def test_high_blood_pressure_finds_essential_hypertension_first(catalogue):
    search = icd10.code_search("high blood pressure")
    assert codes_of(search)[0] == "I10"
    assert "I95.9" not in codes_of(search)  # not hypotension
    assert codes_of(icd10.code_search("HTN"))[0] == "I10"
    assert codes_of(icd10.code_search("  High   Blood  Pressure "))[0] == "I10"


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("CAP", "J18.9"),
        ("MI", "I21.9"),
        ("COPD", "J44.9"),
        ("CKD", "N18.9"),
        ("UTI", "N39.0"),
        ("AF", "I48.91"),
        ("CHF", "I50.9"),
        ("GERD", "K21.9"),
        ("URTI", "J06.9"),
    ],
)
def test_common_abbreviations_find_their_diagnosis_first(catalogue, typed, first):
    assert codes_of(icd10.code_search(typed))[0] == first


def test_a_synonym_inside_a_longer_query_is_expanded_and_the_other_words_kept(catalogue):
    found = icd10.code_search("T2DM hyperglycemia")
    assert codes_of(found)[0] == "E11.65"
    assert found.codes[0].matches_all
    # The other type 2 codes follow as partial matches; never a type 1 code.
    assert not any(c.matches_all for c in found.codes[1:])
    assert "E11.9" in codes_of(found) and "E10.9" not in codes_of(found)
    assert codes_of(icd10.code_search("t2dm nephropathy"))[0] == "E11.21"


def test_a_synonym_added_in_the_admin_takes_effect_on_the_next_search(
    signed_in, administrator, catalogue
):
    before = icd10.code_search("housemaid knee")  # no title has "housemaid"
    assert not any(c.matches_all for c in before.codes)
    response = signed_in(administrator).post(
        reverse("admin:clinical_icd10synonym_add"),
        {"term": " Housemaid   knee ", "expansion": "pain in knee", "code": "m25.561"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    synonym = Icd10Synonym.objects.get(term="Housemaid knee")
    assert synonym.code == "M25.561"
    assert synonym.created_by == administrator
    assert synonym.history.get().history_user == administrator
    assert codes_of(icd10.code_search("housemaid knee")) == ["M25.561"]


def test_the_admin_refuses_an_unknown_preferred_code_and_a_duplicate_term(
    signed_in, administrator, catalogue
):
    client = signed_in(administrator)
    url = reverse("admin:clinical_icd10synonym_add")
    response = client.post(url, {"term": "LRTI2", "expansion": "pneumonia", "code": "J99.99"})
    assert response.status_code == 200
    assert "J99.99 is not a code or category of the catalogue." in response.content.decode()
    response = client.post(url, {"term": "t2dm", "expansion": "diabetes", "code": ""})
    assert response.status_code == 200
    assert Icd10Synonym.objects.filter(term__iexact="t2dm").count() == 1


def test_the_database_refuses_a_term_twice_in_another_case_and_an_empty_expansion(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Icd10Synonym.objects.create(term="htn", expansion="hypertension")
    with pytest.raises(IntegrityError), transaction.atomic():
        Icd10Synonym.objects.create(term="XYZ", expansion="")


def test_a_term_of_more_than_four_words_is_refused(catalogue):
    synonym = Icd10Synonym(term="a b c d e", expansion="hypertension")
    with pytest.raises(ValidationError) as error:
        synonym.full_clean()
    assert "term" in error.value.message_dict


def test_billable_codes_holding_every_word_come_before_partial_matches(catalogue):
    found = icd10.code_search("pneumonia organism")
    assert codes_of(found)[0] == "J18.9"
    assert found.codes[0].matches_all is True
    # "Unspecified bacterial pneumonia" holds one of the two words: after, marked.
    assert "J15.9" in codes_of(found)
    partial = found.codes[codes_of(found).index("J15.9")]
    assert partial.matches_all is False


def test_partial_matches_rank_the_titles_holding_more_words_first(catalogue):
    DiagnosisCodeFactory(code="K35.80", title="Unspecified acute appendicitis")
    DiagnosisCodeFactory(code="K35.890", title="Other acute appendicitis without perforation")
    found = codes_of(icd10.code_search("acute appendicitis gangrenous"))
    assert found[:2] == ["K35.80", "K35.890"]  # two of the three words, shorter first
    assert found.index("K35.80") < found.index("J06.9")  # "acute" only


def test_a_partial_match_needs_a_distinctive_word_not_only_with_or_without(catalogue):
    found = codes_of(icd10.code_search("nephropathy without xyzzy"))
    assert found == ["E11.21"]


def test_code_prefixes_still_list_the_exact_code_then_its_subdivisions(catalogue):
    assert codes_of(icd10.code_search("E11")) == [
        "E11",
        "E11.2",
        "E11.21",
        "E11.65",
        "E11.8",
        "E11.9",
    ]
    assert codes_of(icd10.code_search("e119")) == ["E11.9"]


def test_the_selector_answers_the_same_codes(catalogue):
    assert [c.code for c in selectors.diagnosis_code_search("T2DM")] == codes_of(
        icd10.code_search("T2DM")
    )
    assert selectors.diagnosis_code_search("k") == []


def test_the_search_box_shows_what_a_synonym_was_searched_as(signed_in, doctor, catalogue):
    response = signed_in(doctor).get(reverse("clinical:diagnosiscode_search"), {"q": "T2DM"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<strong>T2DM</strong> → type 2 diabetes mellitus" in content
    assert content.index('data-icd-code="E11.9"') < content.index('data-icd-code="E11.21"')


def test_the_search_box_marks_partial_matches(signed_in, doctor, catalogue):
    response = signed_in(doctor).get(
        reverse("clinical:diagnosiscode_search"), {"q": "pneumonia organism"}
    )
    content = response.content.decode()
    j15 = content.index('data-icd-code="J15.9"')
    assert "some words" in content[j15 : content.index("</button>", j15)]
    j18 = content.index('data-icd-code="J18.9"')
    assert "some words" not in content[j18 : content.index("</button>", j18)]


def test_the_search_does_a_fixed_number_of_queries(django_assert_max_num_queries, catalogue):
    with django_assert_max_num_queries(3):
        icd10.code_search("T2DM hyperglycemia nephropathy")
