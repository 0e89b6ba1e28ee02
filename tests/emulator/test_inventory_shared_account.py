"""Exit check 5 on a shared account: a healthy stack stays green next to a stack whose id extends its own.

On AWS a stack shares its account and region with other stacks of this harness and other projects.
A stack ``lh-1-x`` names everything ``lakehouse-lh-1-x-...``, which fits ``lh-1``'s prefix
``lakehouse-lh-1-`` too. Its tags say whose it is, but what the inventory finds through a *name*
inside something else has no tag to read: a rule (anyone's) targeting ``lh-1-x``'s topic, the metric
filter on App Runner's log group of ``lh-1-x``'s service, the key behind ``lh-1-x``'s KMS alias, the
Lake Formation location and grant of ``lh-1-x``'s bucket. Before, each of these was judged ``lh-1``'s
and unmanaged: the healthy ``lh-1`` failed exit check 5. Other teams' things (a crawler, a job and
trigger, saved queries in ``primary``, LF-Tags and tag grants on their own database, log groups,
rules) are not the stack's either.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from botocore.client import BaseClient

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import NAME_PREFIX, TAG, name_prefixes, stack_inventory
from lakehouse.inventory_kinds import OF_STACK_ALIAS, OF_STACK_RULE, ON_STACK_LOGS, USES_STACK
from lakehouse.outcome import Status
from lakehouse.target import Target, local_target
from lakehouse.terraform import PlanResult

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


class Account:
    """Clients of one emulated account; ``stack`` builds a stack's tagged core as Terraform would."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.region = target.region
        self.id = target.client("sts").get_caller_identity()["Account"]
        self.c = {s: target.client(s) for s in ("iam", "s3", "sns", "athena", "glue", "lakeformation")}

    def stack(self, stack: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
        """The stack's role, topic, bucket, workgroup and database (tagged), its lake location registered and
        granted to its role; and the Terraform state that holds them."""
        prefix, glue_prefix = name_prefixes(stack)
        tags = [{"Key": "stack_id", "Value": stack}]
        c = self.c
        role = c["iam"].create_role(RoleName=f"{prefix}-pipeline", AssumeRolePolicyDocument=TRUST, Tags=tags)["Role"]
        topic = c["sns"].create_topic(Name=f"{prefix}-alerts", Tags=tags)["TopicArn"]
        bucket = f"{prefix}-lake-{self.id}"
        c["s3"].create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        c["s3"].put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
        workgroup = f"{prefix}-analyst"
        c["athena"].create_work_group(Name=workgroup, Tags=tags)
        database = f"{glue_prefix}_gold"
        c["glue"].create_database(DatabaseInput={"Name": database}, Tags={"stack_id": stack})
        c["lakeformation"].revoke_permissions(  # as the root's settings leave a stack database
            Principal={"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
            Resource={"Database": {"Name": database}},
            Permissions=["ALL"],
        )
        location = f"arn:aws:s3:::{bucket}"
        c["lakeformation"].register_resource(ResourceArn=location, RoleArn=role["Arn"])
        c["lakeformation"].grant_permissions(
            Principal={"DataLakePrincipalIdentifier": role["Arn"]},
            Resource={"DataLocation": {"ResourceArn": location}},
            Permissions=["DATA_LOCATION_ACCESS"],
        )
        at = f"{self.region}:{self.id}"
        state: list[dict[str, Any]] = [
            {"type": "aws_iam_role", "values": {"name": role["RoleName"], "arn": role["Arn"]}},
            {"type": "aws_sns_topic", "values": {"arn": topic}},
            {"type": "aws_s3_bucket", "values": {"bucket": bucket}},
            {"type": "aws_athena_workgroup", "values": {"arn": f"arn:aws:athena:{at}:workgroup/{workgroup}"}},
            {"type": "aws_glue_catalog_database", "values": {"arn": f"arn:aws:glue:{at}:database/{database}"}},
            {"type": "aws_lakeformation_resource", "values": {"arn": location}},
            {
                "type": "aws_lakeformation_permissions",
                "values": {
                    "principal": role["Arn"],
                    "permissions": ["DATA_LOCATION_ACCESS"],
                    "data_location": [{"arn": location}],
                },
            },
        ]
        return {"role": role["Arn"], "topic": topic, "bucket": bucket, "database": database}, state


def test_a_healthy_stack_next_to_a_stack_extending_its_id_and_other_teams_passes_check_5(
    emulator: EmulatorHandle,
) -> None:
    target = local_target(emulator.endpoint)
    account = Account(target)
    stack = f"lh-{uuid.uuid4().hex[:6]}"
    other = f"{stack}-x"
    _, state = account.stack(stack)
    theirs, _ = account.stack(other)
    their_prefix, their_glue = name_prefixes(other)

    # The extending stack's own things, found through a name inside them (no tag to read).
    events, logs, kms = target.client("events"), target.client("logs"), target.client("kms")
    events.put_rule(
        Name=f"{their_prefix}-alarms",
        EventPattern=json.dumps({"source": ["aws.cloudwatch"]}),
        Tags=[{"Key": "stack_id", "Value": other}],  # as its root's default_tags put it
    )
    events.put_targets(Rule=f"{their_prefix}-alarms", Targets=[{"Id": "t", "Arn": theirs["topic"]}])
    events.put_rule(Name="team-forwarder", ScheduleExpression="rate(1 hour)")  # a team's rule to their topic
    events.put_targets(Rule="team-forwarder", Targets=[{"Id": "t", "Arn": theirs["topic"]}])
    service_logs = f"/aws/apprunner/{their_prefix}-catalog/0123/application"
    logs.create_log_group(logGroupName=service_logs)
    metric = [{"metricName": "errors", "metricNamespace": "x", "metricValue": "1"}]
    logs.put_metric_filter(
        logGroupName=service_logs, filterName="errors", filterPattern="ERROR", metricTransformations=metric
    )
    logs.create_log_group(logGroupName=f"/{their_prefix}/pipeline", tags={"stack_id": other})
    key = kms.create_key(Description="theirs", Tags=[{"TagKey": "stack_id", "TagValue": other}])["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{their_prefix}-data", TargetKeyId=key["KeyId"])
    athena, glue, lf = account.c["athena"], account.c["glue"], account.c["lakeformation"]
    athena.create_named_query(Name=f"{their_prefix}-adhoc", Database=theirs["database"], QueryString="SELECT 1")
    glue.create_crawler(
        Name=f"{their_glue}_crawl",
        Role=theirs["role"],
        DatabaseName=theirs["database"],
        Targets={"S3Targets": [{"Path": f"s3://{theirs['bucket']}/x"}]},
        Tags={"stack_id": other},
    )
    # Another team's: AWS's primary workgroup full of saved queries, a crawler, job and trigger, LF-Tags.
    for i in range(30):
        athena.create_named_query(Name=f"saved-{i}", Database="default", QueryString=f"SELECT {i}")
    glue.create_job(
        Name="team-job", Role="arn:aws:iam::1:role/x", Command={"Name": "glueetl", "ScriptLocation": "s3://o/a.py"}
    )
    glue.create_trigger(Name="team-trigger", Type="ON_DEMAND", Actions=[{"JobName": "team-job"}])
    logs.create_log_group(logGroupName="/team/app")
    team_db = f"finance_{uuid.uuid4().hex[:6]}"
    glue.create_database(DatabaseInput={"Name": team_db})
    tag_key = f"team_{uuid.uuid4().hex[:6]}"
    lf.create_lf_tag(TagKey=tag_key, TagValues=["finance", "open"])
    lf.add_lf_tags_to_resource(
        Resource={"Database": {"Name": team_db}}, LFTags=[{"TagKey": tag_key, "TagValues": ["finance"]}]
    )
    lf.grant_permissions(
        Principal={"DataLakePrincipalIdentifier": "arn:aws:iam::999999999999:root"},
        Resource={"LFTagPolicy": {"ResourceType": "TABLE", "Expression": [{"TagKey": tag_key, "TagValues": ["*"]}]}},
        Permissions=["SELECT"],
    )

    inv = stack_inventory(target, stack)

    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.PASSED, result.reason
    assert not [r for r in inv.resources if their_prefix in r.name or their_prefix in r.key], inv.resources
    assert not [g for g in inv.grants if their_prefix in g.principal or their_prefix in g.resource], inv.grants

    # The extending stack's inventory still finds what is its own (the names are not lost, only placed).
    mine = {(r.kind, r.name): r.found_by for r in stack_inventory(target, other).resources}
    rule = f"{their_prefix}-alarms"
    assert mine[("aws_cloudwatch_event_rule", rule)] == (
        TAG,
        NAME_PREFIX,
        f"{USES_STACK}: target {theirs['topic']}",
    )
    assert mine[("aws_cloudwatch_event_target", f"t of rule {rule} -> {theirs['topic']}")] == (OF_STACK_RULE,)
    assert mine[("aws_cloudwatch_log_metric_filter", f"errors on {service_logs}")] == (ON_STACK_LOGS,)
    assert mine[("aws_kms_key", f"{key['KeyId']} (alias/{their_prefix}-data)")] == (OF_STACK_ALIAS,)


def test_thousands_of_saved_queries_in_primary_cost_one_call_per_fifty(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``primary`` collects every team's saved queries: reading each (GetNamedQuery) cost one call per query,
    minutes of throttled calls on a busy account; BatchGetNamedQuery reads 50 at a time."""
    region = "eu-south-1"  # a region of its own: the count is of this test's queries only
    target = local_target(emulator.endpoint, region=region)
    athena = target.client("athena")
    stack = f"lh-{uuid.uuid4().hex[:6]}"
    prefix, _ = name_prefixes(stack)
    saved = [
        athena.create_named_query(Name=f"team-{i}", Database="default", QueryString="SELECT 1") for i in range(120)
    ]
    ours = athena.create_named_query(Name=f"{prefix}-adhoc", Database="default", QueryString="SELECT 2")
    calls: Counter[str] = Counter()
    make_call = BaseClient._make_api_call

    def counted(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.region_name == region:
            calls[f"{client.meta.service_model.service_name} {operation}"] += 1
        return make_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    inv = stack_inventory(target, stack)

    assert not inv.unreadable, inv.unreadable
    assert [r.key for r in inv.of_kind("aws_athena_named_query")] == [ours["NamedQueryId"]]
    assert calls["athena BatchGetNamedQuery"] == 3 and calls["athena GetNamedQuery"] == 0, calls  # 121 queries
    missing = athena.batch_get_named_query(NamedQueryIds=[saved[0]["NamedQueryId"], "gone"])
    assert [q["Name"] for q in missing["NamedQueries"]] == ["team-0"]
    assert [u["NamedQueryId"] for u in missing["UnprocessedNamedQueryIds"]] == ["gone"]
