"""History on every record, attributed to the acting user."""

import pytest

from accounts.services import user_set_roles
from ehr.core.models import Hospital

pytestmark = pytest.mark.django_db


def test_stamp_sets_audit_columns_and_history_user(doctor, administrator):
    hospital = Hospital(name="Mercy")
    hospital.stamp(administrator).save()
    assert hospital.created_by == administrator and hospital.updated_by == administrator
    assert hospital.history.get().history_user == administrator

    hospital.name = "Mercy General"
    hospital.stamp(doctor).save()
    hospital.refresh_from_db()
    assert hospital.created_by == administrator and hospital.updated_by == doctor
    latest, first = hospital.history.all()[:2]
    assert latest.history_user == doctor
    assert "name" in latest.diff_against(first).changed_fields
    assert latest.updated_by_id == doctor.pk and first.updated_by_id == administrator.pk


def test_a_system_job_is_recorded_without_a_user():
    hospital = Hospital(name="Night job")
    hospital.stamp(None).save()
    assert hospital.history.get().history_user is None


def test_role_changes_are_in_the_users_history(doctor, administrator):
    user_set_roles(user=doctor, role_names=["Doctor", "Nurse"], actor=administrator)
    latest = doctor.history.first()
    assert latest.history_user == administrator
    assert {g.group.name for g in latest.groups.all()} == {"Doctor", "Nurse"}


def test_the_password_hash_is_not_copied_into_history(doctor):
    history_fields = {f.name for f in doctor.history.model._meta.fields}
    assert "password" not in history_fields


def test_admin_edits_are_attributed_to_the_administrator(client, administrator, password):
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    response = client.post("/admin/core/hospital/add/", {"name": "Admin-made Hospital"})
    assert response.status_code == 302
    hospital = Hospital.objects.get(name="Admin-made Hospital")
    assert hospital.created_by == administrator
    assert hospital.history.get().history_user == administrator
