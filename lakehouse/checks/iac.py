"""Exit check 5: 100 % IaC. Nothing drifted, nothing tagged for the stack lives outside Terraform."""

from __future__ import annotations

from typing import Any

from lakehouse.inventory import COVERED_KINDS, managed_resources, tagged_resources
from lakehouse.outcome import Outcome
from lakehouse.stack import Stack
from lakehouse.terraform import PlanResult, state_resources


def check_iac_coverage(stack: Stack) -> Outcome:
    """Run ``terraform plan -detailed-exitcode`` and compare tagged resources with the state."""
    plan = stack.plan()
    resources = state_resources(stack.state())
    tagged = tagged_resources(stack.target, stack.stack_id)
    return judge_iac(plan, resources, [(r.kind, r.name) for r in tagged], stack.stack_id)


def judge_iac(
    plan: PlanResult,
    state: list[dict[str, Any]],
    tagged: list[tuple[str, str]],
    stack_id: str,
) -> Outcome:
    """The verdict from already-collected facts (kept separate so it can be tested on its own)."""
    managed = managed_resources(state)
    unmanaged = sorted(set(tagged) - managed)
    # Only planned changes count. Refresh "drift" without a planned change is attribute noise
    # (e.g. null vs. empty map); it is kept in the details for the curious.
    changes = [{"address": c.address, "action": c.action} for c in plan.planned]
    details = {
        "plan_exit_code": plan.exit_code,
        "plan_changes": changes,
        "refresh_drift": sorted({c.address for c in plan.changes if c.drift}),
        "state_resource_count": len(state),
        "tagged_in_account": [f"{k} {n}" for k, n in sorted(tagged)],
        "unmanaged": [f"{k} {n}" for k, n in unmanaged],
        "covered_kinds": list(COVERED_KINDS),
        "tag": f"stack_id={stack_id}",
    }
    measured = {"plan_changes": len(changes), "unmanaged_resources": len(unmanaged)}
    threshold = {"plan_changes": 0, "unmanaged_resources": 0}
    plan_problems: list[str] = []
    unmanaged_problems: list[str] = []
    if not plan.clean:
        # Drift entries name what changed outside Terraform; planned changes name what it would redo.
        changed = sorted({c["address"] for c in changes})
        listed = ", ".join(changed) or "(plan reported changes without details)"
        plan_problems.append(f"terraform plan is not empty ({len(changed)} resource(s) to change: {listed})")
    if unmanaged:
        stray = ", ".join(f"{k} {n}" for k, n in unmanaged)
        unmanaged_problems.append(
            f"{len(unmanaged)} resource(s) tagged stack_id={stack_id} are not in Terraform state: {stray}"
        )
    details["problems"] = {"plan": plan_problems, "unmanaged": unmanaged_problems}
    reasons = plan_problems + unmanaged_problems
    return Outcome.judged(not reasons, measured, threshold, "; ".join(reasons) or None, details)
