"""Demo patients look like a hospital's register: sexes in realistic shares, first names
that fit the recorded sex, and ages and life details that fit each other."""

from collections import Counter
from datetime import date

import pytest
from faker.providers.person.en_US import Provider as Names

from patients.demo import _fake_rows
from patients.models import MaritalStatus, Sex

N = 3000


@pytest.fixture(scope="module")
def rows():
    return _fake_rows(N, seed=7)


def age(row, today=None):
    today = today or date.today()
    dob = row["date_of_birth"]
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def test_other_and_unknown_sexes_are_rare_and_the_rest_about_even(rows):
    counts = Counter(row["sex"] for row in rows)
    assert counts[Sex.OTHER] / N < 0.01
    assert counts[Sex.UNKNOWN] / N < 0.01
    assert 0.45 < counts[Sex.FEMALE] / N < 0.56
    assert 0.44 < counts[Sex.MALE] / N < 0.55


def test_first_and_middle_names_fit_the_recorded_sex(rows):
    for row in rows:
        names = [row["first_name"], *([row["middle_name"]] if row["middle_name"] else [])]
        for name in names:
            if row["sex"] == Sex.FEMALE:
                assert name in Names.first_names_female, row
            elif row["sex"] == Sex.MALE:
                assert name in Names.first_names_male, row


def test_ages_are_plausible_for_a_general_hospital(rows):
    ages = [age(row) for row in rows]
    assert min(ages) >= 0
    assert max(ages) < 100
    children = sum(a < 18 for a in ages) / N
    assert 0.08 < children < 0.25
    assert sum(a >= 65 for a in ages) / N > 0.15


def test_children_have_no_spouse_job_email_or_medicare(rows):
    for row in rows:
        years = age(row)
        if years < 18:
            assert row["marital_status"] in ("", MaritalStatus.SINGLE), row
            assert row["occupation"] in ("", "Student"), row
            assert row["email"] == "", row
            assert row["insurance_payer"] != "Medicare", row
        if years < 5:
            assert row["occupation"] == "", row
