"""Exit check 5's inventory: SQS queues, S3 access points and subscriptions to stack queues are searched.

Out-of-band, each of them passed "everything found is managed by Terraform" before: the inventory
did not look for them. Here a fake account holds one of each; the inventory must find it (by tag,
by name prefix, by the stack bucket it sits on, by the stack queue it delivers to) and the judge
must name it unless Terraform state has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from unittest.mock import MagicMock

from lakehouse.bucket_configs import MANY, SINGLE
from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import (
    NAME_PREFIX,
    OF_STACK_BUCKET,
    ON_STACK_BUCKET,
    TAG,
    TO_STACK_QUEUE,
    TableLocation,
    name_prefixes,
    stack_inventory,
)
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
STACK = "lh-1"
P, _ = name_prefixes(STACK)
GOLD = f"{P}-gold-{ACCOUNT}"
INBOX = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{P}-alerts-inbox"
FOREIGN_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:someone-elses-topic"
URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}"


class FakeAccount(Target):
    """An account holding what ``pages`` (paginated listings: pages, or a function of the request's arguments to
    them) and ``answers`` (single calls) say; empty elsewhere."""

    pages: Mapping[tuple[str, str], Any] = {}
    answers: Mapping[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        fake = MagicMock()
        fake.get_caller_identity.return_value = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/me"}
        here = region in (None, self.region)  # the account's things are in the stack's region

        def paginator(op: str) -> MagicMock:
            listed = self.pages.get((service, op), []) if here else []
            if callable(listed):  # pages that depend on the request (``paginate(**kwargs)``)
                return MagicMock(paginate=MagicMock(side_effect=listed))
            return MagicMock(paginate=MagicMock(return_value=listed))

        fake.get_paginator.side_effect = paginator
        fake.list_work_groups.return_value = {"WorkGroups": []}
        fake.get_data_lake_settings.return_value = {"DataLakeSettings": {}}
        fake.list_permissions.return_value = {"PrincipalResourcePermissions": []}
        fake.list_resources.return_value = {"ResourceInfoList": []}
        fake.list_access_points.return_value = {"AccessPointList": []}
        fake.list_services.return_value = {"ServiceSummaryList": []}
        fake.list_auto_scaling_configurations.return_value = {"AutoScalingConfigurationSummaryList": []}
        fake.list_tags_for_resource.return_value = {"Tags": [], "ResourceTags": []}
        fake.get_bucket_tagging.return_value = {"TagSet": []}
        fake.list_queue_tags.return_value = {}
        for single in SINGLE:  # no bucket has a configuration of its own
            getattr(fake, single.operation).return_value = {}
        for many in MANY:
            getattr(fake, many.operation).return_value = {"IsTruncated": False}
        for (svc, op), answer in self.answers.items():
            if svc == service:
                getattr(fake, op).side_effect = answer if callable(answer) else None
                if not callable(answer):
                    getattr(fake, op).return_value = answer
        return fake


def account(pages: Mapping[tuple[str, str], Any], answers: Mapping[tuple[str, str], Any]) -> FakeAccount:
    fake = FakeAccount("aws", REGION)
    object.__setattr__(fake, "pages", pages)
    object.__setattr__(fake, "answers", answers)
    return fake


BUCKETS = {("s3", "list_buckets"): [{"Buckets": [{"Name": GOLD, "BucketRegion": REGION}, {"Name": "unrelated"}]}]}


def queue_tags(tags: dict[str, dict[str, str]]) -> Any:
    return lambda QueueUrl: {"Tags": tags.get(QueueUrl.rsplit("/", 1)[1], {})}  # noqa: N803 - boto3's name


def test_queues_named_or_tagged_for_the_stack_are_found_and_others_not() -> None:
    urls = [f"{URL}/{P}-alerts-inbox", f"{URL}/made-by-hand", f"{URL}/not-ours"]
    tags = {"made-by-hand": {"stack_id": STACK}}
    inv = stack_inventory(
        account({("sqs", "list_queues"): [{"QueueUrls": urls}]}, {("sqs", "list_queue_tags"): queue_tags(tags)}),
        STACK,
    )
    queues = {(r.name, r.region): r.found_by for r in inv.of_kind("aws_sqs_queue")}
    assert queues[(f"{P}-alerts-inbox", REGION)] == (NAME_PREFIX,)
    assert queues[("made-by-hand", REGION)] == (TAG,)
    assert ("not-ours", REGION) not in queues
    assert not inv.unreadable


def test_a_stack_whose_id_extends_ours_is_told_apart_by_its_tag() -> None:
    """``lakehouse-lh-1-`` starts stack ``lh-1-x``'s names too: its tag says whose a resource is."""
    urls = [f"{URL}/{P}-x-alerts-inbox", f"{URL}/{P}-x-untagged", f"{URL}/{P}-y-inbox"]
    tags = {f"{P}-x-alerts-inbox": {"stack_id": f"{STACK}-x"}, f"{P}-y-inbox": {"stack_id": f"{STACK}-x"}}
    inv = stack_inventory(
        account({("sqs", "list_queues"): [{"QueueUrls": urls}]}, {("sqs", "list_queue_tags"): queue_tags(tags)}),
        STACK,
    )
    queues = {r.name: r.found_by for r in inv.of_kind("aws_sqs_queue")}
    assert f"{P}-x-alerts-inbox" not in queues  # lh-1-x's own, by name and tag
    assert queues[f"{P}-x-untagged"] == (NAME_PREFIX,)  # no tag to tell: ours by name
    assert queues[f"{P}-y-inbox"] == (NAME_PREFIX,)  # tagged lh-1-x but not named like it: a disguise


