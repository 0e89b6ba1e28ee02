"""KPI p95 latency times queries Athena ran, never answers it reused from a previous query's result.

Athena's result reuse answers a repeated query from the result of an earlier one in milliseconds, whatever
reading Gold costs: a load of the same few queries repeated is exactly what it would serve. The harness
never asks for it (``lakehouse.athena.connect``: pyathena's ``result_reuse_enable`` is off); should a
connection ever ask, each query's record says so (``reused_previous_result``, from GetQueryExecution's
``ResultReuseInformation``) and the KPI fails naming the first such answer. Before, it was not read.
"""

from __future__ import annotations

from typing import Any

from lakehouse.athena import QueryRecord, scan
from lakehouse.kpi.latency import LoadStats, judge_latency
from lakehouse.outcome import Status


def _stats(reused: bool) -> LoadStats:
    samples: list[dict[str, Any]] = []
    for i in range(120):
        sample = {"user": 1 + i % 2, "seq": i // 2, "warmup": False, "name": "q", "ms": 4.0, "rows": 1, "error": None}
        if reused and i >= 20:
            sample |= {"reused_previous_result": True, "query_execution_id": f"qe-{i}"}
        samples.append(sample)
    return LoadStats(users=2, seconds=8.0, samples=samples, run={"warmup_per_user": 0, "stopped_by": "time"})


UNTIMED = {"q": QueryRecord(sql="SELECT ...", query_execution_id="u-q", row_count=1)}


def test_queries_athena_ran_pass() -> None:
    assert judge_latency(_stats(reused=False), 200.0, True, 100, untimed=UNTIMED).status is Status.PASSED


def test_answers_reused_from_a_previous_result_fail_naming_the_first() -> None:
    outcome = judge_latency(_stats(reused=True), 200.0, True, 100, untimed=UNTIMED)
    assert outcome.status is Status.FAILED  # main: PASSED at 4 ms
    assert "100 of 120 timed samples were answered from a previous result (Athena's result reuse)" in str(
        outcome.reason
    )
    assert "first: q, user 1, query 10, qe-20" in str(outcome.reason)


class _Cursor:
    """What pyathena's cursor reports after a query GetQueryExecution said Athena reused (no rows asked for)."""

    description = None
    rowcount = -1
    query_id = "qe-1"
    state = "SUCCEEDED"
    state_change_reason = None
    data_scanned_in_bytes = 0
    engine_execution_time_in_millis = 0
    total_execution_time_in_millis = 3

    def __init__(self, reused: bool | None) -> None:
        self.reused_previous_result = reused

    def execute(self, sql: str) -> None:
        pass


class _Conn:
    def __init__(self, reused: bool | None) -> None:
        self.reused = reused

    def cursor(self) -> _Cursor:
        return _Cursor(self.reused)


def test_each_query_record_says_whether_athena_reused_a_result() -> None:
    assert scan(_Conn(True), "SELECT 1", lambda row: None).reused_previous_result is True  # type: ignore[arg-type]
    for answer in (False, None):  # a query Athena ran: nothing added to the evidence
        record = scan(_Conn(answer), "SELECT 1", lambda row: None)  # type: ignore[arg-type]
        assert "reused_previous_result" not in record.to_dict()


# -- answers that may not be run afresh: reuse asked for, an execution answering twice ------------------------------


def _fresh(**change: Any) -> LoadStats:
    """120 samples, each its own query execution; ``change`` applied to samples 20 on."""
    samples: list[dict[str, Any]] = []
    for i in range(120):
        sample = {"user": 1 + i % 2, "seq": i // 2, "warmup": False, "name": "q", "ms": 4.0, "rows": 1, "error": None}
        sample["query_execution_id"] = f"qe-{i}"
        if i >= 20:
            sample |= {k: v(i) if callable(v) else v for k, v in change.items()}
        samples.append(sample)
    return LoadStats(users=2, seconds=8.0, samples=samples, run={"warmup_per_user": 0, "stopped_by": "time"})


def test_queries_each_run_afresh_with_reuse_off_pass() -> None:
    outcome = judge_latency(_fresh(), 200.0, True, 100, untimed=UNTIMED)
    assert outcome.status is Status.PASSED, outcome.reason


def test_samples_started_with_result_reuse_enabled_fail_even_when_athena_ran_them() -> None:
    """Reuse is asked per query (StartQueryExecution's ResultReuseConfiguration; no workgroup setting turns it on):
    a query asked with reuse may be answered from a previous result; the issue allows that only if the user asked."""
    outcome = judge_latency(_fresh(result_reuse_enabled=True), 200.0, True, 100, untimed=UNTIMED)
    assert outcome.status is Status.FAILED  # main: PASSED at 4 ms
    assert str(outcome.reason).startswith(
        "100 of 120 timed samples were started with Athena's result reuse enabled (first: q, user 1, query 10, qe-20)"
    ), outcome.reason
    untimed = {"q": QueryRecord(sql="SELECT ...", query_execution_id="u-q", row_count=1, result_reuse_enabled=True)}
    asked = judge_latency(_fresh(), 200.0, True, 100, untimed=untimed)
    assert asked.status is Status.FAILED and "q was run untimed with Athena's result reuse enabled (u-q)" in str(
        asked.reason
    )


def test_a_query_execution_answering_a_second_sample_fails_naming_it() -> None:
    """A client-side cache (pyathena's ``cache_size``) hands back an earlier execution of the same SQL: Athena did
    not reuse anything (``ReusedPreviousResult`` false), yet no query ran for that sample."""
    outcome = judge_latency(_fresh(query_execution_id=lambda i: "qe-3"), 200.0, True, 100, untimed=UNTIMED)
    assert outcome.status is Status.FAILED  # main: PASSED at 4 ms
    assert (
        "100 of 120 timed samples were answered by a query execution that had already answered (first: q, user 1, "
        "query 10: qe-3, as user 2, query 1)" in str(outcome.reason)
    ), outcome.reason
    as_untimed = judge_latency(_fresh(query_execution_id="u-q"), 200.0, True, 100, untimed=UNTIMED)
    assert as_untimed.status is Status.FAILED and "u-q, as the untimed run of q)" in str(as_untimed.reason)


def test_each_query_record_says_whether_reuse_was_asked_for() -> None:
    cursor = _Cursor(None)
    cursor.result_reuse_enabled = True  # type: ignore[attr-defined]
    conn = _Conn(None)
    conn.cursor = lambda: cursor  # type: ignore[method-assign]
    assert scan(conn, "SELECT 1", lambda row: None).result_reuse_enabled is True  # type: ignore[arg-type]
    assert "result_reuse_enabled" not in scan(_Conn(None), "SELECT 1", lambda row: None).to_dict()  # type: ignore[arg-type]
