"""Exit check 7 on the emulator: a budget whose CostTypes leave tax out sees only part of the bill.

The budget, its topic and the billing alarm are made through the APIs as infra/ makes them; then the budget
is updated out of band (UpdateBudget, as the console's "Advanced options" does) to leave tax and support
fees out. Budgets answers CostTypes as set; the reader must carry them, and the judge name the flags.
"""

from __future__ import annotations

import uuid
from typing import Any

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION
from tests.emulator.test_finops_topic_policy import ACCOUNT, _guards


def test_a_budget_leaving_tax_out_fails_and_the_full_bill_passes(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    outputs, _, _ = _guards(target, f"lh-cost-{uuid.uuid4().hex[:6]}")
    budgets = target.client("budgets")
    name = outputs["budget_name"]
    healthy = judge_finops(read_finops(target, outputs)).details["problems"]
    assert healthy["budget"] == [], healthy["budget"]

    budget: dict[str, Any] = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=name)["Budget"]
    budget["CostTypes"] = {**budget.get("CostTypes", {}), "IncludeTax": False, "IncludeSupport": False}
    budgets.update_budget(AccountId=ACCOUNT, NewBudget=budget)
    result = judge_finops(read_finops(target, outputs))
    (problem,) = result.details["problems"]["budget"]
    assert problem == (
        f"budget {name} counts only part of the account's cost (CostTypes IncludeTax=false, IncludeSupport=false: "
        "those charges are on the bill, not in the budget)"
    )
    assert result.details["budget"]["CostTypes"]["IncludeTax"] is False
