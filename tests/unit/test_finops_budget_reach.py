"""Exit check 7's budget must see the whole bill and be able to alert now, not in five weeks.

Three budgets AWS accepts that alert nobody before the cap is spent:

- its only notifications are FORECASTED while AWS has no forecast for it: AWS needs about five
  weeks of usage data to forecast, and until then a forecasted notification is never sent
  (DescribeBudget shows no ``CalculatedSpend.ForecastedSpend``). The stack is meant for an
  account of its own (infra/finops.tf), so that is its first month;
- it tracks a billing view other than the account's primary one (``BillingViewArn``): a custom
  view is filtered (accounts, tags) and a billing group's view is pro forma, so the budget sees
  part of the bill, or other prices, as a CostFilters budget does;
- its only notification is GREATER_THAN 0: it fires at the month's first cent, once, and is silent
  when the cap is crossed.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.finops import NotificationReadback, judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import ACCOUNT, ACTUAL_80, BUDGET, BUDGET_NAME, FORECAST_100, SNS, healthy

#: What DescribeBudget answers for a budget AWS cannot forecast yet: actual spend, no ForecastedSpend.
NO_FORECAST = {"ActualSpend": {"Amount": "3.12", "Unit": "USD"}}
#: And once it can (after about five weeks of usage data).
FORECAST = {**NO_FORECAST, "ForecastedSpend": {"Amount": "14.80", "Unit": "USD"}}
PRIMARY_VIEW = f"arn:aws:billing::{ACCOUNT}:billingview/primary"


def forecast_only(calculated: dict[str, Any] | None) -> Any:
    """The stack's budget with only its FORECASTED > 100 % notification, and ``calculated`` as CalculatedSpend."""
    budget = {k: v for k, v in BUDGET.items() if k != "CalculatedSpend"}
    if calculated is not None:
        budget["CalculatedSpend"] = calculated
    return healthy(budget=budget, notifications=[NotificationReadback(FORECAST_100, [SNS])])


@pytest.mark.parametrize("calculated", [NO_FORECAST, None], ids=["no-forecasted-spend", "no-calculated-spend"])
def test_a_budget_alerting_only_on_a_forecast_aws_has_not_made_fails(calculated: dict[str, Any] | None) -> None:
    """Broken budget: its one notification is FORECASTED > 100 % and DescribeBudget shows no forecast, so AWS
    sends nothing whatever the spend until it has five weeks of data; a 60 USD first month goes unalerted."""
    result = judge_finops(forecast_only(calculated))
    assert result.status is Status.FAILED
    assert (
        "FORECASTED GREATER_THAN 100.0 %: is FORECASTED, and AWS has no forecast for the budget yet "
        "(DescribeBudget shows no CalculatedSpend.ForecastedSpend"
    ) in str(result.reason)
    assert result.measured["budget_notifications_that_can_fire"] == 0


def test_a_forecasted_notification_counts_once_aws_forecasts_the_budget() -> None:
    """Healthy twin: the same notification on a budget AWS forecasts (ForecastedSpend shown) can fire."""
    result = judge_finops(forecast_only(FORECAST))
    assert result.passed, result.reason
    assert result.measured["budget_notifications_that_can_fire"] == 1


def test_an_actual_notification_needs_no_forecast() -> None:
    """Healthy twin: the stack's own budget (ACTUAL 80 % and FORECASTED 100 %) on a new account: the ACTUAL one
    fires, the FORECASTED one is listed as not able to yet."""
    budget = {**BUDGET, "CalculatedSpend": NO_FORECAST}
    both = [NotificationReadback(ACTUAL_80, [SNS]), NotificationReadback(FORECAST_100, [SNS])]
    result = judge_finops(healthy(budget=budget, notifications=both))
    assert result.passed, result.reason
    assert result.measured["budget_notifications_that_can_fire"] == 1
    forecasted = result.details["budget_notifications"][1]
    assert forecasted["can_fire"] is False
    assert "AWS has no forecast for the budget yet" in forecasted["problems"][0]


@pytest.mark.parametrize(
    ("view", "kind"),
    [
        (f"arn:aws:billing::{ACCOUNT}:billingview/custom-5f1c2d3e-0000-4000-8000-000000000001", "custom"),
        (f"arn:aws:billing::{ACCOUNT}:billingview/billing-group-058316962835", "billing-group"),
        ("arn:aws:billing::210987654321:billingview/primary", "another account's primary"),
    ],
)
def test_a_budget_on_another_billing_view_fails(view: str, kind: str) -> None:
    """Broken budget: it tracks a billing view other than the account's own primary one (a custom view filtered
    to a tag nobody has reads 0 USD all month), with no CostFilters or FilterExpression to show it."""
    result = judge_finops(healthy(budget={**BUDGET, "BillingViewArn": view}))
    assert result.status is Status.FAILED, kind
    assert (
        f"budget {BUDGET_NAME} counts only part of the account's cost (BillingViewArn {view}: not the account's "
        f"primary billing view arn:aws:billing::{ACCOUNT}:billingview/primary"
    ) in str(result.reason)


@pytest.mark.parametrize("view", [PRIMARY_VIEW, None], ids=["primary", "none"])
def test_a_budget_on_the_primary_billing_view_covers_the_bill(view: str | None) -> None:
    """Healthy twin: AWS answers the primary view for a budget made without one; an older answer names none."""
    budget = dict(BUDGET) if view is None else {**BUDGET, "BillingViewArn": view}
    result = judge_finops(healthy(budget=budget))
    assert result.passed, result.reason


@pytest.mark.parametrize(
    ("notification", "shown"),
    [
        ({**ACTUAL_80, "Threshold": 0.0}, "ACTUAL GREATER_THAN 0.0 %"),
        ({**ACTUAL_80, "Threshold": 0.0, "ThresholdType": "ABSOLUTE_VALUE"}, "ACTUAL GREATER_THAN 0.0 USD"),
        ({**FORECAST_100, "Threshold": 0.0}, "FORECASTED GREATER_THAN 0.0 %"),
    ],
)
def test_a_notification_at_a_zero_threshold_says_nothing_of_the_cap(notification: dict[str, Any], shown: str) -> None:
    """Broken budget: its one notification fires at the month's first cent (GREATER_THAN 0): AWS sends an ACTUAL
    notification once per budget period, so it has fired, weeks before, when the cap is crossed, and says nothing
    then (the billing alarm's rule rejects an alarm that breaches at 0 USD for the same reason)."""
    result = judge_finops(healthy(notifications=[NotificationReadback(notification, [SNS])]))
    assert result.status is Status.FAILED
    assert f"{shown}: fires at the month's first charge (GREATER_THAN 0)" in str(result.reason)


@pytest.mark.parametrize("threshold", [0.01, 1.0])
def test_a_small_threshold_above_zero_still_alerts(threshold: float) -> None:
    """Healthy twin: any threshold above 0 (here 0.01 % and 1 %, within 100 %) is the owner's choice."""
    notification = {**ACTUAL_80, "Threshold": threshold}
    assert judge_finops(healthy(notifications=[NotificationReadback(notification, [SNS])])).passed
