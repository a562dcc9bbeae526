import pytest

from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.pharmacy import knowledge


@pytest.fixture
def formulary(db):
    knowledge()


@pytest.fixture
def patient(doctor, nurse, formulary):
    """John Smith, on the doctor's and nurse's care team, allergies asked (none)."""
    from clinical.services import allergy_status_set_none_known

    patient = on_care_team(PatientFactory(first_name="John", last_name="Smith"), doctor, nurse)
    allergy_status_set_none_known(patient=patient, actor=doctor)
    return patient


@pytest.fixture
def stranger(db):
    return PatientFactory(first_name="Alan", last_name="Turing")
