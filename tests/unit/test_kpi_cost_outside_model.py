"""KPI cost: what a plan runs beside its resources, or on an engine the table does not price, is not 0 USD.

Two broken roots that passed at a few USD:

- a free-listed resource (an IAM role) with a ``local-exec`` provisioner running ``aws ec2 run-instances``
  at apply: the instances are part of the stack, billed, and in no plan;
- the analysts' Athena workgroup switched to the PySpark engine: Spark sessions bill per DPU-hour while
  they run, and the table priced the workgroup per TB scanned as SQL.

Each is now unpriced (``error``) naming the resource and why; the healthy plan (SQL, no provisioner) passes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import not_estimated
from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan

ROLE = "aws_iam_role.catalog_pause[0]"
ANALYST = "aws_athena_workgroup.analyst"


def _with_provisioner(doc: dict[str, Any], kind: str = "local-exec") -> dict[str, Any]:
    doc["configuration"]["root_module"]["resources"].append(
        {
            "address": "aws_iam_role.catalog_pause",
            "provider_config_key": "aws",
            "expressions": {"name": {"references": ["local.catalog_service_name"]}},
            "provisioners": [
                {"type": kind, "expressions": {"command": {"constant_value": "aws ec2 run-instances --count 4"}}}
            ],
        }
    )
    return doc


def _engine(doc: dict[str, Any], engine: str) -> dict[str, Any]:
    for res in doc["planned_values"]["root_module"]["resources"]:
        if res["address"] == ANALYST:
            res["values"] = {"configuration": [{"engine_version": [{"selected_engine_version": engine}]}]}
    return doc


def _judge(doc: dict[str, Any]) -> tuple[Any, Any]:
    resources = planned_resources(doc, REGION)
    estimate = estimate_cost(resources, load_prices(), load_usage())
    return estimate, judge_cost(estimate, 20.0, BUDGET)


@pytest.mark.parametrize("kind", ["local-exec", "remote-exec"])
def test_a_resource_running_a_provisioner_is_unpriced_naming_it(kind: str) -> None:
    doc = _with_provisioner(plan(pause_values()), kind)
    estimate, result = _judge(doc)
    assert result.status is Status.ERROR, result.reason
    assert (
        f"{ROLE} (aws_iam_role) has no price: its configuration runs {kind} provisioner(s) at apply: what they "
        "create is billed outside the plan and priced nowhere"
    ) in str(result.reason)
    assert ROLE not in {f["address"] for f in estimate.free}
    assert any(
        g["what"] == f"{ROLE} (aws_iam_role)" and g["significant"]
        for g in not_estimated(planned_resources(doc, REGION))
    )


def test_a_spark_workgroup_is_unpriced_naming_its_engine() -> None:
    estimate, result = _judge(_engine(plan(pause_values()), "PySpark engine version 3"))
    assert result.status is Status.ERROR, result.reason
    assert (
        f"{ANALYST} (aws_athena_workgroup) has no price: it runs PySpark engine version 3: Spark sessions bill per "
        "DPU-hour while they run"
    ) in str(result.reason)
    assert ANALYST not in {line.address for line in estimate.lines}


@pytest.mark.parametrize("engine", ["Athena engine version 3", "AUTO"])
def test_sql_workgroups_without_provisioners_pass(engine: str) -> None:
    estimate, result = _judge(_engine(plan(pause_values()), engine))
    assert result.passed, result.reason
    assert ANALYST in {line.address for line in estimate.lines} and estimate.unpriced == []


def test_terraforms_own_plan_of_them_is_unpriced_naming_each() -> None:
    """tests/unit/data/plans/outside: the provisioner, the Spark workgroup and the resuming schedule as
    Terraform plans them (the shapes are Terraform's); the pausing schedule and the SQL workgroup are priced."""
    doc = json.loads((Path(__file__).parent / "data" / "plans" / "outside" / "plan.json").read_text(encoding="utf-8"))
    estimate = estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage())
    why = {u["address"]: u["why"] for u in estimate.unpriced}
    assert sorted(why) == ["aws_athena_workgroup.spark", "aws_iam_role.runner", "aws_scheduler_schedule.resume"]
    assert why["aws_iam_role.runner"].startswith("its configuration runs local-exec provisioner(s) at apply")
    assert why["aws_athena_workgroup.spark"].startswith("it runs PySpark engine version 3")
    assert why["aws_scheduler_schedule.resume"].startswith(
        "its target arn:aws:scheduler:::aws-sdk:apprunner:resumeService is not the App Runner pause"
    )
    assert "aws_scheduler_schedule.pause" not in [f["address"] for f in estimate.free]
    assert sorted(line.address for line in estimate.lines) == [
        "aws_athena_workgroup.sql",
        "aws_scheduler_schedule.pause",
    ]
