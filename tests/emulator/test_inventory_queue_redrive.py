"""Exit check 5 reads the alert inbox's redrive settings from the real emulator and compares them with state.

A dead-letter queue set on the inbox by hand (SetQueueAttributes) plans no change (the provider adopts it); before,
the check passed. The twin: the state recording the same setting, as SQS spells it back, passes.
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


def test_a_hand_set_dead_letter_queue_on_the_inbox_fails_check_5(emulator: EmulatorHandle) -> None:
    stack = f"redrive-{uuid.uuid4().hex[:6]}"
    prefix, _ = name_prefixes(stack)
    target = local_target(emulator.endpoint)
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=f"{prefix}-alerts-inbox", tags={"stack_id": stack})["QueueUrl"]
    inbox = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    state = [{"type": "aws_sqs_queue", "values": {"arn": inbox, "url": url, "redrive_policy": ""}}]
    assert judge_iac(PlanResult(0), state, stack_inventory(target, stack), set()).passed

    dlq_url = sqs.create_queue(QueueName=f"ops-dlq-{stack}")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 1})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})

    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    assert f"aws_sqs_queue {prefix}-alerts-inbox: redrive_policy is " in str(result.reason)
    assert dlq in str(result.reason)
    spelled = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    recorded = [{"type": "aws_sqs_queue", "values": {**state[0]["values"], "redrive_policy": spelled}}]
    assert judge_iac(PlanResult(0), recorded, inv, set()).passed
