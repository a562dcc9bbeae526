"""seed_demo builds the demo hospital idempotently and only with DEBUG on."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import DoctorProfile, User

pytestmark = pytest.mark.django_db

DEMO_ACCOUNTS = {
    "admin@example.org": "Administrator",
    "doctor@example.org": "Doctor",
    "doctor2@example.org": "Doctor",
    "nurse@example.org": "Nurse",
    "reception@example.org": "Receptionist",
    "lab@example.org": "Lab technician",
    "pharmacy@example.org": "Pharmacist",
    "patient@example.org": "Patient",
    "patient2@example.org": "Patient",
}


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", password="Demo-Passw0rd!")
    assert not User.objects.filter(email="admin@example.org").exists()


def test_seed_demo_creates_every_demo_account_and_is_idempotent(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", password="Demo-Passw0rd!")
    call_command("seed_demo", password="Demo-Passw0rd!")
    for email, role in DEMO_ACCOUNTS.items():
        user = User.objects.get(email=email)
        assert user.role_names == {role}
        assert user.check_password("Demo-Passw0rd!")
    assert User.objects.filter(email__in=DEMO_ACCOUNTS).count() == len(DEMO_ACCOUNTS)
    assert DoctorProfile.objects.count() == 2
    response = client.post(
        "/accounts/login/", {"login": "nurse@example.org", "password": "Demo-Passw0rd!"}
    )
    assert response.status_code == 302


def test_seed_demo_refuses_a_weak_password(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="too weak"):
        call_command("seed_demo", password="demo")
