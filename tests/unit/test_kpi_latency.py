"""KPI p95 latency: percentiles, the judge, and the real Locust subprocess (never locust in-process)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lakehouse.athena import QueryRecord
from lakehouse.config import ConfigError
from lakehouse.kpi.latency import (
    LOCUSTFILE,
    LoadConfig,
    LoadRunError,
    LoadSpec,
    LoadStats,
    gold_reads,
    judge_latency,
    percentile,
    run_load,
)
from lakehouse.kpi.settings import kpi_settings
from lakehouse.outcome import Status
from lakehouse.pipeline.demo import demo_queries

# A locustfile whose user does real work that needs no stack: hashing, timed and reported the
# way fixtures/load/locustfile.py reports its pyathena queries.
HASH_LOCUSTFILE = """
import hashlib, os, time
from locust import User, constant, task

class HashUser(User):
    wait_time = constant(0.01)

    @task
    def digest(self):
        started = time.perf_counter()
        hashlib.sha256(b"x" * 200_000).hexdigest()
        self.environment.events.request.fire(
            request_type="cpu", name=f"sha256 nice={os.nice(0)}", response_time=(time.perf_counter() - started) * 1000,
            response_length=64, exception=None, context={},
        )
"""


def _stats(times: list[float], errors: int = 0, warmup: list[float] | None = None) -> LoadStats:
    """Two users' samples: ``warmup`` first (flagged), then ``times``, alternating users."""
    samples: list[dict[str, object]] = [
        {"user": 1 + i % 2, "warmup": True, "name": "q", "ms": t, "error": None} for i, t in enumerate(warmup or [])
    ]
    samples += [{"user": 1 + i % 2, "warmup": False, "name": "q", "ms": t, "error": None} for i, t in enumerate(times)]
    for s in samples[:errors]:
        s["error"] = "AthenaQueryFailed: TABLE_NOT_FOUND: line 1:15: Table 'x' does not exist"
    return LoadStats(users=2, seconds=5.0, samples=samples, run={"warmup_per_user": 3, "stopped_by": "time cap"})


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
    assert result.status is Status.FAILED and "1 of 10 queries failed (AthenaQueryFailed;" in str(result.reason)
    assert "Table 'x' does not exist" in str(result.reason)
    assert "queueing" in result.details["note"]  # on aws the evidence says what dominates


def test_the_17_good_samples_of_a_run_where_everything_else_failed_do_not_pass() -> None:
    """The review's case: 17 fast samples; every other query raised, and one user died in on_start."""
    stats = _stats([50.0] * 17)
    stats.samples += [
        {"user": 2, "warmup": False, "name": "AthenaDemoUser task", "ms": None, "error": "ConnectionError: refused"}
    ] * 40
    stats.not_started = [{"user": 3, "class": "AthenaDemoUser", "error": "KeyError: 'athena_workgroup_name'"}]
    stats.users = 3
    result = judge_latency(stats, 200.0, True, min_samples=10)
    assert result.status is Status.FAILED
    assert "1 of 3 Locust users did not start (user 3 AthenaDemoUser: KeyError: 'athena_workgroup_name')" in str(
        result.reason
    )
    assert "40 of 57 queries failed (ConnectionError; first: AthenaDemoUser task: ConnectionError: refused)" in str(
        result.reason
    )
    assert result.details["users_not_started"] == 1 and result.details["failures"] == 40


def test_a_user_that_never_reported_fails_the_kpi() -> None:
    stats = _stats([50.0] * 40)
    stats.users = 3
    result = judge_latency(stats, 200.0, True, min_samples=20)
    assert result.status is Status.FAILED and "Locust user(s) 3 started but reported no query" in str(result.reason)


def test_warm_up_queries_are_kept_but_not_judged() -> None:
    result = judge_latency(_stats([50.0] * 100, warmup=[1200.0] * 6), 200.0, True, min_samples=100)
    assert result.passed and result.measured == 50.0
    assert result.details["warmup"] == {"per_user": 3, "requests": 6, "max_ms": 1200.0, "p50_ms": 1200.0}
    assert result.details["requests"] == 100
    assert "not Athena" in result.details["note"]  # on local the evidence says what is measured


