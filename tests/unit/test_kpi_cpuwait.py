"""The latency KPI judges each local sample without the CPU wait a busy machine added to it (``lakehouse.cpuwait``),
and never takes out more than the machine's: a slow query path stays slow."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from lakehouse import cpuwait
from lakehouse.kpi.latency import LoadStats, judge_latency, latency_ms


def test_this_thread_reads_its_own_cpu_wait_and_it_only_grows() -> None:
    first = cpuwait.thread_wait_ns()
    if first is None:  # a kernel without schedstat: no figure, no guess
        return
    done = threading.Event()
    threading.Thread(target=done.set).start()
    assert done.wait(10)
    later = cpuwait.thread_wait_ns()
    assert later is not None and later >= first


def _headers(wait_us: int, served_us: int, cpu_us: int = 1_000) -> dict[str, str]:
    return {
        cpuwait.HEADER: str(wait_us),
        cpuwait.SERVED_HEADER: str(served_us),
        cpuwait.PROCESS_CPU_HEADER: str(cpu_us),
    }


class _Clock:
    """A thread's run-queue wait and the time, both set by the test (nanoseconds)."""

    def __init__(self) -> None:
        self.ns = 0
        self.t = 0

    def __call__(self) -> int:
        return self.ns

    def time(self) -> int:
        return self.t

    def step(self, ms: float, waited_ms: float) -> None:
        self.t += int(ms * 1e6)
        self.ns += int(waited_ms * 1e6)


def test_the_clients_wait_counts_between_calls_and_in_flight_only_outside_the_servers_time() -> None:
    """Locust runs every user on one thread: while the server has this query's call the thread runs other users,
    and its wait then delayed them, not this query. The stretches of this query's own code count whole; a call in
    flight only for the time the server did not have it (waking on the answer, reading it)."""
    clock = _Clock()
    waits = cpuwait.QueryWaits(clock, clock.time)
    waits.start()
    clock.step(ms=5, waited_ms=2)  # signing the first call
    waits.sent()
    clock.step(ms=120, waited_ms=50)  # the server had it 100 ms: at most 20 ms of the wait delayed this query
    waits.received(_headers(wait_us=30_000, served_us=100_000, cpu_us=5_000))
    clock.step(ms=6, waited_ms=3)  # parsing the answer, the next call
    waits.sent()
    clock.step(ms=45, waited_ms=1)  # the server had it 40 ms; 1 ms waited in the other 5
    waits.received(_headers(wait_us=10_000, served_us=40_000, cpu_us=9_000))
    clock.step(ms=2, waited_ms=1)
    waits.end()
    assert waits.client_wait_ns == (2 + 20 + 3 + 1 + 1) * 1_000_000
    assert waits.server_wait_us == 40_000 and waits.served_us == 140_000
    assert waits.emulator_cpu_us == 9_000  # the last answer's
    assert waits.wait_ms(wall_ms=178.0) == 67.0  # 40 ms the server's + 27 ms the client's own


def test_a_call_answered_without_the_figures_leaves_the_wall_time() -> None:
    """A retried call's failed attempt (no response), or an endpoint that is not the harness's emulator: the
    query's wait is unknown and nothing is taken out."""
    for headers in (None, {}, {**_headers(1, 2), cpuwait.HEADER: "x"}):
        clock = _Clock()
        waits = cpuwait.QueryWaits(clock, clock.time)
        waits.start()
        waits.sent()
        waits.received(_headers(1_000, 2_000))
        waits.sent()
        waits.received(headers)
        waits.end()
        assert waits.wait_ms(100.0) is None


def test_only_the_share_other_processes_used_is_taken_out() -> None:
    """On an idle machine the emulator's and the load generator's threads make each other wait (a heavy query's
    workers, the other user's query): that is the stack's own latency and stays in."""
    assert cpuwait.foreign_share(machine_busy=20.0, ours=20.0) == 0.0  # idle: all of it ours
    assert cpuwait.foreign_share(machine_busy=20.0, ours=21.0) == 0.0  # clock granularity never makes it negative
    assert cpuwait.foreign_share(machine_busy=40.0, ours=10.0) == 0.75
    assert cpuwait.foreign_share(machine_busy=0.0, ours=0.0) == 0.0
    samples: list[dict[str, Any]] = [{"ms": 300.0, "cpu_wait_ms": 200.0}, {"ms": 20.0}]
    cpuwait.scale_waits(samples, 0.75)
    assert samples == [{"ms": 300.0, "cpu_wait_ms": 150.0, "cpu_wait_all_ms": 200.0}, {"ms": 20.0}]
    unknown: list[dict[str, Any]] = [{"ms": 300.0, "cpu_wait_ms": 200.0}]
    cpuwait.scale_waits(unknown, None)
    assert latency_ms(unknown[0]) == 300.0  # no share: nothing taken out


