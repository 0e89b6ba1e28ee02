"""KPI cost: the stack's budget must bound the month's cost, not a day's or a usage quantity.

The broken stack: its budget has a 20 USD limit but a DAILY time unit (about 600 USD a month before it
alerts), or is a USAGE budget whose limit is not money. The KPI read only the limit's amount and passed;
exit check 7 (lakehouse.checks.finops) already refused both, and now the KPI says the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from tests.unit.plan_docs import REGION, pause_values, plan

MONTHLY = {
    "BudgetName": "lakehouse-x-monthly-cost",
    "BudgetLimit": {"Amount": "20.0", "Unit": "USD"},
    "BudgetType": "COST",
    "TimeUnit": "MONTHLY",
}


def _judge(budget: dict[str, Any]) -> Any:
    estimate = estimate_cost(planned_resources(plan(pause_values()), REGION), load_prices(), load_usage())
    return judge_cost(estimate, 20.0, budget)


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"TimeUnit": "DAILY"}, "DAILY COST"),
        ({"BudgetType": "USAGE"}, "MONTHLY USAGE"),
        ({"TimeUnit": None}, "None COST"),
    ],
)
def test_a_budget_that_is_not_a_monthly_cost_budget_fails_the_kpi_naming_it(changes: dict[str, Any], kind: str) -> None:
    result = _judge({**MONTHLY, **changes})
    assert not result.passed
    assert (
        f"budget lakehouse-x-monthly-cost is a {kind} budget, not a MONTHLY COST budget: its 20 USD does not "
        "bound the monthly cost"
    ) in str(result.reason)


def test_a_monthly_cost_budget_within_the_cap_passes() -> None:
    result = _judge(MONTHLY)
    assert result.passed, result.reason
