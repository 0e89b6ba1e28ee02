"""Exit check 5's listings of untagged kinds leave AWS's own things alone (no false reds).

What the emulator cannot make: rules an AWS service manages, AWS-managed KMS keys and aliases, a key
pending deletion (a destroyed stack's, waiting its 7-30 days), the log groups App Runner and
SageMaker write for stack resources. Each is in a healthy account; none is the stack's to manage.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from botocore.exceptions import ClientError

from lakehouse.inventory import stack_inventory
from lakehouse.inventory_kinds import ON_STACK_LOGS
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{P}-alerts"
SERVICE_LOGS = f"/aws/apprunner/{P}-catalog/0123/application"


def test_aws_owned_rules_keys_and_service_log_groups_are_not_judged_but_filters_on_them_are() -> None:
    pages = {
        ("sns", "list_topics"): [{"Topics": [{"TopicArn": TOPIC}]}],
        ("events", "list_rules"): [
            {"Rules": [{"Name": "SageMakerRule", "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/x", "ManagedBy": "x"}]}
        ],
        ("events", "list_targets_by_rule"): [{"Targets": [{"Id": "t", "Arn": TOPIC}]}],
        ("kms", "list_aliases"): [
            {
                "Aliases": [
                    {"AliasName": "alias/aws/s3", "TargetKeyId": "aws-key"},
                    {"AliasName": f"alias/{P}-old", "TargetKeyId": "leaving-key"},
                ]
            }
        ],
        ("logs", "describe_log_groups"): [{"logGroups": [{"logGroupName": SERVICE_LOGS}]}],
        ("logs", "describe_metric_filters"): [{"metricFilters": [{"filterName": "errors"}]}],
    }
    leaving = {"KeyId": "leaving-key", "Arn": "arn:k", "KeyManager": "CUSTOMER", "KeyState": "PendingDeletion"}
    answers = {("kms", "describe_key"): {"KeyMetadata": leaving}, ("sns", "list_tags_for_resource"): {"Tags": []}}

    inv = stack_inventory(account(pages, answers), STACK)

    assert not inv.unreadable, inv.unreadable
    kinds = {(r.kind, r.name) for r in inv.resources}
    assert not any(kind == "aws_cloudwatch_event_rule" for kind, _ in kinds), kinds  # managed by an AWS service
    assert ("aws_kms_alias", f"alias/{P}-old") in kinds  # the alias is the stack's name...
    assert not any(kind == "aws_kms_key" for kind, _ in kinds), kinds  # ...its key is on its way out
    assert not any(name == "alias/aws/s3" for _, name in kinds)
    assert not any(kind == "aws_cloudwatch_log_group" for kind, _ in kinds), kinds  # App Runner's own group
    [metric_filter] = inv.of_kind("aws_cloudwatch_log_metric_filter")  # but nobody's filter on it but a person's
    assert (metric_filter.name, metric_filter.found_by) == (f"errors on {SERVICE_LOGS}", (ON_STACK_LOGS,))


def test_untagged_things_named_for_a_stack_extending_ours_are_its_own() -> None:
    """A named query and a KMS alias named ``lakehouse-lh-1-x-...`` are stack ``lh-1-x``'s once its tagged
    bucket shows it exists (as dashboards and schedules are); without such a stack they stay ours."""
    other = f"{P}-x-gold-{ACCOUNT}"
    listings = {
        ("athena", "list_named_queries"): [{"NamedQueryIds": ["q-1"]}],
        ("kms", "list_aliases"): [{"Aliases": [{"AliasName": f"alias/{P}-x-data"}]}],
    }
    answers = {
        ("athena", "list_work_groups"): {"WorkGroups": [{"Name": "primary"}]},
        ("athena", "batch_get_named_query"): {"NamedQueries": [{"NamedQueryId": "q-1", "Name": f"{P}-x-adhoc"}]},
    }
    theirs = {
        ("s3", "list_buckets"): [{"Buckets": [{"Name": other, "BucketRegion": REGION}]}],
        **listings,
    }
    tagging = {("s3", "get_bucket_tagging"): {"TagSet": [{"Key": "stack_id", "Value": f"{STACK}-x"}]}}
    names = {r.name for r in stack_inventory(account(theirs, {**answers, **tagging}), STACK).resources}
    assert not names & {f"{P}-x-adhoc in workgroup primary", f"alias/{P}-x-data"}, names
    alone = {r.name for r in stack_inventory(account(listings, answers), STACK).resources}
    assert {f"{P}-x-adhoc in workgroup primary", f"alias/{P}-x-data"} <= alone, alone


def _tag_grant_account(stack_tags: list[dict[str, Any]], expression: Any) -> tuple[Any, MagicMock]:
    """A stack database (LF-Tags ``stack_tags``) and two grants of another team naming one saved expression."""
    database = f"{P.replace('-', '_')}_gold"
    grant = {
        "Principal": {"DataLakePrincipalIdentifier": "arn:aws:iam::999999999999:root"},
        "Resource": {"LFTagPolicy": {"ResourceType": "DATABASE", "ExpressionName": "team-open"}},
        "Permissions": ["DESCRIBE"],
    }
    read = MagicMock(side_effect=expression) if callable(expression) else MagicMock(return_value=expression)
    pages = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": database}]}],
        # The account's LF-Tags: the database's tags are among them (none is read in an account without any).
        ("lakeformation", "list_lf_tags"): [{"LFTags": [{"TagKey": "level", "TagValues": ["open"]}]}],
    }
    answers = {
        ("lakeformation", "list_permissions"): {
            "PrincipalResourcePermissions": [grant, {**grant, "Permissions": ["ALTER"]}]
        },
        ("lakeformation", "get_resource_lf_tags"): {"LFTagOnDatabase": stack_tags},
        ("lakeformation", "get_lf_tag_expression"): lambda Name: read(Name),  # noqa: N803 - boto3's name
        ("glue", "get_tags"): {"Tags": {"stack_id": STACK}},
    }
    return account(pages, answers), read


def test_other_teams_tag_grants_cannot_reach_a_stack_carrying_no_lf_tags_and_are_not_read() -> None:
    """Other teams' LF-Tag grants name saved expressions the checker may not read (AccessDenied, or deleted
    since): when nothing of the stack carries an LF-Tag, no tag grant reaches it, so none is read."""
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetLFTagExpression")

    def refuse(name: str) -> Any:
        raise denied

    target, read = _tag_grant_account([], refuse)
    inv = stack_inventory(target, STACK)
    assert not inv.unreadable, inv.unreadable
    assert read.call_count == 0 and inv.grants == [], inv.grants

    target, read = _tag_grant_account([{"TagKey": "level", "TagValues": ["open"]}], refuse)
    assert any("GetLFTagExpression team-open" in u for u in stack_inventory(target, STACK).unreadable)
    assert read.call_count == 1  # once, not once per grant naming it

    target, read = _tag_grant_account(
        [{"TagKey": "level", "TagValues": ["open"]}], {"Expression": [{"TagKey": "level", "TagValues": ["open"]}]}
    )
    inv = stack_inventory(target, STACK)
    assert {g.permission for g in inv.grants if g.via} == {"DESCRIBE", "ALTER"}, inv.grants
