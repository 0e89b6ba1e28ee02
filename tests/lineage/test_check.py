"""Exit check 4 against a real lineage service: a healthy one passes, every broken one fails with its reason.

The check is tied to this run: the session emitter's stats (run ids, undelivered events) are its
input, so an earlier run's jobs, a failed Gold run or another run's Gold run never pass.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from lakehouse.athena import QueryRecord
from lakehouse.browser import BROWSER_ENV, png_summary
from lakehouse.checks.lineage import (
    check_lineage,
    emission_problems,
    pipeline_expectation,
    run_problems,
    visible_names,
)
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import EmissionStats, LineageEmitter
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline, landed, statements

EXP = pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE)
GOLD = EXP.gold_job  # the last statement of 30_gold.sql that writes daily_revenue


def run_check(
    service: LineageHandle, tmp_path: Path, emission: EmissionStats, web_url: str | None = None
) -> tuple[Outcome, list[dict[str, Any]], Path]:
    png = tmp_path / "lineage.png"
    result, graph = check_lineage(
        MarquezClient(service.url), EXP, emission, web_url or service.url, png, visible_names(EXP)
    )
    return result, graph, png


def emitted(url: str, errors: dict[str, str] | None = None) -> EmissionStats:
    """This run's emission: the whole pipeline, the statements of the jobs in ``errors`` failing."""
    emitter = LineageEmitter(url, NAMESPACE, REGION)
    emitter.landing(DATA_DIR, landed(), 0.05)
    for i, stmt in enumerate(statements()):
        error = (errors or {}).get(stmt.job)
        emitter.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id=f"q-{i}", wall_ms=15, error=error))
    return emitter.stats


def test_the_expectation_follows_the_gold_table_back_to_bronze() -> None:
    gold = next(s for s in statements() if s.job == EXP.gold_job)
    assert gold.job.startswith("30_gold.") and gold.sql.lstrip().startswith("MERGE INTO lh_t_gold.daily_revenue")
    bronze = {d.name for d in EXP.bronze}
    assert {"raw/users", "raw/orders", "awsdatacatalog.lh_t_bronze.orders_csv"} <= bronze
    assert len(EXP.edges) == 29
    assert visible_names(EXP) == [GOLD, "lh_t_bronze.orders_csv", "lh_t_gold.daily_revenue"]


def test_a_healthy_service_passes_with_a_screenshot(service: LineageHandle, tmp_path: Path) -> None:
    emission = emitted(service.url)
    result, graph, png = run_check(service, tmp_path, emission)
    assert result.passed, result.reason
    assert result.measured == {
        "events_undelivered": 0,
        "gold_latest_run": "COMPLETED",
        "jobs": 1 + len(statements()),  # bronze_landing and one job per statement
        "expected_edges_found": "29/29",
        "screenshot": "lineage.png",
    }
    marquez = result.details["marquez"]
    assert marquez["gold_latest_run"]["id"] == emission.run_ids[GOLD][-1]
    chain = marquez["path_from_bronze"]
    assert chain[0].startswith("dataset:") and chain[-1] == f"job:{NAMESPACE}:{GOLD}"
    assert {n["id"] for n in graph} >= {e.origin for e in EXP.edges} | {e.destination for e in EXP.edges}
    assert png_summary(png).colours > 100


def test_an_empty_service_fails(service: LineageHandle, tmp_path: Path) -> None:
    result, _, _ = run_check(service, tmp_path, LineageEmitter(service.url, NAMESPACE, REGION).stats)
    assert result.status is Status.FAILED
    assert result.reason == (
        "this run emitted no lineage: no pipeline job reached the emitter; "
        f"no job in namespace {NAMESPACE!r} at {service.url} (Marquez holds no namespace at all)"
    )


