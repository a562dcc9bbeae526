"""Factories for patients. Patients get their MRN from the real sequence."""

from datetime import date

import factory

from patients.models import Patient, Sex
from patients.selectors import phonetic
from patients.services import care_team_add, mrn_next


class PatientFactory(factory.django.DjangoModelFactory):
    """A registered patient (no duplicate check; use patient_register to test that)."""

    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=date(1930, 1, 1), end_date=date(2020, 1, 1)
    )
    sex = factory.Iterator([Sex.FEMALE, Sex.MALE])
    mrn = factory.LazyFunction(mrn_next)
    first_name_phonetic = factory.LazyAttribute(lambda p: phonetic(p.first_name))
    last_name_phonetic = factory.LazyAttribute(lambda p: phonetic(p.last_name))


def on_care_team(patient, *users):
    """Put `users` on the patient's care team; return the patient."""
    for user in users:
        care_team_add(patient=patient, user=user, actor=None)
    return patient
