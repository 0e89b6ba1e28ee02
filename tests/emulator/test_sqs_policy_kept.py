"""SQS through the emulator: SetQueueAttributes changes only what it names (the queue policy SNS delivers through
stays; moto dropped it), and a message records who sent it (moto stamped SNS's SenderId on every one)."""

from __future__ import annotations

import json
import uuid

from tests.emulator.conftest import AwsClientFactory


def test_changing_another_attribute_keeps_the_queue_policy(aws_client: AwsClientFactory) -> None:
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                }
            ],
        }
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "1209600"})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert json.loads(attributes["Policy"]) == json.loads(policy)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})  # naming it empty removes it, as on AWS
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_a_message_records_its_sender_sns_or_the_caller(aws_client: AwsClientFactory) -> None:
    """SenderId: GetCallerIdentity's UserId for a SendMessage, SNS's for a delivery from a topic (KPI-mttr tells a
    copy put back on the harness's queue from SNS's delivery by it: ``chaos.resent``)."""
    sqs, sns = aws_client("sqs"), aws_client("sns")
    url = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sqs.send_message(QueueUrl=url, MessageBody="sent")
    sns.publish(TopicArn=topic, Message="delivered")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["SenderId"])
    senders = {
        m["Body"] if m["Body"] == "sent" else "delivered": m["Attributes"]["SenderId"] for m in received["Messages"]
    }
    caller = aws_client("sts").get_caller_identity()["UserId"]
    assert senders["sent"] == caller and senders["delivered"] != caller, senders
