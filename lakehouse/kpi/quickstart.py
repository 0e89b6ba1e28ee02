"""KPI quick-start runtime <= 30 min: one wall clock over the whole ``make up`` path.

The figure is the stopwatch's ``wall_s``: one clock that never steps and counts a suspend
(``startclock.since_boot``) from the ``Lifecycle.up`` call (before the stack lock is taken) until
the deploy is recorded (outputs read, ``stack.json`` saved), plus,
for ``make up``, the time since make read the Makefile (``LAKEHOUSE_QUICKSTART_STARTED``: the venv
build and the CLI's start), timed on this boot's clock (``lakehouse.startclock``). Not a sum of
named phases: a sum leaves out the lock wait, the stack record, reading the outputs and whatever
phase nobody named, so a quick start of 35 minutes could add up to 29. The phases are still in the
evidence, with the time outside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakehouse.checks.deploy_time import not_a_deploy, not_one_clock, start_not_timed
from lakehouse.checks.stack_parts import smaller_stack
from lakehouse.outcome import Outcome
from lakehouse.stack import Stopwatch

#: What the clock leaves out, and why (in every verdict's evidence).
OUTSIDE_THE_CLOCK = (
    "in a pytest session, everything before the deployment fixture calls Lifecycle.up (building .venv, installing "
    "a browser, pytest's start and collection: the harness's own, not `make up`'s) and the destroy at the session's "
    "end (not part of a quick start); with `make up`, nothing before make read the Makefile; in both, writing "
    "stopwatch.json itself (one small file, after the clock stops)"
)


def provider_download(stopwatch: Stopwatch) -> str:
    """Whether this quick start's time includes the provider download a first quick start on a new machine has.

    Stacks share one plugin cache (README: the AWS provider is fetched once per machine), so a later
    quick start's ``terraform init`` copies it: its time is a repeat user's, and the evidence says so.
    """
    if not stopwatch.providers:
        return "not recorded (a stopwatch of an older harness, or init named no provider)"
    reused = sorted(p for p, source in stopwatch.providers.items() if "no download" in source)
    if reused:
        return (
            f"not included: {', '.join(reused)} came from a cache, so this time is a repeat quick start's on this "
            "machine; a first quick start also downloads them"
        )
    return "included: init installed every provider"


def judge_quickstart(
    stopwatch: Stopwatch,
    threshold_s: float,
    error: str | None = None,
    untimed: Sequence[str] = (),
    absent: Sequence[str] = (),
) -> Outcome:
    """``skipped`` when no deploy was timed (a stack verified with --deployed but never timed).

    ``untimed``: the managed resources in the stack's state that no timed apply created
    (``checks.deploy_time.untimed_resources``). Terraform's apply reports nothing for a resource
    it leaves alone, so a quick start on a stack that was mostly there already (a failed destroy's
    state, a ``-target`` apply before the clock) creates a few resources and looks from scratch:
    only the state says the rest existed before the clock started.

    ``absent``: the parts of the plan's stack the state lacks (``checks.stack_parts.absent_parts``): a quick
    start with one switched off (``TF_VAR_ml_enabled=false``) is from scratch and whole, and faster.
    """
    if not stopwatch.phases and stopwatch.apply is None and error is None and not stopwatch.not_this_deploy:
        return Outcome.skipped(
            "no deploy stopwatch for this stack (it was not deployed by this run or by `lakehouse up`)", threshold_s
        )
    phases = round(stopwatch.total_s, 3)
    wall = None if stopwatch.wall_s is None else round(stopwatch.wall_s, 3)
    details: dict[str, Any] = {
        "unit": "s",
        "measured_by": "one wall clock over the whole quick start (not the sum of its phases)",
        "clock_started": stopwatch.clock_started,
        "clock_error": stopwatch.clock_error,
        "total_s": wall,
        "phases_s": {k: round(v, 3) for k, v in stopwatch.phases.items()},
        "sum_of_phases_s": phases,
        "outside_the_phases_s": None if wall is None else round(wall - phases, 3),
        "outside_the_clock": OUTSIDE_THE_CLOCK,
        "resources_without_time": list(untimed),
        "parts_absent_from_the_state": list(absent),
        "providers_from": dict(stopwatch.providers),
        "provider_download": provider_download(stopwatch),
    }
    if error:
        return Outcome.judged(False, wall, threshold_s, f"the deploy did not complete: {error}", details)
    if reason := not_one_clock(stopwatch):
        return Outcome.judged(False, wall, threshold_s, reason, details)
    if wall is None:
        return Outcome.skipped(
            "the deploy stopwatch has no whole-path wall clock (wall_s; written by an older harness): "
            "the sum of its named phases would leave time out, so it is not measured; redeploy the stack",
            threshold_s,
            details,
        )
    if stopwatch.apply is None:
        return Outcome.judged(False, wall, threshold_s, "no deploy stopwatch was recorded for this stack", details)
    if reason := not_a_deploy(stopwatch.apply):
        return Outcome.judged(False, wall, threshold_s, reason, details)
    if reason := smaller_stack(absent):
        return Outcome.judged(False, wall, threshold_s, reason, details)
    if untimed:
        shown = ", ".join(untimed[:5]) + (f" and {len(untimed) - 5} more" if len(untimed) > 5 else "")
        return Outcome.judged(
            False,
            wall,
            threshold_s,
            f"the quick start did not deploy the whole stack: {len(untimed)} resource(s) in its state were not "
            f"created by a timed apply, so they existed before the clock started ({shown})",
            details,
        )
    if stopwatch.clock_error and wall <= threshold_s:  # over it without the start: judged below
        return Outcome.error(start_not_timed(stopwatch, wall), threshold_s, details, wall)
    if wall > threshold_s:
        slowest = sorted(stopwatch.phases.items(), key=lambda kv: -kv[1])[:3]
        named = ", ".join(f"{k} {v:.1f} s" for k, v in slowest)
        return Outcome.judged(
            False,
            wall,
            threshold_s,
            f"the quick start took {wall:.1f} s by the wall clock (from {stopwatch.clock_started}), over the "
            f"{threshold_s:g} s threshold: its named phases add up to {phases:.1f} s ({named}), "
            f"{wall - phases:.1f} s passed outside them",
            details,
        )
    return Outcome.judged(True, wall, threshold_s, None, details)
