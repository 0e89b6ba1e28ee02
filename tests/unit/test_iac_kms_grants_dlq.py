"""Exit check 5 judges grants and the key policy of the stack's KMS keys, and queues dead-lettering into its queues.

Each broken case passed before: no listing asked KMS for a stack key's grants or policy, nor SQS for the queues whose
RedrivePolicy names a stack queue. So a grant made by hand (CreateGrant) letting someone decrypt with a stack key, a
key policy put by hand on a key whose root sets none (the provider adopts it: Optional+Computed), and an outside
queue dead-lettering into the alert inbox were never seen. The twins stay green: the grant Terraform made
(``aws_kms_grant`` in state), a grant an AWS service made (its grantee a service principal, which CreateGrant refuses
from anyone else), a grant retired since, a grant on a key that is not the stack's, the policy the state records
(however its lists are spelled, or on its own ``aws_kms_key_policy``), the redrive the state records (its own
resource, or the source queue's ``redrive_policy``), a stack queue dead-lettering into another. moto holds the keys,
grants and queues.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import DEFAULT_PROJECT, Inventory, _Search
from lakehouse.inventory_kinds import kms_aliases
from lakehouse.inventory_links import dead_letter_sources
from lakehouse.kms_keys import KEY_GRANT, OF_STACK_KEY, by_aws_service, key_grants, key_policy_drift
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P

TAGS = [{"TagKey": "stack_id", "TagValue": STACK}]
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops"


def _listed() -> Inventory:
    """The listings in ``_Search.run``'s order: queues (and their sources), aliases, the tagging sweep, key grants."""
    search = _Search(Target("aws", REGION), STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.sqs(REGION)
    search.guarded("sqs ListDeadLetterSourceQueues", REGION, dead_letter_sources, search, REGION)
    kms_aliases(search, REGION)
    search.tagged(REGION, search._known())
    key_grants(search)
    assert not search.inv.unreadable, search.inv.unreadable
    return search.inv


def _judged(state: list[dict[str, Any]]) -> Any:
    return judge_iac(PlanResult(0), state, _listed(), set())


# -- KMS grants ------------------------------------------------------------------------------------------------------


def _keys() -> tuple[Any, str, str, str]:
    """moto's KMS with a key of a stack alias, a key tagged for the stack (no alias), and a key of someone else."""
    kms = boto3.client("kms", region_name=REGION)
    aliased = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{P}-data", TargetKeyId=aliased)
    tagged = kms.create_key(Tags=TAGS)["KeyMetadata"]["Arn"]
    theirs = kms.create_key(Description="someone else's")["KeyMetadata"]["Arn"]
    return kms, aliased, tagged, theirs


def _key_state(aliased: str, tagged: str) -> list[dict[str, Any]]:
    return [
        {"type": "aws_kms_key", "values": {"arn": aliased}},
        {"type": "aws_kms_key", "values": {"arn": tagged}},
        {"type": "aws_kms_alias", "values": {"name": f"alias/{P}-data"}},
    ]


def test_grants_made_by_hand_on_stack_keys_fail_check_5(moto_aws: None) -> None:
    kms, aliased, tagged, theirs = _keys()
    on_aliased = kms.create_grant(KeyId=aliased, GranteePrincipal=OPS, Operations=["Decrypt"], Name="reader")
    on_tagged = kms.create_grant(KeyId=tagged, GranteePrincipal=OPS, Operations=["Decrypt", "GenerateDataKey"])
    kms.create_grant(KeyId=theirs, GranteePrincipal=OPS, Operations=["Decrypt"])

    inv = _listed()
    found = {r.key: r for r in inv.of_kind(KEY_GRANT)}
    assert set(found) == {on_aliased["GrantId"], on_tagged["GrantId"]}
    assert all(r.found_by == (OF_STACK_KEY,) for r in found.values())
    assert f"reader on key {aliased.rsplit('/', 1)[-1]}: Decrypt to {OPS}" in found[on_aliased["GrantId"]].name
    result = judge_iac(PlanResult(0), _key_state(aliased, tagged), inv, set())
    assert result.status is Status.FAILED
    assert f"{KEY_GRANT} {on_aliased['GrantId']} reader on key" in str(result.reason)
    assert f"{KEY_GRANT} {on_tagged['GrantId']} on key" in str(result.reason)


def test_terraforms_grants_a_services_grants_and_retired_grants_pass(moto_aws: None) -> None:
    kms, aliased, tagged, _ = _keys()
    managed = kms.create_grant(KeyId=aliased, GranteePrincipal=OPS, Operations=["Decrypt"])
    service = f"dynamodb.{REGION}.amazonaws.com"  # what a table encrypted with the key gets from DynamoDB
    kms.create_grant(KeyId=tagged, GranteePrincipal=service, Operations=["Decrypt"])
    retiring = kms.create_grant(KeyId=tagged, GranteePrincipal=OPS, Operations=["Decrypt"], RetiringPrincipal=OPS)
    kms.retire_grant(GrantToken=retiring["GrantToken"])  # its grantee gave it back: no longer listed

    grant = {"type": KEY_GRANT, "values": {"grant_id": managed["GrantId"], "key_id": aliased}}
    result = _judged([*_key_state(aliased, tagged), grant])
    assert result.passed, result.reason


def test_only_service_principals_count_as_aws_services() -> None:
    assert by_aws_service("dynamodb.us-east-1.amazonaws.com") and by_aws_service("rds.amazonaws.com.cn")
    assert not by_aws_service(OPS)
    assert not by_aws_service(f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/X")
    assert not by_aws_service("evil.amazonaws.com.example.org")


def test_a_key_deleted_while_read_has_no_grants_and_other_failures_are_unreadable() -> None:
    from unittest.mock import MagicMock

    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    search = _Search(MagicMock(), STACK, DEFAULT_PROJECT)
    search.add("aws_kms_key", arn, "k", REGION, ("key of a stack alias",))
    kms = search.target.client.return_value
    kms.get_key_policy.side_effect = ClientError({"Error": {"Code": "NotFoundException"}}, "GetKeyPolicy")
    key_grants(search)
    assert not search.inv.unreadable and not search.inv.key_policies
    kms.get_key_policy.side_effect = ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetKeyPolicy")
    key_grants(search)
    assert len(search.inv.unreadable) == 1 and arn in search.inv.unreadable[0]


# -- KMS key policy --------------------------------------------------------------------------------------------------

OPEN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}],
}


