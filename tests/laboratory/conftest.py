from datetime import date

import pytest

from accounts import roles
from laboratory.catalogue import catalogue_load
from tests.browser.conftest import browser_type_launch_args, csp_violations  # noqa: F401
from tests.factories.patients import PatientFactory


@pytest.fixture
def catalogue(db):
    """The shipped catalogue, loaded."""
    catalogue_load()


@pytest.fixture
def lab_tech2(make_user):
    return make_user(roles.LAB_TECHNICIAN, email="lab2@example.org")


@pytest.fixture
def adult_man(db):
    return PatientFactory(sex="male", date_of_birth=date(1970, 5, 1))


@pytest.fixture
def child(db):
    return PatientFactory(
        sex="female", date_of_birth=date.today().replace(year=date.today().year - 8)
    )
