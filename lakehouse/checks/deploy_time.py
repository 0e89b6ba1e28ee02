"""Exit check 1: the deploy path (``make up``) completes within 30 minutes."""

from __future__ import annotations

from typing import Any

from lakehouse.outcome import Outcome
from lakehouse.stack import Stopwatch
from lakehouse.terraform import ApplyResult, ResourceTiming, state_resources, without_instance_keys

#: What Terraform's apply hooks say for a resource it created (data sources are ``read``).
CREATED = "create"
#: Actions an apply from empty state takes; any other (``update``, ``delete``, ``replace``, ``noop``)
#: means the stack existed before the timer started.
FROM_SCRATCH = (CREATED, "read")
#: What a model release apply may create (``infra/ml.tf``: the model, its serverless endpoint configuration and
#: the endpoint): it runs after the deploy, once Gold has data. Any other resource it created was left out of the
#: deploy's timed apply (a stack gating part of itself on ``model_version``), so exit check 1 never timed it.
MODEL_RELEASE_TYPES = frozenset(
    {"aws_sagemaker_model", "aws_sagemaker_endpoint_configuration", "aws_sagemaker_endpoint"}
)
#: A wall clock shorter than the phases it contains by more than this is not a clock of them (rounding: 3 decimals).
SLACK_S = 0.01
#: The phase ``Lifecycle.up`` times the apply under: its value is the apply's own ``wall_s``.
APPLY_PHASE = "terraform_apply"
#: Terraform's ``elapsed_seconds`` of a resource are whole seconds (both ends rounded): one may read up to this over
#: the apply it was created in without being longer than it.
HOOK_ROUNDING_S = 1.0
#: What Terraform warns when an apply ran with ``-target`` (given on the command line or through
#: ``TF_CLI_ARGS_apply``): it applied part of the configuration, and left the rest out of the timed apply.
PARTIAL_APPLY_WARNINGS = ("Resource targeting is in effect", "Applied changes may be incomplete")


def not_one_clock(stopwatch: Stopwatch) -> str | None:
    """Why the stopwatch cannot be this deploy's one clock, or None.

    A saved stopwatch of another stack or an earlier deploy (``read_stopwatch``), a time below zero (a negative
    phase shrinks the sum the wall clock must hold), a wall clock shorter than the phases it contains (edited, or
    not the clock those phases ran under), or one that need not hold its own apply (``apply_off_the_clock``):
    its figure says nothing about this deploy, however small it is.
    """
    if stopwatch.not_this_deploy:
        return f"the deploy stopwatch is not this stack's deploy: {stopwatch.not_this_deploy}"
    backwards = {k: v for k, v in stopwatch.phases.items() if v < 0}
    if backwards or (stopwatch.wall_s is not None and stopwatch.wall_s < 0):
        named = ", ".join(f"{k} {v:g} s" for k, v in backwards.items()) or f"wall clock {stopwatch.wall_s:g} s"
        return f"the stopwatch is not one clock: no clock runs backwards, yet it reads {named}"
    phases = round(stopwatch.total_s, 3)
    if stopwatch.wall_s is not None and stopwatch.wall_s + SLACK_S < phases:
        return (
            f"the stopwatch is not one clock: its wall clock ({round(stopwatch.wall_s, 3):g} s) is shorter than "
            f"the phases it contains ({phases:g} s)"
        )
    return apply_off_the_clock(stopwatch)


def apply_off_the_clock(stopwatch: Stopwatch) -> str | None:
    """Why the stopwatch's own apply is not in the phases its wall clock contains, or None.

    ``Lifecycle.up`` times the apply as the ``terraform_apply`` phase, so the wall clock holds it. A
    ``stopwatch.json`` whose apply phase is gone or shorter than the apply it records (or whose resources took
    longer than that apply) has a wall clock that need not hold the apply: only its rest was checked.
    """
    apply = stopwatch.apply
    if apply is None:
        return None
    phase = stopwatch.phases.get(APPLY_PHASE)
    if phase is None or abs(phase - apply.wall_s) > SLACK_S:
        said = f"name no {APPLY_PHASE}" if phase is None else f"say {APPLY_PHASE} took {round(phase, 3):g} s"
        return (
            f"the stopwatch is not one clock: its timed apply took {round(apply.wall_s, 3):g} s, but its phases "
            f"{said}, so its wall clock ({_seconds(stopwatch.wall_s)}) need not hold the apply"
        )
    longer = [r for r in apply.resources if r.elapsed_s > apply.wall_s + HOOK_ROUNDING_S]
    if longer:
        return (
            f"the stopwatch is not one clock: {len(longer)} resource(s) took longer than the apply they were "
            f"created in ({round(apply.wall_s, 3):g} s): "
            + ", ".join(f"{r.address} {r.elapsed_s:g} s" for r in longer[:5])
        )
    return None


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{round(value, 3):g} s"


