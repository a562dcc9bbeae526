"""Patient search as people type it at the front desk: phones in any notation, first names
by sound in either order with the surname, MRNs without prefix or leading zeros, and dates
of birth in the site's locale as well as ISO."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import translation

from patients import services
from patients.models import Patient
from patients.selectors import patient_search, phonetic
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def search(query):
    return set(patient_search(Patient.objects.all(), query))


@pytest.fixture
def thomas():
    return PatientFactory(
        first_name="Thomas",
        last_name="Smith",
        date_of_birth=date(2004, 9, 17),
        phone="+12025554820",
    )


@pytest.fixture
def others():
    return [
        PatientFactory(
            first_name="Tamara",
            last_name="Jones",
            date_of_birth=date(2004, 3, 4),
            phone="+13105554820",  # same local number, another area code
        ),
        PatientFactory(
            first_name="Omar",
            last_name="Tomlin",
            date_of_birth=date(2004, 4, 3),
            phone="+12025559999",
        ),
    ]


# --- Phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["+1 202-555-4820", "+1 (202) 555-4820", "+12025554820", "1-202-555-4820"]
)
def test_a_full_phone_number_in_any_notation_finds_only_that_number(thomas, others, query):
    assert search(query) == {thomas}


@pytest.mark.parametrize(
    "query", ["(202) 555-4820", "202-555-4820", "202.555.4820", "202 555 4820", "2025554820"]
)
def test_a_national_number_in_any_notation_finds_the_patient(thomas, others, query):
    assert search(query) == {thomas}


@pytest.mark.parametrize("query", ["555-4820", "5554820", "555 4820"])
def test_a_local_seven_digit_number_matches_the_end_of_every_phone(thomas, others, query):
    assert search(query) == {thomas, others[0]}


def test_a_phone_with_a_name_narrows_to_that_person(thomas, others):
    assert search("jones 555-4820") == {others[0]}
    assert search("(202) 555-4820 smith") == {thomas}


def test_the_phone_search_key_follows_every_save(thomas):
    assert search("202-555-4820") == {thomas}
    services.patient_update(patient=thomas, actor=None, phone="+12025550000")
    assert search("202-555-4820") == set()
    assert search("202-555-0000") == {thomas}


def test_bulk_loaded_patients_are_found_by_phone():
    [loaded] = services.patients_bulk_load(
        rows=[
            {
                "first_name": "Ada",
                "last_name": "Byron",
                "date_of_birth": date(1815, 12, 10),
                "sex": "female",
                "phone": "+442079460958",
            }
        ]
    )
    assert search("020 7946 0958") == {loaded}  # national notation with the trunk 0
    assert search("+44 20 7946 0958") == {loaded}
    assert search("00 44 20 7946 0958") == {loaded}  # the international access code


def test_a_local_phone_search_is_a_prefix_match_on_the_reversed_number(thomas):
    """Stored phones are E.164 (digits after a "+"): "ends with 5554820" is "the reversed
    number starts with 0284555", which a btree index serves (migration 0010, PostgreSQL)."""
    with CaptureQueriesContext(connection) as queries:
        assert search("(202) 555-4820") == {thomas}
    [sql] = [q["sql"] for q in queries.captured_queries if "patients_patient" in q["sql"]]
    where = sql.split("WHERE", 1)[1]
    assert "REVERSE(" in where.upper()
    assert "0284555202" in where


# --- Names --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Tomas", "Tomas Smith", "Smith Tomas", "smyth tomas"])
def test_first_names_match_by_sound_in_either_order_with_the_surname(thomas, others, query):
    assert search(query) == {thomas}


def test_th_sounds_like_t_in_first_names_and_surnames():
    assert phonetic("Thomas") == phonetic("Tomas")
    assert phonetic("Theresa") == phonetic("Teresa")
    assert phonetic("Smith") == phonetic("Smyth")


# --- MRN ----------------------------------------------------------------------------------


def test_an_mrn_is_found_with_or_without_its_prefix_and_leading_zeros():
    patient = PatientFactory()
    patient.mrn = "00012348"
    patient.save()
    caller = PatientFactory(phone="+12025512348")  # a phone that ends in 12348
    for query in ("00012348", "MRN12348", "MRN00012348", "mrn 12348", "MRN-00012348"):
        assert search(query) == {patient}, query
    # Bare digits without the zeros are the MRN or the end of a phone number.
    assert search("12348") == {patient, caller}
    assert search("1234") == set()  # not a prefix of the MRN


# --- Dates of birth -----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["2004-09-17", "09/17/2004", "9/17/2004", "09/17/04"])
def test_us_locale_reads_month_first_dates_and_iso(thomas, others, query):
    with translation.override("en"):
        assert search(query) == {thomas}


@pytest.mark.parametrize(
    "query", ["2004-09-17", "17/09/2004", "17/09/04", "17-09-2004", "17.9.2004"]
)
@override_settings(LANGUAGE_CODE="en-gb")
def test_day_first_locale_reads_day_first_dates_and_iso(thomas, others, query):
    with translation.override("en-gb"):
        assert search(query) == {thomas}


def test_german_locale_reads_dotted_dates(thomas, others):
    with translation.override("de"):
        assert search("17.09.2004") == {thomas}


@pytest.mark.parametrize("language", ["en", "en-gb"])
def test_an_ambiguous_date_tries_both_readings(thomas, others, language):
    with translation.override(language):
        assert search("03/04/2004") == set(others)  # 4 March and 3 April


def test_an_impossible_date_finds_nobody(thomas):
    with translation.override("en"):
        assert search("02/30/2004") == set()
        assert search("smith 2004-02-30") == set()


def test_a_two_digit_year_is_never_in_the_future():
    old = PatientFactory(date_of_birth=date(1950, 1, 2))
    with translation.override("en"):
        assert search("01/02/50") == {old}


def test_name_and_locale_date_together(thomas, others):
    with translation.override("en"):
        assert search("tomas 09/17/2004") == {thomas}
        assert search("jones 09/17/2004") == set()


def test_the_migration_recomputes_stale_sound_keys(thomas):
    """Keys written before TH read as T are recomputed (names without TH are left)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("patients.migrations.0011_phonetic_keys_read_th_as_t")
    Patient.objects.filter(pk=thomas.pk).update(first_name_phonetic="0MS")  # the old key
    assert search("Tomas") == set()
    migration.recompute(apps, None)
    assert Patient.objects.get(pk=thomas.pk).first_name_phonetic == "TMS"
    assert search("Tomas") == {thomas}
