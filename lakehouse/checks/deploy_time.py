"""Exit check 1: the deploy path (``make up``) completes within 30 minutes."""

from __future__ import annotations

from typing import Any

from lakehouse.outcome import Outcome
from lakehouse.stack import Stopwatch
from lakehouse.terraform import ApplyResult, state_resources


def check_deploy_time(stopwatch: Stopwatch, threshold_s: float, error: str | None = None) -> Outcome:
    """Pass when the deploy succeeded and its whole path took no longer than the threshold.

    The measured value is the sum of the phases (emulator start or credential check,
    ``terraform init``, ``terraform apply``), not only the apply.
    """
    measured = round(stopwatch.total_s, 3)
    details = stopwatch.to_dict()
    if error:
        return Outcome.judged(False, measured, threshold_s, f"the deploy did not complete: {error}", details)
    if stopwatch.apply is None:
        return Outcome.judged(False, measured, threshold_s, "no deploy stopwatch was recorded for this stack", details)
    if measured > threshold_s:
        slowest = sorted(stopwatch.apply.resources, key=lambda r: -r.elapsed_s)[:3]
        names = ", ".join(f"{r.address} {r.elapsed_s:g} s" for r in slowest) or "no per-resource times"
        return Outcome.judged(
            False,
            measured,
            threshold_s,
            f"the deploy took {measured:.1f} s, over the {threshold_s:g} s threshold (slowest: {names})",
            details,
        )
    return Outcome.judged(True, measured, threshold_s, None, details)


def untimed_resources(apply: ApplyResult, state: dict[str, Any], *later: ApplyResult) -> list[str]:
    """Managed resources in state that no recorded apply has a time for (should be none).

    ``later``: the harness's own recorded applies after the deploy (the model release's, which
    creates the SageMaker endpoint once Gold has data): a resource one of them created is timed,
    by that apply, not by exit check 1's deploy.
    """
    timed = {r.address for a in (apply, *later) for r in a.resources}
    return sorted(r["address"] for r in state_resources(state) if r["address"] not in timed)
