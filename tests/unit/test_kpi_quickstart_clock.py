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
from lakehouse.stack import Lifecycle, Stack, Stopwatch
from lakehouse.startclock import (
    AT_CALL,
    QUICKSTART_BOOT_ID_ENV,
    QUICKSTART_STARTED_ENV,
    QUICKSTART_UPTIME_ENV,
    ClockReading,
    quickstart_lead,
    read_clocks,
)
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


BOOT = "a692cfc8-b05e-4aff-9649-6f8ff48ec440"


def test_the_make_up_start_is_timed_on_the_boot_clock_not_the_wall_clock() -> None:
    """make read the Makefile 90 s (boot clock) before Lifecycle.up; the wall clock was stepped back 600 s meanwhile.
    Before, the lead was the wall clock's (-510 s: "in the future, not used", so 0)."""
    start = ClockReading(1000.0, BOOT, 100.0)
    lead, where, error = quickstart_lead(start, ClockReading(490.0, BOOT, 190.0))
    assert (lead, error) == (90.0, None)
    assert QUICKSTART_STARTED_ENV in where and "venv" in where and "timed on this boot's clock" in where
    assert "the wall clock moved -510 s over these 90 s: it was stepped" in where
    healthy, where, error = quickstart_lead(start, ClockReading(1090.4, BOOT, 190.0))  # twin: no step
    assert (healthy, error) == (90.0, None) and "stepped" not in where
    assert quickstart_lead(None, ClockReading(1090.0, BOOT, 190.0)) == (0.0, AT_CALL, None)


@pytest.mark.parametrize(
    ("start", "now", "named"),
    [
        (ClockReading(1000.0), ClockReading(1090.0, BOOT, 190.0), f"without {QUICKSTART_BOOT_ID_ENV} and "),
        (ClockReading(1000.0, BOOT), ClockReading(1090.0, BOOT, 190.0), f"without {QUICKSTART_UPTIME_ENV} (make"),
        (ClockReading(1000.0, "other-boot", 100.0), ClockReading(1090.0, BOOT, 190.0), f"{QUICKSTART_BOOT_ID_ENV}="),
        (ClockReading(1000.0, BOOT, 300.0), ClockReading(1090.0, BOOT, 190.0), f"{QUICKSTART_UPTIME_ENV}=300 is ahead"),
        (ClockReading(1000.0, BOOT, 100.0), ClockReading(1090.0), "/proc/uptime) could not be read"),
        (ClockReading(1100.0), ClockReading(1090.0), "is 10 s ahead of this machine's wall clock"),
    ],
    ids=["wall-clock-only", "no-uptime", "another-boot", "ahead-of-this-boot", "no-boot-clock-here", "no-proc-ahead"],
)
def test_a_start_the_boot_clock_cannot_time_has_no_lead_and_says_why(
    start: ClockReading, now: ClockReading, named: str
) -> None:
    """A start written by hand (wall clock only), from another boot or ahead of this boot's clock is not timed: no
    lead, and the reason names the variable (the verdicts make it ``error``, see test_deploy_stopwatch_attacks)."""
    lead, where, error = quickstart_lead(start, now)
    assert lead == 0.0 and "could not be timed" in where
    assert error is not None and named in error, error


def test_a_machine_without_a_boot_clock_at_either_end_times_the_start_on_the_wall_clock() -> None:
    """macOS has no /proc: make passes the wall clock alone and the harness cannot read a boot clock either. The lead
    is then the wall clock's, said in the evidence (a healthy quick start there is not an ``error``); on Linux the
    same start is not timed (above, wall-clock-only)."""
    lead, where, error = quickstart_lead(ClockReading(1000.0), ClockReading(1090.0))
    assert (lead, error) == (90.0, None)
    assert "timed on the wall clock: this machine has no boot clock" in where


def test_make_ups_clock_readings_from_the_environment_and_bad_values() -> None:
    env = {QUICKSTART_STARTED_ENV: "1796474981", QUICKSTART_BOOT_ID_ENV: BOOT, QUICKSTART_UPTIME_ENV: "50285.06"}
    assert quickstart_started(env) == ClockReading(1796474981.0, BOOT, 50285.06)
    assert quickstart_started({QUICKSTART_STARTED_ENV: "1796474981"}) == ClockReading(1796474981.0)
    assert quickstart_started({QUICKSTART_BOOT_ID_ENV: BOOT, QUICKSTART_UPTIME_ENV: "1"}) is None
    with pytest.raises(ConfigError, match="not epoch seconds"):
        quickstart_started({QUICKSTART_STARTED_ENV: "yesterday"})
    with pytest.raises(ConfigError, match=f"{QUICKSTART_UPTIME_ENV}: 'soon' is not seconds since boot"):
        quickstart_started({**env, QUICKSTART_UPTIME_ENV: "soon"})


def test_the_boot_clock_is_read_from_proc_and_is_none_where_it_is_missing(tmp_path: Path) -> None:
    (tmp_path / "boot_id").write_text(BOOT + "\n")
    (tmp_path / "uptime").write_text("50285.06 98765.43\n")
    now = read_clocks(tmp_path / "boot_id", tmp_path / "uptime")
    assert (now.boot_id, now.uptime_s) == (BOOT, 50285.06) and abs(now.wall - time.time()) < 60
    assert read_clocks(tmp_path / "none", tmp_path / "uptime").uptime_s is None


def make_up_started(lead_s: float) -> ClockReading:
    """``make up``'s start as if make read the Makefile ``lead_s`` ago on this machine's clocks."""
    now = read_clocks()
    assert now.uptime_s is not None, "no /proc/uptime: this test needs Linux's boot clock"
    return ClockReading(now.wall - lead_s, now.boot_id, now.uptime_s - lead_s)


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
        dep = life.up(started=make_up_started(5.0))  # `make up` began 5 s earlier (the venv)
    finally:
        life.lock.release()
    watch = dep.stopwatch
    assert watch.wall_s is not None and watch.wall_s >= watch.total_s + 5.0 + 0.4
    assert QUICKSTART_STARTED_ENV in str(watch.clock_started)
    saved = Stopwatch.from_dict(json.loads((dep.stack.dir / "stopwatch.json").read_text()))
    assert saved.wall_s == round(watch.wall_s, 3) and saved.clock_started == watch.clock_started
    result = judge_quickstart(saved, watch.total_s + 5.0)  # the phases alone would pass this threshold
    assert result.status == "failed" and "by the wall clock" in str(result.reason)
