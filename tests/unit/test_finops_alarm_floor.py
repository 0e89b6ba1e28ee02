"""Exit check 7: a billing alarm set far below the cap is in ALARM long before it, and silent when it is crossed.

EstimatedCharges is the month's running total: it only rises until the month ends, so an alarm on it enters
ALARM at most once a month and stays there. ``GreaterThanThreshold 0`` fires at the month's first cent, every
month, and sends nothing when the 20 USD cap is crossed; CloudWatch accepts it, and it is within the cap. The
check wants the threshold at least half the cap (``MIN_CAP_SHARE``) and at most the cap.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.billing_alarm import BILLING_ALARM_RULE, MIN_CAP_SHARE
from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import ALARM, ALARM_NAME, healthy


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"Threshold": 0.0}, "threshold 0.0 is below 50% of the 20 USD cap (10 USD)"),  # the first cent
        ({"Threshold": 0.01, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}, "threshold 0.01 is below 50%"),
        ({"Threshold": 1.0}, "threshold 1.0 is below 50% of the 20 USD cap"),
        ({"Threshold": 9.99}, "threshold 9.99 is below 50% of the 20 USD cap"),
    ],
    ids=["gt-0", "gte-1-cent", "1-usd", "just-under-half"],
)
def test_a_billing_alarm_far_below_the_cap_fails_naming_it(change: dict[str, Any], shown: str) -> None:
    result = judge_finops(healthy(alarm={**ALARM, **change}, billing_alarms=[{**ALARM, **change}]), cap_usd=20)
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(f"billing alarm {ALARM_NAME} {shown}")
    assert "sends nothing new when the cap is crossed" in problem
    (listed,) = result.details["billing_alarms_in_us_east_1"]
    assert listed["can_fire"] is False


@pytest.mark.parametrize("threshold", [10.0, 16.0, 20.0])
def test_a_billing_alarm_from_half_the_cap_to_the_cap_passes(threshold: float) -> None:
    result = judge_finops(healthy(alarm={**ALARM, "Threshold": threshold}), cap_usd=20)
    assert result.passed, result.reason


def test_the_floor_follows_the_cap_judged() -> None:
    """A 15 USD cap puts the floor at 7.5 USD: an alarm at 8 USD passes there, one at 7 USD does not."""
    fine = judge_finops(healthy(alarm={**ALARM, "Threshold": 8.0}), cap_usd=15)
    assert fine.details["problems"]["billing_alarm"] == []  # (the 20 USD budget is over a 15 USD cap: not judged here)
    low = judge_finops(healthy(alarm={**ALARM, "Threshold": 7.0}), cap_usd=15)
    (problem,) = low.details["problems"]["billing_alarm"]
    assert "threshold 7.0 is below 50% of the 15 USD cap (7.5 USD)" in problem


def test_a_stray_alarm_at_the_first_cent_beside_the_named_one_is_listed_not_failed() -> None:
    stray = {**ALARM, "AlarmName": "console-zero-spend", "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:z"}
    result = judge_finops(healthy(billing_alarms=[ALARM, {**stray, "Threshold": 0.0}]), cap_usd=20)
    assert result.passed, result.reason
    listed = {a["name"]: a["can_fire"] for a in result.details["billing_alarms_in_us_east_1"]}
    assert listed == {ALARM_NAME: True, "console-zero-spend": False}


def test_the_rule_states_the_floor() -> None:
    assert MIN_CAP_SHARE * 2 == 1
    assert "at least 50% of the cap" in BILLING_ALARM_RULE and "first cent" in BILLING_ALARM_RULE


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (
            {"Statistic": "Sum", "Period": 86400},
            "threshold 20.0 on Sum, which adds up about 4 datapoints of the running total per 86400 s period (billing "
            "data arrive about every 6 h), is reached at a total of about 5.00 USD, below 50% of the 20 USD cap",
        ),
        (
            {"Statistic": None, "ExtendedStatistic": "ts90", "Period": 43200, "Threshold": 18.0},
            "threshold 18.0 on ts90, which adds up about 2 datapoints of the running total per 43200 s period (billing "
            "data arrive about every 6 h), is reached at a total of about 9.00 USD, below 50% of the 20 USD cap",
        ),
    ],
    ids=["sum-per-day", "trimmed-sum-per-12h"],
)
def test_a_sum_over_several_billing_updates_fires_far_below_the_cap_and_fails(
    change: dict[str, Any], shown: str
) -> None:
    """The same floor through another door: a daily Sum of four 6-hourly running totals at 20 USD fires at 5 USD."""
    result = judge_finops(healthy(alarm={**ALARM, **change}), cap_usd=20)
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(f"billing alarm {ALARM_NAME} {shown}")


@pytest.mark.parametrize(
    "change",
    [
        {"Statistic": "Sum"},  # 6 h: one datapoint, the total itself
        {"Statistic": "Sum", "Period": 43200, "Threshold": 20.0},  # 2 datapoints: reached at 10 USD, half the cap
        {"Statistic": "Maximum", "Period": 86400},  # a day's Maximum is the total
        {"Statistic": "Average", "Period": 86400},
    ],
    ids=["sum-6h", "sum-12h-at-half", "max-per-day", "average-per-day"],
)
def test_statistics_that_reach_the_threshold_at_half_the_cap_or_later_pass(change: dict[str, Any]) -> None:
    result = judge_finops(healthy(alarm={**ALARM, **change}), cap_usd=20)
    assert result.passed, result.reason
