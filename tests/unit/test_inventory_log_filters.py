"""Exit check 5 keys metric and subscription filters by region, and reads them (and Logs resource policies) on the log
groups AWS services write for stack resources.

Broken cases that passed before: filters were keyed ``group:name``, so a same-named filter made by hand on the
same-named group in the other region the check reads (a copy of the stack's logs streamed out of us-east-1) was "in
state"; a subscription filter on ``/aws/lambda/<stack function>`` of a function the stack knows by its tag only was
never read; a Logs resource policy scoped to ``/aws/sagemaker/Endpoints/<stack endpoint>`` was never asked for.
The twins stay green: the state's filters in their region, filters and policies on other teams' service groups.
moto holds the groups, streams, filters and policies (the emulator's Logs extension installed).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.extensions import logs as logs_extension
from lakehouse.inventory import DEFAULT_PROJECT, TAG, CloudResource, Inventory, _Search, stack_inventory
from lakehouse.inventory_doors import LOG_POLICY, ON_STACK_GROUP, log_resource_policies
from lakehouse.inventory_kinds import (
    METRIC_FILTER,
    ON_STACK_LOGS,
    SUBSCRIPTION_FILTER,
    TAGGED,
    filter_key,
    filter_keys,
    log_filters,
    log_groups,
    service_log_groups,
)
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

OTHER = "us-east-1"  # the other region the check reads (the billing alarm's)
GROUP = f"/{P}/pipeline"
ENDPOINT_LOGS = f"/aws/sagemaker/Endpoints/{P}-endpoint"
#: A function the stack knows by its tag only (the tagging sweep): its name says nothing of the stack.
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:etl-helper"
FUNCTION_LOGS = "/aws/lambda/etl-helper"
TRANSFORM = [{"metricName": "Errors", "metricNamespace": "Lakehouse", "metricValue": "1"}]


def _group_arn(region: str, group: str) -> str:
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}"


@pytest.fixture
def logs(moto_aws: None) -> dict[str, Any]:
    """moto's Logs in both regions, the stack's group in each, a Kinesis stream in each to stream logs to."""
    logs_extension.install()
    clients = {r: boto3.client("logs", region_name=r) for r in (REGION, OTHER)}
    for region, client in clients.items():
        client.create_log_group(logGroupName=GROUP)
        boto3.client("kinesis", region_name=region).create_stream(StreamName="sink", ShardCount=1)
    return clients


def _stream(region: str) -> str:
    return f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/sink"


def _listed(*found: CloudResource) -> Inventory:
    """The Logs listings of exit check 5 over moto; ``found``: what the other listings and the sweep found."""
    search = _Search(Target("aws", REGION), STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.inv.resources.extend(found)
    for region in search.inv.regions:
        log_groups(search, region)
    for region in search.inv.regions:  # after the tagging sweep, as the inventory runs them
        log_filters(search, region)
        log_resource_policies(search, region)
    assert not search.inv.unreadable, search.inv.unreadable
    return search.inv


def _state(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    groups = [
        {"type": "aws_cloudwatch_log_group", "values": {"arn": _group_arn(r, GROUP), "name": GROUP}}
        for r in (REGION, OTHER)
    ]
    return groups + list(extra)


def _judged(state: list[dict[str, Any]], *found: CloudResource) -> Any:
    return judge_iac(PlanResult(0), state, _listed(*found), set())


METRIC = {"type": METRIC_FILTER, "values": {"name": "errors", "log_group_name": GROUP}}
SHIP = {
    "type": SUBSCRIPTION_FILTER,
    "values": {"name": "ship", "log_group_name": GROUP, "destination_arn": _stream(REGION)},
}


def _put_filters(client: Any, region: str, group: str = GROUP) -> None:
    client.put_metric_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", metricTransformations=TRANSFORM
    )
    client.put_subscription_filter(
        logGroupName=group, filterName="ship", filterPattern="", destinationArn=_stream(region)
    )


def test_the_states_filters_pass_in_their_region_and_same_named_ones_in_another_region_fail(
    logs: dict[str, Any],
) -> None:
    _put_filters(logs[REGION], REGION)
    assert _judged(_state(METRIC, SHIP)).passed  # healthy: the state's filters, where the state has them

    _put_filters(logs[OTHER], OTHER)  # by hand: the same names on the same-named group, in us-east-1
    result = _judged(_state(METRIC, SHIP))
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"{METRIC_FILTER} errors on {GROUP} ({OTHER}, found by {ON_STACK_LOGS})" in reason, reason
    assert f"{SUBSCRIPTION_FILTER} ship on {GROUP} -> {_stream(OTHER)} ({OTHER}," in reason, reason
    assert f"({REGION}, found by {ON_STACK_LOGS})" not in reason  # the state's own are still the state's


def test_a_subscription_filter_made_by_hand_on_a_stack_log_group_fails(logs: dict[str, Any]) -> None:
    logs[REGION].create_log_group(logGroupName="/team/app")
    logs[REGION].put_subscription_filter(
        logGroupName="/team/app", filterName="team", filterPattern="", destinationArn=_stream(REGION)
    )
    assert _judged(_state()).passed  # healthy: another team's group streams where it likes

    logs[REGION].put_subscription_filter(
        logGroupName=GROUP, filterName="copy-out", filterPattern="", destinationArn=_stream(REGION)
    )
    result = _judged(_state())
    assert result.status is Status.FAILED
    assert f"{SUBSCRIPTION_FILTER} copy-out on {GROUP} -> {_stream(REGION)} ({REGION}, found by {ON_STACK_LOGS})" in (
        str(result.reason)
    ), result.reason


def test_filters_on_the_log_group_of_a_function_the_stack_knows_by_its_tag_are_read(logs: dict[str, Any]) -> None:
    function = CloudResource(TAGGED, FUNCTION, "lambda:function etl-helper", REGION, (TAG,))
    state = _state({"type": "aws_lambda_function", "values": {"arn": FUNCTION}})
    for group in (FUNCTION_LOGS, "/aws/lambda/team-fn"):
        logs[REGION].create_log_group(logGroupName=group)
    logs[REGION].put_subscription_filter(
        logGroupName="/aws/lambda/team-fn", filterName="team", filterPattern="", destinationArn=_stream(REGION)
    )
    assert _judged(state, function).passed  # healthy: the function's group is AWS's own; another's filter

    logs[REGION].put_subscription_filter(
        logGroupName=FUNCTION_LOGS, filterName="copy-out", filterPattern="", destinationArn=_stream(REGION)
    )
    result = _judged(state, function)
    assert result.status is Status.FAILED
    assert f"{SUBSCRIPTION_FILTER} copy-out on {FUNCTION_LOGS} -> {_stream(REGION)} ({REGION}" in str(result.reason)
    assert f"aws_cloudwatch_log_group {FUNCTION_LOGS}" not in str(result.reason)  # the group itself is AWS's


def _document(group: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{_group_arn(REGION, group)}:*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_policy_scoped_to_a_stack_endpoints_log_group_fails_and_one_on_anothers_is_not_judged(
    logs: dict[str, Any],
) -> None:
    team = "/aws/sagemaker/Endpoints/team-endpoint"
    for group in (ENDPOINT_LOGS, team):
        logs[REGION].create_log_group(logGroupName=group)
    logs[REGION].put_resource_policy(
        policyName="team", policyDocument=_document(team), resourceArn=_group_arn(REGION, team)
    )
    assert _judged(_state()).passed  # healthy: a policy on someone else's endpoint's logs

    logs[REGION].put_resource_policy(
        policyName="side-door", policyDocument=_document(ENDPOINT_LOGS), resourceArn=_group_arn(REGION, ENDPOINT_LOGS)
    )
    inv = _listed()
    assert [(r.name, r.found_by) for r in inv.of_kind(LOG_POLICY)] == [
        (f"side-door on {ENDPOINT_LOGS}", (ON_STACK_GROUP,))
    ]
    result = judge_iac(PlanResult(0), _state(), inv, set())
    assert result.status is Status.FAILED
    assert f"{LOG_POLICY} side-door on {ENDPOINT_LOGS} ({REGION}" in str(result.reason), result.reason


def test_a_state_filter_is_placed_by_its_region_its_destination_its_groups_region_or_the_stacks() -> None:
    state = [
        {"type": "aws_cloudwatch_log_group", "values": {"arn": _group_arn(OTHER, "/use1"), "name": "/use1"}},
        *(
            {"type": "aws_cloudwatch_log_group", "values": {"arn": _group_arn(r, "/both"), "name": "/both"}}
            for r in (REGION, OTHER)
        ),
        {"type": METRIC_FILTER, "values": {"name": "a", "log_group_name": "/x", "region": OTHER}},
        {
            "type": SUBSCRIPTION_FILTER,
            "values": {"name": "b", "log_group_name": "/x", "destination_arn": _stream(OTHER)},
        },
        {"type": METRIC_FILTER, "values": {"name": "c", "log_group_name": "/use1"}},
        {"type": METRIC_FILTER, "values": {"name": "d", "log_group_name": "/both"}},  # either: the stack's region
        {"type": METRIC_FILTER, "values": {"name": "e", "log_group_name": "/aws/lambda/f"}},
    ]
    assert filter_keys(state, REGION) == {
        (METRIC_FILTER, filter_key(OTHER, "/x", "a")),
        (SUBSCRIPTION_FILTER, filter_key(OTHER, "/x", "b")),
        (METRIC_FILTER, filter_key(OTHER, "/use1", "c")),
        (METRIC_FILTER, filter_key(REGION, "/both", "d")),
        (METRIC_FILTER, filter_key(REGION, "/aws/lambda/f", "e")),
    }


def test_service_log_groups_are_those_of_stack_resources_or_named_like_the_stack() -> None:
    search = _Search(Target("aws", REGION), STACK, DEFAULT_PROJECT)
    search.inv.account = ACCOUNT
    search.inv.resources += [
        CloudResource("aws_apprunner_service", "arn:aws:apprunner:x", "catalog", REGION, (TAG,)),
        CloudResource("aws_sagemaker_endpoint", "arn:aws:sagemaker:x", "churn", REGION, (TAG,)),
        CloudResource(TAGGED, FUNCTION, "lambda:function etl-helper", REGION, (TAG,)),
        CloudResource("aws_sagemaker_endpoint", "arn:aws:sagemaker:y", "elsewhere", OTHER, (TAG,)),
    ]
    names = [
        "/aws/apprunner/catalog/0123/application",
        "/aws/sagemaker/Endpoints/churn",
        FUNCTION_LOGS,
        f"/aws/lambda/{P}-fn",  # named like the stack
        "/aws/sagemaker/Endpoints/elsewhere",  # the stack's endpoint of that name is in the other region
        "/aws/lambda/catalog",  # a function named as the stack's App Runner service: not the stack's
        "/aws/apprunner/team/0123/application",
    ]
    search.service_groups[REGION] = {name: _group_arn(REGION, name) for name in names}
    assert sorted(service_log_groups(search, REGION)) == sorted(names[:4])


def test_the_inventory_reads_them_after_the_tagging_sweep_finds_the_function() -> None:
    """Through ``stack_inventory``: the function is the stack's by its tag only, which the sweep reads last."""
    function_group = _group_arn(REGION, FUNCTION_LOGS)
    pages = {
        ("resourcegroupstaggingapi", "get_resources"): [{"ResourceTagMappingList": [{"ResourceARN": FUNCTION}]}],
        ("logs", "describe_log_groups"): [
            {"logGroups": [{"logGroupName": FUNCTION_LOGS, "logGroupArn": function_group}]}
        ],
        ("logs", "describe_subscription_filters"): lambda logGroupName: [  # noqa: N803 - boto3's name
            {"subscriptionFilters": [{"filterName": "copy-out", "destinationArn": _stream(REGION)}]}
        ],
        ("logs", "describe_resource_policies"): lambda **asked: (
            [{"resourcePolicies": [{"policyName": "side-door", "resourceArn": function_group}]}] if asked else []
        ),
    }
    inv = stack_inventory(account(pages, {}), STACK)
    assert not inv.unreadable, inv.unreadable
    found = {(r.kind, r.key, r.found_by) for r in inv.resources if r.kind != TAGGED}
    assert found == {
        (SUBSCRIPTION_FILTER, filter_key(REGION, FUNCTION_LOGS, "copy-out"), (ON_STACK_LOGS,)),
        (LOG_POLICY, f"{function_group} side-door", (ON_STACK_GROUP,)),
    }


def test_a_group_deleted_after_it_was_listed_has_no_filters_and_a_refused_read_is_unreadable() -> None:
    gone = ClientError(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "DescribeSubscriptionFilters"
    )
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeSubscriptionFilters")
    for error, unreadable in ((gone, False), (denied, True)):

        def refuse(logGroupName: str, error: ClientError = error) -> Any:  # noqa: N803 - boto3's name
            raise error

        pages = {
            ("logs", "describe_log_groups"): [{"logGroups": [{"logGroupName": GROUP}]}],
            ("logs", "describe_subscription_filters"): refuse,
        }
        inv = stack_inventory(account(pages, {}), STACK)
        refused = [u for u in inv.unreadable if "DescribeSubscriptionFilters" in u]
        assert bool(refused) is unreadable and len(inv.unreadable) == len(refused), inv.unreadable
