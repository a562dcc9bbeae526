"""The Django admin reads like the rest of the site: the site's date and time formats,
parameter values shown as typed, and the site's logo and colours in its header."""

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import formats, timezone

from ehr.core import parameters
from ehr.core.admin import SystemParameterForm
from ehr.core.models import SystemParameter
from ehr.core.services import system_parameter_set

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/core/systemparameter/"


@pytest.fixture
def admin_client(client, administrator, password):
    client.post("/accounts/login/", {"login": administrator.email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": administrator.totp.now()})
    assert client.get("/admin/").status_code == 200
    return client


@pytest.fixture
def typed_parameters(monkeypatch):
    """A parameter of each type, with a row (as migrate makes for the real ones)."""
    definitions = {
        "look_flag": parameters.Parameter("look_flag", "Look flag", "bool", True),
        "look_ratio": parameters.Parameter("look_ratio", "Look ratio", "decimal", Decimal("1.5")),
        "look_text": parameters.Parameter("look_text", "Look text", "str", "Ward A"),
    }
    for key, definition in definitions.items():
        monkeypatch.setitem(parameters.REGISTRY, key, definition)
        SystemParameter.objects.create(key=key, value=definition.to_json(definition.default))
    return definitions


def test_the_site_formats_dates_as_the_staff_pages_do():
    moment = datetime(2026, 3, 7, 14, 5)
    assert formats.date_format(moment, "DATE_FORMAT") == "7 Mar 2026"
    assert formats.date_format(moment, "DATETIME_FORMAT") == "7 Mar 2026, 14:05"
    assert formats.date_format(moment, "SHORT_DATE_FORMAT") == "7 Mar 2026"
    assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "7 Mar 2026, 14:05"
    assert formats.time_format(moment, "TIME_FORMAT") == "14:05"


def test_the_admin_list_shows_dates_in_the_site_format(admin_client):
    row = SystemParameter.objects.get(key="break_glass_duration")
    stamp = timezone.localtime(row.updated_at)
    page = admin_client.get(CHANGELIST).content.decode()
    assert stamp.strftime("%-d %b %Y, %H:%M") in page
    assert "a.m." not in page and "p.m." not in page


def test_the_admin_list_shows_values_as_typed(admin_client, typed_parameters):
    system_parameter_set(key="break_glass_duration", value=30)
    page = admin_client.get(CHANGELIST).content.decode()
    cells = dict(
        re.findall(
            r'<th class="field-label"><a href="[^"]+">([^<]+)</a></th>.*?'
            r'<td class="field-value_display">([^<]*)</td>',
            page,
            re.S,
        )
    )
    assert cells["Look flag"] == "true"
    assert cells["Look ratio"] == "1.5"
    assert cells["Look text"] == "Ward A"
    assert cells[str(parameters.REGISTRY["break_glass_duration"].label)] == "30"
    assert "&quot;Ward A&quot;" not in page and '"Ward A"' not in page


@pytest.mark.parametrize(
    ("key", "shown"), [("look_flag", "true"), ("look_ratio", "1.5"), ("look_text", "Ward A")]
)
def test_the_admin_form_shows_values_as_typed(admin_client, typed_parameters, key, shown):
    row = SystemParameter.objects.get(key=key)
    assert SystemParameterForm(instance=row)["value"].value() == shown
    page = admin_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()
    assert f'value="{shown}"' in page


def test_the_admin_form_shows_a_whole_number_without_quotes(admin_client):
    system_parameter_set(key="break_glass_duration", value=30)
    row = SystemParameter.objects.get(key="break_glass_duration")
    page = admin_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()
    assert 'name="value" value="30"' in page


def test_a_value_saved_as_typed_is_stored_with_its_type(admin_client, typed_parameters):
    row = SystemParameter.objects.get(key="look_flag")
    response = admin_client.post(f"{CHANGELIST}{row.pk}/change/", {"value": "false"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.value is False


def test_the_admin_header_has_the_site_logo_and_colours(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert re.search(r'<img[^>]+src="/static/img/logo[^"]*\.svg"', page)
    assert re.search(r'<link[^>]+href="/static/css/admin[^"]*\.css"', page)
    assert ' style="' not in page.split("<body")[1].split('id="content"')[0]


def test_the_admin_style_sheet_uses_the_site_colours():
    path = finders.find("css/admin.css")
    assert path is not None
    css = Path(path).read_text(encoding="utf-8")
    core = Path(finders.find("css/core.css")).read_text(encoding="utf-8")
    brand = re.search(r"--ehr-brand:\s*(#[0-9a-f]{6})", core)
    assert brand.group(1) in css
    assert "--header-bg" in css and "--primary" in css
