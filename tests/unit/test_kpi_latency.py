"""KPI p95 latency: percentiles, the judge, and the real Locust subprocess (never locust in-process)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lakehouse.kpi.latency import LoadConfig, LoadRunError, LoadSpec, LoadStats, judge_latency, percentile, run_load

# A locustfile whose user does real work that needs no stack: hashing, timed and reported the
# way fixtures/load/locustfile.py reports its pyathena queries.
HASH_LOCUSTFILE = """
import hashlib, time
from locust import User, constant, task

class HashUser(User):
    wait_time = constant(0.01)

    @task
    def digest(self):
        started = time.perf_counter()
        hashlib.sha256(b"x" * 200_000).hexdigest()
        self.environment.events.request.fire(
            request_type="cpu", name="sha256", response_time=(time.perf_counter() - started) * 1000,
            response_length=64, exception=None, context={},
        )
"""


def _stats(times: list[float], errors: int = 0) -> LoadStats:
    samples = [{"name": "q", "ms": t, "error": None} for t in times]
    for s in samples[:errors]:
        s["error"] = "TABLE_NOT_FOUND: line 1:15: Table 'x' does not exist"
    return LoadStats(users=2, seconds=5.0, samples=samples)


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95 and percentile(values, 0.99) == 99
    assert percentile([7.0], 0.95) == 7.0 and percentile([], 0.95) is None


def test_latency_under_the_threshold_passes_and_reports_the_percentiles() -> None:
    result = judge_latency(_stats([50.0] * 95 + [150.0] * 5), 200.0, True)
    assert result.passed and result.measured == 50.0
    assert result.details["percentiles_ms"] == {"50": 50.0, "95": 50.0, "99": 150.0}
    assert result.details["requests"] == 100 and result.details["failures"] == 0


def test_a_very_low_threshold_fails_the_kpi_with_the_numbers() -> None:
    result = judge_latency(_stats([50.0] * 100), 10.0, True)
    assert not result.passed and "p95 latency 50 ms is not under 10 ms" in str(result.reason)


def test_a_failing_query_fails_the_kpi_whatever_the_latency() -> None:
    result = judge_latency(_stats([5.0] * 10, errors=1), 200.0, False)
    assert not result.passed and "1 of 10 queries failed" in str(result.reason)
    assert "queueing" in result.details["note"]  # on aws the evidence says what dominates


def test_no_completed_query_is_a_failure_not_a_pass() -> None:
    result = judge_latency(_stats([]), 200.0, True)
    assert not result.passed and "no query completed" in str(result.reason)


def test_load_spec_is_bounded() -> None:
    with pytest.raises(ValueError, match="users"):
        LoadSpec(0, 5)
    with pytest.raises(ValueError, match="seconds"):
        LoadSpec(1, 0)


def test_locust_runs_in_a_subprocess_and_keeps_every_sample(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(HASH_LOCUSTFILE)
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries={})
    stats = run_load(config, LoadSpec(users=2, seconds=1.5), tmp_path, locustfile=locustfile)
    assert "locust" not in sys.modules  # this process never imported it
    assert len(stats.samples) > 10 and stats.locust["requests"] == len(stats.samples)
    assert {s["name"] for s in stats.samples} == {"sha256"}
    assert judge_latency(stats, 10_000.0, True).passed
    assert not judge_latency(stats, 0.0001, True).passed


def test_a_broken_locustfile_is_reported_with_its_output(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text("x = 1\n")
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries={})
    with pytest.raises(LoadRunError, match="defines no Locust User class"):
        run_load(config, LoadSpec(users=1, seconds=1), tmp_path, locustfile=locustfile)
