"""A budget's TimePeriod as AWS keeps it (lakehouse.emulator.extensions.budgets).

Terraform's ``aws_budgets_budget`` without ``time_period_start`` sends a TimePeriod with only an
End; AWS fills the Start with the start of the chosen period (``TimePeriod`` in the Budgets API
reference), and exit check 7 judges a budget by whether its period holds today.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.emulator.extensions.budgets import period_start

ACCOUNT_ID = "123456789012"
END = datetime(2087, 6, 15, tzinfo=UTC)


@pytest.fixture
def budgets(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("budgets")


def _create(budgets: Any, time_unit: str = "MONTHLY", **budget: Any) -> str:
    name = f"period-{uuid.uuid4().hex[:8]}"
    spec = {"BudgetName": name, "BudgetType": "COST", "BudgetLimit": {"Amount": "20", "Unit": "USD"}}
    budgets.create_budget(AccountId=ACCOUNT_ID, Budget={**spec, "TimeUnit": time_unit, **budget})
    return name


def _period(budgets: Any, name: str) -> dict[str, datetime]:
    return dict(budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Budget"]["TimePeriod"])


def test_a_budget_created_with_only_an_end_gets_the_start_of_its_period(budgets: Any) -> None:
    name = _create(budgets, TimePeriod={"End": END})
    period = _period(budgets, name)
    now = datetime.now(UTC)
    assert (
        period["Start"] == period_start("MONTHLY", now) == now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    assert period["End"] == END
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName=name)


def test_a_budget_created_without_a_period_runs_from_this_period_to_2087(budgets: Any) -> None:
    name = _create(budgets, "ANNUALLY")
    period = _period(budgets, name)
    assert (period["Start"].month, period["Start"].day, period["End"]) == (1, 1, END)
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName=name)


def test_update_budget_moves_the_period_and_keeps_it_when_none_is_given(budgets: Any) -> None:
    name = _create(budgets)
    budget = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Budget"]
    ended = {"Start": datetime(2024, 1, 1, tzinfo=UTC), "End": datetime(2024, 12, 31, tzinfo=UTC)}
    budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget={**budget, "TimePeriod": ended})
    assert _period(budgets, name) == ended
    without = {k: v for k, v in budget.items() if k != "TimePeriod"}
    budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget=without)
    assert _period(budgets, name) == ended
    budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget={**budget, "TimePeriod": {"End": END}})
    assert _period(budgets, name) == {"Start": ended["Start"], "End": END}
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName=name)


@pytest.mark.parametrize(
    ("unit", "start"),
    [
        ("DAILY", datetime(2026, 8, 17, tzinfo=UTC)),
        ("MONTHLY", datetime(2026, 8, 1, tzinfo=UTC)),
        ("QUARTERLY", datetime(2026, 7, 1, tzinfo=UTC)),
        ("ANNUALLY", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_the_default_start_is_the_start_of_the_current_period(unit: str, start: datetime) -> None:
    assert period_start(unit, datetime(2026, 8, 17, 13, 5, tzinfo=UTC)) == start
