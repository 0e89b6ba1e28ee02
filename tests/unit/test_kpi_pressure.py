"""The latency KPI's evidence says how contended this machine's CPU was while it measured."""

from __future__ import annotations

from pathlib import Path

from lakehouse.kpi.latency import LoadStats, judge_latency
from lakehouse.kpi.pressure import PressureWindow


def _psi(path: Path, total_us: int) -> None:
    path.write_text(
        f"some avg10=1.00 avg60=2.00 avg300=3.00 total={total_us}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    )


def test_pressure_is_the_share_of_the_window_some_task_waited(tmp_path: Path) -> None:
    psi = tmp_path / "cpu"
    _psi(psi, 1_000_000)
    window = PressureWindow(psi).start()
    # A stall far longer than any wall time this test can take: the share is capped at 100 %.
    _psi(psi, 1_000_000 + 3_600_000_000)
    assert window.percent() == 100.0
    window = PressureWindow(psi).start()
    assert window.percent() == 0.0  # nothing waited since the start


def test_no_psi_means_no_figure_not_a_guess(tmp_path: Path) -> None:
    assert PressureWindow(tmp_path / "absent").start().percent() is None
    garbled = tmp_path / "garbled"
    garbled.write_text("nonsense\n")
    assert PressureWindow(garbled).start().percent() is None


def _stats(ms: float, pressure: float | None) -> LoadStats:
    samples = [{"user": 1 + i % 2, "warmup": False, "name": "q", "ms": ms, "error": None} for i in range(40)]
    return LoadStats(users=2, seconds=5.0, samples=samples, run={"stopped_by": "time cap"}, cpu_pressure_pct=pressure)


def test_a_slow_local_run_names_the_cpu_pressure_but_still_fails() -> None:
    result = judge_latency(_stats(480.0, 63.5), 200.0, True)
    assert not result.passed
    assert "waited for a CPU 63.5 % of the time" in str(result.reason)
    assert result.details["cpu_pressure_pct"] == 63.5


def test_pressure_changes_no_verdict_and_is_not_claimed_on_aws() -> None:
    assert judge_latency(_stats(40.0, 90.0), 200.0, True).passed
    on_aws = judge_latency(_stats(480.0, 63.5), 200.0, False)
    assert not on_aws.passed and "waited for a CPU" not in str(on_aws.reason)
