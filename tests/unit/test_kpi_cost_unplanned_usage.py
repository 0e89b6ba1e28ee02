"""KPI cost: usage.yml's Athena and Glue months are priced whatever workgroup and database serve them.

They were priced only on a planned ``aws_athena_workgroup`` / ``aws_glue_catalog_database``: a stack whose
pipeline queries the account's ``primary`` workgroup priced Athena at 0 USD, while KPI-co2 counted the same
queries' energy in the target's region. A month of 1,000 queries a day scanning 200 MB each (6 TB, 30 USD)
passed the 20 USD cap. Now, with none of the type planned, the section is priced in the target's region.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse.kpi.cost import (
    PRICES_FILE,
    USAGE_FILE,
    judge_cost,
    load_prices,
    load_usage,
    monthly_cost,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
)
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan

PRIMARY = "usage.yml athena in the account's primary workgroup"


def _without_workgroups(doc: dict[str, Any]) -> dict[str, Any]:
    """The stack's plan with its workgroups removed: its pipeline queries ``primary``."""
    root = doc["planned_values"]["root_module"]
    root["resources"] = [r for r in root["resources"] if r["type"] != "aws_athena_workgroup"]
    return doc


def _heavy(tmp_path: Path) -> Path:
    doc = yaml.safe_load(USAGE_FILE.read_text(encoding="utf-8"))
    doc["athena"].update(queries_per_day=1000, mb_scanned_per_query=200)  # 30,000 queries x 200 MB = 6 TB
    path = tmp_path / "usage.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _cost(doc: dict[str, Any], tmp_path: Path, usage: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The KPI's own entry point, our estimate (no Infracost configured)."""
    for key in ("INFRACOST_API_KEY", "INFRACOST_CLI_AUTHENTICATION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(json.dumps(doc), encoding="utf-8")
    estimate = monthly_cost(doc, plan_json, tmp_path, REGION, PRICES_FILE, usage, evidence_dir=tmp_path)
    return estimate, judge_cost(estimate, 20.0, BUDGET)


def test_heavy_queries_in_the_primary_workgroup_fail_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    estimate, result = _cost(_without_workgroups(plan(pause_values())), tmp_path, _heavy(tmp_path), monkeypatch)
    assert result.status is Status.FAILED, result.reason
    assert f"{PRIMARY} 30.00" in str(result.reason)  # 6 TB x 5 USD, named among the dearest lines
    [athena] = [line for line in estimate.lines if line.type == "aws_athena_workgroup"]
    assert athena.region == REGION and "no aws_athena_workgroup is planned" in athena.carries


def test_the_same_month_on_a_planned_workgroup_fails_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    estimate, result = _cost(plan(pause_values()), tmp_path, _heavy(tmp_path), monkeypatch)
    assert result.status is Status.FAILED, result.reason
    assert PRIMARY not in {line.address for line in estimate.lines}  # a planned workgroup carries it
    assert sum(line.monthly_usd for line in estimate.lines if line.type == "aws_athena_workgroup") == pytest.approx(30)


def test_the_committed_month_costs_the_same_whichever_workgroup_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary, result = _cost(_without_workgroups(plan(pause_values())), tmp_path, USAGE_FILE, monkeypatch)
    assert result.passed, result.reason
    planned, _ = _cost(plan(pause_values()), tmp_path, USAGE_FILE, monkeypatch)
    assert primary.total_usd == pytest.approx(planned.total_usd)
    lines = {line.address: line.monthly_usd for line in primary.lines}
    assert lines[PRIMARY] == pytest.approx(0.3)  # 6,000 queries billed the 10 MB minimum: 0.06 TB x 5 USD
    # plan_docs' stack plans no Glue database: its catalog month is priced all the same
    assert lines["usage.yml glue in databases the plan does not create"] == pytest.approx(0.0505)
    assert primary.inputs["usage_carried_by"]["aws_athena_workgroup"] == PRIMARY


def test_the_infracost_path_prices_queries_in_primary_too() -> None:
    resources = planned_resources(_without_workgroups(plan(pause_values())), REGION)
    answer = {  # the 2026 CLI naming every planned resource, pricing none (all from the table)
        "projects": [{"resources": [{"name": r.address, "type": r.type, "is_supported": False} for r in resources]}],
        "summary": {"total_monthly_cost": "0"},
    }
    estimate = price_the_unpriced(parse_infracost(answer), resources, load_prices(), load_usage(), REGION)
    lines = {line.address: line for line in estimate.lines}
    assert lines[PRIMARY].monthly_usd == pytest.approx(0.3)
    assert "fixtures prices" in lines[PRIMARY].components[0].name
    assert judge_cost(estimate, 20.0, BUDGET).passed
