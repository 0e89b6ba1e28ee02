"""KPI-co2: a planned resource type the estimate has no energy model for is never assumed negligible.

The broken stack: the plan adds an always-on resource of a type ``ALWAYS_ON_TYPES`` does not list (a
DocumentDB instance, a load balancer, an interface VPC endpoint, a Kinesis stream on provisioned shards).
The estimate put every unlisted type under "configuration and on-demand control-plane resources ...
negligible", so the figure passed whatever it ran. Only types known to draw no provisioned capacity are
negligible now; any other type makes the figure a lower bound (``error``), named.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.carbon import estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import load_usage, planned_resources
from lakehouse.outcome import Status
from tests.unit.plan_docs import REGION, pause_values, plan, resource


def _judge(extra: list[dict[str, Any]]) -> Any:
    estimate = estimate_carbon(
        load_usage(), load_coefficients(), REGION, planned_resources(plan(pause_values(), extra=extra), REGION)
    )
    return judge_carbon(estimate, 50.0)


@pytest.mark.parametrize(
    ("address", "rtype", "values"),
    [
        ("aws_docdb_cluster_instance.cache", "aws_docdb_cluster_instance", {"instance_class": "db.r6g.16xlarge"}),
        ("aws_lb.front", "aws_lb", {"load_balancer_type": "application"}),
        ("aws_vpc_endpoint.athena", "aws_vpc_endpoint", {"vpc_endpoint_type": "Interface"}),
        ("aws_kinesis_stream.events", "aws_kinesis_stream", {"shard_count": 64}),
    ],
)
def test_an_always_on_type_the_estimate_does_not_know_is_no_verdict_naming_it(
    address: str, rtype: str, values: dict[str, Any]
) -> None:
    outcome = _judge([resource(address, rtype, values)])
    assert outcome.status is Status.ERROR, outcome.reason
    assert f"{address} ({rtype}) is not estimated" in (outcome.reason or "")
    assert "no energy model" in (outcome.reason or "")


def test_the_healthy_plan_stays_green_its_control_plane_types_negligible() -> None:
    outcome = _judge([])
    assert outcome.passed, outcome.reason
    [rest] = [n for n in outcome.details["estimate"]["not_estimated"] if n["what"].startswith("aws_")]
    assert not rest["significant"] and "aws_cloudwatch_metric_alarm" in rest["what"]


def test_every_type_infra_declares_is_modelled_or_negligible() -> None:
    """The repository's own stack: a type added to infra/ must be placed (modelled or negligible) on purpose."""
    import re

    from lakehouse.config import project_root
    from lakehouse.kpi.carbon import ALWAYS_ON_TYPES, ESTIMATED_TYPES, NEGLIGIBLE_TYPES

    declared = set()
    for tf in (project_root() / "infra").rglob("*.tf"):
        declared |= set(re.findall(r'^resource "([a-z0-9_]+)"', tf.read_text(encoding="utf-8"), re.M))
    known = NEGLIGIBLE_TYPES | ESTIMATED_TYPES | ALWAYS_ON_TYPES | {"aws_sagemaker_endpoint_configuration"}
    assert declared and declared <= known, sorted(declared - known)
