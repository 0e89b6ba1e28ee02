"""Exit check 7: an alert inbox encrypted with a key nobody in its account may decrypt keeps alerts nobody reads.

SNS delivers to an SSE-KMS queue when the key policy lets ``sns.amazonaws.com`` use the key; but SQS decrypts
every message it returns to ReceiveMessage with the caller's rights, so a key policy that names only SNS (or
another account) leaves the alert unreadable by anyone of the queue's account. The queue, its key, the key's
policy and grants are made in moto and read back as the check reads them (DescribeKey, GetKeyPolicy, ListGrants).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lakehouse.checks.alert_delivery import read_queue
from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import ACCOUNT, BILLING_TOPIC, INBOX, TOPIC, healthy, inbox_policy

REGION = "ap-northeast-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
READER = f"arn:aws:iam::{ACCOUNT}:role/alert-reader"
SNS_USES_KEY = {
    "Sid": "SnsUsesKey",
    "Effect": "Allow",
    "Principal": {"Service": "sns.amazonaws.com"},
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": "*",
}


def allow(principal: Any, sid: str, **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*", **extra}


def inbox_with_key(*statements: dict[str, Any], grant_to: str | None = None) -> Any:
    """The alerts inbox in moto, encrypted with a new key whose policy is SNS's statement and ``statements``
    (and a Decrypt grant to ``grant_to``), read back as exit check 7 reads it."""
    kms = boto3.client("kms", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    policy = {"Version": "2012-10-17", "Statement": [SNS_USES_KEY, *statements]}
    key = kms.create_key(Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    if grant_to:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grant_to, Operations=["Decrypt"])
    sqs.create_queue(
        QueueName=INBOX.rsplit(":", 1)[1],
        Attributes={
            "KmsMasterKeyId": key["Arn"],
            "Policy": json.dumps(inbox_policy(TOPIC, BILLING_TOPIC)),
        },
    )
    return read_queue(sqs, kms, INBOX)


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        ((), "lets no principal of account 123456789012 kms:Decrypt"),
        (
            (allow({"AWS": "arn:aws:iam::444455556666:root"}, "OtherAccount"),),
            "lets no principal of account 123456789012 kms:Decrypt",
        ),
        (
            (
                allow({"AWS": ROOT}, "Owner"),
                {"Sid": "NoReading", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
            ),
            "statement NoReading denies kms:Decrypt to every principal of account 123456789012, under no condition",
        ),
    ],
    ids=["sns-only", "another-account", "deny-everyone"],
)
def test_an_inbox_key_nobody_in_the_account_may_decrypt_leaves_the_alerts_unread(
    moto_aws: None, statements: tuple[dict[str, Any], ...], named: str
) -> None:
    queue = inbox_with_key(*statements)
    result = judge_finops(healthy(queues={INBOX: queue}))
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert f"queue lakehouse-lh-1-alerts-inbox is encrypted with KMS key {queue.attributes['KmsMasterKeyId']}" in (
        problem
    )
    assert named in problem and "nobody can read the alert" in problem, problem


@pytest.mark.parametrize(
    ("statements", "grant_to"),
    [
        ((allow({"AWS": ROOT}, "Owner"),), None),
        ((allow({"AWS": ACCOUNT}, "OwnerById"),), None),
        ((allow({"AWS": READER}, "Reader"),), None),
        (
            (
                allow(
                    {"AWS": "*"},
                    "ViaSqsInAccount",
                    Condition={
                        "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": f"sqs.{REGION}.amazonaws.com"}
                    },
                ),
            ),
            None,
        ),
        ((), READER),
        (
            (
                allow({"AWS": ROOT}, "Owner"),
                {
                    "Sid": "NoPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
            None,
        ),
    ],
    ids=["account-root", "account-id", "a-role", "everyone-via-sqs", "a-grant", "deny-under-a-condition"],
)
def test_an_inbox_key_someone_in_the_account_may_decrypt_keeps_the_alerts_readable(
    moto_aws: None, statements: tuple[dict[str, Any], ...], grant_to: str | None
) -> None:
    result = judge_finops(healthy(queues={INBOX: inbox_with_key(*statements, grant_to=grant_to)}))
    assert result.passed, result.reason