def start_not_timed(stopwatch: Stopwatch, measured: float) -> str:
    """Why a stopwatch whose earlier start (``make up``'s) could not be timed has no verdict under the threshold."""
    return (
        f"the start before the Lifecycle.up call could not be timed: {stopwatch.clock_error}; the {measured:g} s "
        "from the call on are a lower bound of the deploy, so under the threshold they are no verdict"
    )


def check_deploy_time(stopwatch: Stopwatch, threshold_s: float, error: str | None = None) -> Outcome:
    """Pass when the deploy succeeded and its whole path took no longer than the threshold.

    The measured value is the stopwatch's one wall clock over the whole of ``make up`` (``wall_s``:
    what no phase names, such as the lock, the record and reading the outputs, counts too; with
    ``make up`` also the venv build), not the sum of the named phases, which left those out. A
    stopwatch without a wall clock (an older harness's, or a ``stopwatch.json`` without ``wall_s``)
    is never passed: its phases' sum leaves time out, a lower bound, so it fails when over the
    threshold and is ``skipped`` otherwise.

    The apply must be a deploy from scratch: it creates, and changes nothing that existed. A second
    ``make up`` of a deployed stack times only an empty or in-place apply, which says nothing about
    how long ``make up`` takes. A ``make up`` start the boot clock could not time (``clock_error``,
    ``lakehouse.startclock``) leaves only the time from the ``Lifecycle.up`` call: ``error`` unless that is over.
    """
    measured = round(stopwatch.total_s if stopwatch.wall_s is None else stopwatch.wall_s, 3)
    details = stopwatch.to_dict()
    details["measured_as"] = (
        "the sum of the named phases, a lower bound (the stopwatch has no wall clock): judged only when over"
        if stopwatch.wall_s is None
        else "one wall clock over the whole deploy (wall_s), not the sum of its phases"
    )
    if error:
        return Outcome.judged(False, measured, threshold_s, f"the deploy did not complete: {error}", details)
    if reason := not_one_clock(stopwatch):
        return Outcome.judged(False, measured, threshold_s, reason, details)
    if stopwatch.apply is None:
        return Outcome.judged(False, measured, threshold_s, "no deploy stopwatch was recorded for this stack", details)
    if reason := not_a_deploy(stopwatch.apply):
        return Outcome.judged(False, measured, threshold_s, reason, details)
    if stopwatch.wall_s is None and measured <= threshold_s:  # a sum over the threshold is over it: judged below
        return Outcome.skipped(
            "the deploy stopwatch has no whole-path wall clock (wall_s; an older harness's, or removed from "
            f"stopwatch.json): the sum of its named phases ({measured:g} s) leaves out the lock, the record, the "
            "outputs and the venv, so the deploy is not measured; redeploy the stack",
            threshold_s,
            details,
        )
    if stopwatch.clock_error and measured <= threshold_s:  # over it without the start: judged below
        return Outcome.error(start_not_timed(stopwatch, measured), threshold_s, details, measured)
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


def not_a_deploy(apply: ApplyResult) -> str | None:
    """Why the timed apply is not a whole deploy of ``infra/`` (failed, not from scratch, or part of it), or None."""
    return apply_failed(apply) or not_from_scratch(apply) or partial_apply(apply)


