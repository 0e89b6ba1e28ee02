"""Exit check 7: an alert topic that is a FIFO topic hears nothing from CloudWatch or Budgets.

SNS takes a publish to a FIFO topic only with a MessageGroupId; an alarm action and a budget notification
publish without one, so SNS refuses them. The topic exists, its policy allows the service and a confirmed SQS
subscription is ready to receive: only GetTopicAttributes' FifoTopic (and the ``.fifo`` name SNS gives every FIFO
topic) tells.
"""

from __future__ import annotations

from typing import Any

from lakehouse.checks.finops import FinopsReadback, NotificationReadback, judge_finops, read_topic
from tests.unit.test_finops import (
    ACCOUNT,
    ACTUAL_80,
    ALARM,
    ALARM_NAME,
    BILLING_TOPIC,
    BUDGET_NAME,
    FORECAST_100,
    INBOX,
    SNS,
    TOPIC,
    StubbedTarget,
    healthy,
    inbox,
    inbox_policy,
    subscription,
    topic_policy,
)

FIFO_BILLING = f"arn:aws:sns:us-east-1:{ACCOUNT}:lakehouse-lh-1-billing-alerts.fifo"
FIFO_ALERTS = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:lakehouse-lh-1-alerts.fifo"


def with_fifo(**changes: Any) -> FinopsReadback:
    """The healthy read-back plus both FIFO topics, each as deliverable as its standard twin but for being FIFO."""
    data = healthy(queues={INBOX: inbox(inbox_policy(TOPIC, BILLING_TOPIC, FIFO_BILLING, FIFO_ALERTS))}, **changes)
    data.topics.update({FIFO_BILLING: True, FIFO_ALERTS: True})
    data.subscriptions.update({FIFO_BILLING: [subscription(FIFO_BILLING)], FIFO_ALERTS: [subscription(FIFO_ALERTS)]})
    data.subscription_attributes.update(
        {str(subscription(t)["SubscriptionArn"]): {} for t in (FIFO_BILLING, FIFO_ALERTS)}
    )
    data.topic_policies.update(
        {
            FIFO_BILLING: topic_policy(FIFO_BILLING, "cloudwatch.amazonaws.com"),
            FIFO_ALERTS: topic_policy(FIFO_ALERTS, "budgets.amazonaws.com", "cloudwatch.amazonaws.com"),
        }
    )
    data.fifo_topics = {FIFO_BILLING, FIFO_ALERTS}
    return data


def test_a_billing_alarm_whose_only_action_is_a_fifo_topic_fails_naming_alarm_and_topic() -> None:
    result = judge_finops(with_fifo(alarm={**ALARM, "AlarmActions": [FIFO_BILLING]}), cap_usd=20)
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(f"billing alarm {ALARM_NAME} notifies nobody")
    assert f"topic {FIFO_BILLING} is a FIFO topic (FifoTopic true)" in problem
    assert "cloudwatch.amazonaws.com publishes without one" in problem
    assert "queue" not in problem and "policy" not in problem  # the FIFO topic is the one reason
    assert result.measured["billing_alarm_actions"] == 0
    assert result.details["sns_fifo_topics"] == [FIFO_ALERTS, FIFO_BILLING]


def test_a_billing_alarm_with_a_standard_topic_beside_the_fifo_one_passes() -> None:
    result = judge_finops(with_fifo(alarm={**ALARM, "AlarmActions": [FIFO_BILLING, BILLING_TOPIC]}), cap_usd=20)
    assert result.passed, result.reason
    assert result.measured["billing_alarm_actions"] == 1


def test_a_budget_whose_only_subscriber_is_a_fifo_topic_fails_naming_budget_and_topic() -> None:
    fifo = {"SubscriptionType": "SNS", "Address": FIFO_ALERTS}
    notifications = [NotificationReadback(ACTUAL_80, [fifo]), NotificationReadback(FORECAST_100, [fifo])]
    result = judge_finops(with_fifo(notifications=notifications), cap_usd=20)
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert f"none of budget {BUDGET_NAME}'s 2 notification(s) can alert" in problem
    assert f"topic {FIFO_ALERTS} is a FIFO topic (FifoTopic true)" in problem
    assert "budgets.amazonaws.com publishes without one" in problem
    assert result.measured["budget_notifications_that_can_fire"] == 0


def test_a_budget_with_one_notification_to_a_standard_topic_passes() -> None:
    fifo = {"SubscriptionType": "SNS", "Address": FIFO_ALERTS}
    notifications = [NotificationReadback(ACTUAL_80, [fifo]), NotificationReadback(FORECAST_100, [SNS])]
    result = judge_finops(with_fifo(notifications=notifications), cap_usd=20)
    assert result.passed, result.reason
    assert result.measured["budget_notifications_that_can_fire"] == 1


def read_one(arn: str, attributes: dict[str, str]) -> FinopsReadback:
    """``read_topic`` of one topic whose GetTopicAttributes answers ``attributes`` (no subscriptions)."""
    target = StubbedTarget(name="aws", region="us-east-1")
    sns = target.stub("sns", arn.split(":")[3])  # read in the topic's region
    sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": arn, **attributes}}, {"TopicArn": arn})
    sns.add_response("list_subscriptions_by_topic", {"Subscriptions": []}, {"TopicArn": arn})
    data = healthy(topics={}, subscriptions={}, topic_policies={})
    read_topic(target, data, arn)
    return data


def test_the_reader_records_a_topic_getattributes_shows_as_fifo() -> None:
    assert read_one(FIFO_BILLING, {"FifoTopic": "true", "ContentBasedDeduplication": "false"}).fifo_topics == {
        FIFO_BILLING
    }
    assert read_one(FIFO_BILLING, {}).fifo_topics == {FIFO_BILLING}  # SNS names every FIFO topic *.fifo
    assert read_one(BILLING_TOPIC, {}).fifo_topics == set()
    assert read_one(TOPIC, {"FifoTopic": "false"}).fifo_topics == set()