def test_untaggable_things_named_for_a_stack_extending_ours_are_its_own() -> None:
    """Dashboards and schedules carry no tags; once stack ``lh-1-x``'s tagged buckets show it exists, names
    that fit it (``lakehouse-lh-1-x-...``) are its, not ours; without such a stack they stay ours."""
    other = f"{P}-x-gold-{ACCOUNT}"
    buckets = {("s3", "list_buckets"): [{"Buckets": [{"Name": GOLD, "BucketRegion": REGION}, {"Name": other}]}]}
    dashboards = [{"DashboardEntries": [{"DashboardName": f"{P}-finops"}, {"DashboardName": f"{P}-x-finops"}]}]
    schedules = [{"Schedules": [{"Name": f"{P}-x-pause", "GroupName": f"{P}-x-catalog", "Arn": "arn:s"}]}]
    listings = {
        **buckets,
        ("cloudwatch", "list_dashboards"): dashboards,
        ("scheduler", "list_schedules"): schedules,
    }
    tags = {GOLD: STACK, other: f"{STACK}-x"}
    tagging = {
        ("s3", "get_bucket_tagging"): lambda Bucket: {"TagSet": [{"Key": "stack_id", "Value": tags[Bucket]}]}  # noqa: N803
    }
    inv = stack_inventory(account(listings, tagging), STACK)
    names = {r.name for r in inv.resources}
    assert {GOLD, f"{P}-finops"} <= names
    assert not names & {other, f"{P}-x-finops", f"{P}-x-catalog/{P}-x-pause"}, names
    alone = stack_inventory(account({**listings, **BUCKETS}, {}), STACK)  # no lh-1-x anywhere: ours by name
    assert {f"{P}-x-finops", f"{P}-x-catalog/{P}-x-pause"} <= {r.name for r in alone.resources}


def test_an_out_of_band_queue_fails_check_5_naming_it_and_the_managed_one_does_not() -> None:
    urls = [f"{URL}/{P}-alerts-inbox", f"{URL}/{P}-scratch"]
    inv = stack_inventory(account({("sqs", "list_queues"): [{"QueueUrls": urls}]}, {}), STACK)
    state = [{"type": "aws_sqs_queue", "values": {"arn": INBOX, "name": f"{P}-alerts-inbox"}}]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    assert f"aws_sqs_queue {P}-scratch ({REGION}, found by name prefix)" in str(result.reason)
    assert f"{P}-alerts-inbox" not in str(result.reason)


