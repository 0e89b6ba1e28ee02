"""Exit check 4 against a real lineage service: a healthy one passes, every broken one fails with its reason."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lakehouse.browser import BROWSER_ENV, png_summary
from lakehouse.checks.lineage import check_lineage, pipeline_expectation, visible_names
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline, statements

EXP = pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE)


def run_check(service: LineageHandle, tmp_path: Path, web_url: str | None = None):  # type: ignore[no-untyped-def]
    png = tmp_path / "lineage.png"
    result, graph = check_lineage(MarquezClient(service.url), EXP, web_url or service.url, png, visible_names(EXP))
    return result, graph, png


def test_the_expectation_follows_the_gold_table_back_to_bronze() -> None:
    assert EXP.gold_job == "30_gold.6"
    bronze = {d.name for d in EXP.bronze}
    assert {"raw/users", "raw/orders", "awsdatacatalog.lh_t_bronze.orders_csv"} <= bronze
    assert len(EXP.edges) == 29
    assert visible_names(EXP) == ["30_gold.6", "lh_t_bronze.orders_csv", "lh_t_gold.daily_revenue"]


def test_a_healthy_service_passes_with_a_screenshot(service: LineageHandle, tmp_path: Path) -> None:
    emit_pipeline(LineageEmitter(service.url, NAMESPACE, REGION))
    result, graph, png = run_check(service, tmp_path)
    assert result.passed, result.reason
    assert result.measured == {"jobs": 25, "expected_edges_found": "29/29", "screenshot": "lineage.png"}
    chain = result.details["marquez"]["path_from_bronze"]
    assert chain[0].startswith("dataset:") and chain[-1] == f"job:{NAMESPACE}:30_gold.6"
    assert len(graph) == 40 and png_summary(png).colours > 100


def test_an_empty_service_fails(service: LineageHandle, tmp_path: Path) -> None:
    result, _, _ = run_check(service, tmp_path)
    assert not result.passed
    assert result.reason == f"no job in namespace {NAMESPACE!r} at {service.url} (Marquez holds no namespace at all)"


def test_events_in_the_wrong_namespace_fail_and_the_reason_names_where_they_went(
    service: LineageHandle, tmp_path: Path
) -> None:
    emit_pipeline(LineageEmitter(service.url, "someone-else", REGION))
    result, _, _ = run_check(service, tmp_path)
    assert not result.passed
    assert result.reason.startswith(f"no job in namespace {NAMESPACE!r}")  # type: ignore[union-attr]
    assert "someone-else" in result.reason  # type: ignore[operator]


def test_a_graph_without_the_bronze_edges_fails(service: LineageHandle, tmp_path: Path) -> None:
    # The statements that read Bronze report a different source: the gold job's graph is cut off from Bronze.
    stmts = [
        dataclasses.replace(s, sql=s.sql.replace("lh_t_bronze.", "lh_t_elsewhere.")) if s.job.endswith(".5") else s
        for s in statements()
    ]
    emit_pipeline(LineageEmitter(service.url, NAMESPACE, REGION), stmts)
    result, _, _ = run_check(service, tmp_path)
    assert not result.passed
    assert result.reason is not None
    assert result.reason.startswith("the lineage graph of 30_gold.6 does not reach back to Bronze; missing edge ")
    assert "lh_t_bronze" in result.reason
    assert result.details["marquez"]["path_from_bronze"] is None


def test_a_ui_that_answers_with_an_error_page_fails(service: LineageHandle, tmp_path: Path) -> None:
    emit_pipeline(LineageEmitter(service.url, NAMESPACE, REGION))
    result, _, png = run_check(service, tmp_path, web_url=f"{service.url}/not-marquez-web")
    assert not result.passed
    assert result.reason is not None and result.reason.startswith("the lineage UI page failed: ")
    assert "HTTP 404" in result.reason and png.is_file()  # the error page is kept as evidence
    assert result.measured["screenshot"] is None and result.details["marquez"]["expected_edges_found"] == 29


def test_without_a_browser_the_api_result_is_reported_but_the_check_fails(
    service: LineageHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emit_pipeline(LineageEmitter(service.url, NAMESPACE, REGION))
    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "no-chromium"))
    result, _, png = run_check(service, tmp_path)
    assert not result.passed and not png.exists()
    assert result.reason is not None and result.reason.startswith("no browser for the screenshot")
    assert result.measured["expected_edges_found"] == "29/29" and result.details["marquez"]["path_from_bronze"]
