"""Fixtures of the inpatient tests: a ward with beds, a patient, a ward nurse."""

import pytest

from inpatient import services
from tests.browser.conftest import browser_type_launch_args, csp_violations  # noqa: F401
from tests.factories.inpatient import WardFactory, beds_in
from tests.factories.patients import PatientFactory


@pytest.fixture
def ward(db):
    return WardFactory(name="Medical Ward")


@pytest.fixture
def other_ward(db):
    return WardFactory(name="Surgical Ward")


@pytest.fixture
def beds(ward):
    """Four available beds in `ward` (one room)."""
    return beds_in(ward, 4)


@pytest.fixture
def bed(beds):
    return beds[0]


@pytest.fixture
def other_bed(other_ward):
    return beds_in(other_ward, 1)[0]


@pytest.fixture
def patient(db):
    return PatientFactory(sex="female")


@pytest.fixture
def ward_nurse(nurse, ward):
    """The `nurse` persona, assigned to `ward`."""
    services.ward_nurse_assign(ward=ward, user=nurse, actor=None)
    return nurse
