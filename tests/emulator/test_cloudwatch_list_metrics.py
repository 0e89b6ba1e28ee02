"""ListMetrics lists only metrics with a datapoint in the last two weeks, as CloudWatch does.

"ListMetrics doesn't return information about metrics if those metrics haven't reported data in the
past two weeks. To retrieve those metrics, use GetMetricData or GetMetricStatistics." moto lists every
metric ever put; a check that took "listed" for "live" would pass a metric dead for a month.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.emulator.conftest import AwsClientFactory

DIMS = [{"Name": "Stack", "Value": "old"}]


def _listed(cloudwatch: Any, namespace: str) -> list[str]:
    pages = cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace)
    return sorted(m["MetricName"] for page in pages for m in page["Metrics"])


def test_a_metric_silent_for_over_two_weeks_is_not_listed_but_still_read(aws_client: AwsClientFactory) -> None:
    cloudwatch = aws_client("cloudwatch")
    namespace = f"Test/ListMetrics-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=15), now - timedelta(days=13)
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Silent", "Dimensions": DIMS, "Value": 1.0, "Timestamp": old},
            {"MetricName": "Quiet", "Dimensions": DIMS, "Value": 2.0, "Timestamp": recent},
            {"MetricName": "Quiet", "Dimensions": DIMS, "Value": 3.0, "Timestamp": old},
        ],
    )
    assert _listed(cloudwatch, namespace) == ["Quiet"]  # its newest datapoint is within two weeks
    stats = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="Silent",
        Dimensions=DIMS,
        StartTime=now - timedelta(days=16),
        EndTime=now,
        Period=86_400,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [p["Maximum"] for p in stats] == [1.0]  # GetMetricStatistics still reads it
    cloudwatch.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": "Silent", "Dimensions": DIMS, "Value": 4.0}]
    )
    assert _listed(cloudwatch, namespace) == ["Quiet", "Silent"]  # reported again: listed again
