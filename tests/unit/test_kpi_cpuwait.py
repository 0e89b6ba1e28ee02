"""The latency KPI judges each local sample without the CPU wait a busy machine added to it (``lakehouse.cpuwait``),
and never takes out more than the machine's: a slow query path stays slow."""

from __future__ import annotations

import threading
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


def test_the_servers_wait_is_taken_out_whole_the_clients_only_outside_the_servers_time() -> None:
    # 300 ms wall, the server had the query 250 ms of it and waited 150 ms for a CPU inside; the client waited
    # 120 ms, but only 50 ms of the wall time were not the server's: at most 50 ms of the client's wait delayed it.
    assert cpuwait.judged_wait_ms(300.0, 150.0, 250.0, 120.0) == 200.0
    # The client's wait is all counted when it fits outside the server's time.
    assert cpuwait.judged_wait_ms(300.0, 10.0, 100.0, 40.0) == 50.0


def test_a_judged_latency_is_never_below_the_servers_own_time_less_its_own_wait() -> None:
    """However large the client's wait, what is left is at least what the server spent itself: a stack whose
    queries are slow in the server stays slow on any machine."""
    for wall, served, server_wait, client_wait in [(900.0, 800.0, 100.0, 5000.0), (250.0, 249.0, 0.0, 240.0)]:
        sample = {
            "ms": wall,
            "cpu_wait_ms": cpuwait.judged_wait_ms(wall, server_wait, served, client_wait),
        }
        assert latency_ms(sample) >= served - server_wait


def test_a_sample_without_a_wait_figure_is_judged_on_its_wall_time() -> None:
    assert latency_ms({"ms": 120.0}) == 120.0
    assert latency_ms({"ms": 120.0, "cpu_wait_ms": None}) == 120.0
    assert latency_ms({"ms": 120.0, "cpu_wait_ms": True}) == 120.0  # not a number of milliseconds
    assert latency_ms({"ms": 120.0, "cpu_wait_ms": 500.0}) == 0.0  # never negative


def _stats(samples: list[dict[str, Any]]) -> LoadStats:
    return LoadStats(users=2, seconds=5.0, samples=samples, run={"stopped_by": "time cap"}, cpu_pressure_pct=80.0)


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
    assert result.details["cpu_wait"] == {
        "samples_with_wait": 40,
        "samples": 40,
        "p50_ms": 210.0,
        "p95_ms": 210.0,
        "max_ms": 210.0,
    }


def test_a_slow_query_path_fails_even_with_its_wait_taken_out() -> None:
    result = judge_latency(_stats(_samples(600.0, 150.0)), 200.0, target_is_local=True, min_samples=20)
    assert not result.passed
    assert "p95 latency 450 ms is not under 200 ms" in str(result.reason)
    assert "each sample's own CPU wait is already taken out (p95 150 ms)" in str(result.reason)


def test_without_wait_figures_the_wall_time_is_judged() -> None:
    result = judge_latency(_stats(_samples(260.0, None)), 200.0, target_is_local=True, min_samples=20)
    assert not result.passed
    assert "the local figure times this machine as much as the query path" in str(result.reason)
