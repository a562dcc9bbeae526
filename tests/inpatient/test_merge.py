"""Merging patient records meets the inpatient rules: one open admission per patient."""

import pytest

from inpatient.models import Admission
from patients.exceptions import MergeNotAllowed
from patients.services import patient_merge
from tests.factories.inpatient import BedFactory, admit
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def test_merging_two_records_that_are_both_admitted_is_refused_clearly(doctor, administrator):
    survivor, duplicate = PatientFactory(), PatientFactory()
    admit(survivor, BedFactory(), doctor)
    admit(duplicate, BedFactory(), doctor)
    with pytest.raises(MergeNotAllowed, match="once per patient"):
        patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    duplicate.refresh_from_db()
    assert duplicate.is_active and duplicate.merged_into_id is None
    assert Admission.objects.filter(patient=duplicate).count() == 1


def test_an_admission_of_the_duplicate_moves_to_the_survivor(doctor, administrator):
    survivor, duplicate = PatientFactory(), PatientFactory()
    admission = admit(duplicate, BedFactory(), doctor)
    patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    admission.refresh_from_db()
    assert admission.patient == survivor
