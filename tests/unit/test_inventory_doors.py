"""Exit check 5's listings of data catalogs, Glue connections and workflows, Logs resource policies and event
archives: what the emulator cannot make, and the false reds they must not raise.

A Logs policy over every log group, the account's own ``AwsDataCatalog`` and a catalog of another team's
function are in a healthy account and none is the stack's; a pattern naming the stack's groups is; names that fit
a stack extending ours (``lh-1-x``, seen by its tags) are that stack's.
"""

from __future__ import annotations

import json
from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import NAME_PREFIX, stack_inventory
from lakehouse.inventory_kinds import USES_STACK
from lakehouse.outcome import Status
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, GOLD, REGION, STACK, P, account

GROUPS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group"
STACK_LOGS = f"/{P}/pipeline"


def _policy(name: str, *resources: str) -> dict[str, str]:
    statement = {"Effect": "Allow", "Principal": {"Service": "es.amazonaws.com"}, "Resource": list(resources)}
    return {"policyName": name, "policyDocument": json.dumps({"Statement": [statement]})}


def _with_policies(*policies: dict[str, str]) -> set[tuple[str, tuple[str, ...]]]:
    pages = {
        ("logs", "describe_log_groups"): [{"logGroups": [{"logGroupName": STACK_LOGS}]}],
        # a page each; none scoped to a log group (asked with ``resourceArn``)
        ("logs", "describe_resource_policies"): lambda **asked: (
            [] if asked else [{"resourcePolicies": [p]} for p in policies]
        ),
    }
    inv = stack_inventory(account(pages, {}), STACK)
    assert not inv.unreadable, inv.unreadable
    return {(r.name, r.found_by) for r in inv.of_kind("aws_cloudwatch_log_resource_policy")}


def test_a_logs_policy_over_every_group_is_the_accounts_and_one_naming_stack_groups_is_the_stacks() -> None:
    found = _with_policies(
        _policy("route53-everything", "*"),
        _policy("es-all-groups", f"{GROUPS}:*"),
        _policy("any-region", "arn:aws:logs:*:*:log-group:*"),
        _policy("team", f"{GROUPS}:/team/*"),
        _policy("by-pattern", f"{GROUPS}:/{P}/*"),
        _policy("by-wildcard", f"{GROUPS}:/lakehouse-lh-?/pipeline"),  # names no stack, matches its group
        _policy("by-arn", f"{GROUPS}:{STACK_LOGS}:log-stream:*"),
        _policy("endpoint", f"{GROUPS}:/aws/sagemaker/Endpoints/{P}-endpoint:*"),
        {"policyName": f"{P}-broken", "policyDocument": "not json"},
    )
    assert found == {
        ("by-pattern", (f"{USES_STACK}: log group /{P}/*",)),  # a path segment named like the stack
        ("by-wildcard", (f"{USES_STACK}: log group {STACK_LOGS}",)),
        ("by-arn", (f"{USES_STACK}: log group {STACK_LOGS}",)),
        ("endpoint", (f"{USES_STACK}: log group /aws/sagemaker/Endpoints/{P}-endpoint",)),
        (f"{P}-broken", (NAME_PREFIX,)),
    }, found


def test_the_accounts_catalog_and_others_catalogs_are_not_judged_but_a_stack_function_in_one_value_is() -> None:
    stack_fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{P}-reader"
    catalogs = {
        "AwsDataCatalog": {"catalog-id": ACCOUNT},
        "team": {"function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:team-reader"},
        "side": {"function": f"metadata-function={stack_fn},record-function={stack_fn}"},
    }
    pages = {
        ("athena", "list_data_catalogs"): [
            {"DataCatalogsSummary": [{"CatalogName": n, "Type": "LAMBDA"} for n in catalogs]}
        ]
    }
    answers = {
        ("athena", "get_data_catalog"): lambda Name: {"DataCatalog": {"Name": Name, "Parameters": catalogs[Name]}}  # noqa: N803
    }
    inv = stack_inventory(account(pages, answers), STACK)
    assert not inv.unreadable, inv.unreadable
    found = {(r.name, r.found_by) for r in inv.of_kind("aws_athena_data_catalog")}
    assert found == {("side (LAMBDA)", (f"{USES_STACK}: function {stack_fn}",))}, found


def test_untaggable_doors_named_for_a_stack_extending_ours_are_its_own() -> None:
    """A Logs policy and an archive named ``lakehouse-lh-1-x-...`` are stack ``lh-1-x``'s once its tagged bucket
    shows it exists; without it they stay ours, and state holding them by name and ARN clears them."""
    other = f"{P}-x-gold-{ACCOUNT}"
    listings = {("events", "list_archives"): {"Archives": [{"ArchiveName": f"{P}-x-replay", "EventSourceArn": "b"}]}}
    policies = {("logs", "describe_resource_policies"): [{"resourcePolicies": [_policy(f"{P}-x-logs", "*")]}]}
    buckets = {("s3", "list_buckets"): [{"Buckets": [{"Name": GOLD, "BucketRegion": REGION}, {"Name": other}]}]}
    tags = {GOLD: STACK, other: f"{STACK}-x"}
    tagging = {
        ("s3", "get_bucket_tagging"): lambda Bucket: {"TagSet": [{"Key": "stack_id", "Value": tags[Bucket]}]}  # noqa: N803
    }
    theirs = stack_inventory(account({**buckets, **policies}, {**listings, **tagging}), STACK)
    names = {r.name for r in theirs.resources}
    assert GOLD in names and not names & {f"{P}-x-logs", f"{P}-x-replay of b"}, names

    alone = stack_inventory(account(policies, listings), STACK)
    assert {(r.kind, r.name) for r in alone.resources} == {
        ("aws_cloudwatch_log_resource_policy", f"{P}-x-logs"),
        ("aws_cloudwatch_event_archive", f"{P}-x-replay of b"),
    }
    assert judge_iac(PlanResult(0), [], alone, set()).status is Status.FAILED
    state: list[dict[str, Any]] = [
        {"type": "aws_cloudwatch_log_resource_policy", "values": {"policy_name": f"{P}-x-logs"}},
    ]
    state += [  # the fake account answers single calls in every region the inventory reads
        {
            "type": "aws_cloudwatch_event_archive",
            "values": {"arn": f"arn:aws:events:{r}:{ACCOUNT}:archive/{P}-x-replay"},
        }
        for r in alone.regions
    ]
    assert judge_iac(PlanResult(0), state, alone, set()).status is Status.PASSED