def test_events_in_the_wrong_namespace_fail_and_the_reason_names_where_they_went(
    service: LineageHandle, tmp_path: Path
) -> None:
    elsewhere = LineageEmitter(service.url, "someone-else", REGION)
    emit_pipeline(elsewhere)
    result, _, _ = run_check(service, tmp_path, elsewhere.stats)
    assert not result.passed
    assert result.reason.startswith(f"no job in namespace {NAMESPACE!r}")  # type: ignore[union-attr]
    assert "someone-else" in result.reason  # type: ignore[operator]


def test_every_emit_of_this_run_failed_while_an_earlier_run_left_jobs_fails(
    service: LineageHandle, tmp_path: Path, dead_url: str
) -> None:
    earlier = emitted(service.url)  # the namespace holds a complete, healthy graph from before
    this_run = emitted(dead_url)
    assert this_run.sent == 0
    result, _, _ = run_check(service, tmp_path, this_run)
    assert result.status is Status.FAILED and result.reason is not None
    assert result.reason.startswith(
        f"{len(this_run.undelivered)} of {len(this_run.undelivered)} lineage events of this run were not delivered "
        f"to {dead_url}: bronze_landing START, bronze_landing COMPLETE, "
    )
    assert "ConnectionError" in result.reason
    old = earlier.run_ids[GOLD][-1]
    assert f"the gold job {GOLD}'s latest run {old} (at " in result.reason
    assert f"is not one this run emitted (this run emitted {this_run.run_ids[GOLD][-1]})" in result.reason
    assert result.measured["events_undelivered"] == len(this_run.undelivered) == 2 * this_run.jobs


def test_a_failed_gold_run_fails_and_names_the_run_and_its_error(service: LineageHandle, tmp_path: Path) -> None:
    emission = emitted(service.url, errors={GOLD: "HIVE_BAD_DATA: bad amount"})
    result, _, _ = run_check(service, tmp_path, emission)
    assert result.status is Status.FAILED
    run_id = emission.run_ids[GOLD][-1]
    assert (
        result.reason
        == f"the gold job {GOLD}'s latest run {run_id} is FAILED, not COMPLETED (HIVE_BAD_DATA: bad amount)"
    )
    assert result.measured["gold_latest_run"] == "FAILED"


def test_a_gold_run_from_another_run_fails_and_names_both_run_ids(service: LineageHandle, tmp_path: Path) -> None:
    ours = emitted(service.url)
    other = LineageEmitter(service.url, NAMESPACE, REGION)  # someone else runs the gold job afterwards
    gold = next(s for s in statements() if s.job == GOLD)
    other.statement(gold, QueryRecord(sql=gold.sql, query_execution_id="q-other", wall_ms=1))
    result, _, _ = run_check(service, tmp_path, ours)
    assert result.status is Status.FAILED
    theirs, mine = other.stats.run_ids[GOLD][-1], ours.run_ids[GOLD][-1]
    assert result.reason is not None and result.reason.startswith(f"the gold job {GOLD}'s latest run {theirs} (at ")
    assert result.reason.endswith(f"is not one this run emitted (this run emitted {mine})")


def test_an_unreadable_marquez_is_an_error_never_a_pass(tmp_path: Path, dead_url: str) -> None:
    emission = EmissionStats(url=dead_url, namespace=NAMESPACE, jobs=1, sent=2, run_ids={GOLD: ["r"]})
    png = tmp_path / "x.png"
    result, _ = check_lineage(MarquezClient(dead_url, timeout_s=1), EXP, emission, None, png, [])
    assert result.status is Status.ERROR
    assert result.reason is not None and result.reason.startswith(f"Marquez could not be read: GET {dead_url}")


# -- the pure judges -----------------------------------------------------------------------------