def test_an_access_point_on_a_stack_bucket_is_found_whatever_its_name() -> None:
    points = {
        "AccessPointList": [
            {
                "Name": "analytics",
                "Bucket": GOLD,
                "AccessPointArn": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/analytics",
            },
            {"Name": f"{P}-named", "Bucket": "unrelated"},
            {"Name": "elsewhere", "Bucket": "unrelated"},
        ]
    }
    inv = stack_inventory(account(BUCKETS, {("s3control", "list_access_points"): points}), STACK)
    found = {r.name: r for r in inv.of_kind("aws_s3_access_point")}
    assert set(found) == {f"analytics on {GOLD}", f"{P}-named on unrelated"}
    assert found[f"analytics on {GOLD}"].found_by == (ON_STACK_BUCKET,)
    assert found[f"{P}-named on unrelated"].found_by == (NAME_PREFIX,)
    result = judge_iac(PlanResult(0), [{"type": "aws_s3_bucket", "values": {"bucket": GOLD}}], inv, set())
    assert result.status is Status.FAILED
    assert f"aws_s3_access_point analytics on {GOLD} ({REGION}, found by {ON_STACK_BUCKET})" in str(result.reason)
    managed = [
        {"type": "aws_s3_bucket", "values": {"bucket": GOLD}},
        {"type": "aws_s3_access_point", "values": {"account_id": ACCOUNT, "name": "analytics", "bucket": GOLD}},
        {"type": "aws_s3_access_point", "values": {"account_id": ACCOUNT, "name": f"{P}-named", "bucket": "x"}},
    ]
    assert judge_iac(PlanResult(0), managed, inv, set()).passed


def test_a_foreign_topic_subscribed_to_a_stack_queue_is_found() -> None:
    sub = {"TopicArn": FOREIGN_TOPIC, "Protocol": "sqs", "Endpoint": INBOX, "SubscriptionArn": f"{FOREIGN_TOPIC}:1"}
    other = {**sub, "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:not-ours"}
    pages = {
        ("sqs", "list_queues"): [{"QueueUrls": [f"{URL}/{P}-alerts-inbox"]}],
        ("sns", "list_subscriptions"): [{"Subscriptions": [sub, other]}],
    }
    inv = stack_inventory(account(pages, {}), STACK)
    (found,) = inv.of_kind("aws_sns_topic_subscription")
    assert found.key == f"{FOREIGN_TOPIC} sqs {INBOX}" and found.found_by == (TO_STACK_QUEUE,)
    state = [{"type": "aws_sqs_queue", "values": {"arn": INBOX}}]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert f"aws_sns_topic_subscription sqs:{INBOX} on someone-elses-topic" in str(result.reason)


def test_unreadable_queue_and_access_point_listings_are_named() -> None:
    from botocore.exceptions import ClientError

    def denied(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "List")

    fake = account({}, {("s3control", "list_access_points"): denied})
    inv = stack_inventory(fake, STACK)
    assert any(u.startswith(f"s3control ListAccessPoints ({REGION}): ") for u in inv.unreadable), inv.unreadable
    assert judge_iac(PlanResult(0), [], inv, set()).status is Status.ERROR


def test_a_subscription_found_both_ways_is_listed_once() -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{P}-alerts"
    sub = {"TopicArn": topic, "Protocol": "sqs", "Endpoint": INBOX, "SubscriptionArn": f"{topic}:1"}
    pages = {
        ("sqs", "list_queues"): [{"QueueUrls": [f"{URL}/{P}-alerts-inbox"]}],
        ("sns", "list_topics"): [{"Topics": [{"TopicArn": topic}]}],
        ("sns", "list_subscriptions_by_topic"): [{"Subscriptions": [sub]}],
        ("sns", "list_subscriptions"): [{"Subscriptions": [sub]}],
    }
    inv = stack_inventory(account(pages, {}), STACK)
    (found,) = inv.of_kind("aws_sns_topic_subscription")
    assert found.found_by == ("subscriptions of a stack topic",)


