"""KPI-cost attacked: a plan pausing the catalog hourly beside a schedule resuming it (apprunner:ResumeService).
Each pause is undone by the next resume, so the service runs idle all month, yet the estimate priced an hour after
each of the usage file's resumes."""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.cost import load_usage, planned_resources
from lakehouse.kpi.pause import running_hours
from tests.unit.plan_docs import PAUSE, REGION, SERVICE, pause_values, plan, resource

ARN = "arn:aws:apprunner:ap-northeast-1:123456789012:service/lakehouse-lh-x-catalog/abc"
WARM = "aws_scheduler_schedule.warm_up"


def _applied(state: str = "ENABLED", arn: str = ARN) -> dict[str, Any]:
    """An applied plan (ARNs known): the hourly pause, and a schedule resuming ``arn`` five minutes later."""
    target = {"arn": "arn:aws:scheduler:::aws-sdk:apprunner:{}", "input": f'{{"ServiceArn":"{ARN}"}}'}
    resume = pause_values(
        "cron(5 * * * ? *)",
        state,
        name="warm-up",
        target=[{**target, "arn": target["arn"].format("resumeService"), "input": f'{{"ServiceArn":"{arn}"}}'}],
    )
    doc = plan(
        pause_values(target=[{**target, "arn": target["arn"].format("pauseService")}]),
        extra=[resource(WARM, "aws_scheduler_schedule", resume)],
    )
    doc["configuration"]["root_module"]["resources"] = []
    for res in doc["planned_values"]["root_module"]["resources"]:
        if res["address"] == SERVICE:
            res["values"]["arn"] = ARN
    return doc


def _idle(doc: dict[str, Any]) -> Any:
    return running_hours(planned_resources(doc, REGION), load_usage()["apprunner"])[SERVICE]


def test_a_schedule_resuming_the_catalog_prices_it_running_all_month_naming_it() -> None:
    hours = _idle(_applied())
    assert (hours.idle, hours.paused_by) == (710.0, None)
    assert hours.why == (
        f"{WARM} resumes it (cron(5 * * * ? *), apprunner:ResumeService) whether used or not: the service runs all "
        "month, 730 h - 20 h in use = 710 h idle"
    )


def test_a_disabled_resume_or_one_resuming_another_service_leaves_the_hourly_pause() -> None:
    for doc in (_applied(state="DISABLED"), _applied(arn=ARN.replace("/abc", "/def"))):
        hours = _idle(doc)
        assert (hours.idle, hours.paused_by) == (20.0, PAUSE)