def test_a_key_policy_put_by_hand_is_drift_and_what_the_state_records_is_not(moto_aws: None) -> None:
    kms, aliased, tagged, _ = _keys()
    recorded = {a: kms.get_key_policy(KeyId=a, PolicyName="default")["Policy"] for a in (aliased, tagged)}
    state = [
        {"type": "aws_kms_key", "values": {"arn": a, "key_id": a.rsplit("/", 1)[-1], "policy": recorded[a]}}
        for a in (aliased, tagged)
    ] + [{"type": "aws_kms_alias", "values": {"name": f"alias/{P}-data"}}]
    assert _judged(state).passed  # as applied

    kms.put_key_policy(KeyId=aliased, PolicyName="default", Policy=json.dumps(OPEN))
    result = _judged(state)
    assert result.status is Status.FAILED
    assert result.details["key_policy_drift"] == [
        f"aws_kms_key {aliased}: policy is {json.dumps(OPEN)} but Terraform state records {recorded[aliased]}"
    ]

    spelled = {**OPEN, "Statement": {**OPEN["Statement"][0], "Action": ["kms:Decrypt"]}}  # one item, as a list
    apart = {"type": "aws_kms_key_policy", "values": {"key_id": aliased.rsplit("/", 1)[-1], "policy": json.dumps(OPEN)}}
    assert _judged([*state, apart]).passed
    state[0]["values"]["policy"] = json.dumps(spelled)
    assert _judged(state).passed


def test_key_policy_drift_says_nothing_of_keys_it_did_not_read_or_a_state_without_the_attribute() -> None:
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    assert key_policy_drift([{"type": "aws_kms_key", "values": {"arn": arn, "policy": "{}"}}], {}) == []
    assert key_policy_drift([{"type": "aws_kms_key", "values": {"arn": arn}}], {arn: json.dumps(OPEN)}) == []


