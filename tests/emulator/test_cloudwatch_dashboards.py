"""The emulator's PutDashboard refuses the bodies CloudWatch refuses, over the wire, and keeps the stack's.

moto 5.2.5 stored any JSON, so exit check 7 judged dashboards AWS would never hold: a tile 0 wide, a graph
period of 7 s, a hidden flag of ``0``. The healthy twins are the stack's own body and AWS's example.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.emulator.conftest import AwsClientFactory
from tests.unit.test_emulator_dashboard_body import AWS_EXAMPLE, ROW, metric, row, stack_body, widget

BROKEN = {
    "widget 0 wide": (widget(width=0), "/widgets/0/width"),
    "period 7": (metric(period=7), "/widgets/0/properties/period"),
    "visible 0": (row(*ROW, {"visible": 0}), "/widgets/0/properties/metrics/0/4/visible"),
    "unknown widget type": (widget(type="graph"), "/widgets/0/type"),
    "options mid-row": (
        row("AWS/EC2", "CPUUtilization", {"stat": "Sum"}, "InstanceId", "i-1"),
        "/widgets/0/properties/metrics/0/2",
    ),
    "501 rows": (metric(metrics=[ROW] * 501), "/widgets/0/properties/metrics"),
    "no region": ({"widgets": [{"type": "metric", "properties": {"metrics": [ROW]}}]}, "/widgets/0/properties"),
}


@pytest.mark.parametrize(("body", "path"), list(BROKEN.values()), ids=list(BROKEN))
def test_putdashboard_refuses_a_body_aws_refuses(aws_client: AwsClientFactory, body: Any, path: str) -> None:
    cloudwatch = aws_client("cloudwatch")
    name = f"refused-{uuid.uuid4().hex[:8]}"
    with pytest.raises(cloudwatch.exceptions.DashboardInvalidInputError) as refused:
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
    answer = refused.value.response
    assert answer["Error"]["Code"] == "InvalidParameterInput"
    assert answer["Error"]["Message"].startswith("The dashboard body is invalid, there are 1 validation errors:")
    assert [m["DataPath"] for m in answer["dashboardValidationMessages"]] == [path]
    names = [d["DashboardName"] for d in cloudwatch.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]]
    assert names == []  # nothing stored


@pytest.mark.parametrize(
    "body", [stack_body(), stack_body(alarm_period_s=10), AWS_EXAMPLE], ids=["stack", "stack-local", "aws"]
)
def test_putdashboard_stores_a_body_aws_stores(aws_client: AwsClientFactory, body: Any) -> None:
    cloudwatch = aws_client("cloudwatch")
    name = f"stored-{uuid.uuid4().hex[:8]}"
    text = json.dumps(body)
    try:
        assert cloudwatch.put_dashboard(DashboardName=name, DashboardBody=text)["DashboardValidationMessages"] == []
        assert cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"] == text
    finally:
        cloudwatch.delete_dashboards(DashboardNames=[name])
