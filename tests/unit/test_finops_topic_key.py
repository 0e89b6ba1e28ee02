"""Exit check 7: an alert topic encrypted with a key the publishing service may not use hears nothing.

SNS encrypts what CloudWatch and Budgets publish with the topic's KMS key on their behalf, so the key
policy must let ``cloudwatch.amazonaws.com`` / ``budgets.amazonaws.com`` use it; the AWS managed
``alias/aws/sns`` key's policy never does. The subscriptions all look fine: only the key tells.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lakehouse.checks.alert_delivery import KmsKey
from lakehouse.checks.finops import FinopsReadback, judge_finops, read_topic
from lakehouse.target import Target
from tests.unit.test_finops import (
    ACCOUNT,
    ALARM,
    ALARM_NAME,
    BILLING_TOPIC,
    BUDGET_NAME,
    INBOX,
    TOPIC,
    healthy,
    inbox_policy,
    topic_policy,
)

KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OWNER = {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*"}


def key(*statements: dict[str, Any], **metadata: Any) -> KmsKey:
    about = {"KeyId": KEY.rsplit("/", 1)[1], "Arn": KEY, "KeyState": "Enabled", "KeyManager": "CUSTOMER", **metadata}
    return KmsKey(about, {"Version": "2012-10-17", "Statement": [OWNER, *statements]})


def service_use(service: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
    }
    return {**statement, "Condition": condition} if condition else statement


def encrypted(**keys: tuple[str, KmsKey | None]) -> FinopsReadback:
    return healthy(topic_keys={TOPIC if name == "alerts" else BILLING_TOPIC: k for name, k in keys.items()})


def test_keys_whose_policies_let_the_publishers_use_them_pass() -> None:
    for_alarm = {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:lakehouse-*"}}
    for_budget = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    both = key(service_use("cloudwatch.amazonaws.com", for_alarm), service_use("budgets.amazonaws.com", for_budget))
    result = judge_finops(encrypted(alerts=(KEY, both), billing=(KEY, both)))
    assert result.passed, result.reason


def test_the_aws_managed_sns_key_silences_the_budget_naming_topic_and_key() -> None:
    result = judge_finops(encrypted(alerts=("alias/aws/sns", None)))
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert (
        f"topic {TOPIC} is encrypted with KMS key alias/aws/sns, an AWS managed key whose policy does not let "
        "budgets.amazonaws.com use it (budgets cannot publish to it)"
    ) in problem
    assert result.measured["budget_notifications_that_can_fire"] == 0


@pytest.mark.parametrize(
    ("billing_key", "named"),
    [
        (key(), f"no statement allows cloudwatch.amazonaws.com kms:GenerateDataKey for {ALARM['AlarmArn']}"),
        (
            key(service_use("cloudwatch.amazonaws.com", {"StringEquals": {"aws:SourceAccount": "444455556666"}})),
            "no statement allows cloudwatch.amazonaws.com kms:GenerateDataKey",
        ),
        (key(service_use("budgets.amazonaws.com")), "no statement allows cloudwatch.amazonaws.com"),
        (key(service_use("cloudwatch.amazonaws.com"), KeyState="Disabled", Enabled=False), "which is Disabled"),
        (None, "which does not exist"),
    ],
    ids=["owner-only", "another-account", "budgets-only", "disabled", "missing"],
)
def test_a_key_cloudwatch_may_not_use_silences_the_billing_alarm(billing_key: KmsKey | None, named: str) -> None:
    result = judge_finops(encrypted(billing=(KEY, billing_key)))
    assert not result.passed
    assert result.details["problems"]["budget"] == []
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(f"billing alarm {ALARM_NAME} notifies nobody")
    assert f"topic {BILLING_TOPIC} is encrypted with KMS key {KEY}" in problem and named in problem
    assert "(cloudwatch cannot publish to it)" in problem


def test_the_budget_key_is_judged_for_the_budget_arn() -> None:
    budget_arn = f"arn:aws:budgets::{ACCOUNT}:budget/{BUDGET_NAME}"
    other_budget = {"ArnEquals": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/someone-else"}}
    result = judge_finops(encrypted(alerts=(KEY, key(service_use("budgets.amazonaws.com", other_budget)))))
    assert not result.passed
    assert f"no statement allows budgets.amazonaws.com kms:GenerateDataKey for {budget_arn}" in str(result.reason)
    ours = {"ArnEquals": {"aws:SourceArn": budget_arn}}
    assert judge_finops(encrypted(alerts=(KEY, key(service_use("budgets.amazonaws.com", ours))))).passed


# -- read back from moto: DescribeKey and GetKeyPolicy of the key the topic names -------------------


def read_encrypted_alerts_topic(key_id: str) -> Any:
    """The alerts topic (its inbox subscribed) made in moto, encrypted with ``key_id``, read by ``read_topic``."""
    region = TOPIC.split(":")[3]
    sns, sqs = boto3.client("sns", region_name=region), boto3.client("sqs", region_name=region)
    queue = sqs.create_queue(
        QueueName=INBOX.rsplit(":", 1)[1], Attributes={"Policy": json.dumps(inbox_policy(TOPIC, BILLING_TOPIC))}
    )
    policy = json.dumps(topic_policy(TOPIC, "budgets.amazonaws.com", "cloudwatch.amazonaws.com"))
    arn = sns.create_topic(Name=TOPIC.rsplit(":", 1)[1], Attributes={"Policy": policy, "KmsMasterKeyId": key_id})
    assert arn["TopicArn"] == TOPIC and queue["QueueUrl"]
    sns.subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=INBOX)
    data = healthy()
    read_topic(Target(name="aws", region=region), data, TOPIC)
    return data


def moto_key(*statements: dict[str, Any]) -> Any:
    kms = boto3.client("kms", region_name=TOPIC.split(":")[3])
    policy = {"Version": "2012-10-17", "Statement": [OWNER, *statements]}
    return kms, kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]


@pytest.mark.parametrize("state", ["Enabled", "Disabled", "PendingDeletion"])
def test_the_topic_key_is_read_back_and_judged_in_its_state(moto_aws: None, state: str) -> None:
    kms, made = moto_key(service_use("budgets.amazonaws.com"), service_use("cloudwatch.amazonaws.com"))
    if state == "Disabled":
        kms.disable_key(KeyId=made["KeyId"])
    elif state == "PendingDeletion":
        kms.schedule_key_deletion(KeyId=made["KeyId"], PendingWindowInDays=7)
    data = read_encrypted_alerts_topic(made["Arn"])
    assert data.topic_keys[TOPIC][1] is not None and data.topic_keys[TOPIC][1].metadata["KeyState"] == state
    problems = judge_finops(data).details["problems"]["budget"]
    if state == "Enabled":
        assert problems == []
    else:
        assert f"topic {TOPIC} is encrypted with KMS key {made['Arn']}, which is {state}" in str(problems)
        assert "(budgets cannot publish to it)" in str(problems)


@pytest.mark.parametrize(
    ("key_of", "named"),
    [
        (lambda: "alias/aws/sns", "alias/aws/sns, an AWS managed key whose policy does not let budgets.amazonaws.com"),
        (
            lambda: moto_key(service_use("cloudwatch.amazonaws.com"))[1]["Arn"],
            "no statement allows budgets.amazonaws.com kms:GenerateDataKey",
        ),
    ],
    ids=["aws-managed", "cloudwatch-only"],
)
def test_a_topic_key_read_back_that_budgets_may_not_use_silences_the_budget(
    moto_aws: None, key_of: Any, named: str
) -> None:
    result = judge_finops(read_encrypted_alerts_topic(key_of()))
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert f"topic {TOPIC} is encrypted with KMS key" in problem and named in problem, problem