# -- SQS dead-letter sources -----------------------------------------------------------------------------------------


def _queues() -> tuple[Any, str, str]:
    """moto's SQS with the stack's inbox and its own dead-letter queue (the stack's by name)."""
    sqs = boto3.client("sqs", region_name=REGION)
    inbox = sqs.create_queue(QueueName=f"{P}-alerts-inbox")["QueueUrl"]
    dlq = sqs.create_queue(QueueName=f"{P}-alerts-dlq")["QueueUrl"]
    return sqs, inbox, dlq


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _redrive(target: str) -> str:
    return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": 1})


def _queue_state(sqs: Any, *urls: str, **policies: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "aws_sqs_queue",
            "values": {"arn": _arn(sqs, u), "url": u, "redrive_policy": policies.get(u.rsplit("/", 1)[-1], "")},
        }
        for u in urls
    ]


def test_an_outside_queue_dead_lettering_into_the_inbox_fails_check_5(moto_aws: None) -> None:
    sqs, inbox, dlq = _queues()
    inbox_arn = _arn(sqs, inbox)
    sqs.set_queue_attributes(QueueUrl=inbox, Attributes={"RedrivePolicy": _redrive(_arn(sqs, dlq))})  # the stack's
    replay = sqs.create_queue(QueueName="ops-replay", Attributes={"RedrivePolicy": _redrive(inbox_arn)})["QueueUrl"]
    other = sqs.create_queue(QueueName="ops-other")["QueueUrl"]
    sqs.create_queue(QueueName="ops-into-other", Attributes={"RedrivePolicy": _redrive(_arn(sqs, other))})
    state = _queue_state(sqs, inbox, dlq, **{f"{P}-alerts-inbox": _redrive(_arn(sqs, dlq))})

    inv = _listed()
    assert [(r.kind, r.key, r.name, r.found_by) for r in inv.of_kind("aws_sqs_queue_redrive_policy")] == [
        (
            "aws_sqs_queue_redrive_policy",
            f"{replay} -> {inbox_arn}",
            f"ops-replay dead-letters into {P}-alerts-inbox",
            (f"uses the stack: dead-letter queue {P}-alerts-inbox",),
        )
    ]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    assert f"aws_sqs_queue_redrive_policy ops-replay dead-letters into {P}-alerts-inbox" in str(result.reason)


def test_a_redrive_into_the_inbox_the_state_records_passes(moto_aws: None) -> None:
    sqs, inbox, dlq = _queues()
    inbox_arn = _arn(sqs, inbox)
    replay = sqs.create_queue(QueueName="ops-replay", Attributes={"RedrivePolicy": _redrive(inbox_arn)})["QueueUrl"]
    state = _queue_state(sqs, inbox, dlq)
    apart = {
        "type": "aws_sqs_queue_redrive_policy",
        "values": {"queue_url": replay, "redrive_policy": _redrive(inbox_arn)},
    }
    assert _judged([*state, apart]).passed
    inline = _queue_state(sqs, replay, **{"ops-replay": _redrive(inbox_arn)})  # the queue's own redrive_policy
    assert _judged([*state, *inline]).passed
    elsewhere = {**apart, "values": {**apart["values"], "redrive_policy": _redrive(_arn(sqs, dlq))}}
    assert not _judged([*state, elsewhere]).passed  # the state's redrive names another dead-letter queue


def test_a_source_queue_deleted_while_read_is_gone_not_unreadable() -> None:
    from unittest.mock import MagicMock

    from lakehouse.queue_redrive import QueueRedrive

    search = _Search(MagicMock(), STACK, DEFAULT_PROJECT)
    search.inv.queue_redrives["arn:q"] = QueueRedrive("q", "https://q", {})
    sqs = search.target.client.return_value
    sqs.get_paginator.return_value.paginate.side_effect = ClientError(
        {"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue"}}, "ListDeadLetterSourceQueues"
    )
    search.guarded("sqs ListDeadLetterSourceQueues", REGION, dead_letter_sources, search, REGION)
    assert not search.inv.unreadable and not search.inv.resources