def test_too_few_measured_queries_is_no_verdict() -> None:
    result = judge_latency(_stats([50.0] * 40), 200.0, True, min_samples=100)
    assert result.status is Status.ERROR
    assert "only 40 measured queries in 5 s (the KPI needs 100; stopped by time cap)" in str(result.reason)
    nothing = judge_latency(_stats([]), 200.0, True)  # no query at all: the users are named, never a pass
    assert nothing.status is Status.FAILED and "user(s) 1, 2 started but reported no query" in str(nothing.reason)


def test_too_few_queries_that_are_already_too_slow_fail() -> None:
    # 6 of 100 over the threshold put the p95 over it, whatever the 60 missing queries took.
    result = judge_latency(_stats([50.0] * 34 + [300.0] * 6), 200.0, True, min_samples=100)
    assert result.status is Status.FAILED and "6 of 40 measured queries took 200 ms or more" in str(result.reason)
    assert judge_latency(_stats([50.0] * 35 + [300.0] * 5), 200.0, True, min_samples=100).status is Status.ERROR


def test_latency_settings_refuse_too_few_samples_and_a_cap_below_the_load() -> None:
    assert kpi_settings({}).load_min_samples == 100 and kpi_settings({}).p95_ms == 200.0
    # Niced, the KPI's load generator is starved by any neighbour at normal priority: it runs at the server's.
    assert kpi_settings({}).load_nice == 0 and kpi_settings({"LAKEHOUSE_KPI_LOAD_NICE": "10"}).load_nice == 10
    with pytest.raises(ConfigError, match="LAKEHOUSE_KPI_LOAD_MIN_SAMPLES: 5 must be >= 20"):
        kpi_settings({"LAKEHOUSE_KPI_LOAD_MIN_SAMPLES": "5"})
    with pytest.raises(ConfigError, match="LAKEHOUSE_KPI_LOAD_NICE: 25 must be in 0..19"):
        kpi_settings({"LAKEHOUSE_KPI_LOAD_NICE": "25"})
    with pytest.raises(ConfigError, match="LAKEHOUSE_KPI_LOAD_MAX_SECONDS"):
        kpi_settings({"LAKEHOUSE_KPI_LOAD_SECONDS": "30", "LAKEHOUSE_KPI_LOAD_MAX_SECONDS": "10"})


def test_load_spec_is_bounded() -> None:
    with pytest.raises(ValueError, match="users"):
        LoadSpec(0, 5)
    with pytest.raises(ValueError, match="seconds"):
        LoadSpec(1, 0)
    with pytest.raises(ValueError, match="max seconds"):
        LoadSpec(1, 5, max_seconds=2)


def test_locust_runs_in_a_subprocess_and_keeps_every_sample(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(HASH_LOCUSTFILE)
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries={})
    spec = LoadSpec(users=2, seconds=0.5, warmup=2, min_samples=12, max_seconds=120)  # a count, not a time
    stats = run_load(config, spec, tmp_path, locustfile=locustfile)
    assert "locust" not in sys.modules  # this process never imported it
    assert len(stats.samples) > 10 and stats.locust["requests"] == len(stats.samples)
    assert {s["name"] for s in stats.samples} == {"sha256 nice=10"}  # the load generator yields the CPU
    assert {s["user"] for s in stats.samples} == {1, 2} and len(stats.warmup) == 4
    assert judge_latency(stats, 10_000.0, True).passed
    assert not judge_latency(stats, 0.0001, True).passed


