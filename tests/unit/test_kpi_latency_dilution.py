"""KPI p95: a slow Gold table the contracts require is not hidden by tiny Gold tables only the demo queries read.

The broken stack: ``users`` (required) takes 400 ms to read in full. The stack adds 20 one-row Gold tables and a
``LIMIT 1`` demo query over each: each gets a reference query too (``reference_queries``' ``read_by_demos``), and
the users cycle through all of them, so ``reference:users`` is 1 sample in 23 of the reference set, under the 5 %
above its 95th rank: the set's p95 was that of the tiny tables. The reference queries of the required tables are
judged as their own set now; those of tables only demo queries read form another.
"""

from __future__ import annotations

from typing import Any

from lakehouse.athena import QueryRecord
from lakehouse.kpi.latency import LoadStats, judge_latency
from lakehouse.outcome import Status

REQUIRED = {"daily_revenue": 12, "orders_enriched": 40, "users": 10}
TINY = {f"pad_{i:02d}": 1 for i in range(20)}


def _stats(users_ms: float) -> LoadStats:
    """Users cycling through every timed query in turn, 10 rounds: one demo query per tiny table."""
    rows = {**REQUIRED, **TINY}
    names = [f"reference:{t}" for t in sorted(rows)] + [f"demo_{t}" for t in sorted(TINY)]
    samples: list[dict[str, Any]] = []
    for _ in range(10):
        for name in sorted(names):
            table = name.removeprefix("reference:")
            sample = {"user": 1 + len(samples) % 2, "seq": len(samples), "warmup": False, "name": name, "error": None}
            ms = users_ms if name == "reference:users" else 20.0
            sample |= {"ms": ms, "rows": 1, "query_execution_id": f"q-{len(samples)}"}
            if name.startswith("reference:"):
                sample["counted"] = rows[table]
            samples.append(sample)
    return LoadStats(users=2, seconds=8.0, samples=samples, run={"warmup_per_user": 3, "stopped_by": "time"})


def _judge(stats: LoadStats) -> Any:
    rows = {**REQUIRED, **TINY}
    untimed = {
        n: QueryRecord(sql="...", query_execution_id=f"u-{n}", row_count=1, rows=[[rows.get(n.split(":")[-1], 1)]])
        for n in {str(s["name"]) for s in stats.samples}
    }
    counts = {
        f"reference:{t}": QueryRecord(sql="SELECT count(*)", query_execution_id=f"c-{t}", row_count=1, rows=[[n]])
        for t, n in rows.items()
    }
    return judge_latency(stats, 200.0, True, 100, untimed=untimed, counts=counts)


def test_a_slow_required_gold_table_among_many_tiny_demo_read_tables_fails_naming_it() -> None:
    stats = _stats(400.0)
    share = sum(s["name"] == "reference:users" for s in stats.samples) / len(
        [s for s in stats.samples if s["name"].startswith("reference:")]
    )
    assert share < 0.05, "one table in 23: above the reference set's 95th rank"
    outcome = _judge(stats)
    assert outcome.status is Status.FAILED, outcome.reason
    assert str(outcome.reason).startswith(
        "reference query reference:users: p95 latency 400 ms is not under 200 ms (10 samples, p50 400 ms); "
        "pooled p95 per set: demo 20 ms, demo-read reference 20 ms, reference 400 ms ("
    ), outcome.reason
    assert outcome.details["by_set"]["reference"]["queries"] == [f"reference:{t}" for t in sorted(REQUIRED)]


def test_the_same_stack_with_a_fast_required_table_stays_green() -> None:
    outcome = _judge(_stats(30.0))
    assert outcome.passed, outcome.reason
    assert outcome.details["by_set"]["demo-read reference"]["requests"] == 200
