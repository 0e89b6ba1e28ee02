"""ListSubscriptionsByTopic as AWS answers it: an unconfirmed subscription shows ``PendingConfirmation``.

Exit check 7 counts only confirmed subscriptions (an alert nobody receives is no alert), so the
emulator must not list a pending one (an e-mail nobody clicked, an HTTP endpoint that never
confirmed) with a real SubscriptionArn the way moto does.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.emulator.conftest import AwsClientFactory


def _listed(sns: Any, topic: str) -> dict[str, str]:
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    return {str(s["Protocol"]): str(s["SubscriptionArn"]) for s in subs}


def test_pending_subscriptions_are_listed_as_pending_and_sqs_as_confirmed(aws_client: AwsClientFactory) -> None:
    sns, sqs = aws_client("sns"), aws_client("sqs")
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    answer = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="finops@example.com")
    assert answer["SubscriptionArn"] == "pending confirmation"
    assert _listed(sns, topic) == {"email": "PendingConfirmation"}
    everything = sns.list_subscriptions()["Subscriptions"]
    assert [s["SubscriptionArn"] for s in everything if s["TopicArn"] == topic] == ["PendingConfirmation"]

    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    listed = _listed(sns, topic)
    assert listed["email"] == "PendingConfirmation"
    assert listed["sqs"].startswith(f"{topic}:")


def test_the_account_is_in_the_sms_sandbox_with_no_verified_number(aws_client: AwsClientFactory) -> None:
    """A new account is in the SMS sandbox in every region, and nothing here can verify a number (AWS texts the
    code): exit check 7 reads both, so an SMS subscriber is judged as receiving nothing, as on a fresh account,
    instead of the whole check erroring on an unknown operation."""
    sns = aws_client("sns")
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == []
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550100")["isOptedOut"] is False