def test_emission_judge_names_the_missing_url_and_the_undelivered_events() -> None:
    assert emission_problems(EmissionStats(url=None, namespace=NAMESPACE, errors=["no Marquez URL configured"])) == [
        "the pipeline's lineage was not sent: no Marquez URL configured"
    ]
    stats = EmissionStats(
        url="http://m",
        namespace=NAMESPACE,
        jobs=4,
        sent=1,
        failed=1,
        not_sent=6,
        errors=["a START: ConnectionError: refused"],
        undelivered=[f"j{i} START" for i in range(7)],
    )
    assert emission_problems(stats) == [
        "7 of 8 lineage events of this run were not delivered to http://m: "
        "j0 START, j1 START, j2 START, j3 START, j4 START and 2 more (first error: a START: ConnectionError: refused)"
    ]
    assert emission_problems(EmissionStats(url="http://m", namespace=NAMESPACE, jobs=1, sent=2)) == []


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        ({"id": "AAAAAAAA-0000-0000-0000-000000000001", "state": "COMPLETED"}, []),
        (
            {"id": "aaaaaaaa-0000-0000-0000-000000000001", "state": "RUNNING", "endedAt": None},
            ["the gold job g's latest run aaaaaaaa-0000-0000-0000-000000000001 is RUNNING, not COMPLETED"],
        ),
        (
            {"id": "bbbbbbbb-0000-0000-0000-000000000002", "state": "COMPLETED", "endedAt": "2020-01-01T00:00:00Z"},
            [
                "the gold job g's latest run bbbbbbbb-0000-0000-0000-000000000002 (at 2020-01-01T00:00:00Z) is not "
                "one this run emitted (this run emitted aaaaaaaa-0000-0000-0000-000000000001)"
            ],
        ),
        (None, ["the gold job g has no run in Marquez"]),
    ],
)
def test_run_judge(latest: dict[str, Any] | None, expected: list[str]) -> None:
    """OpenLineage ``COMPLETE`` is Marquez ``COMPLETED``; any other state or a foreign run id fails."""
    stats = EmissionStats(url="http://m", namespace=NAMESPACE, run_ids={"g": ["aaaaaaaa-0000-0000-0000-000000000001"]})
    assert run_problems("g", {"latestRun": latest}, stats) == expected


def test_a_graph_without_the_bronze_edges_fails(service: LineageHandle, tmp_path: Path) -> None:
    # The statements that read Bronze report a different source: the gold job's graph is cut off from Bronze.
    stmts = [
        dataclasses.replace(s, sql=s.sql.replace("lh_t_bronze.", "lh_t_elsewhere.")) if s.job.startswith("2") else s
        for s in statements()
    ]
    emitter = LineageEmitter(service.url, NAMESPACE, REGION)
    emit_pipeline(emitter, stmts)
    result, _, _ = run_check(service, tmp_path, emitter.stats)
    assert not result.passed
    assert result.reason is not None
    assert result.reason.startswith(f"the lineage graph of {GOLD} does not reach back to Bronze; missing edge ")
    assert "lh_t_bronze" in result.reason
    assert result.details["marquez"]["path_from_bronze"] is None


def test_a_ui_that_answers_with_an_error_page_fails(service: LineageHandle, tmp_path: Path) -> None:
    result, _, png = run_check(service, tmp_path, emitted(service.url), web_url=f"{service.url}/not-marquez-web")
    assert not result.passed
    assert result.reason is not None and result.reason.startswith("the lineage UI page failed: ")
    assert "HTTP 404" in result.reason and png.is_file()  # the error page is kept as evidence
    assert result.measured["screenshot"] is None and result.details["marquez"]["expected_edges_found"] == 29


def test_without_a_browser_the_api_result_is_reported_but_the_check_fails(
    service: LineageHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emission = emitted(service.url)
    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "no-chromium"))
    result, _, png = run_check(service, tmp_path, emission)
    assert not result.passed and not png.exists()
    assert result.reason is not None and result.reason.startswith("no browser for the screenshot")
    assert result.measured["expected_edges_found"] == "29/29" and result.details["marquez"]["path_from_bronze"]


@pytest.fixture
def dead_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
