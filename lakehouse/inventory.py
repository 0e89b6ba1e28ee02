"""What exists in the account (or emulator) with a stack's tag, read through the service APIs.

Exit check 5 compares this with Terraform's state: anything tagged with the
stack id that Terraform does not manage was created outside Terraform.
Each service is listed through its own API because the Resource Groups
Tagging API does not cover IAM roles, and the emulator's coverage of it is thin.

Regional kinds are listed in the stack's region and in every other region the root
deploys to (``EXTRA_REGIONS``: the ``aws.use1`` provider alias of the billing alarm).
CloudWatch dashboards cannot be found by tag: they have no tags (neither the
dashboard API nor ``aws_cloudwatch_dashboard`` accepts any), so they are found by the
stack's name prefix instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.target import Target

STACK_TAG = "stack_id"
#: Default of the root's ``project`` variable: first part of every name (``<project>-<stack_id>``).
DEFAULT_PROJECT = "lakehouse"
#: Regions the root deploys to besides the stack's own (providers.tf: alias ``use1``).
EXTRA_REGIONS = ("us-east-1",)


@dataclass(frozen=True, order=True)
class CloudResource:
    """One resource as the account knows it: kind is the Terraform type it corresponds to."""

    kind: str
    name: str
    arn: str = ""


def _tags_from_list(items: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items}


def _s3_buckets(target: Target) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    s3 = target.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            tags = _tags_from_list(s3.get_bucket_tagging(Bucket=name).get("TagSet", []))
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchBucket", "AccessDenied"):
                continue
            raise
        yield CloudResource("aws_s3_bucket", name, f"arn:aws:s3:::{name}"), tags


def _glue(target: Target, account: str) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    glue = target.client("glue")
    prefix = f"arn:aws:glue:{target.region}:{account}"
    for page in glue.get_paginator("get_databases").paginate():
        for db in page["DatabaseList"]:
            arn = f"{prefix}:database/{db['Name']}"
            yield (
                CloudResource("aws_glue_catalog_database", db["Name"], arn),
                glue.get_tags(ResourceArn=arn).get("Tags", {}),
            )
            for tpage in glue.get_paginator("get_tables").paginate(DatabaseName=db["Name"]):
                for table in tpage["TableList"]:
                    name = f"{db['Name']}.{table['Name']}"
                    tarn = f"{prefix}:table/{db['Name']}/{table['Name']}"
                    yield (
                        CloudResource("aws_glue_catalog_table", name, tarn),
                        glue.get_tags(ResourceArn=tarn).get("Tags", {}),
                    )


def _iam_roles(target: Target) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    iam = target.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role.get("Path", "/").startswith("/aws-service-role/"):
                continue
            tags = _tags_from_list(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", []))
            yield CloudResource("aws_iam_role", role["RoleName"], role["Arn"]), tags


def _regions(target: Target) -> list[str]:
    """The stack's region first, then the other regions the root deploys to, each once."""
    return list(dict.fromkeys((target.region, *EXTRA_REGIONS)))


def _sns_topics(target: Target) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    for region in _regions(target):
        sns = target.client("sns", region=region)
        for page in sns.get_paginator("list_topics").paginate():
            for topic in page["Topics"]:
                arn = topic["TopicArn"]
                tags = _tags_from_list(sns.list_tags_for_resource(ResourceArn=arn).get("Tags", []))
                yield CloudResource("aws_sns_topic", arn.rsplit(":", 1)[-1], arn), tags


def _budgets(target: Target, account: str) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    """Budgets are global (one endpoint for every region), so they are listed once."""
    budgets = target.client("budgets")
    for page in budgets.get_paginator("describe_budgets").paginate(AccountId=account):
        for budget in page.get("Budgets", []):
            arn = f"arn:aws:budgets::{account}:budget/{budget['BudgetName']}"
            tags = _tags_from_list(budgets.list_tags_for_resource(ResourceARN=arn).get("ResourceTags", []))
            yield CloudResource("aws_budgets_budget", budget["BudgetName"], arn), tags


