"""The cost KPI prices the catalog's App Runner service: 0 while paused, cents in use and until the pause fires."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lakehouse.kpi.cost import PlannedResource, estimate_cost, load_prices, load_usage

REGION = "ap-northeast-1"
CATALOG = [
    PlannedResource(  # infra/catalog_service.tf's size (without it App Runner runs 1 vCPU / 2 GB)
        "aws_apprunner_service.catalog[0]",
        "aws_apprunner_service",
        REGION,
        {"instance_configuration": [{"cpu": "256", "memory": "512"}]},
    ),
    PlannedResource(
        "aws_apprunner_auto_scaling_configuration_version.catalog[0]",
        "aws_apprunner_auto_scaling_configuration_version",
        REGION,
    ),
]
HOURS_PER_MONTH = 730


_SERVICE_REFS = frozenset(
    {"aws_apprunner_service.catalog[0].arn", "aws_apprunner_service.catalog[0]", "aws_apprunner_service.catalog"}
)
#: infra/catalog_service.tf's pause as a fresh plan has it (the service's ARN is known only after apply).
PAUSE = PlannedResource(
    "aws_scheduler_schedule.catalog_pause[0]",
    "aws_scheduler_schedule",
    REGION,
    {
        "schedule_expression": "rate(1 hour)",
        "state": "ENABLED",
        "flexible_time_window": [{"maximum_window_in_minutes": 0, "mode": "OFF"}],
        "target": [{"arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"}],
    },
    _SERVICE_REFS,
    {"target": _SERVICE_REFS},  # the service is named in the target's input, as infra/catalog_service.tf does
)


def test_the_service_is_priced_in_use_and_until_its_pause_schedule_fires() -> None:
    catalog = [*CATALOG, PAUSE]
    estimate = estimate_cost(catalog, load_prices(), load_usage())
    assert not estimate.unpriced
    line, pause = estimate.lines
    parts = {c.name: c.monthly_usd for c in line.components}
    gb_hour = load_prices().prices(REGION)["apprunner_usd_per_gb_hour"]
    # Up to an hour after each use (usage.yml: 20), then paused: cents, not the 730 h of a service never paused.
    assert parts["provisioned memory while running idle"] == 20 * 0.5 * gb_hour
    assert 0 < parts["active vCPU (in use)"] + parts["active memory (in use)"] < 1
    assert [f["type"] for f in estimate.free] == ["aws_apprunner_auto_scaling_configuration_version"]
    # the pause's 730 hourly invocations, the free tier not applied: a fraction of a cent
    assert pause.type == "aws_scheduler_schedule" and pause.components[0].quantity == 730
    assert pause.monthly_usd == pytest.approx(
        730 * load_prices().prices(REGION)["scheduler_usd_per_1m_invocations"] / 1e6
    )


def test_a_service_left_running_idle_bills_its_memory_all_month() -> None:
    usage = load_usage()
    left_running = replace(usage, values={**usage.values, "apprunner": {**usage["apprunner"], "active_hours": 0}})
    [line] = estimate_cost(CATALOG, load_prices(), left_running).lines  # no pause schedule in the plan
    gb_hour = load_prices().prices(REGION)["apprunner_usd_per_gb_hour"]
    assert line.monthly_usd == HOURS_PER_MONTH * 0.5 * gb_hour  # 0.5 GB provisioned, no vCPU while idle
