"""Exit check 5's tagging sweep: a stack's tagged resource anywhere, of any service, is found and named.

Before, the inventory listed a fixed set of kinds in the stack's region and us-east-1 only, so a
tagged queue made in a third region, or a tagged DynamoDB table (a kind the root never makes) in the
stack's own region, passed "nothing of the stack lives outside Terraform".
"""

from __future__ import annotations

import uuid

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import TAG, TAGGED, TAGGING_API, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult

THIRD_REGION = "sa-east-1"


def test_a_tagged_resource_in_any_region_or_of_any_service_is_found_and_named(emulator: EmulatorHandle) -> None:
    stack = f"sweep-{uuid.uuid4().hex[:6]}"
    tags = {"stack_id": stack}
    target = local_target(emulator.endpoint)
    stack_region = target.region
    assert stack_region != THIRD_REGION

    sqs_there = target.client("sqs", region=THIRD_REGION)
    stray_queue = sqs_there.create_queue(QueueName="stray-jobs", tags=tags)["QueueUrl"]
    sqs_there.create_queue(QueueName="someone-elses-jobs", tags={"stack_id": "another-stack"})
    sqs_there.create_queue(QueueName="untagged-jobs")
    table = target.client("dynamodb").create_table(
        TableName="hand-made-state",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "stack_id", "Value": stack}],
    )["TableDescription"]
    home_queue = target.client("sqs").create_queue(QueueName="listed-anyway", tags=tags)["QueueUrl"]

    inv = stack_inventory(target, stack)

    assert not inv.unreadable, inv.unreadable
    assert THIRD_REGION in inv.swept_regions and stack_region in inv.swept_regions
    assert THIRD_REGION not in inv.regions  # the listings did not look there: only the sweep did
    account = inv.account
    queue_arn = f"arn:aws:sqs:{THIRD_REGION}:{account}:stray-jobs"
    swept = {(r.key, r.region): r for r in inv.of_kind(TAGGED)}
    assert set(swept) == {(queue_arn, THIRD_REGION), (table["TableArn"], stack_region)}, swept
    assert swept[(queue_arn, THIRD_REGION)].name == "sqs:queue stray-jobs"
    assert swept[(queue_arn, THIRD_REGION)].found_by == (TAGGING_API,)
    assert swept[(table["TableArn"], stack_region)].name == "dynamodb:table hand-made-state"
    # A tagged queue in the stack's region is the SQS listing's, found once (not again by the sweep).
    [listed] = [r for r in inv.of_kind("aws_sqs_queue") if r.name == "listed-anyway"]
    assert listed.found_by == (TAG,)

    state = [{"type": "aws_sqs_queue", "values": {"arn": f"arn:aws:sqs:{stack_region}:{account}:listed-anyway"}}]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"{TAGGED} sqs:queue stray-jobs ({THIRD_REGION}, found by {TAGGING_API})" in reason, reason
    assert f"{TAGGED} dynamodb:table hand-made-state ({stack_region}, found by {TAGGING_API})" in reason, reason
    assert "someone-elses-jobs" not in reason and "untagged-jobs" not in reason and "listed-anyway" not in reason

    # Once Terraform state has them (by ARN, whatever their type), nothing is unmanaged.
    state += [
        {"type": "aws_sqs_queue", "values": {"arn": queue_arn}},
        {"type": "aws_dynamodb_table", "values": {"arn": table["TableArn"]}},
    ]
    assert judge_iac(PlanResult(0), state, inv, set()).status is Status.PASSED

    for url, region in ((stray_queue, THIRD_REGION), (home_queue, stack_region)):
        target.client("sqs", region=region).delete_queue(QueueUrl=url)