def apply_failed(apply: ApplyResult) -> str | None:
    """Why the timed apply did not complete, or None: its exit code, or a resource Terraform reported errored.

    A stopwatch read back from ``stopwatch.json`` (``pytest --deployed``) comes with no deploy error:
    its own apply must say it succeeded, or a failed apply's short time would be judged as a deploy's.
    """
    errored = [r for r in apply.resources if r.status != "complete"]
    if apply.ok and not errored:
        return None
    why = "; ".join(apply.diagnostics[:3]) or "no diagnostics recorded"
    return (
        f"the timed apply did not complete: exit code {apply.returncode}"
        + (f", {len(errored)} resource(s) errored ({_listed(errored)})" if errored else "")
        + f": {why}"
    )


def not_from_scratch(apply: ApplyResult) -> str | None:
    """Why the timed apply was not a deploy from scratch (it created nothing, or touched what already
    existed), or None when it only created (and read data sources)."""
    touched = [r for r in apply.resources if r.action not in FROM_SCRATCH]
    if touched:
        return (
            f"the timed apply was not a deploy from scratch: it changed {len(touched)} resource(s) that existed "
            f"before it ({_listed(touched)}), so the stack was (partly) deployed before the stopwatch started"
        )
    if not any(r.action == CREATED for r in apply.resources):
        return (
            "the timed apply created no resource: it ran on a stack that was already deployed, so it does not "
            "time a deploy"
        )
    return None


def partial_apply(apply: ApplyResult) -> str | None:
    """Why the timed apply applied only part of the configuration (Terraform's own ``-target`` warnings), or None.

    Such an apply creates only what it targets, so it is from scratch and the state holds only what it
    created: nothing else tells its short time is not the deploy of the whole stack.
    """
    said = [w for w in apply.warnings if any(p in w for p in PARTIAL_APPLY_WARNINGS)]
    if not said:
        return None
    return (
        "the timed apply applied part of the configuration (-target, as given on its command line or in "
        f"TF_CLI_ARGS / TF_CLI_ARGS_apply): Terraform warned {'; '.join(repr(w) for w in said)}, so the rest of "
        "infra/ was left out of the timed deploy"
    )


def _listed(timings: list[ResourceTiming], most: int = 5) -> str:
    shown = ", ".join(f"{r.address} {r.action}" for r in timings[:most])
    return shown + (f" and {len(timings) - most} more" if len(timings) > most else "")


def created_by(*applies: ApplyResult) -> list[str]:
    """The resources these applies completed a ``create`` of (data sources are read, never created)."""
    return sorted({r.address for a in applies for r in a.resources if r.action == CREATED and r.status == "complete"})


def resource_type(address: str) -> str:
    """The resource type of a Terraform address (``module.m.aws_s3_bucket.this["a.b"]`` -> ``aws_s3_bucket``)."""
    parts = without_instance_keys(address).rsplit(".", 2)
    return parts[-2] if len(parts) >= 2 else address


def created_by_model_release(*later: ApplyResult) -> list[str]:
    """What the model release applies created that a model release may create (``MODEL_RELEASE_TYPES``)."""
    return [a for a in created_by(*later) if resource_type(a) in MODEL_RELEASE_TYPES]


def deferred_to_model_release(apply: ApplyResult, *later: ApplyResult) -> list[str]:
    """Resources a model release apply created that are not model serving, and the deploy did not create:
    a part of the stack its timed apply left for later (gated on the model variables), so never timed."""
    deployed = set(created_by(apply))
    return [a for a in created_by(*later) if resource_type(a) not in MODEL_RELEASE_TYPES and a not in deployed]


def untimed_resources(apply: ApplyResult, state: dict[str, Any], *later: ApplyResult) -> list[str]:
    """Managed resources in state that no recorded apply created (should be none).

    Only a completed ``create`` counts: a resource the apply updated in place, or that an apply
    left alone, existed before the stopwatch started, so its creation is not timed.

    ``later``: the harness's own recorded applies after the deploy (the model release's, which
    creates the SageMaker endpoint once Gold has data): a model serving resource one of them created
    (``MODEL_RELEASE_TYPES``) is timed, by that apply, not by exit check 1's deploy. Anything else a
    release apply created is not: the deploy's timed apply left it out (``deferred_to_model_release``).
    """
    timed = set(created_by(apply)) | set(created_by_model_release(*later))
    return sorted(r["address"] for r in state_resources(state) if r["address"] not in timed)