def test_the_load_runs_on_until_it_has_the_minimum_samples_within_the_cap(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(HASH_LOCUSTFILE.replace("constant(0.01)", "constant(0.05)"))
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries={})
    spec = LoadSpec(users=1, seconds=0.2, warmup=1, min_samples=15, max_seconds=30)
    stats = run_load(config, spec, tmp_path, locustfile=locustfile)
    assert stats.run["stopped_by"] == "time and samples" and len(stats.measured) >= 15
    capped = run_load(config, LoadSpec(1, 0.2, min_samples=10_000, max_seconds=0.6), tmp_path, locustfile=locustfile)
    assert capped.run["stopped_by"] == "time cap" and capped.seconds < 10
    assert judge_latency(capped, 200.0, True, 10_000).status is Status.ERROR


def test_a_task_raising_any_exception_is_a_failed_sample_named_by_its_type(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(
        HASH_LOCUSTFILE
        + """
    @task
    def broken(self):
        raise ValueError("not a PyAthenaError")
"""
    )
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries={})
    stats = run_load(config, LoadSpec(1, 0.3, min_samples=20, max_seconds=60), tmp_path, locustfile=locustfile)
    uncaught = [s for s in stats.samples if s.get("uncaught")]
    assert uncaught and uncaught[0]["error"] == "ValueError: not a PyAthenaError"
    result = judge_latency(stats, 10_000.0, True)
    assert result.status is Status.FAILED and "ValueError: not a PyAthenaError" in str(result.reason)


def test_a_user_dying_in_on_start_of_the_real_locustfile_is_counted_and_named(tmp_path: Path) -> None:
    # A target the harness cannot build: the locustfile's on_start raises (a TypeError, not a PyAthenaError).
    target = {"name": "local", "region": "ap-northeast-1", "no_such_field": 1}
    config = LoadConfig(target=target, work_group="wg", queries={"q": "SELECT 1"})
    stats = run_load(config, LoadSpec(users=2, seconds=0.5, max_seconds=5), tmp_path, locustfile=LOCUSTFILE)
    assert len(stats.not_started) == 2 and stats.run["stopped_by"] == "no user started"
    result = judge_latency(stats, 200.0, True, min_samples=100)
    assert result.status is Status.FAILED and "2 of 2 Locust users did not start (user " in str(result.reason)
    assert "AthenaDemoUser: TypeError:" in str(result.reason) and "no_such_field" in str(result.reason)


