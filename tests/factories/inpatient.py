"""Factories for inpatient ADT: wards, rooms and beds; admissions go through the services
(so their rules, bed states and care-team grants are real)."""

import factory

from inpatient import services
from inpatient.models import AdmissionRequest, Bed, RoomClass, Ward, WardRoom
from tests.factories.core import HospitalFactory


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    hospital = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    ward_type = "general"
    floor = "1"


class RoomClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomClass
        django_get_or_create = ("name",)

    name = "Standard"
    beds_per_room = 4
    daily_rate = "250.00"


class WardRoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WardRoom

    ward = factory.SubFactory(WardFactory)
    room_class = factory.SubFactory(RoomClassFactory)
    number = factory.Sequence(lambda n: f"{100 + n}")


class BedFactory(factory.django.DjangoModelFactory):
    """An available bed (in a room of its own ward unless `room` is given)."""

    class Meta:
        model = Bed

    room = factory.SubFactory(WardRoomFactory)
    number = factory.Sequence(lambda n: f"B{n}")


def beds_in(ward, count, *, per_room=4):
    """Create `count` available beds in `ward`, `per_room` to a room; return them."""
    beds = []
    room_class = RoomClassFactory()
    existing = ward.rooms.count()
    for index in range((count + per_room - 1) // per_room):
        room = WardRoomFactory(ward=ward, room_class=room_class, number=str(existing + index + 1))
        take = min(per_room, count - len(beds))
        beds.extend(services.room_beds_add(room=room, count=take, actor=None))
    return beds


def admit(patient, bed, doctor, *, actor=None, **kwargs):
    """Admit `patient` into `bed` under `doctor` through the service; return the admission."""
    return services.admission_create(
        patient=patient,
        bed=bed,
        attending_doctor=doctor,
        actor=actor or doctor,
        reason=kwargs.pop("reason", "Observation"),
        **kwargs,
    )


class AdmissionRequestFactory(factory.django.DjangoModelFactory):
    """A pending request (use the service to test its rules)."""

    class Meta:
        model = AdmissionRequest

    patient = factory.SubFactory("tests.factories.patients.PatientFactory")
    requested_by = factory.SubFactory("tests.factories.accounts.UserFactory", roles=["Doctor"])
    priority = "routine"
    reason = "Needs inpatient care"
