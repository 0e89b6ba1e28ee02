"""Exit check 7 on the emulator: a budget alerting only on a forecast AWS has not made yet cannot fire.

AWS forecasts a budget only after about five weeks of the account's usage data; until then DescribeBudget
shows no ``CalculatedSpend.ForecastedSpend`` and no FORECASTED notification is sent. The emulator is a new
account, so its DescribeBudget must show none either: moto's answers a forecast of 0 USD for every budget,
which let a budget whose only notification is FORECASTED pass locally and fail on AWS.
"""

from __future__ import annotations

import uuid
from typing import Any

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION
from tests.emulator.test_finops_topic_policy import ACCOUNT, NOTIFICATION, _guards

FORECAST_100 = {**NOTIFICATION, "NotificationType": "FORECASTED", "Threshold": 100.0}


def test_a_new_accounts_budget_shows_actual_spend_and_no_forecast(emulator: EmulatorHandle) -> None:
    budgets = local_target(emulator.endpoint, REGION).client("budgets")
    name = f"forecast-{uuid.uuid4().hex[:8]}"
    spec = {"BudgetName": name, "BudgetType": "COST", "BudgetLimit": {"Amount": "20", "Unit": "USD"}}
    budgets.create_budget(AccountId=ACCOUNT, Budget={**spec, "TimeUnit": "MONTHLY"})
    shown: dict[str, Any] = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=name)["Budget"]
    listed = [b for b in budgets.describe_budgets(AccountId=ACCOUNT)["Budgets"] if b["BudgetName"] == name]
    assert [b["CalculatedSpend"] for b in listed] == [shown["CalculatedSpend"]]
    assert shown["CalculatedSpend"] == {"ActualSpend": {"Amount": "0", "Unit": "USD"}}
    budgets.delete_budget(AccountId=ACCOUNT, BudgetName=name)


def test_a_budget_alerting_only_on_a_forecast_fails_and_an_actual_notification_passes(
    emulator: EmulatorHandle,
) -> None:
    target = local_target(emulator.endpoint, REGION)
    outputs, alerts, _ = _guards(target, f"lh-fc-{uuid.uuid4().hex[:6]}")
    healthy = judge_finops(read_finops(target, outputs)).details["problems"]["budget"]
    assert healthy == []  # healthy twin: an ACTUAL > 80 % notification on the alerts topic

    budgets, name = target.client("budgets"), outputs["budget_name"]
    subscriber = {"SubscriptionType": "SNS", "Address": alerts}
    budgets.create_notification(AccountId=ACCOUNT, BudgetName=name, Notification=FORECAST_100, Subscribers=[subscriber])
    budgets.delete_notification(AccountId=ACCOUNT, BudgetName=name, Notification=NOTIFICATION)
    result = judge_finops(read_finops(target, outputs))
    (problem,) = result.details["problems"]["budget"]
    assert problem.startswith(
        f"none of budget {name}'s 1 notification(s) can alert before the limit is spent (FORECASTED GREATER_THAN "
        "100.0 %: is FORECASTED, and AWS has no forecast for the budget yet"
    ), problem
    assert result.measured["budget_notifications_that_can_fire"] == 0
