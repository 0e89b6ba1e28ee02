"""Exit check 5 finds EventBridge pipes and S3 Access Grants linked to the stack, in the real emulator.

Made by hand, untagged and named by a person: a pipe draining the alert inbox into another queue, an Access Grants
location on the Gold bucket and a READ grant in it. Before, the check passed such a stack (no listing asked Pipes or
S3 Control's Access Grants). The twin: the same things in state pass, and a pipe and grant on someone else's queue
and bucket are not the stack's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.checks.iac import judge_iac
from lakehouse.checks.s3_routes import s3control
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.inventory_kinds import USES_STACK
from lakehouse.outcome import Status
from lakehouse.target import Target, local_target
from lakehouse.terraform import PlanResult


def _queue(target: Target, name: str, tags: dict[str, str]) -> str:
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=name, tags=tags)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


@pytest.fixture
def grants_instance(emulator: EmulatorHandle) -> Iterator[Any]:
    """The region's Access Grants instance, deleted with what the test put in it (other tests expect none)."""
    target = local_target(emulator.endpoint)
    control = s3control(target)
    account = target.client("sts").get_caller_identity()["Account"]
    control.create_access_grants_instance(AccountId=account)
    try:
        yield control
    finally:
        for grant in control.list_access_grants(AccountId=account)["AccessGrantsList"]:
            control.delete_access_grant(AccountId=account, AccessGrantId=grant["AccessGrantId"])
        for location in control.list_access_grants_locations(AccountId=account)["AccessGrantsLocationsList"]:
            control.delete_access_grants_location(
                AccountId=account, AccessGrantsLocationId=location["AccessGrantsLocationId"]
            )
        control.delete_access_grants_instance(AccountId=account)


def test_a_pipe_on_the_inbox_and_access_grants_on_a_stack_bucket_fail_check_5(
    emulator: EmulatorHandle, grants_instance: Any
) -> None:
    stack = f"pipes-{uuid.uuid4().hex[:6]}"
    prefix, _ = name_prefixes(stack)
    target = local_target(emulator.endpoint)
    region = target.region
    account = target.client("sts").get_caller_identity()["Account"]
    control = grants_instance

    # What Terraform made: the inbox and the Gold bucket.
    inbox = _queue(target, f"{prefix}-alerts-inbox", {"stack_id": stack})
    gold = f"{prefix}-gold-{account}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=gold, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=gold, Tagging={"TagSet": [{"Key": "stack_id", "Value": stack}]})
    state: list[dict[str, Any]] = [
        {"type": "aws_sqs_queue", "values": {"arn": inbox}},
        {"type": "aws_s3_bucket", "values": {"bucket": gold}},
    ]

    # Made by hand, untagged, named by a person; and the same on someone else's queue and bucket.
    role = target.client("iam").create_role(RoleName=f"ops-{stack}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    elsewhere = _queue(target, f"ops-copy-{stack}", {})
    theirs = _queue(target, f"theirs-{stack}", {})
    pipe = target.client("pipes").create_pipe(Name=f"drain-{stack}", Source=inbox, Target=elsewhere, RoleArn=role)
    target.client("pipes").create_pipe(Name=f"theirs-{stack}", Source=theirs, Target=elsewhere, RoleArn=role)
    location = control.create_access_grants_location(AccountId=account, LocationScope=f"s3://{gold}/", IAMRoleArn=role)
    grant = control.create_access_grant(
        AccountId=account,
        AccessGrantsLocationId=location["AccessGrantsLocationId"],
        AccessGrantsLocationConfiguration={"S3SubPrefix": "users/*"},
        Grantee={"GranteeType": "IAM", "GranteeIdentifier": role},
        Permission="READ",
    )
    other = control.create_access_grants_location(
        AccountId=account, LocationScope=f"s3://theirs-{stack}/", IAMRoleArn=role
    )
    control.create_access_grant(
        AccountId=account,
        AccessGrantsLocationId=other["AccessGrantsLocationId"],
        Grantee={"GranteeType": "IAM", "GranteeIdentifier": role},
        Permission="READ",
    )

    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    location_id, grant_id = location["AccessGrantsLocationId"], grant["AccessGrantId"]
    expected = [
        f"aws_pipes_pipe drain-{stack}: {prefix}-alerts-inbox -> ops-copy-{stack} ({region}, found by {USES_STACK}: "
        f"source {inbox})",
        f"aws_s3control_access_grants_location {location_id} on s3://{gold}/ ({region}, found by {USES_STACK}: "
        f"bucket {gold})",
        f"aws_s3control_access_grant {grant_id}: READ on s3://{gold}/users/* to IAM {role} ({region}, found by "
        f"{USES_STACK}: bucket {gold} + {USES_STACK}: location {location_id})",
    ]
    assert not [e for e in expected if e not in reason], reason
    assert f"theirs-{stack}" not in reason

    managed = state + [
        {"type": "aws_pipes_pipe", "values": {"arn": pipe["Arn"]}},
        {
            "type": "aws_s3control_access_grants_location",
            "values": {"access_grants_location_arn": location["AccessGrantsLocationArn"]},
        },
        {"type": "aws_s3control_access_grant", "values": {"access_grant_arn": grant["AccessGrantArn"]}},
    ]
    healthy = judge_iac(PlanResult(0), managed, inv, set())
    assert healthy.passed, healthy.reason