def test_a_broken_locustfile_is_reported_with_its_output(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text("x = 1\n")
    config = LoadConfig(target={"name": "local", "region": "ap-northeast-1"}, work_group="wg", queries={})
    with pytest.raises(LoadRunError, match="defines no Locust User class"):
        run_load(config, LoadSpec(users=1, seconds=1), tmp_path, locustfile=locustfile)


# -- the demo queries must read Gold ------------------------------------------------------------------

GOLD_DB = "lakehouse_lh_x_gold"


def _demo_queries() -> dict[str, str]:
    """pipeline/demo/*.sql rendered for a stack whose Gold database is ``GOLD_DB``."""
    dbs = {layer: f"lakehouse_lh_x_{layer}" for layer in ("bronze", "silver", "gold")}
    buckets = {name: f"lh-x-{name}" for name in ("bronze", "silver", "gold", "athena-results", "landing")}
    return demo_queries({"glue_database_names": dbs, "bucket_names": buckets})


def test_the_committed_demo_queries_each_read_gold_and_pass() -> None:
    tables, problems = gold_reads(_demo_queries(), GOLD_DB)
    assert problems == []
    assert tables["daily_revenue"] == [f"{GOLD_DB}.daily_revenue"]
    assert all(tables.values())
    outcome = judge_latency(_stats([40.0] * 120), 200, True, 100, (tables, problems))
    assert outcome.status is Status.PASSED and outcome.details["gold_tables_read"] == tables


def test_a_p95_over_demo_queries_that_read_no_gold_fails_naming_them() -> None:
    """The broken stack: its demo queries are literals; they answer fast whatever Gold holds (or lacks)."""
    queries = {
        **_demo_queries(),
        "daily_revenue": "SELECT DATE '2026-03-01' AS order_date, 'US' AS country, 1 AS orders, 444.15 AS revenue",
        "health": "SELECT 1",
        "silver_only": "SELECT count(*) FROM lakehouse_lh_x_silver.orders",
    }
    outcome = judge_latency(_stats([3.0] * 120), 200, True, 100, gold_reads(queries, GOLD_DB))
    assert outcome.status is Status.FAILED
    for name in ("daily_revenue", "health", "silver_only"):
        assert f"demo query {name} reads no table of Gold ({GOLD_DB})" in outcome.reason
    assert "order_status" not in outcome.reason
    assert outcome.details["gold_tables_read"]["health"] == []


def test_no_demo_queries_or_unparsable_ones_fail() -> None:
    assert gold_reads({}, GOLD_DB)[1] == ["there are no demo queries: nothing of Gold was measured"]
    [problem] = gold_reads({"broken": "SELECT FROM WHERE ((("}, GOLD_DB)[1]
    assert problem.startswith("demo query broken: cannot tell which Gold tables it reads")


# -- the timed demo queries must answer what they answer untimed ---------------------------------------


def _answered(rows: list[int | None], name: str = "daily_revenue") -> LoadStats:
    """Timed samples of one query, one per entry of ``rows`` (what each returned), all fast."""
    samples = [
        {"user": 1, "seq": i, "warmup": False, "name": name, "ms": 4.0, "error": None, "rows": r}
        | ({"query_execution_id": f"q-{i}"} if r is not None else {})
        for i, r in enumerate(rows)
    ]
    return LoadStats(users=1, seconds=5.0, samples=samples, run={"warmup_per_user": 0, "stopped_by": "time"})


def _untimed(row_count: int | None, error: str | None = None) -> dict[str, QueryRecord]:
    sql = f"SELECT * FROM {GOLD_DB}.daily_revenue"
    return {"daily_revenue": QueryRecord(sql=sql, query_execution_id="q-untimed", row_count=row_count, error=error)}


def test_timed_samples_that_return_the_untimed_rows_pass_and_the_untimed_answer_is_evidence() -> None:
    outcome = judge_latency(_answered([20] * 120), 200.0, True, 100, untimed=_untimed(20))
    assert outcome.passed, outcome.reason
    assert outcome.details["untimed_answers"] == {"daily_revenue": {"query_execution_id": "q-untimed", "row_count": 20}}


def test_a_demo_query_that_answers_no_rows_fails_even_when_fast() -> None:
    """The broken stack: ``... FROM gold.daily_revenue WHERE false`` (LIMIT 0) reads Gold by name, answers nothing."""
    assert judge_latency(_answered([0] * 120), 200.0, True, 100).passed, "the latency alone: 4 ms, green"
    outcome = judge_latency(_answered([0] * 120), 200.0, True, 100, untimed=_untimed(0))
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "demo query daily_revenue returns no rows (run untimed, query q-untimed): its latency is that of an "
        "empty answer, not of reading Gold"
    )


def test_timed_samples_that_return_other_rows_than_untimed_fail_naming_the_first() -> None:
    """The broken query path: under load some answers come back empty (or cut short) and fast."""
    outcome = judge_latency(_answered([20] * 100 + [0] * 20 + [None]), 200.0, True, 100, untimed=_untimed(20))
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "21 of 121 timed samples of daily_revenue did not return the 20 row(s) it returns untimed "
        "(first: user 1, query 100: 0 row(s), q-100)"
    )


def test_a_demo_query_failing_untimed_or_a_timed_query_that_is_no_demo_query_fails() -> None:
    failed = judge_latency(_answered([20] * 120), 200.0, True, 100, untimed=_untimed(None, "TABLE_NOT_FOUND: x"))
    assert failed.status is Status.FAILED
    assert failed.reason == "demo query daily_revenue failed when run untimed: TABLE_NOT_FOUND: x"
    other = judge_latency(_answered([1] * 120, name="health"), 200.0, True, 100, untimed=_untimed(20))
    assert other.status is Status.FAILED
    assert other.reason == "120 timed sample(s) of health, which is not a demo or reference query"
