"""Exit check 7 on the emulator: a dashboard's published series must watch the stack.

Metrics are published through PutMetricData (the pipeline's with its StackId, a team's heartbeat with none
of the stack's names), the dashboard is written with PutDashboard; the reader lists each series
(ListMetrics) and takes the stack's names from the outputs. Three live tiles of someone else's metrics
are no guard of the stack, while the same dashboard on the stack's own series passes.
"""

from __future__ import annotations

import json
import uuid

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION
from tests.emulator.test_finops_topic_policy import _guards

METRICS = ("Failures", "RowsRefused", "GoldFreshnessSeconds")


def test_live_series_of_no_stack_do_not_count_and_the_stacks_own_do(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    stack_id = f"t{uuid.uuid4().hex[:6]}"
    outputs, _, _ = _guards(target, f"lakehouse-{stack_id}")
    cloudwatch = target.client("cloudwatch")
    team = [{"Name": "Service", "Value": "payments"}]
    cloudwatch.put_metric_data(
        Namespace="Team/Ops", MetricData=[{"MetricName": m, "Dimensions": team, "Value": 1.0} for m in METRICS]
    )
    ours = [{"Name": "StackId", "Value": stack_id}]
    cloudwatch.put_metric_data(
        Namespace="Lakehouse/Pipeline",
        MetricData=[{"MetricName": m, "Dimensions": ours, "Value": 0.0} for m in METRICS],
    )

    def dashboard(namespace: str, dimension: list[str]) -> None:
        rows = [[namespace, m, *dimension] for m in METRICS]
        body = {"widgets": [{"type": "metric", "properties": {"region": REGION, "metrics": rows}}]}
        cloudwatch.put_dashboard(DashboardName=outputs["dashboard_name"], DashboardBody=json.dumps(body))

    dashboard("Team/Ops", ["Service", "payments"])
    data = read_finops(target, outputs, stack_id=stack_id)
    assert all(data.published_series.values()) and len(data.published_series) == 3  # every tile is live
    result = judge_finops(data)
    (problem,) = result.details["problems"]["dashboard"]
    assert f"dashboard {outputs['dashboard_name']} has 0 published metric series" in problem
    assert problem.count(f"watches nothing of stack {stack_id}") == 3
    assert "Team/Ops Failures Service=payments" in problem

    dashboard("Lakehouse/Pipeline", ["StackId", stack_id])
    result = judge_finops(read_finops(target, outputs, stack_id=stack_id))
    assert result.details["problems"]["dashboard"] == [] and result.measured["dashboard_metric_series"] == 3
