"""Factories for the kernel: hospitals and notifications."""

import factory

from ehr.core.models import Hospital, Notification
from tests.factories.accounts import UserFactory


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"General Hospital {n}")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Details"
