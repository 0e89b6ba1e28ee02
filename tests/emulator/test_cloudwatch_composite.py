"""Composite alarms the emulator adds to moto (lakehouse.emulator.extensions.cloudwatch_composite).

Through boto3, so botocore validates the requests and parses the answers against its model,
the way Terraform's SDK and exit check 5's inventory see them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def cloudwatch(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("cloudwatch")


def _metric_alarm(cloudwatch: Any) -> str:
    name = f"cpu-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Athena",
        MetricName="ProcessedBytes",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    return name


def test_put_composite_alarm_creates_one_described_with_its_rule_and_tags(cloudwatch: Any) -> None:
    child = _metric_alarm(cloudwatch)
    name = f"composite-{uuid.uuid4().hex[:8]}"
    rule = f'ALARM("{child}")'
    cloudwatch.put_composite_alarm(
        AlarmName=name,
        AlarmRule=rule,
        AlarmDescription="any child",
        AlarmActions=["arn:aws:sns:ap-northeast-1:123456789012:alerts"],
        Tags=[{"Key": "team", "Value": "data"}],
    )
    try:
        found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])
        assert found["MetricAlarms"] == []
        (alarm,) = found["CompositeAlarms"]
        assert (alarm["AlarmName"], alarm["AlarmRule"], alarm["AlarmDescription"]) == (name, rule, "any child")
        assert alarm["AlarmArn"].endswith(f":alarm:{name}") and alarm["ActionsEnabled"] is True
        assert alarm["AlarmActions"] == ["arn:aws:sns:ap-northeast-1:123456789012:alerts"]
        tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
        assert tags == [{"Key": "team", "Value": "data"}]

        # An update replaces the rule; Tags on an update are ignored, as CloudWatch documents.
        cloudwatch.put_composite_alarm(
            AlarmName=name, AlarmRule=f'OK("{child}")', Tags=[{"Key": "team", "Value": "other"}]
        )
        (updated,) = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        assert updated["AlarmRule"] == f'OK("{child}")'
        assert updated["StateValue"] == alarm["StateValue"]
        assert updated["StateUpdatedTimestamp"] == alarm["StateUpdatedTimestamp"]
        assert cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == tags
    finally:
        cloudwatch.delete_alarms(AlarmNames=[name, child])
    assert cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


def test_describe_alarms_answers_only_the_types_asked_for(cloudwatch: Any) -> None:
    child = _metric_alarm(cloudwatch)
    name = f"composite-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_composite_alarm(AlarmName=name, AlarmRule=f'ALARM("{child}")')
    try:
        names = [name, child]
        default = cloudwatch.describe_alarms(AlarmNames=names)  # no AlarmTypes: metric alarms only
        assert [a["AlarmName"] for a in default["MetricAlarms"]] == [child] and default["CompositeAlarms"] == []
        both = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        assert [a["AlarmName"] for a in both["MetricAlarms"]] == [child]
        assert [a["AlarmName"] for a in both["CompositeAlarms"]] == [name]
        pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["CompositeAlarm"])
        listed = [a["AlarmName"] for page in pages for a in page["CompositeAlarms"]]
        assert name in listed and child not in listed
    finally:
        cloudwatch.delete_alarms(AlarmNames=[name, child])
