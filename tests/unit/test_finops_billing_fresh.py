"""Exit check 7's billing alarm can fire only while the account still publishes the metric it watches.

ListMetrics lists a metric that had any datapoint in the last two weeks: an account whose
EstimatedCharges stopped arriving days ago is still listed, and its alarm evaluates empty periods.
The check reads the newest datapoint (GetMetricStatistics in us-east-1) and fails beyond a day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakehouse.checks.billing_alarm import BILLING_ALARM_RULE
from lakehouse.checks.billing_freshness import (
    FRESHNESS_RULE,
    MAX_AGE_S,
    READ_PERIOD_S,
    NewestCharge,
    freshness_problems,
    newest_charge,
    query,
)
from lakehouse.checks.finops import check_finops, judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import ALARM_NAME, OUTPUTS, READ_AT, healthy, stubbed_stack

WINDOW_START = READ_AT - timedelta(days=14)


def charge(age: timedelta | None, maximum: float = 0.0) -> NewestCharge:
    """What the reader makes of an account whose newest datapoint is ``age`` old at READ_AT (None: none)."""
    if age is None:
        return NewestCharge(READ_AT, WINDOW_START)
    return NewestCharge(READ_AT, WINDOW_START, READ_AT - age, maximum)


def test_a_datapoint_from_hours_ago_is_current_and_in_the_evidence() -> None:
    result = judge_finops(healthy(billing_newest=charge(timedelta(hours=5))))
    assert result.passed, result.reason
    assert result.details["billing_metric_newest"] == "2026-12-03T06:00:00+00:00"
    assert result.details["billing_metric_age_h"] == 5.0
    freshness = result.details["billing_metric_freshness"]
    assert freshness["current"] is True and freshness["max_age_h"] == 24.0
    assert freshness["asked"]["Period"] == READ_PERIOD_S and freshness["asked"]["Statistics"] == ["Maximum"]
    assert freshness["newest_maximum_usd"] == 0.0
    assert freshness["rule"] == FRESHNESS_RULE
    assert "still publishes it" in BILLING_ALARM_RULE


def test_an_account_whose_charges_stopped_days_ago_fails_though_listmetrics_lists_them() -> None:
    """The hole: the healthy listing (Currency=USD) with a newest datapoint three days old."""
    result = judge_finops(healthy(billing_newest=charge(timedelta(days=3))))
    assert result.status is Status.FAILED
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(
        f"billing alarm {ALARM_NAME} watches AWS/Billing EstimatedCharges Currency=USD, whose newest datapoint is "
        "72.00 h old (2026-11-30T11:00:00+00:00, read at 2026-12-03T11:00:00+00:00; GetMetricStatistics in "
        "us-east-1, Maximum, period 1 h), more than the 24 h allowed"
    )
    assert "ListMetrics still lists it for two weeks after its last datapoint" in problem
    assert "'Receive Billing Alerts' in the Billing preferences" in problem
    assert result.details["billing_metric"]["account_total_published"] is True  # listed: that alone was the hole
    assert result.details["billing_metric_newest"] == "2026-11-30T11:00:00+00:00"
    assert result.details["billing_metric_age_h"] == 72.0
    assert result.details["billing_metric_freshness"]["current"] is False
    assert result.details["billing_alarms_in_us_east_1"][0]["can_fire"] is False
    assert result.measured["billing_alarm_actions"] == 1  # its actions still deliver; it has nothing to fire on


def test_no_datapoint_in_the_two_weeks_fails_saying_so() -> None:
    result = judge_finops(healthy(billing_newest=charge(None)))
    assert result.status is Status.FAILED
    (problem,) = result.details["problems"]["billing_alarm"]
    assert (
        "watches AWS/Billing EstimatedCharges Currency=USD, which ListMetrics lists but which has no datapoint from "
        "2026-11-19T11:00:00+00:00 to 2026-12-03T11:00:00+00:00" in problem
    )
    assert "the alarm has no data and never fires" in problem
    assert result.details["billing_metric_newest"] is None and result.details["billing_metric_age_h"] is None


def test_a_newest_datapoint_that_was_not_read_is_not_taken_as_current() -> None:
    result = judge_finops(healthy(billing_newest=None))
    assert result.status is Status.FAILED
    assert "the newest AWS/Billing EstimatedCharges Currency=USD datapoint was not read" in str(result.reason)
    assert result.details["billing_metric_freshness"]["read"] is False


@pytest.mark.parametrize(
    ("age", "current"),
    [
        (timedelta(seconds=MAX_AGE_S), True),
        (timedelta(seconds=MAX_AGE_S + 1), False),
        (timedelta(hours=23, minutes=59), True),
        (timedelta(0), True),
        (timedelta(seconds=-90), True),  # a clock a little behind AWS's: a datapoint "from the future" is current
    ],
    ids=["exactly-a-day", "a-day-and-a-second", "just-under", "this-instant", "ahead-of-the-clock"],
)
def test_the_boundary_is_a_day_inclusive(age: timedelta, current: bool) -> None:
    assert (not freshness_problems(charge(age))) is current
    assert judge_finops(healthy(billing_newest=charge(age))).passed is current


def test_an_unlisted_metric_is_judged_once_not_again_as_stale() -> None:
    """Not listed at all: the 'Receive Billing Alerts' problem says it; no second problem about datapoints."""
    result = judge_finops(healthy(billing_metrics=[], billing_newest=charge(None)))
    (problem,) = result.details["problems"]["billing_alarm"]
    assert "which the account does not publish: ListMetrics in us-east-1 lists no EstimatedCharges" in problem


def test_the_age_is_the_read_minus_the_datapoint_not_the_judges_clock() -> None:
    """Judged now, days after READ_AT, the reading from then is as current as it was: no clock at judgement."""
    assert datetime.now(UTC) - READ_AT > timedelta(days=1)
    assert judge_finops(healthy(billing_newest=charge(timedelta(hours=5)))).passed


def test_the_newest_is_picked_from_unordered_datapoints() -> None:
    points: list[dict[str, Any]] = [
        {"Timestamp": READ_AT - timedelta(hours=30), "Maximum": 1.0},
        {"Timestamp": (READ_AT - timedelta(hours=6)).replace(tzinfo=None), "Maximum": 2.5},  # naive: UTC
        {"Timestamp": READ_AT - timedelta(hours=12), "Maximum": 2.0},
        {"Maximum": 9.0},  # no timestamp: not a datapoint to date
    ]
    newest = newest_charge(points, READ_AT, WINDOW_START)
    assert newest.timestamp == READ_AT - timedelta(hours=6) and newest.maximum == 2.5
    assert newest_charge([], READ_AT, WINDOW_START).timestamp is None


def test_the_query_covers_listmetrics_two_weeks_hourly_within_the_datapoint_cap() -> None:
    asked = query(datetime(2026, 12, 3, 11, 42, 17, 500_000, tzinfo=UTC))
    assert asked["EndTime"] == datetime(2026, 12, 3, 11, 42, 17, tzinfo=UTC)
    assert asked["StartTime"] == datetime(2026, 11, 19, 11, 0, tzinfo=UTC)  # on the hour
    assert asked["Dimensions"] == [{"Name": "Currency", "Value": "USD"}] and asked["Statistics"] == ["Maximum"]
    periods = (asked["EndTime"] - asked["StartTime"]).total_seconds() / asked["Period"]
    assert periods <= 1440  # GetMetricStatistics' cap on datapoints per call


def test_the_reader_fails_a_stack_whose_charges_stopped_three_days_ago() -> None:
    fresh = check_finops(stubbed_stack(None), OUTPUTS)
    assert fresh.passed, fresh.reason
    assert 4.9 < fresh.details["billing_metric_age_h"] < 5.1
    stale = check_finops(stubbed_stack(None, newest=timedelta(days=3)), OUTPUTS)
    assert stale.status is Status.FAILED
    assert "whose newest datapoint is 72.00 h old" in str(stale.reason)


def test_the_reader_fails_a_stack_with_no_datapoint_and_errors_when_denied() -> None:
    result = check_finops(stubbed_stack(None, newest=None), OUTPUTS)
    assert result.status is Status.FAILED
    assert "which ListMetrics lists but which has no datapoint from" in str(result.reason)

    result = check_finops(stubbed_stack(None, stats_error="AccessDenied"), OUTPUTS)
    assert result.status is Status.ERROR
    assert (
        "could not read the newest datapoint of AWS/Billing EstimatedCharges Currency=USD (GetMetricStatistics in "
        "us-east-1)" in str(result.reason)
    )
