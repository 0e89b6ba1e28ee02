"""Exit check 5 reads Logs resource policies scoped to a stack log group, and keys every policy by its region.

Both broken cases passed before: DescribeResourcePolicies was asked for the account's policies only, so a policy put on
a stack log group (PutResourcePolicy with ``resourceArn``: ``policyScope`` RESOURCE) was never listed; and policies
were keyed by name only, so a same-named policy made by hand in another region the check reads was "in state" as the
stack's own. The twins stay green: the state's policy in its own region, a scoped policy on someone else's group.
moto holds the groups and policies, as the emulator extends it (``lakehouse.emulator.extensions.logs``).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.extensions import logs as logs_extension
from lakehouse.inventory import DEFAULT_PROJECT, Inventory, _Search
from lakehouse.inventory_doors import LOG_POLICY, ON_STACK_GROUP, log_policy_keys, log_resource_policies
from lakehouse.inventory_kinds import log_groups
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P

OTHER = "us-east-1"  # the other region the check reads (the billing alarm's)
GROUP = f"/{P}/pipeline"


def _arn(region: str, group: str) -> str:
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}"


def _document(region: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{_arn(region, GROUP)}:*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def logs(moto_aws: None) -> dict[str, Any]:
    """moto's Logs in both regions, the stack's group in each (the emulator's extension installed)."""
    logs_extension.install()
    clients = {r: boto3.client("logs", region_name=r) for r in (REGION, OTHER)}
    for client in clients.values():
        client.create_log_group(logGroupName=GROUP)
    return clients


def _listed() -> Inventory:
    search = _Search(Target("aws", REGION), STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    for region in search.inv.regions:
        log_groups(search, region)
        log_resource_policies(search, region)
    assert not search.inv.unreadable, search.inv.unreadable
    return search.inv


def _state(*policies: dict[str, Any]) -> list[dict[str, Any]]:
    groups = [{"type": "aws_cloudwatch_log_group", "values": {"arn": _arn(r, GROUP)}} for r in (REGION, OTHER)]
    return groups + [{"type": LOG_POLICY, "values": p} for p in policies]


def _judged(state: list[dict[str, Any]]) -> Any:
    return judge_iac(PlanResult(0), state, _listed(), set())


OURS = {"policy_name": f"{P}-delivery", "id": f"{P}-delivery", "policy_document": _document(REGION)}


def test_the_states_policy_in_its_region_passes_and_a_same_named_one_in_another_region_fails(
    logs: dict[str, Any],
) -> None:
    logs[REGION].put_resource_policy(policyName=OURS["policy_name"], policyDocument=OURS["policy_document"])
    assert _judged(_state(OURS)).passed  # healthy: the state's policy, in the region its document names

    logs[OTHER].put_resource_policy(policyName=OURS["policy_name"], policyDocument=_document(OTHER))
    result = _judged(_state(OURS))
    assert result.status is Status.FAILED
    assert f"{LOG_POLICY} {P}-delivery ({OTHER}, found by name prefix" in str(result.reason), result.reason
    assert f"{P}-delivery ({REGION}," not in str(result.reason)  # the state's own is still the state's


def test_a_state_policy_is_placed_by_its_region_attribute_its_document_or_the_stacks_region() -> None:
    anywhere = json.dumps({"Statement": [{"Effect": "Allow", "Resource": "*"}]})
    keys = log_policy_keys(
        [
            {"type": LOG_POLICY, "values": {"policy_name": "a", "policy_document": anywhere, "region": OTHER}},
            {"type": LOG_POLICY, "values": {"policy_name": "b", "policy_document": _document(OTHER)}},
            {"type": LOG_POLICY, "values": {"policy_name": "c", "policy_document": anywhere}},
        ],
        REGION,
    )
    assert keys == {(LOG_POLICY, f"{OTHER} a"), (LOG_POLICY, f"{OTHER} b"), (LOG_POLICY, f"{REGION} c")}


def test_a_policy_scoped_to_a_stack_log_group_fails_and_one_on_anothers_group_is_not_judged(
    logs: dict[str, Any],
) -> None:
    logs[REGION].create_log_group(logGroupName="/team/app")
    logs[REGION].put_resource_policy(
        policyName="team", policyDocument=_document(REGION), resourceArn=_arn(REGION, "/team/app")
    )
    assert _judged(_state()).passed  # healthy: someone else's group's policy

    logs[REGION].put_resource_policy(
        policyName="side-door", policyDocument=_document(REGION), resourceArn=_arn(REGION, GROUP)
    )
    inv = _listed()
    assert [(r.name, r.found_by) for r in inv.of_kind(LOG_POLICY)] == [(f"side-door on {GROUP}", (ON_STACK_GROUP,))]
    result = judge_iac(PlanResult(0), _state(), inv, set())
    assert result.status is Status.FAILED
    assert f"{LOG_POLICY} side-door on {GROUP} ({REGION}" in str(result.reason), result.reason
    # the account's listing does not show it: only a read with the group's ARN does
    account = logs[REGION].describe_resource_policies()["resourcePolicies"]
    assert account == []


def test_the_emulator_keeps_a_scoped_policy_apart_and_deletes_it_by_its_group(logs: dict[str, Any]) -> None:
    client = logs[REGION]
    put = client.put_resource_policy(policyName="d", policyDocument=_document(REGION), resourceArn=_arn(REGION, GROUP))
    assert put["resourcePolicy"]["policyScope"] == "RESOURCE" and put["revisionId"]
    assert client.describe_resource_policies()["resourcePolicies"] == []
    scoped = client.describe_resource_policies(resourceArn=_arn(REGION, GROUP), policyScope="RESOURCE")
    assert [(p["policyName"], p["resourceArn"]) for p in scoped["resourcePolicies"]] == [("d", _arn(REGION, GROUP))]
    client.delete_resource_policy(policyName="d", resourceArn=_arn(REGION, GROUP), expectedRevisionId=put["revisionId"])
    assert client.describe_resource_policies(resourceArn=_arn(REGION, GROUP))["resourcePolicies"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_resource_policy(policyName="d", policyDocument="{}", resourceArn=_arn(REGION, "/missing"))
