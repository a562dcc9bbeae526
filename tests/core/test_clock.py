"""`ehr.core.clock.ensure_not_in_future`: the one "not in the future" rule, with one
tolerance for clocks ahead of the server's (the `clock_tolerance` system parameter)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ehr.core import parameters
from ehr.core.clock import clamp_to_now, clock_tolerance, ensure_not_in_future
from ehr.core.exceptions import FieldDomainError, TimeInFuture
from ehr.core.services import system_parameter_set

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
TICK = datetime.timedelta(microseconds=1)


def field_errors(exc):
    return {field: [e.message for e in errors] for field, errors in exc.error_dict.items()}


# --- The tolerance --------------------------------------------------------------------------


def test_the_tolerance_is_five_minutes_by_default():
    assert parameters.get("clock_tolerance") == 5
    assert clock_tolerance() == 5 * MINUTE


def test_the_tolerance_is_the_system_parameter():
    system_parameter_set(key="clock_tolerance", value=12)
    assert clock_tolerance() == 12 * MINUTE


@pytest.mark.parametrize("value", [-1, 61])
def test_the_tolerance_is_bounded(value):
    with pytest.raises(ValidationError):
        system_parameter_set(key="clock_tolerance", value=value)


# --- Datetimes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        NOW - datetime.timedelta(days=3650),
        NOW,
        NOW + 4 * MINUTE,
        NOW + 5 * MINUTE,  # the tolerance itself is still "now"
    ],
)
def test_a_time_up_to_the_tolerance_ahead_passes_and_is_returned(value):
    assert ensure_not_in_future(value, now=NOW) is value


@pytest.mark.parametrize("value", [NOW + 5 * MINUTE + TICK, NOW + datetime.timedelta(days=1)])
def test_a_time_beyond_the_tolerance_is_refused(value):
    with pytest.raises(TimeInFuture) as refused:
        ensure_not_in_future(value, now=NOW)
    assert [e.code for e in refused.value.error_dict["__all__"]] == ["future"]


def test_the_refusal_follows_the_parameter():
    system_parameter_set(key="clock_tolerance", value=10)
    assert ensure_not_in_future(NOW + 9 * MINUTE, now=NOW)
    system_parameter_set(key="clock_tolerance", value=0)
    assert ensure_not_in_future(NOW, now=NOW) == NOW
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(NOW + TICK, now=NOW)


def test_without_now_the_servers_clock_is_used():
    assert ensure_not_in_future(timezone.now() + 4 * MINUTE)
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(timezone.now() + 6 * MINUTE)


def test_a_time_in_another_zone_is_compared_as_the_same_instant():
    eastern = datetime.timezone(datetime.timedelta(hours=10))
    ahead_on_the_wall = NOW.astimezone(eastern) + 4 * MINUTE  # 06:04 next day, 4 min ahead
    assert ensure_not_in_future(ahead_on_the_wall, now=NOW) is ahead_on_the_wall


# --- Dates ----------------------------------------------------------------------------------


def test_a_date_may_be_today_or_before_but_not_tomorrow():
    today = timezone.localdate(NOW)
    assert ensure_not_in_future(today, now=NOW) == today
    assert ensure_not_in_future(today - datetime.timedelta(days=1), now=NOW)
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(today + datetime.timedelta(days=1), now=NOW)


def test_without_now_a_date_is_checked_against_todays():
    today = timezone.localdate()
    assert ensure_not_in_future(today) == today
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(today + datetime.timedelta(days=1))


def test_today_is_the_sites_local_date(settings):
    # 20:00 UTC on 1 March is already 2 March in Auckland (UTC+13 in March).
    settings.TIME_ZONE = "Pacific/Auckland"
    assert ensure_not_in_future(datetime.date(2026, 3, 2), now=NOW)
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(datetime.date(2026, 3, 3), now=NOW)
    settings.TIME_ZONE = "America/Los_Angeles"  # still 1 March there
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(datetime.date(2026, 3, 2), now=NOW)


def test_the_tolerance_does_not_apply_to_dates():
    system_parameter_set(key="clock_tolerance", value=60)
    late = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)  # 23:30 UTC
    with pytest.raises(TimeInFuture):
        ensure_not_in_future(datetime.date(2026, 3, 2), now=late)


# --- None, the field, the message -----------------------------------------------------------


def test_none_passes():
    assert ensure_not_in_future(None, now=NOW) is None


def test_the_error_names_the_field_with_the_default_message():
    with pytest.raises(TimeInFuture) as refused:
        ensure_not_in_future(NOW + MINUTE * 10, field="measured_at", now=NOW)
    assert isinstance(refused.value, FieldDomainError)
    assert refused.value.field == "measured_at"
    assert field_errors(refused.value) == {"measured_at": ["This cannot be in the future."]}


def test_without_a_field_the_error_is_for_the_whole_form():
    with pytest.raises(TimeInFuture) as refused:
        ensure_not_in_future(NOW + MINUTE * 10, now=NOW)
    assert list(refused.value.error_dict) == ["__all__"]


def test_a_rule_may_give_its_own_message():
    with pytest.raises(TimeInFuture) as refused:
        ensure_not_in_future(
            datetime.date(2030, 1, 1),
            field="date_of_birth",
            message="The date of birth cannot be in the future.",
            now=NOW,
        )
    assert field_errors(refused.value) == {
        "date_of_birth": ["The date of birth cannot be in the future."]
    }


# --- clamp_to_now ---------------------------------------------------------------------------


def test_clamp_to_now_moves_a_tolerated_time_back_to_now():
    assert clamp_to_now(NOW + 3 * MINUTE, now=NOW) == NOW
    assert clamp_to_now(NOW - 3 * MINUTE, now=NOW) == NOW - 3 * MINUTE
