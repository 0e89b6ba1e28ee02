"""KPI-quickstart and exit check 1: a machine suspended during the deploy is still on the clock.

``make up``'s start is timed on this boot's clock (``/proc/uptime``, which counts a suspend), but
``Lifecycle.up`` timed the rest on ``time.monotonic()``: Linux's ``CLOCK_MONOTONIC`` stops while the
machine sleeps. A laptop closed for ten minutes during ``terraform apply`` on AWS (the App Runner
service goes on being created meanwhile) had a quick start ten minutes longer than its stopwatch said.
The whole-path clock must count that time, as the start's clock does.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

import lakehouse.stack as stack_module
import lakehouse.startclock as startclock_module
from lakehouse.checks.deploy_time import check_deploy_time
from lakehouse.config import RunOptions
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.stack import Lifecycle, Stack
from lakehouse.target import Target
from lakehouse.terraform import ApplyResult, ResourceTiming

SUSPENDED_S = 600.0
APPLY_S = 30.0
BOOTTIME = 7  # Linux's clock id of CLOCK_BOOTTIME


class Clocks:
    """This machine's clocks, stood in: ``monotonic`` stops during a suspend, the boot clock does not."""

    def __init__(self) -> None:
        self.monotonic_s = 1000.0
        self.boot_s = 5000.0

    def run(self, seconds: float) -> None:
        self.monotonic_s += seconds
        self.boot_s += seconds

    def suspend(self, seconds: float) -> None:
        self.boot_s += seconds

    def module(self) -> SimpleNamespace:
        """What ``time`` gives the harness (``clock_gettime(CLOCK_BOOTTIME)`` is the boot clock)."""

        def clock_gettime(clock_id: int) -> float:
            if clock_id != BOOTTIME:
                raise OSError(f"clock {clock_id} stood in only as CLOCK_BOOTTIME")
            return self.boot_s

        return SimpleNamespace(
            monotonic=lambda: self.monotonic_s,
            time=time.time,
            clock_gettime=clock_gettime,
            CLOCK_BOOTTIME=BOOTTIME,
        )


def _deploy(monkeypatch: pytest.MonkeyPatch, tmp_path: object, suspend_s: float) -> Lifecycle:
    clocks = Clocks()
    for module in (stack_module, startclock_module):
        monkeypatch.setattr(module, "time", clocks.module())
    monkeypatch.setattr(stack_module, "aws_target", lambda region, profile: Target(name="aws", region="eu-west-1"))
    monkeypatch.setattr(Stack, "prepare", lambda self: None)
    monkeypatch.setattr(Stack, "outputs", lambda self: {})

    def apply(self: Stack) -> ApplyResult:
        clocks.run(APPLY_S / 2)
        clocks.suspend(suspend_s)  # the lid closed; AWS goes on creating the service
        clocks.run(APPLY_S / 2)
        return ApplyResult(APPLY_S, [ResourceTiming("aws_sns_topic.alerts", "create", 2.0, "complete")], [], 0)

    monkeypatch.setattr(Stack, "apply", apply)
    return Lifecycle(RunOptions(root=tmp_path, target="aws", stack_id="lh-sleep1"))  # type: ignore[arg-type]


def test_a_deploy_the_machine_slept_through_is_timed_with_the_sleep(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """Broken: 30 s of apply plus 10 min asleep; the stopwatch said 30 s and both verdicts passed at 5 min."""
    life = _deploy(monkeypatch, tmp_path, SUSPENDED_S)
    try:
        watch = life.up().stopwatch
    finally:
        life.lock.release()
    for result in (check_deploy_time(watch, 300), judge_quickstart(watch, 300)):
        assert result.status == "failed", f"{result.status}: a quick start ten minutes asleep was timed without them"
        assert "over the 300 s threshold" in str(result.reason), result.reason
    assert watch.wall_s is not None and watch.wall_s >= APPLY_S + SUSPENDED_S, watch.to_dict()


def test_a_deploy_without_a_sleep_reads_the_same_on_either_clock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """Healthy twin: nothing suspended, so the boot clock and the monotonic clock agree: it passes at 5 min."""
    life = _deploy(monkeypatch, tmp_path, 0.0)
    try:
        watch = life.up().stopwatch
    finally:
        life.lock.release()
    assert watch.wall_s == pytest.approx(APPLY_S), watch.to_dict()
    assert check_deploy_time(watch, 300).passed and judge_quickstart(watch, 300).passed
