"""KPI p95 latency: a query still running when the load stops is timed, never dropped.

The broken stack: a Gold table whose full read takes far longer than the load (thousands of tiny files,
say), behind enough cheap queries that the load has its minimum of measured samples before any user
finishes reading it. The load stopped with every user inside that query, Locust killed them, and no
sample of it was ever reported: the KPI judged the fast queries alone and passed.
The locustfile here is fixtures/load/locustfile.py itself, its pyathena calls replaced by a stand-in
that answers each query after the time its SQL names (``sleep:<seconds>``).
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.athena import QueryRecord
from lakehouse.kpi.latency import LOCUSTFILE, LoadConfig, LoadSpec, LoadStats, judge_latency, run_load
from lakehouse.outcome import Status

#: The real locustfile, loaded as a module, its Athena calls standing in for a stack.
STAND_IN = f"""
import importlib.util, itertools, time
from lakehouse.athena import QueryRecord
_ids = itertools.count()
spec = importlib.util.spec_from_file_location("real_locustfile", {str(LOCUSTFILE)!r})
real = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real)

class _Conn:
    def close(self):
        pass

def _run(conn, sql, label=None, keep_rows=20):
    time.sleep(float(sql.split(":", 1)[1]))  # gevent's sleep: a kill interrupts it as it does pyathena's polling
    record = QueryRecord(sql=sql, query_execution_id=f"{{label}}-{{next(_ids)}}", row_count=1)  # one execution each
    return record, [(1,)]

real.connect = lambda target, work_group: _Conn()
real.run = _run
AthenaDemoUser = real.AthenaDemoUser
"""

FAST = "sleep:0.001"
DEMOS = {f"d{i:02}": FAST for i in range(30)}  # enough cheap queries for the minimum before the slow one


def _load(tmp_path: Path, slow_s: float) -> tuple[LoadStats, dict[str, QueryRecord]]:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(STAND_IN)
    reference = {"reference:daily_revenue": FAST, "reference:orders": f"sleep:{slow_s}"}
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries=DEMOS)
    config.reference = reference
    spec = LoadSpec(users=2, seconds=1.0, warmup=3, min_samples=20, max_seconds=20, nice=0)
    stats = run_load(config, spec, tmp_path, locustfile=locustfile)
    untimed = {n: QueryRecord(sql=s, query_execution_id=f"u-{n}", row_count=1) for n, s in config.timed.items()}
    return stats, untimed


def test_a_healthy_load_measures_every_query_and_passes(tmp_path: Path) -> None:
    stats, untimed = _load(tmp_path, slow_s=0.001)
    outcome = judge_latency(stats, 10_000.0, True, 20, untimed=untimed)
    assert outcome.status is Status.PASSED, outcome.reason
    assert {s["name"] for s in stats.measured} == set(untimed)


def test_a_query_still_running_when_the_load_stops_is_no_pass_naming_it(tmp_path: Path) -> None:
    stats, untimed = _load(tmp_path, slow_s=300)  # never finishes within the load
    assert stats.run["stopped_by"] == "time and samples"  # the fast queries met the minimum
    outcome = judge_latency(stats, 10_000.0, True, 20, untimed=untimed)
    assert outcome.status is not Status.PASSED  # main: PASSED on the fast queries alone (p95 a few ms)
    assert {(s["user"], s["name"]) for s in stats.unfinished} == {(1, "reference:orders"), (2, "reference:orders")}
    assert "reference query reference:orders has no measured latency: still running when the load stopped (user" in str(
        outcome.reason
    )


# -- the judge, on samples as the locustfile reports them ------------------------------------------------------


def _samples(unfinished_ms: float, user_2_finished: bool = True) -> LoadStats:
    """Two users running q and reference:t in turn, 50 ms each; each is inside reference:t when the load stops."""
    samples: list[dict[str, object]] = []
    for user in (1, 2):
        done = 60 if user == 1 or user_2_finished else 0
        for seq in range(done):
            name = "q" if seq % 2 == 0 else "reference:t"
            samples.append(
                {"user": user, "seq": seq, "warmup": False, "name": name, "ms": 50.0, "rows": 1, "error": None}
            )
        unfinished = {"user": user, "seq": done, "warmup": False, "name": "reference:t", "ms": unfinished_ms}
        samples.append(unfinished | {"error": None, "unfinished": True})
    return LoadStats(users=2, seconds=8.0, samples=samples, run={"warmup_per_user": 0, "stopped_by": "time"})


UNTIMED = {n: QueryRecord(sql="...", query_execution_id=f"u-{n}", row_count=1) for n in ("q", "reference:t")}


def test_a_query_cut_short_by_the_end_of_a_healthy_load_changes_nothing() -> None:
    outcome = judge_latency(_samples(unfinished_ms=30.0), 200.0, True, 100)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["requests"] == 120 and len(outcome.details["unfinished"]) == 2  # kept, not judged


def test_unfinished_queries_already_over_the_threshold_count_at_the_time_they_had_run() -> None:
    stats = _samples(unfinished_ms=9_000.0)
    stats.samples = [
        s for s in stats.samples if not (s["name"] == "reference:t" and 2 < s["seq"] < 60)
    ]  # mostly in flight
    outcome = judge_latency(stats, 200.0, True, 20, untimed=UNTIMED)
    assert outcome.status is Status.FAILED, outcome.reason  # (main's locustfile never reported them: see above)
    assert "reference query reference:t: p95 latency 9000 ms is not under 200 ms (4 samples" in str(outcome.reason)
    assert "2 query(ies) still running at the end counted at the time they had run" in str(outcome.reason)


def test_a_user_whose_only_report_is_an_unfinished_query_still_reported_nothing() -> None:
    outcome = judge_latency(_samples(unfinished_ms=30.0, user_2_finished=False), 200.0, True, 20)
    assert outcome.status is Status.FAILED and "Locust user(s) 2 started but reported no query" in str(outcome.reason)
