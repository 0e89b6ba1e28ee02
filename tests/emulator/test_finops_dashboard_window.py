"""Exit check 7 on the emulator: a tile frozen on a past time range is no live series.

The stack's pipeline metrics are published (PutMetricData, StackId) and ListMetrics lists them; the
dashboard is written with PutDashboard and read back with GetDashboard. With an absolute start/end
that ended before the read, every tile shows a past window and none counts; the same rows under a
relative range (ending now) count.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION
from tests.emulator.test_finops_topic_policy import _guards

METRICS = ("Failures", "RowsRefused", "GoldFreshnessSeconds")


def test_a_dashboard_frozen_on_a_past_window_counts_no_series(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    stack_id = f"t{uuid.uuid4().hex[:6]}"
    outputs, _, _ = _guards(target, f"lakehouse-{stack_id}")
    cloudwatch = target.client("cloudwatch")
    ours = [{"Name": "StackId", "Value": stack_id}]
    cloudwatch.put_metric_data(
        Namespace="Lakehouse/Pipeline",
        MetricData=[{"MetricName": m, "Dimensions": ours, "Value": 0.0} for m in METRICS],
    )
    rows = [["Lakehouse/Pipeline", m, "StackId", stack_id] for m in METRICS]
    widgets = [{"type": "metric", "properties": {"region": REGION, "metrics": rows}}]

    def judged(window: dict[str, Any]) -> Any:
        body = {**window, "widgets": widgets}
        cloudwatch.put_dashboard(DashboardName=outputs["dashboard_name"], DashboardBody=json.dumps(body))
        data = read_finops(target, outputs, stack_id=stack_id)
        assert all(data.published_series.values()) and len(data.published_series) == 3  # ListMetrics lists each
        return judge_finops(data)

    frozen = judged({"start": "2025-01-01T00:00:00.000Z", "end": "2025-01-02T00:00:00.000Z"})
    (problem,) = frozen.details["problems"]["dashboard"]
    assert f"dashboard {outputs['dashboard_name']} has 0 published metric series" in problem
    assert problem.count("the dashboard's time range ends at 2025-01-02T00:00:00.000Z, before the read") == 3

    live = judged({"start": "-PT6H"})
    assert live.details["problems"]["dashboard"] == [] and live.measured["dashboard_metric_series"] == 3
