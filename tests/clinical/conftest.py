"""Fixtures of the clinical tests: ICD-10-CM codes, a patient on the doctor's and the
nurse's care team, and one outside it; the browser fixtures for the browser test."""

import pytest

from tests.browser.conftest import browser_type_launch_args, csp_violations  # noqa: F401
from tests.factories.clinical import make_codes
from tests.factories.patients import PatientFactory, on_care_team


@pytest.fixture
def codes(db):
    return make_codes()


@pytest.fixture
def patient(doctor, nurse, codes):
    """A patient whose care team holds `doctor` and `nurse`."""
    return on_care_team(PatientFactory(first_name="Ada", last_name="Lovelace"), doctor, nurse)


@pytest.fixture
def stranger(db):
    """A patient on nobody's care team."""
    return PatientFactory(first_name="Alan", last_name="Turing")
