"""Exit check 7: a billing alarm counts only if the statistic it compares with its threshold is in dollars.

PutMetricAlarm accepts as ExtendedStatistic not only percentiles but ``tc90``, ``TC(10%:90%)`` (a count of
datapoints) and ``PR(n:m)`` (the percentage of datapoints between n and m). On AWS/Billing EstimatedCharges such an
alarm compares a count (a few per period: billing data arrive about every 6 h) or a percentage (0-100) with its
"20 USD" threshold: ``tc90 > 20`` never fires however much the account spends, and ``PR(:20) > 20`` fires while the
spend is *under* the cap. SampleCount was already refused for the same reason; these passed the check.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import ALARM, ALARM_NAME, healthy


@pytest.mark.parametrize(
    ("extended", "expected"),
    [
        ("tc90", "compares the extended statistic tc90 (a trimmed count: how many datapoints"),
        ("TC(10%:90%)", "compares the extended statistic TC(10%:90%) (a trimmed count: how many datapoints"),
        ("PR(:20)", "compares the extended statistic PR(:20) (a percentile rank: the percentage of datapoints"),
        ("pr(0:20)", "compares the extended statistic pr(0:20) (a percentile rank: the percentage of datapoints"),
        ("p99.9x", "uses the extended statistic p99.9x, which CloudWatch does not compute"),
    ],
)
def test_a_billing_alarm_comparing_a_count_or_a_percentage_cannot_tell_of_the_cap(extended: str, expected: str) -> None:
    alarm = {**ALARM, "Statistic": None, "ExtendedStatistic": extended}
    result = judge_finops(healthy(alarm=alarm, billing_alarms=[alarm]), cap_usd=20)
    assert not result.passed
    reason = str(result.reason)
    assert f"billing alarm {ALARM_NAME} " in reason and expected in reason, reason
    assert result.details["billing_alarms_in_us_east_1"][0]["can_fire"] is False


@pytest.mark.parametrize(
    "change",
    [
        {"ExtendedStatistic": "p99"},
        {"ExtendedStatistic": "p100"},
        {"ExtendedStatistic": "tm90"},
        {"ExtendedStatistic": "TM(10%:90%)"},
        {"ExtendedStatistic": "wm90"},
        {"ExtendedStatistic": "IQM"},
        {"ExtendedStatistic": "ts90"},  # a trimmed sum adds dollars: it fires sooner, not never
        {"Statistic": "Average"},
        {"Statistic": "Minimum"},
        {"Statistic": "Sum"},
    ],
)
def test_a_billing_alarm_comparing_dollars_still_passes(change: dict[str, Any]) -> None:
    alarm = {**ALARM, **({"Statistic": None} if "ExtendedStatistic" in change else {}), **change}
    result = judge_finops(healthy(alarm=alarm, billing_alarms=[alarm]), cap_usd=20)
    assert result.passed, result.reason
