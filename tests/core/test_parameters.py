"""Typed system parameters."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ehr.core import parameters
from ehr.core.models import SystemParameter
from ehr.core.services import system_parameter_set

pytestmark = pytest.mark.django_db


def test_migrate_creates_a_row_per_parameter_with_its_default():
    rows = dict(SystemParameter.objects.values_list("key", "value"))
    for key in ("staff_idle_timeout", "break_glass_duration", "mrn_prefix", "reminder_lead_time"):
        assert key in rows
    assert rows["staff_idle_timeout"] == 15
    assert rows["break_glass_duration"] == 240


def test_get_returns_typed_values():
    assert parameters.get("staff_idle_timeout") == 15
    assert parameters.get("mrn_prefix") == "MRN"


def test_set_validates_type_and_bounds():
    assert system_parameter_set(key="staff_idle_timeout", value="20") == 20
    assert parameters.get("staff_idle_timeout") == 20
    with pytest.raises(ValidationError):
        system_parameter_set(key="staff_idle_timeout", value="soon")
    with pytest.raises(ValidationError):
        system_parameter_set(key="staff_idle_timeout", value=0)
    with pytest.raises(ValidationError):
        system_parameter_set(key="staff_idle_timeout", value=2.5)


def test_decimal_and_bool_types():
    number = parameters.Parameter("x", "x", "decimal", Decimal("1.5"), min_value=Decimal(0))
    assert number.clean("37.5") == Decimal("37.5")
    with pytest.raises(ValidationError):
        number.clean("-1")
    flag = parameters.Parameter("y", "y", "bool", False)
    assert flag.clean("true") is True and flag.clean("off") is False


def test_administrator_edits_a_parameter_in_the_admin(client, administrator, password):
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    row = SystemParameter.objects.get(key="break_glass_duration")
    url = f"/admin/core/systemparameter/{row.pk}/change/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"value": "forever"})
    assert bad.status_code == 200 and "valid whole number" in bad.content.decode()
    good = client.post(url, {"value": "120"})
    assert good.status_code == 302
    assert parameters.get("break_glass_duration") == 120
    row.refresh_from_db()
    assert row.history.first().history_user == administrator
