"""Exit check 7's budget limit must stay within the cap, not only read so this month.

DescribeBudget's ``BudgetLimit`` is the current period's limit. Budgets AWS accepts whose limit moves:

- an auto-adjusting budget (``AutoAdjustData`` HISTORICAL or FORECAST) recomputes its limit from the
  account's own spend: 20 USD in a quiet month, 400 USD after a month of runaway spend, so its alerts
  never tell of the cap;
- a planned budget (``PlannedBudgetLimits``) moves to each month's planned limit and keeps the last one:
  20 USD now, 5000 USD from next month;
- a budget AWS marks UNHEALTHY (``HealthStatus``) is not updated at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.checks.finops import judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import BUDGET, BUDGET_NAME, READ_AT, healthy


def month(year: int, number: int) -> str:
    """A PlannedBudgetLimits key: the month's start in epoch seconds, as AWS writes it."""
    return str(int(datetime(year, number, 1, tzinfo=UTC).timestamp()))


def usd(text: str) -> dict[str, str]:
    return {"Amount": text, "Unit": "USD"}


#: Twelve months from the month of reading (READ_AT is in 2026-12), as AWS wants a planned monthly budget.
TWELVE_MONTHS = [(2026, 12), *((2027, m) for m in range(1, 12))]


def planned(**amounts: str) -> dict[str, dict[str, str]]:
    """12 planned months of 20 USD, with ``amounts`` (keyed ``y2027m3``) set where given."""
    plan = {month(y, m): usd("20") for y, m in TWELVE_MONTHS}
    for label, text in amounts.items():
        y, m = label[1:].split("m")
        plan[month(int(y), int(m))] = usd(text) if not text.startswith("EUR ") else {"Amount": text[4:], "Unit": "EUR"}
    return plan


def judged(**budget: Any) -> Any:
    return judge_finops(healthy(budget={**BUDGET, **budget}), cap_usd=20)


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"AutoAdjustType": "FORECAST"}, "AutoAdjustData FORECAST: AWS's forecast of the account's spend"),
        (
            {"AutoAdjustType": "HISTORICAL", "HistoricalOptions": {"BudgetAdjustmentPeriod": 3}},
            "AutoAdjustData HISTORICAL: the moving average of the account's spend",
        ),
    ],
    ids=["forecast", "historical"],
)
def test_an_auto_adjusting_budget_fails_whatever_its_limit_reads_now(data: dict[str, Any], shown: str) -> None:
    """Broken: the limit reads 20 USD this month, and follows the spend it should cap from then on."""
    result = judged(AutoAdjustData=data)
    assert result.status is Status.FAILED
    assert f"budget {BUDGET_NAME} adjusts its limit to the account's spend ({shown}" in str(result.reason)
    assert "so the limit read now caps nothing" in str(result.reason)


def test_a_fixed_budget_passes_and_an_empty_auto_adjust_block_is_none() -> None:
    """Healthy twin: a fixed limit (no AutoAdjustData, or one without a type) passes."""
    assert judged().passed
    assert judged(AutoAdjustData={}).passed


@pytest.mark.parametrize(
    ("plan", "shown"),
    [
        (planned(y2027m1="5000"), "from 2027-01-01: 5000 USD"),
        (planned(y2027m11="20.01"), "from 2027-11-01 on (the last planned limit, kept for good): 20.01 USD"),
        (planned(y2027m6="EUR 15"), "from 2027-06-01: 15 EUR, not a USD amount"),
    ],
    ids=["next-month-5000", "last-month-kept-for-good", "another-currency"],
)
def test_a_planned_budget_above_the_cap_later_fails(plan: dict[str, Any], shown: str) -> None:
    """Broken: DescribeBudget's BudgetLimit is this month's planned 20 USD; a later month's is over the cap."""
    result = judged(PlannedBudgetLimits=plan)
    assert result.status is Status.FAILED
    assert f"budget {BUDGET_NAME} plans limits above the 20 USD monthly cap (PlannedBudgetLimits " in str(result.reason)
    assert shown in str(result.reason)


def test_a_planned_budget_within_the_cap_passes_and_ended_months_do_not_count() -> None:
    """Healthy twins: every planned month within the cap; a month that ended above it no longer matters."""
    assert judged(PlannedBudgetLimits=planned()).passed
    past = {month(2026, 11): usd("900"), **planned()}
    assert datetime(2026, 12, 1, tzinfo=UTC) < READ_AT
    assert judged(PlannedBudgetLimits=past).passed


def test_planned_limits_with_keys_that_are_no_time_fail_naming_them() -> None:
    result = judged(PlannedBudgetLimits={"next month": usd("5")})
    assert result.status is Status.FAILED
    assert "PlannedBudgetLimits keys that are no period start (epoch seconds): ['next month']" in str(result.reason)


def test_a_budget_aws_does_not_update_fails_and_a_healthy_one_passes() -> None:
    """Broken: HealthStatus UNHEALTHY (AWS no longer updates it); healthy twin: HEALTHY."""
    result = judged(HealthStatus={"Status": "UNHEALTHY", "StatusReason": "FILTER_INVALID"})
    assert result.status is Status.FAILED
    assert f"budget {BUDGET_NAME} is UNHEALTHY (FILTER_INVALID): AWS does not update it" in str(result.reason)
    assert judged(HealthStatus={"Status": "HEALTHY"}).passed
