"""Exit check 7's reader and judge on the emulator: a topic policy Deny silences Budgets and CloudWatch.

The topics, their policies (the Allows infra/ writes), the inbox queue, the budget and the billing alarm
are made through the APIs; then a Deny of sns:Publish is added out of band, as a person would with
SetTopicAttributes. The reader must carry the policy as SNS answers it, and the judge name topic and statement.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target, local_target
from tests.emulator.conftest import REGION

ACCOUNT = "123456789012"  # moto's default account, which the emulator's STS reports
BILLING_REGION = "us-east-1"
NOTIFICATION = {
    "NotificationType": "ACTUAL",
    "ComparisonOperator": "GREATER_THAN",
    "Threshold": 80.0,
    "ThresholdType": "PERCENTAGE",
}


def _allowing(topic: str, *services: str) -> dict[str, Any]:
    """The topic policy infra/alerts.tf writes: the owner account, and each service for the own account."""
    owner = {
        "Sid": "OwnerManagesTopic",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": ["SNS:Publish", "SNS:Subscribe"],
        "Resource": topic,
    }
    allows = [
        {
            "Sid": f"{service.split('.')[0]}Publish",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "SNS:Publish",
            "Resource": topic,
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
        for service in services
    ]
    return {"Version": "2012-10-17", "Statement": [owner, *allows]}


def _topic(target: Target, region: str, name: str, *services: str) -> str:
    sns = target.client("sns", region=region)
    arn = str(sns.create_topic(Name=name)["TopicArn"])
    policy = json.dumps(_allowing(arn, *services))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    return arn


def _inbox(target: Target, name: str, *topics: str) -> str:
    """An SQS queue SNS may send to from ``topics``, subscribed to each (SQS subscriptions are confirmed)."""
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    allow = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": list(topics)}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [allow]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    for topic in topics:
        target.client("sns", region=topic.split(":")[3]).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return arn


def _guards(target: Target, prefix: str) -> tuple[dict[str, str], str, str]:
    """(outputs, alerts topic, billing topic) of a budget and a billing alarm alerting through SNS to a queue."""
    alerts = _topic(target, REGION, f"{prefix}-alerts", "budgets.amazonaws.com", "cloudwatch.amazonaws.com")
    billing = _topic(target, BILLING_REGION, f"{prefix}-billing-alerts", "cloudwatch.amazonaws.com")
    _inbox(target, f"{prefix}-inbox", alerts, billing)
    budget: dict[str, Any] = {
        "BudgetName": f"{prefix}-monthly-cost",
        "BudgetType": "COST",
        "BudgetLimit": {"Amount": "20", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
    }
    target.client("budgets").create_budget(
        AccountId=ACCOUNT,
        Budget=budget,
        NotificationsWithSubscribers=[
            {"Notification": NOTIFICATION, "Subscribers": [{"SubscriptionType": "SNS", "Address": alerts}]}
        ],
    )
    alarm = f"{prefix}-estimated-charges"
    target.client("cloudwatch", region=BILLING_REGION).put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/Billing",
        MetricName="EstimatedCharges",
        Dimensions=[{"Name": "Currency", "Value": "USD"}],
        Statistic="Maximum",
        Period=21600,
        EvaluationPeriods=1,
        Threshold=20.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        ActionsEnabled=True,
        AlarmActions=[billing],
    )
    outputs = {
        "budget_name": str(budget["BudgetName"]),
        "dashboard_name": f"{prefix}-finops",  # none: only the budget's and the alarm's problems are asserted
        "billing_alarm_name": alarm,
        "billing_alarm_region": BILLING_REGION,
    }
    return outputs, alerts, billing


def _deny(target: Target, topic: str, statement: dict[str, Any]) -> None:
    """Add ``statement`` to the topic's policy as SNS holds it (GetTopicAttributes, SetTopicAttributes)."""
    sns = target.client("sns", region=topic.split(":")[3])
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    policy["Statement"] = [*policy["Statement"], {**statement, "Resource": topic}]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))


def test_a_deny_added_to_the_topic_policies_silences_the_budget_and_the_billing_alarm(
    emulator: EmulatorHandle,
) -> None:
    target = local_target(emulator.endpoint, REGION)
    outputs, alerts, billing = _guards(target, f"lh-deny-{uuid.uuid4().hex[:6]}")
    before = judge_finops(read_finops(target, outputs)).details["problems"]
    assert (before["budget"], before["billing_alarm"]) == ([], [])

    _deny(target, alerts, {"Sid": "NoPublish", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish"})
    everything_but = {"Sid": "OnlySubscribe", "Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"}}
    _deny(target, billing, {**everything_but, "NotAction": "sns:Subscribe"})
    data = read_finops(target, outputs)
    assert [s["Sid"] for s in (data.topic_policies[alerts] or {})["Statement"]][-1] == "NoPublish"
    result = judge_finops(data)
    (budget,) = result.details["problems"]["budget"]
    assert (
        f"topic {alerts} has a policy that does not let budgets.amazonaws.com publish: statement NoPublish denies "
        "budgets.amazonaws.com sns:Publish (budgets cannot publish to it)"
    ) in budget, budget
    (alarm,) = result.details["problems"]["billing_alarm"]
    assert (
        f"topic {billing} has a policy that does not let cloudwatch.amazonaws.com publish: statement OnlySubscribe "
        "denies cloudwatch.amazonaws.com sns:Publish (cloudwatch cannot publish to it)"
    ) in alarm, alarm
    assert result.measured["budget_notifications_that_can_fire"] == 0
    assert result.measured["billing_alarm_actions"] == 0
