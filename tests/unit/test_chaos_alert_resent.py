"""KPI-mttr: an ALARM message counts only as SNS's delivery to the harness's queue, not as a copy put back on it.

The broken case, counted as the fault's detection before: CloudWatch's real notification of the fault's change
arrives on the harness's queue, is taken off it (ReceiveMessage, DeleteMessage) and sent to the queue again with
the harness's credentials (SendMessage): the same body (SNS's envelope, its MessageId and Timestamp), a new SQS
MessageId and SentTimestamp. CloudWatch's history has the change and its action's publish, so provenance holds; SQS's
``SenderId`` is the harness's own (GetCallerIdentity's UserId), not SNS's. The healthy twin: SNS's own delivery.

moto in process: SQS with the emulator's SenderId (``sqs_senders``: moto 5.2.5 stamps SNS's on every message), SNS,
CloudWatch with the emulator's alarm history, actions and evaluation, as ``test_chaos_alarm_provenance`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto.sqs.models import DEFAULT_SENDER_ID

from lakehouse.chaos.alerts import AlertQueue
from lakehouse.chaos.mttr import judge_mttr
from lakehouse.target import Target
from tests.unit.alarm_evaluation import breach
from tests.unit.test_chaos_alarm_provenance import ALARM, PARAMS, genuine, refused, told


def resent_from_the_queue(target: Target, _topic: str, queue: AlertQueue) -> None:
    """The fault raises the alarm, CloudWatch's message reaches the harness's queue, and it is taken off the queue
    and sent to it again, body unchanged, with the harness's credentials."""
    breach(target, PARAMS, 1.0)
    sqs = target.client("sqs")
    (delivered,) = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=delivered["ReceiptHandle"])
    sqs.send_message(QueueUrl=queue.url, MessageBody=delivered["Body"])


def test_a_notification_re_sent_from_the_harness_queue_is_no_delivery(
    cloudwatch_history: None, sqs_senders: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, resent_from_the_queue))
    caller = Target(name="aws", region="us-east-1").client("sts").get_caller_identity()["UserId"]
    assert (
        f"on the harness's queue was sent by SenderId {caller}, the harness's own principal (GetCallerIdentity), "
        in (reason)
    ), reason
    assert ": a copy of a notification put back on the queue (its SNS MessageId " in reason, reason
    assert "is no delivery of the topic" in reason, reason
    assert "the detection is lost" not in reason, reason  # its change was heard, in a copy: refused, not lost


def test_healthy_twin_snss_own_delivery_is_the_detection(
    cloudwatch_history: None, sqs_senders: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = told(monkeypatch, tmp_path, genuine)
    assert timeline.alarm_fired == ALARM and timeline.problem is None, timeline.problem
    assert timeline.refused == [], timeline.refused
    assert timeline.message is not None and timeline.message["sender"] == DEFAULT_SENDER_ID, timeline.message
    assert timeline.message["sns_message_id"] and timeline.message["queue_message_id"], timeline.message
    assert judge_mttr([timeline], 1800.0).passed


def test_sqs_records_who_sent_a_message(sqs_senders: None) -> None:
    """The emulator's SQS as AWS's: SenderId is the caller's UserId for SendMessage and SendMessageBatch, SNS's for a
    message SNS delivers from a topic."""
    target = Target(name="aws", region="us-east-1")
    sqs, sns = target.client("sqs"), target.client("sns")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sqs.send_message(QueueUrl=url, MessageBody="sent")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "one", "MessageBody": "batched"}])
    sns.publish(TopicArn=topic, Message="delivered")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["SenderId"])
    senders = {}
    for message in received["Messages"]:
        body = message["Body"]
        senders[json.loads(body)["Message"] if body.startswith("{") else body] = message["Attributes"]["SenderId"]
    caller = target.client("sts").get_caller_identity()["UserId"]
    assert senders == {"sent": caller, "batched": caller, "delivered": DEFAULT_SENDER_ID}
    assert caller != DEFAULT_SENDER_ID