def _lf(*entries: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {("lakeformation", "list_permissions"): {"PrincipalResourcePermissions": list(entries)}}


def _grant(principal: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"Principal": {"DataLakePrincipalIdentifier": principal}, "Resource": resource, "Permissions": ["ALL"]}


def test_an_out_of_band_grant_on_a_prefix_of_a_stack_bucket_is_found() -> None:
    """Lake Formation locations are buckets or prefixes in them: a grant on gold's prefix is on a stack bucket."""
    stranger = f"arn:aws:iam::{ACCOUNT}:role/someone"
    prefix = {"DataLocation": {"ResourceArn": f"arn:aws:s3:::{GOLD}/users"}}
    elsewhere = {"DataLocation": {"ResourceArn": "arn:aws:s3:::unrelated/users"}}
    inv = stack_inventory(account(BUCKETS, _lf(_grant(stranger, prefix), _grant(stranger, elsewhere))), STACK)
    assert {(g.principal, g.resource) for g in inv.grants} == {(stranger, f"data location arn:aws:s3:::{GOLD}/users")}
    result = judge_iac(PlanResult(0), [{"type": "aws_s3_bucket", "values": {"bucket": GOLD}}], inv, set())
    assert result.status is Status.FAILED and stranger in str(result.reason)


def test_an_out_of_band_grant_to_a_stack_role_with_an_iam_path_is_found() -> None:
    roles = {("iam", "list_roles"): [{"Roles": [{"RoleName": f"{P}-analyst", "Path": "/team/"}]}]}
    with_path = f"arn:aws:iam::{ACCOUNT}:role/team/{P}-analyst"
    other_account = f"arn:aws:iam::999999999999:role/team/{P}-analyst"
    table = {"Table": {"DatabaseName": "someone_elses", "Name": "t"}}
    answers = {**_lf(_grant(with_path, table), _grant(other_account, table)), ("iam", "list_role_tags"): {"Tags": []}}
    inv = stack_inventory(account({**BUCKETS, **roles}, answers), STACK)
    assert {g.principal for g in inv.grants} == {with_path}


def test_the_locations_of_a_stack_databases_tables_are_read() -> None:
    database = f"{name_prefixes(STACK)[1]}_gold"
    table = {
        "Name": "users",
        "StorageDescriptor": {"Location": f"s3://{GOLD}/users"},
        "Parameters": {"metadata_location": f"s3://{GOLD}/users/metadata/1.metadata.json"},
    }
    glue = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": database}]}],
        ("glue", "get_tables"): [{"TableList": [table]}],
    }
    inv = stack_inventory(account({**BUCKETS, **glue}, {("glue", "get_tags"): {"Tags": {}}}), STACK)
    assert inv.table_locations == {
        f"{database}.users": TableLocation(f"s3://{GOLD}/users", f"s3://{GOLD}/users/metadata/1.metadata.json")
    }


def test_a_table_without_location_or_metadata_is_read_as_such() -> None:
    """A view has no location and a Hive table no metadata_location: neither is made up."""
    database = f"{name_prefixes(STACK)[1]}_silver"
    tables = [
        {"Name": "v", "TableType": "VIRTUAL_VIEW", "StorageDescriptor": {"Location": ""}},
        {"Name": "csv", "StorageDescriptor": {"Location": f"s3://{GOLD}/raw/"}, "Parameters": {"EXTERNAL": "TRUE"}},
    ]
    glue = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": database}]}],
        ("glue", "get_tables"): [{"TableList": tables}],
    }
    inv = stack_inventory(account({**BUCKETS, **glue}, {("glue", "get_tags"): {"Tags": {}}}), STACK)
    assert inv.table_locations == {
        f"{database}.v": TableLocation(None, None),
        f"{database}.csv": TableLocation(f"s3://{GOLD}/raw/", None),
    }
    assert inv.table_locations[f"{database}.csv"].places == {"Glue StorageDescriptor.Location": f"s3://{GOLD}/raw/"}


def _config_answers(**extra: Any) -> dict[tuple[str, str], Any]:
    """S3 answers for the gold bucket: the root's policy and lifecycle rules, plus ``extra`` (operation -> answer)."""
    return {
        ("s3", "get_bucket_policy"): {"Policy": '{"Statement": []}'},
        ("s3", "get_bucket_lifecycle_configuration"): {"Rules": [{"ID": "abort-uploads", "Status": "Enabled"}]},
        **{("s3", op): answer for op, answer in extra.items()},
    }


