"""The stack's own receiver of its alerts topic, as infra/alert_inbox.tf makes it: an SQS queue SNS may send to.

A chaos test's stack needs one: a fault counts as detected only when someone besides the harness's own queue
receives the alarm's message (``lakehouse.chaos.delivery``).
"""

from __future__ import annotations

from collections.abc import Callable

from lakehouse.chaos.alerts import queue_policy
from lakehouse.target import Target


def subscribe_inbox(target: Target, topic: str, name: str) -> Callable[[], None]:
    """Subscribe queue ``name`` (created, with a policy letting ``topic`` send) to ``topic``; returns its removal."""
    sqs, sns = target.client("sqs"), target.client("sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy(arn, [topic])})
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)["SubscriptionArn"]

    def remove() -> None:
        sns.unsubscribe(SubscriptionArn=sub)
        sqs.delete_queue(QueueUrl=url)

    return remove
