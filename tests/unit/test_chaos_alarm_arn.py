"""KPI-mttr: the ALARM message must be of the alarm CloudWatch described, not only of one with its name.

An alarm name is unique within one account and Region. The harness placed a message by its ``AlarmName``
alone: an ALARM change of a same-named alarm in another account (whose action the stack's topic policy
lets publish to the stack's topic: no ``aws:SourceAccount`` condition) counted as this fault's detection.
The message's ``AlarmArn`` must be the ``AlarmArn`` DescribeAlarms answered just before the injection.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from lakehouse.chaos.alerts import parse_message
from lakehouse.chaos.detection import alarms_before, not_this_faults

NAME = "lakehouse-lh-1-input-empty"
OURS = f"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{NAME}"
#: The same name in another account: its action names lh-1's alerts topic.
THEIRS = f"arn:aws:cloudwatch:ap-northeast-1:210987654321:alarm:{NAME}"
TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:lakehouse-lh-1-alerts"


def _target() -> Any:
    """DescribeAlarms of lh-1's account: the alarm in OK since a minute ago."""
    alarm = {
        "AlarmName": NAME,
        "AlarmArn": OURS,
        "StateValue": "OK",
        "StateUpdatedTimestamp": datetime.now(UTC) - timedelta(minutes=1),
    }
    paginator = SimpleNamespace(paginate=lambda **_kw: [{"MetricAlarms": [alarm]}])
    cloudwatch = SimpleNamespace(get_paginator=lambda _op: paginator)
    return SimpleNamespace(client=lambda _service: cloudwatch)


def _delivered(arn: str) -> str:
    """The SQS body of the ALARM notification SNS delivers from ``TOPIC`` (envelope, CloudWatch's JSON inside)."""
    now = datetime.now(UTC)
    inner = {
        "AlarmName": NAME,
        "AlarmArn": arn,
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to "
        "the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000",
    }
    return json.dumps({"Type": "Notification", "TopicArn": TOPIC, "Message": json.dumps(inner)})


def _why_not(arn: str) -> str | None:
    before = alarms_before(_target(), [NAME])
    injected_at = datetime.now(UTC).timestamp() - 1.0
    message = parse_message(_delivered(arn), injected_at + 2.0)
    assert message is not None
    return not_this_faults(message, before, injected_at)


def test_a_same_named_alarm_of_another_account_is_not_the_faults_detection() -> None:
    why = _why_not(THEIRS)
    assert why is not None, f"the ALARM message of {THEIRS} counted as the detection by {OURS}"
    assert why.endswith(
        f"is of alarm {THEIRS}, not of the alarm CloudWatch describes as {NAME} ({OURS}): a same-named alarm of "
        "another account or Region, not this stack's"
    )


def test_the_described_alarms_own_message_is_the_detection() -> None:
    assert _why_not(OURS) is None
