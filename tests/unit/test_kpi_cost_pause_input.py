"""KPI-cost attacked: a pause schedule tied to a service by a reference outside its target.

Before apply the service's ARN is unknown, so the plan ties a schedule to the service it pauses by reference. A
schedule copied for a second service keeps pausing the catalog (its target input still names the catalog's ARN) and
only its name refers to the new one: the new service is paused by nothing and runs all month, yet any reference in
the schedule counted, so the estimate priced it paused hourly. Only the target (its input) says what is paused.
"""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.cost import load_usage, planned_resources
from lakehouse.kpi.pause import RunningHours, running_hours
from tests.unit.plan_docs import PAUSE, REGION, SERVICE, pause_values, plan


def _named_after(doc: dict[str, Any], service: str) -> dict[str, Any]:
    """``doc`` with the pause schedule's name built from ``service`` (``"${service.service_name}-pause"``)."""
    [config] = doc["configuration"]["root_module"]["resources"]
    config["expressions"]["name"] = {"references": [f"{service}[0].service_name", f"{service}[0]", service]}
    return doc


def _catalog_hours(doc: dict[str, Any]) -> RunningHours:
    return running_hours(planned_resources(doc, REGION), load_usage()["apprunner"])[SERVICE]


def test_a_schedule_only_named_after_the_catalog_does_not_pause_it() -> None:
    other = plan(pause_values(), pause_refers_to="aws_apprunner_service.other")
    hours = _catalog_hours(_named_after(other, "aws_apprunner_service.catalog"))
    assert (hours.paused_by, hours.idle) == (None, 710.0)
    assert f"no schedule in the plan calls apprunner:PauseService on {SERVICE}" in hours.why


def test_a_schedule_whose_target_input_names_the_catalog_pauses_it_whatever_its_name() -> None:
    hours = _catalog_hours(_named_after(plan(pause_values()), "aws_apprunner_service.other"))
    assert (hours.paused_by, hours.idle) == (PAUSE, 20.0)
