"""Exit check 5 reads, from the real emulator, the grants on a stack key and the queues dead-lettering into a stack
queue (``stack_inventory`` end to end: the listings run in its order, after the tagging sweep that finds the key).

A grant made by hand on the stack's tagged key and an outside queue whose RedrivePolicy names the alert inbox passed
before: nothing listed either. The twin: the state recording both (``aws_kms_grant``, ``aws_sqs_queue_redrive_policy``)
passes.
"""

from __future__ import annotations

import json
import uuid

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult


def test_a_hand_made_key_grant_and_a_queue_dead_lettering_into_the_inbox_fail_check_5(
    emulator: EmulatorHandle,
) -> None:
    stack = f"kmsdlq-{uuid.uuid4().hex[:6]}"
    prefix, _ = name_prefixes(stack)
    target = local_target(emulator.endpoint)
    sqs, kms = target.client("sqs"), target.client("kms")
    url = sqs.create_queue(QueueName=f"{prefix}-alerts-inbox", tags={"stack_id": stack})["QueueUrl"]
    inbox = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    key = kms.create_key(Tags=[{"TagKey": "stack_id", "TagValue": stack}])["KeyMetadata"]
    policy = kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")["Policy"]
    state = [
        {"type": "aws_sqs_queue", "values": {"arn": inbox, "url": url, "redrive_policy": ""}},
        {"type": "aws_kms_key", "values": {"arn": key["Arn"], "key_id": key["KeyId"], "policy": policy}},
    ]
    assert judge_iac(PlanResult(0), state, stack_inventory(target, stack), set()).passed

    redrive = json.dumps({"deadLetterTargetArn": inbox, "maxReceiveCount": 1})
    replay = sqs.create_queue(QueueName=f"ops-replay-{stack}", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    ops = f"arn:aws:iam::{inbox.split(':')[4]}:role/ops"
    grant = kms.create_grant(KeyId=key["Arn"], GranteePrincipal=ops, Operations=["Decrypt"])["GrantId"]

    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    assert f"aws_kms_grant {grant} on key {key['KeyId']}: Decrypt to {ops}" in str(result.reason)
    assert f"aws_sqs_queue_redrive_policy ops-replay-{stack} dead-letters into {prefix}-alerts-inbox" in str(
        result.reason
    )
    managed = state + [
        {"type": "aws_kms_grant", "values": {"grant_id": grant, "key_id": key["KeyId"]}},
        {"type": "aws_sqs_queue_redrive_policy", "values": {"queue_url": replay, "redrive_policy": redrive}},
    ]
    assert judge_iac(PlanResult(0), managed, inv, set()).passed
