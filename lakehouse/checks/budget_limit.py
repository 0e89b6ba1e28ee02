"""Whether a budget's limit is a fixed cap that AWS keeps comparing spend with (exit check 7's budget).

DescribeBudget's ``BudgetLimit`` is only this period's limit. Two kinds of budget AWS accepts change it later:
an auto-adjusting budget (``AutoAdjustData``) recomputes it from the account's own spend (HISTORICAL: the
moving average of the last ``BudgetAdjustmentPeriod`` periods; FORECAST: AWS's forecast of the period), so a
month of runaway spend raises the limit that should have caught it; a planned budget (``PlannedBudgetLimits``,
keyed by each period's start in epoch seconds) moves to each planned limit in turn and keeps the last one for
good. A budget whose ``HealthStatus`` is UNHEALTHY is not being updated at all (Budgets API reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from lakehouse.checks.billing_alarm import amount

LIMIT_RULE = (
    "its limit stays within the cap: no AutoAdjustData (an auto-adjusting budget recomputes its limit from the "
    "account's own spend, HISTORICAL as the moving average of past periods, FORECAST as AWS's forecast, so "
    "overspending raises the limit meant to catch it), and every PlannedBudgetLimits entry for the current period "
    "or a later one (the last is kept for good) a USD amount within the cap; and AWS keeps it updated (HealthStatus "
    "not UNHEALTHY)"
)
#: How each AutoAdjustType sets the limit (AutoAdjustData in the Budgets API reference).
ADJUSTS_TO = {
    "HISTORICAL": "the moving average of the account's spend over its last budget periods",
    "FORECAST": "AWS's forecast of the account's spend for the period",
}


def auto_adjust_problem(name: str, budget: Mapping[str, Any]) -> str | None:
    """Why the budget's limit follows the spend it should cap (None: it is a fixed limit)."""
    data = budget.get("AutoAdjustData")
    kind = data.get("AutoAdjustType") if isinstance(data, Mapping) else None
    if not kind:
        return None
    follows = ADJUSTS_TO.get(str(kind), f"AutoAdjustType {kind}")
    return (
        f"budget {name} adjusts its limit to the account's spend (AutoAdjustData {kind}: {follows}): a month "
        "over the cap raises the limit of the months after it, so the limit read now caps nothing"
    )


def _period_start(key: Any) -> datetime | None:
    """A PlannedBudgetLimits key (the period's start, epoch seconds as text) as a UTC time; None if unreadable."""
    try:
        return datetime.fromtimestamp(float(str(key)), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def planned_limit_problems(name: str, budget: Mapping[str, Any], cap: Decimal, now: datetime) -> list[str]:
    """Why a planned limit of the current period or a later one is not a USD amount within ``cap`` (empty: all are).

    A period's planned limit holds from its key until the next key; the last one holds from then on. Periods
    that ended before ``now`` no longer count.
    """
    planned = budget.get("PlannedBudgetLimits")
    if not isinstance(planned, Mapping) or not planned:
        return []
    starts = {key: _period_start(key) for key in planned}
    unreadable = sorted(str(k) for k, start in starts.items() if start is None)
    if unreadable:
        return [f"budget {name} has PlannedBudgetLimits keys that are no period start (epoch seconds): {unreadable}"]
    order = sorted(planned, key=lambda k: starts[k] or now)
    why = []
    for index, key in enumerate(order):
        ends = starts[order[index + 1]] if index + 1 < len(order) else None
        if ends is not None and ends <= now:
            continue  # that period is over
        spend = planned[key] if isinstance(planned[key], Mapping) else {}
        value = amount(spend.get("Amount")) if spend.get("Unit") == "USD" else None
        start = starts[key]
        when = f"from {start:%Y-%m-%d}" + ("" if ends is not None else " on (the last planned limit, kept for good)")
        if value is None:
            why.append(f"{when}: {spend.get('Amount')} {spend.get('Unit')}, not a USD amount")
        elif value > cap:
            why.append(f"{when}: {value} USD")
    if not why:
        return []
    return [
        f"budget {name} plans limits above the {cap} USD monthly cap (PlannedBudgetLimits {'; '.join(why)}): "
        "its limit moves there whatever it is now"
    ]


def health_problem(name: str, budget: Mapping[str, Any]) -> str | None:
    """Why AWS no longer updates the budget (HealthStatus UNHEALTHY), None when it does or says nothing."""
    health = budget.get("HealthStatus")
    if not isinstance(health, Mapping) or health.get("Status") != "UNHEALTHY":
        return None
    return (
        f"budget {name} is UNHEALTHY ({health.get('StatusReason') or 'no reason given'}): AWS does not update it, so "
        "it compares no current spend with its limit"
    )


def limit_problems(name: str, budget: Mapping[str, Any], cap: Decimal, now: datetime) -> list[str]:
    """Every reason the budget's limit is not a fixed cap AWS keeps comparing spend with (``LIMIT_RULE``)."""
    found = [auto_adjust_problem(name, budget), *planned_limit_problems(name, budget, cap, now)]
    found.append(health_problem(name, budget))
    return [p for p in found if p]
