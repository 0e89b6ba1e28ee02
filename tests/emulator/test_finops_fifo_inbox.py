"""Exit check 7's reader and judge on the emulator: a FIFO alert topic, and an inbox that drops alerts unread.

The guards of ``test_finops_topic_policy`` (budget and billing alarm alerting an SQS inbox through SNS) are made
through the APIs. Then, as a person would: the billing alarm's action moves to a FIFO topic that is allowed,
subscribed and delivers to the same inbox (SNS refuses CloudWatch's publish there: no MessageGroupId); or the
inbox's retention drops to 60 s, SQS's minimum. The reader must carry FifoTopic and MessageRetentionPeriod as SNS
and SQS answer them, and the judge name topic and queue.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target, local_target
from tests.emulator.conftest import REGION
from tests.emulator.test_finops_topic_policy import BILLING_REGION, _allowing, _guards


def _inbox_url(target: Target, prefix: str) -> tuple[str, str]:
    """(URL, Policy) of the guards' inbox, as SQS answers them."""
    sqs = target.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{prefix}-inbox")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]


def test_a_billing_alarm_moved_to_a_fifo_topic_alerts_nobody(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    prefix = f"lh-fifo-{uuid.uuid4().hex[:6]}"
    outputs, _, _ = _guards(target, prefix)
    sns = target.client("sns", region=BILLING_REGION)
    fifo = str(sns.create_topic(Name=f"{prefix}-billing.fifo", Attributes={"FifoTopic": "true"})["TopicArn"])
    sns.set_topic_attributes(
        TopicArn=fifo, AttributeName="Policy", AttributeValue=json.dumps(_allowing(fifo, "cloudwatch.amazonaws.com"))
    )
    url, text = _inbox_url(target, prefix)
    policy: dict[str, Any] = json.loads(text)
    policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"].append(fifo)  # SQS lets the FIFO topic send
    sqs = target.client("sqs")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    inbox = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint=inbox)
    use1 = target.client("cloudwatch", region=BILLING_REGION)
    (alarm,) = use1.describe_alarms(AlarmNames=[outputs["billing_alarm_name"]])["MetricAlarms"]
    keep = ("AlarmName", "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods")
    use1.put_metric_alarm(
        **{k: alarm[k] for k in keep},
        Threshold=alarm["Threshold"],
        ComparisonOperator=alarm["ComparisonOperator"],
        TreatMissingData="notBreaching",
        AlarmActions=[fifo],
    )

    result = judge_finops(read_finops(target, outputs))
    assert result.details["problems"]["budget"] == []  # the budget's standard topic still delivers
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(f"billing alarm {outputs['billing_alarm_name']} notifies nobody"), problem
    assert f"topic {fifo} is a FIFO topic (FifoTopic true)" in problem, problem
    assert "queue" not in problem, problem  # the inbox lets the FIFO topic send: FIFO is the one reason
    assert result.details["sns_fifo_topics"] == [fifo]


def test_an_inbox_that_keeps_alerts_60_s_silences_budget_and_alarm(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    prefix = f"lh-keep-{uuid.uuid4().hex[:6]}"
    outputs, _, _ = _guards(target, prefix)
    before = judge_finops(read_finops(target, outputs)).details["problems"]
    assert (before["budget"], before["billing_alarm"]) == ([], [])  # SQS's default: 4 days

    url, policy = _inbox_url(target, prefix)
    # The policy goes along: moto's SetQueueAttributes clears a Policy it is not given (AWS keeps it).
    target.client("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"MessageRetentionPeriod": "60", "Policy": policy}
    )
    result = judge_finops(read_finops(target, outputs))
    (budget,) = result.details["problems"]["budget"]
    (alarm,) = result.details["problems"]["billing_alarm"]
    for problem in (budget, alarm):
        assert f"queue {prefix}-inbox keeps a message only 60 s (MessageRetentionPeriod)" in problem, problem
        assert "has no policy" not in problem, problem  # the retention alone silences it
