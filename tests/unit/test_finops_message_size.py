"""Exit check 7: an SQS receiver hears an alert only if the alert fits in its queue's MaximumMessageSize.

SQS rejects a message larger than the queue's MaximumMessageSize (1,024 bytes to 256 KiB, or 1 MiB); SNS takes the
rejection as a client error, does not retry, and drops the alert. What SNS sends an SQS queue is the alert wrapped in
its JSON notification (Type, MessageId, TopicArn, Message, Timestamp, Signature, SigningCertURL, UnsubscribeURL)
unless the subscription has RawMessageDelivery: a CloudWatch alarm notification alone is over a kilobyte. A queue
set to MaximumMessageSize 1024 kept its policy, its confirmed subscription and its encryption, and the check
passed a stack whose alerts were all dropped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks.alert_delivery import alarm_alerts, budget_alert, delivered_bytes
from lakehouse.checks.finops import FinopsReadError, judge_finops, read_topic
from lakehouse.outcome import Status
from tests.unit.test_finops import (
    ACCOUNT,
    ALARM,
    ALARM_NAME,
    BILLING_TOPIC,
    BUDGET_NAME,
    INBOX,
    TOPIC,
    StubbedTarget,
    healthy,
    inbox,
    subscription,
    topic_policy,
)


def _raw(*topics: str) -> dict[str, dict[str, Any]]:
    """GetSubscriptionAttributes of each topic's inbox subscription with RawMessageDelivery on."""
    return {str(subscription(t)["SubscriptionArn"]): {"RawMessageDelivery": "true"} for t in topics}


def test_a_queue_too_small_for_the_alerts_silences_budget_and_alarm_naming_queue_and_sizes() -> None:
    result = judge_finops(healthy(queues={INBOX: inbox(MaximumMessageSize="1024")}), cap_usd=20)
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"none of budget {BUDGET_NAME}'s 2 notification(s) can alert" in reason, reason
    assert f"billing alarm {ALARM_NAME} " in reason and "notifies nobody" in reason, reason
    assert "queue lakehouse-lh-1-alerts-inbox accepts messages of at most 1024 bytes (MaximumMessageSize)" in reason
    assert "SQS rejects it and SNS drops it" in reason
    delivery = result.details["alert_delivery"][TOPIC]
    assert any("MaximumMessageSize" in why for whys in delivery.values() for why in whys), delivery


def test_raw_delivery_drops_the_envelope_but_not_the_alarm_notification() -> None:
    """Raw delivery sends the alert as published: a budget alert fits in 1 KiB, an alarm notification does not."""
    data = healthy(queues={INBOX: inbox(MaximumMessageSize="1024")}, subscription_attributes=_raw(TOPIC, BILLING_TOPIC))
    result = judge_finops(data, cap_usd=20)
    assert result.status is Status.FAILED
    assert result.details["problems"]["budget"] == [], result.details["problems"]
    assert "alarm lakehouse-lh-1-estimated-charges's ALARM notification from INSUFFICIENT_DATA" in str(result.reason)


@pytest.mark.parametrize("size", [None, "262144", "1048576", "4096"])
def test_a_queue_large_enough_for_the_alerts_receives_them(size: str | None) -> None:
    queue = inbox(**({"MaximumMessageSize": size} if size else {}))
    result = judge_finops(healthy(queues={INBOX: queue}), cap_usd=20)
    assert result.passed, result.reason


def test_the_size_is_a_lower_bound_of_what_sns_sends() -> None:
    """The envelope adds the signature, certificate and unsubscribe URLs around the escaped alert."""
    sub = str(subscription(TOPIC)["SubscriptionArn"])
    budget = budget_alert()
    assert delivered_bytes(budget, TOPIC, sub, raw=True) == len(budget.body.encode())
    wrapped = delivered_bytes(budget, TOPIC, sub, raw=False)
    assert wrapped > len(budget.body.encode()) + 344 + len(TOPIC) + len(sub)
    for message in alarm_alerts(ALARM, ACCOUNT, "us-east-1"):
        assert delivered_bytes(message, BILLING_TOPIC, sub, raw=False) > 1024


def test_a_topic_too_small_for_the_alarm_notification_refuses_cloudwatch_s_publish() -> None:
    """SNS checks a publish against the topic's MaximumMessageSize (1,024 B to 1 MiB) and refuses a larger one."""
    data = healthy(topic_max_sizes={BILLING_TOPIC: 1024})
    result = judge_finops(data, cap_usd=20)
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"billing alarm {ALARM_NAME} notifies nobody" in reason, reason
    assert (
        f"topic {BILLING_TOPIC} accepts messages of at most 1024 bytes (MaximumMessageSize), and alarm {ALARM_NAME}'s "
        "ALARM notification from INSUFFICIENT_DATA (JSON, no message attributes) is at least" in reason
    ), reason
    assert result.details["problems"]["budget"] == []  # the budget's topic is another one


def test_a_topic_large_enough_for_the_alerts_passes() -> None:
    result = judge_finops(healthy(topic_max_sizes={BILLING_TOPIC: 4096, TOPIC: 262144}), cap_usd=20)
    assert result.passed, result.reason


@pytest.mark.parametrize(("size", "read"), [("1024", {BILLING_TOPIC: 1024}), (None, {})])
def test_the_topic_s_maximum_message_size_is_read_from_get_topic_attributes(
    size: str | None, read: dict[str, int]
) -> None:
    target = StubbedTarget(name="aws", region="ap-northeast-1")
    attributes = {"Policy": json.dumps(topic_policy(BILLING_TOPIC, "cloudwatch.amazonaws.com"))}
    sns = target.stub("sns", "us-east-1")
    answer = {**attributes, **({"MaximumMessageSize": size} if size else {})}
    sns.add_response("get_topic_attributes", {"Attributes": answer}, {"TopicArn": BILLING_TOPIC})
    sns.add_response("list_subscriptions_by_topic", {"Subscriptions": []}, {"TopicArn": BILLING_TOPIC})
    data = healthy(topics={}, subscriptions={}, topic_policies={})
    read_topic(target, data, BILLING_TOPIC)
    assert data.topic_max_sizes == read
    assert judge_finops(data).details["sns_topic_max_message_sizes"] == read


def test_a_maximum_message_size_that_is_no_number_is_a_read_error_naming_the_topic() -> None:
    target = StubbedTarget(name="aws", region="ap-northeast-1")
    sns = target.stub("sns", "us-east-1")
    sns.add_response("get_topic_attributes", {"Attributes": {"MaximumMessageSize": "big"}}, {"TopicArn": BILLING_TOPIC})
    sns.add_response("list_subscriptions_by_topic", {"Subscriptions": []}, {"TopicArn": BILLING_TOPIC})
    with pytest.raises(FinopsReadError, match=f"SNS topic {BILLING_TOPIC} has a MaximumMessageSize .*'big'"):
        read_topic(target, healthy(), BILLING_TOPIC)


def test_a_queue_size_that_is_no_number_is_not_shown_to_receive() -> None:
    result = judge_finops(healthy(queues={INBOX: inbox(MaximumMessageSize="lots")}), cap_usd=20)
    assert result.status is Status.FAILED
    expected = "queue lakehouse-lh-1-alerts-inbox has a MaximumMessageSize that is not a number ('lots')"
    assert expected in str(result.reason)
