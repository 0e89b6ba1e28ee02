"""KPI quick-start runtime <= 30 min: the stopwatch of the whole ``make up`` path.

Every phase ``Lifecycle.up`` times counts (emulator start or credential check, ``terraform
init``, ``terraform apply``, and any phase added later), not only the apply.
"""

from __future__ import annotations

from lakehouse.checks.deploy_time import check_deploy_time
from lakehouse.outcome import Outcome
from lakehouse.stack import Stopwatch


def judge_quickstart(stopwatch: Stopwatch, threshold_s: float, error: str | None = None) -> Outcome:
    """``skipped`` when no deploy was timed (a stack verified with --deployed but never timed)."""
    if not stopwatch.phases and error is None:
        return Outcome.skipped(
            "no deploy stopwatch for this stack (it was not deployed by this run or by `lakehouse up`)", threshold_s
        )
    result = check_deploy_time(stopwatch, threshold_s, error)
    result.details = {"unit": "s", "phases_s": result.details.get("phases_s", {}), "total_s": result.measured}
    return result