def _cloudwatch_alarms(target: Target) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    for region in _regions(target):
        cloudwatch = target.client("cloudwatch", region=region)
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
            for alarm in page.get("MetricAlarms", []):
                arn = alarm["AlarmArn"]
                tags = _tags_from_list(cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags", []))
                yield CloudResource("aws_cloudwatch_metric_alarm", alarm["AlarmName"], arn), tags


def _dashboards_named(target: Target, prefix: str) -> Iterator[CloudResource]:
    """Dashboards whose name starts with the stack's prefix: they carry no tags to search by.

    Dashboards are account-global on AWS; the emulator keeps them per region, so the
    regions the root deploys to are all asked.
    """
    seen: set[str] = set()
    for region in _regions(target):
        cloudwatch = target.client("cloudwatch", region=region)
        for page in cloudwatch.get_paginator("list_dashboards").paginate(DashboardNamePrefix=prefix):
            for entry in page.get("DashboardEntries", []):
                if entry["DashboardName"] not in seen:
                    seen.add(entry["DashboardName"])
                    yield CloudResource("aws_cloudwatch_dashboard", entry["DashboardName"], entry["DashboardArn"])


def _athena_workgroups(target: Target, account: str) -> Iterator[tuple[CloudResource, dict[str, str]]]:
    athena = target.client("athena")
    kwargs: dict[str, str] = {}
    while True:  # botocore has no paginator for ListWorkGroups
        page = athena.list_work_groups(**kwargs)
        for wg in page["WorkGroups"]:
            arn = f"arn:aws:athena:{target.region}:{account}:workgroup/{wg['Name']}"
            tags = _tags_from_list(athena.list_tags_for_resource(ResourceARN=arn).get("Tags", []))
            yield CloudResource("aws_athena_workgroup", wg["Name"], arn), tags
        if not page.get("NextToken"):
            return
        kwargs = {"NextToken": page["NextToken"]}


def tagged_resources(target: Target, stack_id: str, project: str = DEFAULT_PROJECT) -> list[CloudResource]:
    """Every resource of the covered kinds whose ``stack_id`` tag equals this stack's id.

    Plus the dashboards named ``<project>-<stack_id>-...`` (untaggable, see the module doc).
    """
    account = target.client("sts").get_caller_identity()["Account"]
    listers: list[Callable[[], Iterator[tuple[CloudResource, dict[str, str]]]]] = [
        lambda: _s3_buckets(target),
        lambda: _glue(target, account),
        lambda: _iam_roles(target),
        lambda: _sns_topics(target),
        lambda: _athena_workgroups(target, account),
        lambda: _budgets(target, account),
        lambda: _cloudwatch_alarms(target),
    ]
    found = [res for lister in listers for res, tags in lister() if tags.get(STACK_TAG) == stack_id]
    found.extend(_dashboards_named(target, f"{project}-{stack_id}-"))
    return sorted(found)


#: Which state attribute names a resource the way the account listing above does.
_STATE_NAME: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "aws_s3_bucket": lambda v: v["bucket"],
    "aws_glue_catalog_database": lambda v: v["name"],
    "aws_glue_catalog_table": lambda v: f"{v['database_name']}.{v['name']}",
    "aws_iam_role": lambda v: v["name"],
    "aws_sns_topic": lambda v: v["name"],
    "aws_athena_workgroup": lambda v: v["name"],
    "aws_budgets_budget": lambda v: v["name"],
    "aws_cloudwatch_metric_alarm": lambda v: v["alarm_name"],
    "aws_cloudwatch_dashboard": lambda v: v["dashboard_name"],
}

COVERED_KINDS = tuple(_STATE_NAME)


def managed_resources(state_resources: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(kind, name) of every covered resource in Terraform state."""
    managed = set()
    for res in state_resources:
        namer = _STATE_NAME.get(res.get("type", ""))
        if namer is not None:
            managed.add((res["type"], namer(res.get("values", {}))))
    return managed
