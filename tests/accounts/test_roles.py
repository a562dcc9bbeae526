"""Roles are Groups defined in code and applied idempotently."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts import roles
from accounts.services import roles_sync

pytestmark = pytest.mark.django_db


def test_every_role_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


def test_sync_roles_is_idempotent_and_restores_the_definition(capsys):
    admin_group = Group.objects.get(name=roles.ADMINISTRATOR)
    admin_group.permissions.clear()
    call_command("sync_roles")
    assert admin_group.permissions.count() > 0
    report = roles_sync()
    assert all(added == 0 and removed == 0 for added, removed, _ in report.values())


def test_sync_roles_removes_permissions_not_in_the_definition():
    from django.contrib.auth.models import Permission

    doctor_group = Group.objects.get(name=roles.DOCTOR)
    doctor_group.permissions.add(Permission.objects.get(codename="delete_user"))
    roles_sync()
    assert not doctor_group.permissions.filter(codename="delete_user").exists()


def test_admin_access_follows_the_administrator_role(administrator, doctor):
    assert administrator.is_staff is True
    assert doctor.is_staff is False
    assert administrator.has_perm("accounts.change_user")
    assert not doctor.has_perm("accounts.change_user")


def test_account_kinds(doctor, portal_patient, make_user):
    assert doctor.is_hospital_staff and not doctor.is_portal_user
    assert portal_patient.is_portal_user and not portal_patient.is_hospital_staff
    both = make_user(roles.PATIENT, roles.NURSE)  # a nurse is a staff account
    assert not both.is_portal_user


def test_only_administrators_require_mfa(administrator, doctor):
    assert administrator.requires_mfa
    assert not doctor.requires_mfa
