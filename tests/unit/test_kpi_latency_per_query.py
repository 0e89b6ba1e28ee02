"""KPI p95: each timed query is judged on its own p95, so one slow demo query cannot hide behind many fast ones.

The broken stack: 21 demo queries, one of them (``slow_report``) taking 2 s every time. The users cycle through
every timed query in turn, so ``slow_report`` is 1 sample in 21 of the demo set: under the 5 % above the 95th
rank, the demo set's pooled p95 was that of the fast queries (20 ms) and the KPI passed. Each query's own p95 is
judged now, on at least ``min_per_query`` samples of it (fewer is no verdict), and the evidence has a per-query
table. The load itself runs on until each query has its samples (``lakehouse.kpi.loadrun --min-per-query``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.athena import QueryRecord
from lakehouse.config import ConfigError
from lakehouse.kpi.latency import LoadConfig, LoadSpec, LoadStats, judge_latency, run_load
from lakehouse.kpi.settings import kpi_settings
from lakehouse.outcome import Status

DEMOS = [f"demo_{i:02d}" for i in range(20)] + ["slow_report"]
ROWS = {"daily_revenue": 12, "orders_enriched": 40, "users": 10}
REF = [f"reference:{t}" for t in sorted(ROWS)]


def _stats(slow_ms: float, rounds: int = 25) -> LoadStats:
    """Two users cycling through every timed query in turn, ``rounds`` times: each query ``rounds`` samples."""
    samples: list[dict[str, Any]] = []
    for _ in range(rounds):
        for name in sorted(DEMOS + REF):
            ms = slow_ms if name == "slow_report" else 30.0 if name in REF else 20.0
            sample = {"user": 1 + len(samples) % 2, "seq": len(samples), "warmup": False, "name": name, "error": None}
            sample |= {"ms": ms, "rows": 1, "query_execution_id": f"qe-{len(samples)}"}
            if name in REF:
                sample["counted"] = ROWS[name.removeprefix("reference:")]
            samples.append(sample)
    return LoadStats(users=2, seconds=8.0, samples=samples, run={"warmup_per_user": 3, "stopped_by": "time"})


def _judge(stats: LoadStats, **kw: Any) -> Any:
    untimed = {
        n: QueryRecord(sql="...", query_execution_id=f"u-{n}", row_count=1, rows=[[ROWS.get(n.split(":")[-1], 1)]])
        for n in DEMOS + REF
    }
    counts = {
        f"reference:{t}": QueryRecord(sql="SELECT count(*)", query_execution_id=f"c-{t}", row_count=1, rows=[[n]])
        for t, n in ROWS.items()
    }
    return judge_latency(stats, 200.0, True, 100, untimed=untimed, counts=counts, **kw)


def test_one_slow_demo_query_among_twenty_fast_ones_fails_naming_it() -> None:
    stats = _stats(slow_ms=2000.0)
    demo = [s for s in stats.samples if not s["name"].startswith("reference:")]
    assert sum(s["name"] == "slow_report" for s in demo) / len(demo) < 0.05, "1 in 21: above the pooled 95th rank"
    outcome = _judge(stats)
    assert outcome.status is Status.FAILED, outcome.reason  # main: PASSED (the demo set's p95 20 ms)
    assert outcome.measured == 2000.0
    assert str(outcome.reason).startswith(
        "demo query slow_report: p95 latency 2000 ms is not under 200 ms (25 samples, p50 2000 ms); "
        "pooled p95 per set: demo 20 ms, reference 30 ms ("
    ), outcome.reason
    by_query = outcome.details["by_query"]
    assert by_query["slow_report"] == {
        "set": "demo",
        "requests": 25,
        "p50_ms": 2000.0,
        "p95_ms": 2000.0,
        "wall_p95_ms": 2000.0,
        "unfinished_over": 0,
        "verdict": "over",
    }
    assert _judge(stats, min_per_query=20).reason == outcome.reason  # 25 samples each: enough for its own p95
    assert by_query["demo_00"]["verdict"] == "ok" and by_query["reference:users"]["p95_ms"] == 30.0


def test_the_same_stack_with_that_query_fast_stays_green_with_a_per_query_table() -> None:
    outcome = _judge(_stats(slow_ms=40.0), min_per_query=20)
    assert outcome.passed, outcome.reason
    assert outcome.measured == 40.0  # the worst query's own p95
    assert len(outcome.details["by_query"]) == 24 and outcome.details["min_samples_per_query"] == 20
    assert {r["verdict"] for r in outcome.details["by_query"].values()} == {"ok"}


def test_a_query_with_too_few_samples_for_its_own_p95_is_no_verdict_naming_it() -> None:
    """10 samples each: 240 in all is past the load's minimum, but no query has the 20 its own p95 needs."""
    outcome = _judge(_stats(slow_ms=40.0, rounds=10), min_per_query=20)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "demo query slow_report has 10 measured sample(s), fewer than the 20 its own p95 needs" in str(
        outcome.reason
    )
    assert outcome.details["by_query"]["slow_report"]["verdict"] == "too few samples"


def test_too_few_samples_already_slow_enough_fail_whatever_the_missing_ones_take() -> None:
    """Two samples of 20 at 2 s put that query's p95 over 200 ms whatever the other 18 take: a verdict."""
    outcome = _judge(_stats(slow_ms=2000.0, rounds=3), min_per_query=20)
    assert outcome.status is Status.FAILED, outcome.reason
    assert str(outcome.reason).startswith(
        "demo query slow_report: 3 of 3 samples took 200 ms or more: its p95 over 20 samples is not under 200 ms "
        "whatever the missing 17 take"
    ), outcome.reason


def test_the_kpi_needs_60_samples_of_each_query_by_default_and_refuses_fewer_than_20() -> None:
    assert kpi_settings({}).load_min_per_query == 60
    with pytest.raises(ConfigError, match="LAKEHOUSE_KPI_LOAD_MIN_PER_QUERY: 5 must be >= 20"):
        kpi_settings({"LAKEHOUSE_KPI_LOAD_MIN_PER_QUERY": "5"})
    with pytest.raises(ValueError, match=r"minimum samples per query \(-1\) must be >= 0"):
        LoadSpec(1, 5, min_per_query=-1)


# -- the load runs on until each query has its samples ----------------------------------------------------------

#: A user reporting ``rare`` once for every nine ``common``: a minimum in all is met long before ``rare`` has its own.
RARE_LOCUSTFILE = """
import itertools
from locust import User, constant, task

class RareUser(User):
    wait_time = constant(0.001)

    def on_start(self):
        self.names = itertools.cycle(["common"] * 9 + ["rare"])

    @task
    def query(self):
        self.environment.events.request.fire(
            request_type="x", name=next(self.names), response_time=1.0, response_length=1, exception=None, context={},
        )
"""


def test_the_load_runs_on_until_each_query_has_its_own_minimum(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(RARE_LOCUSTFILE)
    queries = {"common": "SELECT 1", "rare": "SELECT 2"}  # the --query names the load must sample
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries=queries)
    spec = LoadSpec(users=1, seconds=0.1, min_samples=20, max_seconds=60, min_per_query=20)
    stats = run_load(config, spec, tmp_path, locustfile=locustfile)
    assert stats.run["stopped_by"] == "time and samples", stats.run
    assert stats.run["measured_per_query"]["rare"] >= 20, stats.run  # not the 2 or 3 of a stop at 20 in all
    assert judge_latency(stats, 200.0, True, 20, min_per_query=20).passed
