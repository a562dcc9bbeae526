"""Reads about users other apps need: who the active doctors (and clinicians) are."""

from django.contrib.auth import get_user_model

from accounts import roles
from accounts.exceptions import NotADoctor


def active_doctors(specialty=None):
    """Return the active users with the Doctor role, by name (optionally of one
    specialty, an instance or its id)."""
    doctors = get_user_model().objects.filter(groups__name=roles.DOCTOR, is_active=True)
    if specialty:
        doctors = doctors.filter(doctor_profile__specialties=specialty)
    return doctors.order_by("last_name", "first_name").distinct()


def active_clinicians():
    """Return the active users with the Doctor or Nurse role (who may be on a care
    team), by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.DOCTOR, roles.NURSE])
        .order_by("last_name", "first_name")
        .distinct()
    )


def is_active_doctor(user):
    """Return True if `user` is an active user with the Doctor role."""
    return user is not None and user.is_active and user.has_role(roles.DOCTOR)


def ensure_active_doctor(user, *, field=None, message=None):
    """Return `user` if an active doctor, else raise NotADoctor (on `field`)."""
    if not is_active_doctor(user):
        raise NotADoctor(message, field=field)
    return user