def test_the_share_window_needs_two_readings() -> None:
    window = cpuwait.ShareWindow()
    assert window.figures() == {"foreign_share": None}
    window.saw(None)  # a sample without the emulator's figure
    window.saw(1_000)
    assert window.figures() == {"foreign_share": None}
    window.saw(2_000)
    figures = window.figures()
    if cpuwait.machine_busy_s() is not None:  # Linux
        assert figures["emulator_cpu_s"] == 0.0 and 0.0 <= (figures["foreign_share"] or 0.0) <= 1.0


def test_the_machines_busy_time_leaves_out_idle_iowait_and_steal(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal
    stat.write_text("cpu  100 0 50 9999 77 10 40 500 0 0\ncpu0 1 2 3\n")
    assert cpuwait.machine_busy_s(str(stat)) == 200 / os.sysconf("SC_CLK_TCK")
    assert cpuwait.machine_busy_s(str(tmp_path / "absent")) is None


def test_a_judged_latency_is_never_below_the_servers_own_time_less_its_own_wait() -> None:
    """However large the client's wait, what is left is at least what the server spent itself: a stack whose
    queries are slow in the server stays slow on any machine."""
    clock = _Clock()
    waits = cpuwait.QueryWaits(clock, clock.time)
    waits.start()
    waits.sent()
    clock.step(ms=900, waited_ms=5000)  # a thread reporting far more wait than time passed
    waits.received(_headers(wait_us=100_000, served_us=800_000))
    waits.end()
    wait = waits.wait_ms(wall_ms=900.0)
    assert wait is not None and latency_ms({"ms": 900.0, "cpu_wait_ms": wait}) >= 800.0 - 100.0


def test_a_sample_without_a_wait_figure_is_judged_on_its_wall_time() -> None:
    assert latency_ms({"ms": 120.0}) == 120.0
    assert latency_ms({"ms": 120.0, "cpu_wait_ms": None}) == 120.0
    assert latency_ms({"ms": 120.0, "cpu_wait_ms": True}) == 120.0  # not a number of milliseconds
    assert latency_ms({"ms": 120.0, "cpu_wait_ms": 500.0}) == 0.0  # never negative


def _stats(samples: list[dict[str, Any]]) -> LoadStats:
    run = {"stopped_by": "time cap", "cpu_wait_share": {"foreign_share": 0.9}}
    return LoadStats(users=2, seconds=5.0, samples=samples, run=run, cpu_pressure_pct=80.0)


def _samples(ms: float, wait: float | None, n: int = 40) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        sample: dict[str, Any] = {"user": 1 + i % 2, "warmup": False, "name": "q", "ms": ms, "error": None}
        if wait is not None:
            sample["cpu_wait_ms"] = wait
        out.append(sample)
    return out


def test_a_healthy_stack_on_a_busy_machine_passes_with_both_figures_in_the_evidence() -> None:
    # 260 ms on the wall clock, 210 ms of it waiting for a CPU behind other processes: the query path took 50 ms.
    result = judge_latency(_stats(_samples(260.0, 210.0)), 200.0, target_is_local=True, min_samples=20)
    assert result.passed, result.reason
    assert result.measured == 50.0
    assert result.details["wall_percentiles_ms"]["95"] == 260.0
    assert result.details["by_query"]["q"]["wall_p95_ms"] == 260.0 and result.details["by_query"]["q"]["p95_ms"] == 50
    assert "wall-clock p95 260.0 ms, judged 50.0 ms" in result.details["judged_without_cpu_wait"]
    assert result.details["cpu_wait"] == {
        "samples_with_wait": 40,
        "samples": 40,
        "foreign_share": 0.9,
        "p50_ms": 210.0,
        "p95_ms": 210.0,
        "max_ms": 210.0,
    }


def test_a_slow_query_path_fails_even_with_its_wait_taken_out() -> None:
    result = judge_latency(_stats(_samples(600.0, 150.0)), 200.0, target_is_local=True, min_samples=20)
    assert not result.passed
    assert "p95 latency 450 ms is not under 200 ms" in str(result.reason)
    assert "each sample's CPU wait caused by other processes is already taken out (p95 150 ms)" in str(result.reason)


def test_without_wait_figures_the_wall_time_is_judged() -> None:
    result = judge_latency(_stats(_samples(260.0, None)), 200.0, target_is_local=True, min_samples=20)
    assert not result.passed
    assert "the local figure times this machine as much as the query path" in str(result.reason)
