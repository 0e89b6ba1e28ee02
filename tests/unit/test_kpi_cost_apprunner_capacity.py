"""KPI cost and CO2 price the App Runner capacity the plan provisions: the instance size and the MinSize.

The broken stack (``tests/unit/data/plans/apprunner``, a saved plan of a real root): ``aws_apprunner_service.crowd``
has no ``instance_configuration`` (App Runner runs it at its default 1 vCPU / 2 GB) and its auto scaling
configuration keeps 25 instances provisioned (``min_size = 25``). The KPI priced it as the usage file's one
0.25 vCPU / 0.5 GB instance, 3.4 USD a month, and passed; App Runner bills the memory of 25 x 2 GB for every
hour it runs, over 300 USD. A service naming an auto scaling configuration that is not in the plan
(``aws_apprunner_service.outside``, an ARN made by hand) keeps an unknown number of instances: no pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import PlannedResource, estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.outcome import Outcome, Status
from tests.unit.plan_docs import BUDGET

PLAN = Path(__file__).parent / "data" / "plans" / "apprunner" / "plan.json"
REGION = "ap-northeast-1"
HOURS = 730  # nothing in this plan pauses a service: each runs all month


def _stack(name: str) -> list[PlannedResource]:
    """One service of the saved plan and the auto scaling configuration of the same name (if planned)."""
    plan: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    wanted = {f"aws_apprunner_service.{name}", f"aws_apprunner_auto_scaling_configuration_version.{name}"}
    return [r for r in planned_resources(plan, REGION) if r.address in wanted]


def _cost(name: str) -> Outcome:
    return judge_cost(estimate_cost(_stack(name), load_prices(), load_usage()), 20.0, BUDGET)


def _co2(name: str) -> Outcome:
    return judge_carbon(estimate_carbon(load_usage(), load_coefficients(), REGION, _stack(name)), 50.0)


def _memory_gb_hours(outcome: Outcome) -> float:
    [line] = outcome.details["estimate"]["lines"]
    return sum(c["quantity"] for c in line["components"] if "memory" in c["name"])


def test_the_catalog_at_its_planned_size_and_one_instance_passes() -> None:
    outcome = _cost("catalog")
    assert outcome.status is Status.PASSED, outcome.reason
    assert _memory_gb_hours(outcome) == HOURS * 0.5  # one 0.5 GB instance, in use or idle
    [line] = outcome.details["estimate"]["lines"]
    vcpu_hours = sum(c["quantity"] for c in line["components"] if "vCPU" in c["name"])
    assert vcpu_hours == load_usage()["apprunner"]["active_hours"] * 0.25  # the planned 256 (0.25 vCPU)
    assert _co2("catalog").status is Status.PASSED


def test_25_default_sized_instances_are_priced_as_planned_and_fail_the_kpi() -> None:
    outcome = _cost("crowd")
    assert outcome.status is Status.FAILED, outcome.reason  # main: PASSED at 3.4 USD (one 0.25 vCPU / 0.5 GB)
    assert "aws_apprunner_service.crowd" in outcome.reason
    assert _memory_gb_hours(outcome) == HOURS * 2.0 * 25  # App Runner's default 2 GB, MinSize 25 provisioned
    assert outcome.measured is not None and outcome.measured > 300
    [line] = outcome.details["estimate"]["lines"]
    assert any("24 more instance(s) (MinSize 25)" in c["name"] for c in line["components"])
    co2 = estimate_carbon(load_usage(), load_coefficients(), REGION, _stack("crowd"))
    assert co2.inputs["apprunner_memory_gb_hours"] == HOURS * 2.0 * 25
    assert co2.inputs["apprunner_vcpu_hours"] == load_usage()["apprunner"]["active_hours"] * 1.0


@pytest.mark.parametrize("measure", [_cost, _co2], ids=["cost", "co2"])
def test_a_scaling_configuration_outside_the_plan_is_no_pass_naming_it(measure: Any) -> None:
    outcome = measure("outside")
    assert outcome.status is Status.ERROR, outcome.reason  # main: PASSED as one instance
    assert "aws_apprunner_service.outside" in outcome.reason
    assert "made-by-hand" in outcome.reason and "MinSize" in outcome.reason
