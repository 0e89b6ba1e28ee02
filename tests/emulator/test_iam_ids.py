"""IAM unique ids in the emulator carry AWS's prefixes (lakehouse.emulator.extensions.iam): a user's ``AIDA...``,
a group's ``AGPA...``, an instance profile's ``AIPA...``, a role's ``AROA...`` (moto makes only the role's so).

KPI-mttr's SenderId rule (``lakehouse.chaos.resent``) reads a user's id in the form AWS gives it: a message an IAM
user sends to SQS records that id, and in a Region without SNS's known id only an ``AIDA`` id can be SNS's.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import boto3
import pytest

from lakehouse.chaos.resent import sender_is_not_sns
from lakehouse.emulator.senders import USER_ID
from lakehouse.target import local_target
from tests.emulator.conftest import REGION, AwsClientFactory


def _unique(prefix: str) -> re.Pattern[str]:
    return re.compile(prefix + r"[A-Z2-7]{17}")


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [("user", "AIDA"), ("group", "AGPA"), ("instance-profile", "AIPA"), ("role", "AROA")],
)
def test_each_kind_of_unique_id_has_awss_prefix(aws_client: AwsClientFactory, kind: str, prefix: str) -> None:
    iam = aws_client("iam")
    name = f"{kind}-{uuid.uuid4().hex[:8]}"
    made: dict[str, Any]
    if kind == "user":
        made = iam.create_user(UserName=name)["User"]
        read = iam.get_user(UserName=name)["User"]
        field = "UserId"
    elif kind == "group":
        made = iam.create_group(GroupName=name)["Group"]
        read = iam.get_group(GroupName=name)["Group"]
        field = "GroupId"
    elif kind == "instance-profile":
        made = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        read = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        field = "InstanceProfileId"
    else:
        made = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]
        read = iam.get_role(RoleName=name)["Role"]
        field = "RoleId"
    assert _unique(prefix).fullmatch(made[field]), made[field]
    assert read[field] == made[field]  # the id is kept, not made anew on each read


def test_a_users_send_records_its_aida_id_and_the_sender_rule_names_the_user(
    aws_client: AwsClientFactory, emulator: Any
) -> None:
    """A message an IAM user sends carries the user's ``AIDA`` id as SenderId (GetCallerIdentity's UserId), which
    ``chaos.resent`` names as that user, not SNS; the emulator's own SNS delivery is still told apart."""
    iam = aws_client("iam")
    name = f"ops-{uuid.uuid4().hex[:6]}"
    user_id = iam.create_user(UserName=name)["User"]["UserId"]
    allow = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}'
    )
    iam.put_user_policy(UserName=name, PolicyName="send", PolicyDocument=allow)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )
    assert session.client("sts", endpoint_url=emulator.endpoint).get_caller_identity()["UserId"] == user_id
    assert USER_ID.fullmatch(user_id), user_id
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    session.client("sqs", endpoint_url=emulator.endpoint).send_message(QueueUrl=url, MessageBody="resent")
    [message] = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"])["Messages"]
    assert message["Attributes"]["SenderId"] == user_id
    target = local_target(emulator.endpoint, REGION)
    assert sender_is_not_sns(user_id, frozenset(), target) == f"IAM user {name} of this account (ListUsers' UserId)"
