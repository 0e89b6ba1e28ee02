"""KPI-cost, KPI-co2: a pause schedule in another region than the App Runner service pauses nothing.

EventBridge Scheduler's universal target ``arn:aws:scheduler:::aws-sdk:apprunner:pauseService`` names no region,
so it calls PauseService in the schedule's own region: a schedule in us-east-1 cannot pause a service in
ap-northeast-1 (App Runner there answers ResourceNotFoundException). On main the schedule was matched to the
service by reference or by ServiceArn alone, so the catalog was priced as paused hourly while it runs all month.
"""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.kpi.pause import running_hours
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, PAUSE, REGION, SERVICE, pause_values, plan

SCHEDULE_CONFIG, SERVICE_CONFIG = "aws_scheduler_schedule.catalog_pause", "aws_apprunner_service.catalog"
USE1 = {"name": "aws", "alias": "use1", "expressions": {"region": {"constant_value": "us-east-1"}}}
ELSEWHERE = (
    f"{PAUSE} is in us-east-1: its universal target calls pauseService in that region, not {REGION} where "
    f"{SERVICE} is: the service runs all month, 730 h - 20 h in use = 710 h idle"
)


def _in_use1(doc: dict[str, Any], *addresses: str) -> dict[str, Any]:
    """The plan with the resources at ``addresses`` (configuration addresses) under the ``aws.use1`` provider."""
    doc["configuration"]["provider_config"]["aws.use1"] = USE1
    config = doc["configuration"]["root_module"]["resources"]
    for address in addresses:
        found = [res for res in config if res["address"] == address]
        if not found:
            found = [{"address": address, "expressions": {}}]
            config.append(found[0])
        found[0]["provider_config_key"] = "aws.use1"
    return doc


def _by_arn(service_region: str) -> dict[str, Any]:
    """An applied plan: the schedule's input names the service's ARN (in ``service_region``), no reference."""
    arn = f"arn:aws:apprunner:{service_region}:123456789012:service/lakehouse-lh-x-catalog/abc"
    target = {"arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService", "input": f'{{"ServiceArn":"{arn}"}}'}
    doc = plan(pause_values(target=[target]))
    doc["configuration"]["root_module"]["resources"] = []
    next(r for r in doc["planned_values"]["root_module"]["resources"] if r["address"] == SERVICE)["values"]["arn"] = arn
    return doc


def _hours(doc: dict[str, Any]) -> Any:
    return running_hours(planned_resources(doc, REGION), load_usage()["apprunner"])[SERVICE]


def test_a_schedule_in_us_east_1_referring_to_a_tokyo_service_pauses_nothing_naming_both_regions() -> None:
    hours = _hours(_in_use1(plan(pause_values()), SCHEDULE_CONFIG))
    assert (hours.paused_by, hours.idle) == (None, 710.0)  # main: paused_by the schedule, 20 h idle
    assert hours.why == ELSEWHERE


def test_a_schedule_in_us_east_1_naming_the_tokyo_services_arn_pauses_nothing() -> None:
    hours = _hours(_in_use1(_by_arn(REGION), SCHEDULE_CONFIG))
    assert (hours.paused_by, hours.idle) == (None, 710.0)  # main: matched by ARN, 20 h idle
    assert hours.why == ELSEWHERE


def test_a_grown_catalog_paused_only_from_another_region_fails_the_cost_kpi() -> None:
    """2 vCPU / 4 GB: paused hourly it is under 20 USD; paused from us-east-1 it runs all month, over the cap."""
    broken = _in_use1(plan(pause_values(), cpu="2048", memory="4096"), SCHEDULE_CONFIG)
    outcome = judge_cost(estimate_cost(planned_resources(broken, REGION), load_prices(), load_usage()), 20.0, BUDGET)
    assert outcome.status is Status.FAILED
    assert "over the 20 USD cap" in str(outcome.reason)
    assert f"{PAUSE} is in us-east-1" in str(outcome.reason)


def test_a_schedule_in_the_services_own_region_pauses_it() -> None:
    """The healthy twins: schedule and service together, in the stack's region or both in us-east-1."""
    assert _hours(plan(pause_values())).paused_by == PAUSE
    assert _hours(_by_arn(REGION)).paused_by == PAUSE
    both = _in_use1(plan(pause_values()), SCHEDULE_CONFIG, SERVICE_CONFIG)
    assert (_hours(both).paused_by, _hours(both).idle) == (PAUSE, 20.0)
    both_by_arn = _in_use1(_by_arn("us-east-1"), SCHEDULE_CONFIG, SERVICE_CONFIG)
    assert _hours(both_by_arn).paused_by == PAUSE
    grown_plan = planned_resources(plan(pause_values(), cpu="2048", memory="4096"), REGION)
    grown = judge_cost(estimate_cost(grown_plan, load_prices(), load_usage()), 20.0, BUDGET)
    assert grown.passed, grown.reason
