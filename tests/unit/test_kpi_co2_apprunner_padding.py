"""KPI-co2 under attack: a tiny, hourly-paused App Runner service padded into the plan to take half the catalog's month.

usage.yml's apprunner section (20 h in use, 20 resumes) is the whole stack's month; the estimate split it evenly over
the planned services, each at its own size and pause. The broken stack: the catalog at 1 vCPU / 2 GB, never paused
(it runs all month), plus a second service at App Runner's smallest size paused hourly by its own schedule: half the
hours in use were counted at 0.25 vCPU, and the figure fell for the same real use. Now the month is carried in full
by the one service where it emits most (``APPRUNNER_RULE``), as KPI-cost carries it where it costs most, so a
service added to the plan can only raise the figure.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.carbon import CarbonEstimate, estimate_carbon, load_coefficients
from lakehouse.kpi.cost import load_usage, planned_resources
from tests.unit.plan_docs import REGION, SERVICE, pause_values, plan, with_tiny_paused_service

PAD = "aws_apprunner_service.pad"


def _estimate(doc: dict[str, Any]) -> CarbonEstimate:
    return estimate_carbon(load_usage(), load_coefficients(), REGION, planned_resources(doc, REGION))


@pytest.mark.parametrize("pause", [None, pause_values()], ids=["catalog-never-paused", "catalog-paused-hourly"])
def test_a_tiny_paused_service_padded_in_does_not_lower_the_figure(pause: dict[str, Any] | None) -> None:
    healthy = _estimate(plan(pause, cpu="1024", memory="2048"))
    padded = _estimate(with_tiny_paused_service(plan(pause, cpu="1024", memory="2048")))
    # main: the pad carried 10 of the 20 h in use at a quarter of the catalog's vCPU (and its memory)
    assert padded.kg_co2e >= healthy.kg_co2e - 1e-12, f"{padded.kg_co2e} kg padded, {healthy.kg_co2e} kg alone"
    assert padded.inputs["apprunner_usage_carried_by"] == SERVICE
    hours = padded.inputs["apprunner_hours_from_plan"]
    assert hours[SERVICE]["active"] == 20.0 and hours[PAD]["active"] == 0.0
    assert padded.inputs["apprunner_vcpu_hours"] == 20 * 1.0  # all 20 h in use at the catalog's 1 vCPU


def test_a_padded_service_that_emits_more_carries_the_month_and_raises_the_figure() -> None:
    """The rule errs high, never low: a larger padded service takes the month at its size."""
    healthy = _estimate(plan(pause_values()))  # the shipped 0.25 vCPU / 0.5 GB catalog
    big = with_tiny_paused_service(plan(pause_values()))
    for r in big["planned_values"]["root_module"]["resources"]:
        if r["address"] == PAD:
            r["values"]["instance_configuration"] = [{"cpu": "4096", "memory": "12288"}]
    padded = _estimate(big)
    assert padded.inputs["apprunner_usage_carried_by"] == PAD
    assert padded.kg_co2e > healthy.kg_co2e
    assert "where it emits most" in padded.inputs["apprunner_usage_rule"]


def test_healthy_twin_the_shipped_shape_keeps_its_figure() -> None:
    """One service: carrying the month in full is the even split it was (20 h in use + 20 h idle at 0.5 GB)."""
    estimate = _estimate(plan(pause_values()))
    assert estimate.inputs["apprunner_usage_carried_by"] == SERVICE
    assert estimate.inputs["apprunner_vcpu_hours"] == 20 * 0.25
    assert estimate.inputs["apprunner_memory_gb_hours"] == (20 + 20) * 0.5
