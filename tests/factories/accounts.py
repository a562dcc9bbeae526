"""Factories for accounts: users with roles, specialties, doctor profiles."""

import time

import factory
import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import DoctorProfile, Specialty, User
from accounts.services import user_set_roles

PASSWORD = "Correct-Horse-9-Battery"


class SafeTOTP(pyotp.TOTP):
    """A TOTP whose `now()` never hands out a code about to expire: the site accepts only
    the current 30-second window, and a code read in its last seconds may reach the server
    in the next one (a browser test on a loaded CI machine failed exactly so)."""

    MARGIN_SECONDS = 4

    def now(self):
        left = self.interval - time.time() % self.interval
        if left < self.MARGIN_SECONDS:
            time.sleep(left + 0.05)
        return super().now()


class UserFactory(factory.django.DjangoModelFactory):
    """A verified, active user. `roles=["Doctor"]` gives roles; `password` sets it."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            user_set_roles(user=self, role_names=list(extracted))


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Specialty {n}")
    code = factory.Sequence(lambda n: f"specialty-{n}")


class DoctorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoctorProfile

    user = factory.SubFactory(UserFactory, roles=["Doctor"])
    license_number = factory.Sequence(lambda n: f"LIC-{n:06d}")


def enrol_totp(user):
    """Give `user` a TOTP authenticator and return a pyotp.TOTP to compute codes."""
    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    return SafeTOTP(secret)


def totp_for(user):
    """Return a pyotp.TOTP for the user's enrolled authenticator."""
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return SafeTOTP(decrypt(authenticator.data["secret"]))
