"""KPI-mttr: an ALARM message counts only as SNS's delivery to the harness's queue, not as a copy put back on it.

The broken cases, counted as the fault's detection before: CloudWatch's real notification of the fault's change
arrives on the harness's queue, is taken off it (ReceiveMessage, DeleteMessage) and sent to the queue again
(SendMessage) with the harness's credentials, a stack Lambda role's session or an IAM user's key of the account:
the same body (SNS's envelope, its MessageId and Timestamp), a new SQS MessageId and SentTimestamp. CloudWatch's
history has the change and its action's publish, so provenance holds; SQS's ``SenderId`` is the sender's
(GetCallerIdentity's UserId), not SNS's. The healthy twins: SNS's own delivery, in a Region where AWS's records show
SNS's SenderId and in one where they do not.

moto in process: SQS with the emulator's SenderId (``sqs_senders``: moto 5.2.5 stamps SNS's on every message), SNS,
CloudWatch with the emulator's alarm history, actions and evaluation, as ``test_chaos_alarm_provenance`` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import DEFAULT_SENDER_ID

from lakehouse.chaos import resent as resent_module
from lakehouse.chaos.alerts import AlertQueue, own_ids
from lakehouse.chaos.mttr import judge_mttr
from lakehouse.chaos.resent import sender_is_not_sns
from lakehouse.emulator.senders import SNS_SENDER_IDS
from lakehouse.target import Target
from tests.unit.alarm_evaluation import breach
from tests.unit.test_chaos_alarm_provenance import ALARM, PARAMS, genuine, refused, told


def put_back(target: Target, queue: AlertQueue, sender: Any) -> None:
    """The fault raises the alarm, CloudWatch's message reaches the harness's queue, and it is taken off the queue
    and sent to it again, body unchanged, by ``sender`` (an SQS client)."""
    breach(target, PARAMS, 1.0)
    sqs = target.client("sqs")
    (delivered,) = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=delivered["ReceiptHandle"])
    sender.send_message(QueueUrl=queue.url, MessageBody=delivered["Body"])


def resent_from_the_queue(target: Target, _topic: str, queue: AlertQueue) -> None:
    """Put back with the harness's credentials."""
    put_back(target, queue, target.client("sqs"))


def sqs_as(target: Target, credentials: dict[str, str]) -> Any:
    """An SQS client with another principal's keys (``Credentials``' or an access key's field names)."""
    return boto3.client(
        "sqs",
        region_name=target.region,
        aws_access_key_id=credentials.get("AccessKeyId"),
        aws_secret_access_key=credentials.get("SecretAccessKey"),
        aws_session_token=credentials.get("SessionToken"),
    )


def resent_by_a_stack_lambda_role(target: Target, _topic: str, queue: AlertQueue) -> None:
    """Put back by a stack Lambda's role session (the function's name as its session, as Lambda names it)."""
    lambda_assumes = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    trust = {"Version": "2012-10-17", "Statement": [lambda_assumes]}
    role = target.client("iam").create_role(RoleName="lakehouse-t-refresh", AssumeRolePolicyDocument=json.dumps(trust))
    session = target.client("sts").assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="lakehouse-t-refresh-fn")
    put_back(target, queue, sqs_as(target, session["Credentials"]))


def resent_by_an_iam_user(target: Target, _topic: str, queue: AlertQueue) -> None:
    """Put back by an IAM user of the account, with its access key."""
    iam = target.client("iam")
    iam.create_user(UserName="ops")
    put_back(target, queue, sqs_as(target, iam.create_access_key(UserName="ops")["AccessKey"]))


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