#: What Terraform state holds for the gold bucket: the bucket, its policy and its lifecycle rules.
GOLD_STATE = [
    {"type": "aws_s3_bucket", "values": {"bucket": GOLD}},
    {"type": "aws_s3_bucket_policy", "values": {"bucket": GOLD}},
    {"type": "aws_s3_bucket_lifecycle_configuration", "values": {"bucket": GOLD}},
]


def test_a_notification_and_an_inventory_set_by_hand_on_a_stack_bucket_fail_check_5_naming_them() -> None:
    """Before, an event notification to someone's queue (every new Gold key leaves the stack) or an inventory
    report to someone's bucket passed: the plan does not show them and the inventory never read them."""
    notify = {
        "QueueConfigurations": [{"QueueArn": FOREIGN_TOPIC.replace("sns", "sqs"), "Events": ["s3:ObjectCreated:*"]}]
    }
    inventory = {"IsTruncated": False, "InventoryConfigurationList": [{"Id": "weekly-export"}]}
    answers = _config_answers(
        get_bucket_notification_configuration=notify, list_bucket_inventory_configurations=inventory
    )
    inv = stack_inventory(account(BUCKETS, answers), STACK)
    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), GOLD_STATE, inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert (
        f"aws_s3_bucket_notification notification configuration of {GOLD} ({REGION}, found by "
        f"{OF_STACK_BUCKET})" in reason
    ), reason
    assert f"aws_s3_bucket_inventory inventory configuration weekly-export of {GOLD}" in reason, reason
    assert "bucket policy" not in reason and "lifecycle" not in reason  # the root's own, in state
    assert "2 thing(s)" in reason
    # In state (as Terraform would hold them once the root declared them), they are managed.
    state = [
        *GOLD_STATE,
        {"type": "aws_s3_bucket_notification", "values": {"bucket": GOLD}},
        {"type": "aws_s3_bucket_inventory", "values": {"bucket": GOLD, "name": "weekly-export"}},
    ]
    assert judge_iac(PlanResult(0), state, inv, set()).status is Status.PASSED


def test_a_lifecycle_rule_on_a_bucket_whose_rules_the_root_does_not_manage_is_unmanaged() -> None:
    """``s3_lifecycle_rules_enabled = false``: no lifecycle resource in state, so a rule made by hand
    (expire Gold after a day) is the stack's only lifecycle and nobody's code."""
    inv = stack_inventory(account(BUCKETS, _config_answers()), STACK)
    result = judge_iac(PlanResult(0), GOLD_STATE[:2], inv, set())
    assert result.status is Status.FAILED
    assert f"aws_s3_bucket_lifecycle_configuration lifecycle configuration of {GOLD}" in str(result.reason)


def test_configurations_a_bucket_does_not_have_or_has_by_default_are_not_listed() -> None:
    from botocore.exceptions import ClientError

    def missing(code: str) -> Any:
        def answer(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": code, "Message": "none"}}, "Get")

        return answer

    answers = {
        ("s3", "get_bucket_policy"): missing("NoSuchBucketPolicy"),
        ("s3", "get_bucket_lifecycle_configuration"): missing("NoSuchLifecycleConfiguration"),
        ("s3", "get_bucket_request_payment"): {"Payer": "BucketOwner"},  # AWS's answer for every bucket
        ("s3", "get_bucket_accelerate_configuration"): {"Status": "Suspended"},  # turned off again
        ("s3", "get_bucket_logging"): {},
    }
    inv = stack_inventory(account(BUCKETS, answers), STACK)
    assert not inv.unreadable, inv.unreadable
    assert [r.kind for r in inv.resources] == ["aws_s3_bucket"]


def test_an_unreadable_bucket_configuration_is_named() -> None:
    from botocore.exceptions import ClientError

    def denied(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetBucketNotificationConfiguration")

    inv = stack_inventory(account(BUCKETS, _config_answers(get_bucket_notification_configuration=denied)), STACK)
    assert any(
        u.startswith(f"s3 get_bucket_notification_configuration of {GOLD} ({REGION}): ") for u in inv.unreadable
    ), inv.unreadable
    assert judge_iac(PlanResult(0), GOLD_STATE, inv, set()).status is Status.ERROR
