"""KPI-quickstart is one wall clock over the whole quick start, not the sum of its named phases."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import lakehouse.stack as stack_module
from lakehouse.cli import quickstart_started
from lakehouse.config import ConfigError, RunOptions
from lakehouse.kpi.quickstart import judge_quickstart
from lakehouse.stack import QUICKSTART_STARTED_ENV, Lifecycle, Stack, Stopwatch, quickstart_lead
from lakehouse.target import Target
from lakehouse.terraform import ApplyResult, ResourceTiming

CREATED = ApplyResult(1500.0, [ResourceTiming("aws_sns_topic.alerts", "create", 1.0, "complete")], [], 0)
PHASES = {"emulator_start": 20.0, "terraform_init": 180.0, "terraform_apply": 1500.0}  # 1700 s, under 30 min


def test_a_35_minute_quick_start_whose_phases_add_up_to_28_fails_naming_the_time_outside_them() -> None:
    watch = Stopwatch(dict(PHASES), CREATED, wall_s=2100.0, clock_started="the Lifecycle.up call")
    result = judge_quickstart(watch, 1800)
    assert result.status == "failed" and result.measured == 2100.0
    assert "took 2100.0 s by the wall clock" in str(result.reason)
    assert "named phases add up to 1700.0 s" in str(result.reason) and "400.0 s passed outside them" in str(
        result.reason
    )
    assert result.details["phases_s"] == PHASES and result.details["outside_the_phases_s"] == 400.0
    assert "building .venv" in result.details["outside_the_clock"]


def test_a_healthy_quick_start_passes_on_its_wall_clock() -> None:
    result = judge_quickstart(Stopwatch(dict(PHASES), CREATED, wall_s=1712.5, clock_started="x"), 1800)
    assert result.passed and result.measured == 1712.5 and result.details["total_s"] == 1712.5


def test_a_stopwatch_without_a_wall_clock_is_not_passed_on_its_phases() -> None:
    result = judge_quickstart(Stopwatch(dict(PHASES), CREATED), 1800)
    assert result.status == "skipped" and "no whole-path wall clock" in str(result.reason)


def test_a_wall_clock_shorter_than_its_own_phases_is_not_a_clock_of_them() -> None:
    result = judge_quickstart(Stopwatch(dict(PHASES), CREATED, wall_s=600.0), 1800)
    assert result.status == "failed" and "shorter than the phases it contains (1700 s)" in str(result.reason)


def test_the_make_up_start_counts_and_a_start_in_the_future_does_not() -> None:
    lead, where = quickstart_lead(1000.0, 1090.0)  # make read the Makefile 90 s before Lifecycle.up
    assert lead == 90.0 and QUICKSTART_STARTED_ENV in where and "venv" in where
    lead, where = quickstart_lead(2000.0, 1090.0)
    assert lead == 0.0 and "in the future, not used" in where
    assert quickstart_lead(None, 1090.0)[0] == 0.0
    assert quickstart_started({QUICKSTART_STARTED_ENV: "1796474981"}) == 1796474981.0
    assert quickstart_started({}) is None
    with pytest.raises(ConfigError, match="not epoch seconds"):
        quickstart_started({QUICKSTART_STARTED_ENV: "yesterday"})


def test_lifecycle_up_times_what_no_phase_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real ``Lifecycle.up`` with Terraform stood in: a slow outputs read (no phase) is on the clock."""
    monkeypatch.setattr(stack_module, "aws_target", lambda region, profile: Target(name="aws", region="eu-west-1"))
    monkeypatch.setattr(Stack, "prepare", lambda self: None)

    def apply(self: Stack) -> ApplyResult:
        time.sleep(0.05)  # as long as it says it took
        return ApplyResult(0.05, CREATED.resources, [], 0)

    monkeypatch.setattr(Stack, "apply", apply)

    def slow_outputs(self: Stack) -> dict[str, str]:
        time.sleep(0.4)
        return {}

    monkeypatch.setattr(Stack, "outputs", slow_outputs)
    life = Lifecycle(RunOptions(root=tmp_path, target="aws", stack_id="lh-clock01"))
    try:
        dep = life.up(started_at=time.time() - 5.0)  # `make up` began 5 s earlier (the venv)
    finally:
        life.lock.release()
    watch = dep.stopwatch
    assert watch.wall_s is not None and watch.wall_s >= watch.total_s + 5.0 + 0.4
    assert QUICKSTART_STARTED_ENV in str(watch.clock_started)
    saved = Stopwatch.from_dict(json.loads((dep.stack.dir / "stopwatch.json").read_text()))
    assert saved.wall_s == round(watch.wall_s, 3) and saved.clock_started == watch.clock_started
    result = judge_quickstart(saved, watch.total_s + 5.0)  # the phases alone would pass this threshold
    assert result.status == "failed" and "by the wall clock" in str(result.reason)
