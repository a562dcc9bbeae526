"""The patients app's management commands: expire_access_grants (cron) and its part of
seed_demo."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import roles
from accounts.models import User
from patients import services
from patients.models import (
    BreakGlassAccess,
    Patient,
    PatientIdentifier,
    PatientUserObjectPermission,
)
from patients.selectors import chart_access_for, patients_on_care_team_of
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "Demo-Passw0rd!"


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_expire_access_grants_removes_expired_grants_and_says_how_many(doctor, nurse, make_user):
    patient = PatientFactory()
    member = make_user(roles.DOCTOR)
    on_care_team(patient, member)
    old = services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Old emergency"
    )
    services.break_glass_open(
        patient=patient, user=nurse, reason="emergency_care", details="Current emergency"
    )
    past = timezone.now() - timedelta(minutes=1)
    BreakGlassAccess.objects.filter(pk=old.pk).update(
        granted_at=past - timedelta(hours=4), expires_at=past
    )
    PatientUserObjectPermission.objects.filter(user=doctor).update(expires_at=past)

    assert run("expire_access_grants").strip() == "Removed 1 expired access grant(s)."
    assert not PatientUserObjectPermission.objects.filter(user=doctor).exists()
    assert chart_access_for(nurse, patient).allowed
    assert chart_access_for(member, patient).allowed
    assert BreakGlassAccess.objects.count() == 2  # the audit trail stays

    assert run("expire_access_grants").strip() == "Removed 0 expired access grant(s)."


def _demo_counts():
    return {
        "patients": Patient.objects.count(),
        "identifiers": PatientIdentifier.objects.count(),
        "grants": PatientUserObjectPermission.objects.count(),
        "users": User.objects.count(),
    }


def test_seed_demo_creates_patients_links_portal_accounts_and_is_idempotent(settings):
    settings.DEBUG = True
    run("seed_demo", password=DEMO_PASSWORD, patients=50)
    first = _demo_counts()
    assert 50 <= first["patients"] <= 52  # 50 synthetic, plus the two portal records
    assert first["identifiers"] > 0

    for email in ("patient@example.org", "patient2@example.org"):
        user = User.objects.get(email=email)
        assert Patient.objects.get(user=user).email == email

    doctor = User.objects.get(email="doctor@example.org")
    nurse = User.objects.get(email="nurse@example.org")
    assert patients_on_care_team_of(doctor).count() >= 25  # other seeders add more
    assert patients_on_care_team_of(nurse).exists()
    some = patients_on_care_team_of(doctor).first()
    assert chart_access_for(doctor, some).allowed

    run("seed_demo", password=DEMO_PASSWORD, patients=50)
    assert _demo_counts() == first


def test_seed_demo_patients_have_valid_mrns_and_search_keys(settings):
    from patients.models import luhn_is_valid

    settings.DEBUG = True
    run("seed_demo", password=DEMO_PASSWORD, patients=50)
    mrns = list(Patient.objects.values_list("mrn", flat=True))
    assert len(mrns) == len(set(mrns))
    assert all(luhn_is_valid(m) for m in mrns)
    assert not Patient.objects.filter(last_name_phonetic="").exists()