def test_a_notification_re_sent_by_a_stack_lambda_role_is_no_delivery(
    cloudwatch_history: None, sqs_senders: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, resent_by_a_stack_lambda_role))
    role_id = Target(name="aws", region="us-east-1").client("iam").get_role(RoleName="lakehouse-t-refresh")
    role_id = role_id["Role"]["RoleId"]
    assert (
        f"on the harness's queue was sent by SenderId {role_id}:lakehouse-t-refresh-fn, a session "
        f"(lakehouse-t-refresh-fn) of IAM role lakehouse-t-refresh of this account (RoleId {role_id}): a role's "
        "session, never SNS, not by SNS delivering it from "
    ) in reason, reason
    assert "is no delivery of the topic" in reason and "the detection is lost" not in reason, reason


def test_a_notification_re_sent_by_an_iam_user_of_the_account_is_no_delivery(
    cloudwatch_history: None, sqs_senders: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, resent_by_an_iam_user))
    user_id = Target(name="aws", region="us-east-1").client("iam").get_user(UserName="ops")["User"]["UserId"]
    assert (
        f"on the harness's queue was sent by SenderId {user_id}, IAM user ops of this account (ListUsers' UserId), "
        "not by SNS delivering it from "
    ) in reason, reason
    assert "is no delivery of the topic" in reason and "the detection is lost" not in reason, reason


@pytest.mark.parametrize(
    ("region", "sender", "who"),
    [
        ("us-east-1", "123456789012", "the root user of account 123456789012"),
        ("us-east-1", "123456789012:deployer", "a federated user 123456789012:deployer (GetFederationToken's"),
        ("us-east-1", "AROAEXAMPLEROLEID0001:i-0abc", "a session (i-0abc) of an IAM role (RoleId AROAEXAMPLE"),
        # eu-west-1's SNS id is no SNS delivery in us-east-1: SNS there carries its own.
        ("us-east-1", SNS_SENDER_IDS["eu-west-1"], "not SNS's SenderId in us-east-1 (AIDAIT2UOQQY3AUEKVGXU, what"),
        ("ap-northeast-1", "AIDAIT2UOQQY3AUEKVGXU:x", "no id SNS delivers with (SNS's SenderId is an IAM user id"),
        ("ap-northeast-1", "aidait2uoqqy3auekvgxu", "no id SNS delivers with (SNS's SenderId is an IAM user id"),
    ],
)
def test_a_sender_that_is_not_snss_is_named(moto_aws: None, region: str, sender: str, who: str) -> None:
    """A root user, a federated user, a role session of no role of the account, another Region's SNS id and a
    SenderId of no IAM user's shape: each named, none taken for SNS."""
    target = Target(name="aws", region=region)
    found = sender_is_not_sns(sender, own_ids(target) - {"123456789012"}, target)
    assert found is not None and found.startswith(who), found


@pytest.mark.parametrize("region", ["us-east-1", "ap-northeast-1"])
def test_unread_iam_users_leave_only_a_known_snss_id_accepted(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    """Without ListUsers, an IAM-user-shaped id cannot be told from a user of the account, except SNS's own id where
    AWS's records show it."""

    def denied(*_a: Any) -> dict[str, str]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no iam:ListUsers"}}, "ListUsers")

    monkeypatch.setattr(resent_module, "_names", denied)
    target = Target(name="aws", region=region)
    found = sender_is_not_sns(DEFAULT_SENDER_ID, own_ids(target), target)
    if region in SNS_SENDER_IDS:
        assert found is None
    else:
        assert found is not None and found.startswith("an id the account's IAM users could not be told from"), found
        assert "AccessDenied" in found


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-northeast-1"])
def test_healthy_twin_snss_delivery_is_snss_in_every_region(sqs_senders: None, region: str) -> None:
    """SNS's delivery carries SNS's id of the queue's Region where AWS's records show it (moto's, us-east-1's,
    elsewhere), and that id is taken for SNS's there."""
    target = Target(name="aws", region=region)
    sqs, sns = target.client("sqs"), target.client("sns")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="delivered")
    (message,) = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"])["Messages"]
    sender = message["Attributes"]["SenderId"]
    assert sender == SNS_SENDER_IDS.get(region, DEFAULT_SENDER_ID)
    assert sender_is_not_sns(sender, own_ids(target), target) is None


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
