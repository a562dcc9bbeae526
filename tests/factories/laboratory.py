"""Factories for the laboratory: catalogue rows, orders through the services."""

from decimal import Decimal

import factory

from laboratory.models import LabTest, ReferenceRange, SpecimenType


class SpecimenTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecimenType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.Sequence(lambda n: f"Specimen {n}")


class LabTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabTest
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"Test {n}")
    loinc = "2823-3"
    specimen_type = factory.SubFactory(SpecimenTypeFactory)
    unit = "mmol/L"
    decimals = 1


class ReferenceRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceRange

    test = factory.SubFactory(LabTestFactory)
    sex = "any"
    age_from_days = 0
    age_to_days = 150 * 365
    normal_low = Decimal("3.5")
    normal_high = Decimal("5.1")
    critical_low = Decimal("2.5")
    critical_high = Decimal("6.5")


def lab_test(code):
    """Return the catalogue's test `code` (load the catalogue first)."""
    return LabTest.objects.get(code=code)
