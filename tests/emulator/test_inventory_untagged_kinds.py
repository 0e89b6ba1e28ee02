"""Exit check 5 finds untagged kinds made by hand: named queries and prepared statements, Glue
crawlers/jobs/triggers, EventBridge rules and targets, log groups and their filters, KMS aliases and keys.

Before, the inventory never listed these kinds, and the tagging sweep sees only tagged things: a
crawler writing into a stack database as the stack's role, a rule forwarding the stack's alarms to
another account, a subscription filter shipping the stack's logs away, all made untagged by a
learner's script, passed "nothing of the stack lives outside Terraform". Here each is made in the
real emulator; the check must fail naming each one and why it is the stack's, and pass once state
holds them. AWS's own things (the ``primary`` workgroup's other queries, the default bus, a service's
log group) are not judged.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.inventory_kinds import IN_STACK_WORKGROUP, OF_STACK_ALIAS, OF_STACK_RULE, ON_STACK_LOGS, USES_STACK
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult

OUTSIDE_BUS = "arn:aws:events:ap-northeast-1:999999999999:event-bus/default"


def test_hand_made_untagged_kinds_of_the_stack_fail_check_5_naming_each(emulator: EmulatorHandle) -> None:
    stack = f"kinds-{uuid.uuid4().hex[:6]}"
    prefix, glue_prefix = name_prefixes(stack)
    tag = {"stack_id": stack}
    target = local_target(emulator.endpoint)
    region = target.region
    account = target.client("sts").get_caller_identity()["Account"]

    # The healthy part of the stack: what Terraform made (tagged, named like the stack).
    athena, glue, iam = target.client("athena"), target.client("glue"), target.client("iam")
    workgroup = f"{prefix}-analyst"
    athena.create_work_group(Name=workgroup, Tags=[{"Key": "stack_id", "Value": stack}])
    database = f"{glue_prefix}_silver"
    glue.create_database(DatabaseInput={"Name": database}, Tags=tag)
    target.client("lakeformation").revoke_permissions(  # as the root's settings leave a stack database
        Principal={"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
        Resource={"Database": {"Name": database}},
        Permissions=["ALL"],
    )
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    role_arn = iam.create_role(
        RoleName=f"{prefix}-pipeline", AssumeRolePolicyDocument=trust, Tags=[{"Key": "stack_id", "Value": stack}]
    )["Role"]["Arn"]
    topic_arn = target.client("sns").create_topic(Name=f"{prefix}-alerts", Tags=[{"Key": "stack_id", "Value": stack}])[
        "TopicArn"
    ]
    bucket = f"{prefix}-bronze-{account}"
    target.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    target.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "stack_id", "Value": stack}]})
    state: list[dict[str, Any]] = [
        {"type": "aws_athena_workgroup", "values": {"arn": f"arn:aws:athena:{region}:{account}:workgroup/{workgroup}"}},
        {
            "type": "aws_glue_catalog_database",
            "values": {"arn": f"arn:aws:glue:{region}:{account}:database/{database}"},
        },
        {"type": "aws_iam_role", "values": {"name": f"{prefix}-pipeline", "arn": role_arn}},
        {"type": "aws_sns_topic", "values": {"arn": topic_arn}},
        {"type": "aws_s3_bucket", "values": {"bucket": bucket}},
    ]

    # Made by hand, untagged.
    in_group = athena.create_named_query(Name="handy", Database=database, QueryString="SELECT 1", WorkGroup=workgroup)
    in_primary = athena.create_named_query(Name=f"{prefix}-adhoc", Database=database, QueryString="SELECT 2")
    athena.create_named_query(Name="team-query", Database="default", QueryString="SELECT 3")
    athena.create_prepared_statement(StatementName="peek", WorkGroup=workgroup, QueryStatement="SELECT ?")
    glue.create_crawler(
        Name="nightly-crawl",
        Role=role_arn,
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/x"}]},
    )
    glue.create_crawler(Name="other-crawl", Role="arn:aws:iam::1:role/x", Targets={"S3Targets": [{"Path": "s3://o/x"}]})
    glue.create_job(  # tagged too: found once, not again by the tagging sweep
        Name="export",
        Role=f"{prefix}-pipeline",
        Command={"Name": "glueetl", "ScriptLocation": "s3://o/a.py"},
        Tags=tag,
    )
    glue.create_trigger(Name="kick", Type="ON_DEMAND", Actions=[{"JobName": "export"}])
    events = target.client("events")
    events.put_rule(Name="forward-alarms", EventPattern=json.dumps({"source": ["aws.cloudwatch"]}))
    events.put_targets(
        Rule="forward-alarms", Targets=[{"Id": "topic", "Arn": topic_arn}, {"Id": "away", "Arn": OUTSIDE_BUS}]
    )
    events.put_rule(Name="someone-elses", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="someone-elses", Targets=[{"Id": "t", "Arn": OUTSIDE_BUS}])
    logs = target.client("logs")
    own_logs, service_logs = f"/{prefix}/pipeline", f"/aws/sagemaker/Endpoints/{prefix}-endpoint"
    logs.create_log_group(logGroupName=own_logs)
    logs.create_log_group(logGroupName=service_logs)
    logs.create_log_group(logGroupName="/team/other")
    transformation = [{"metricName": "errors", "metricNamespace": "hand", "metricValue": "1"}]
    logs.put_metric_filter(
        logGroupName=service_logs, filterName="errors", filterPattern="ERROR", metricTransformations=transformation
    )
    kms = target.client("kms")
    key = kms.create_key(Description="hand-made")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{prefix}-data", TargetKeyId=key["KeyId"])
    other_key = kms.create_key(Description="not ours")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/other-{stack}", TargetKeyId=other_key["KeyId"])

    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable

    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    expected = [
        f"aws_athena_named_query handy in workgroup {workgroup} ({region}, found by {IN_STACK_WORKGROUP})",
        f"aws_athena_named_query {prefix}-adhoc in workgroup primary ({region}, found by name prefix)",
        f"aws_athena_prepared_statement peek in workgroup {workgroup} ({region}, found by {IN_STACK_WORKGROUP})",
        f"aws_glue_crawler nightly-crawl ({region}, found by {USES_STACK}: bucket {bucket} + {USES_STACK}: database "
        f"{database} + {USES_STACK}: role {prefix}-pipeline)",
        f"aws_glue_job export ({region}, found by tag + {USES_STACK}: role {prefix}-pipeline)",
        f"aws_glue_trigger kick ({region}, found by {USES_STACK}: job export)",
        f"aws_cloudwatch_event_rule forward-alarms ({region}, found by {USES_STACK}: target {topic_arn})",
        f"aws_cloudwatch_event_target away of rule forward-alarms -> {OUTSIDE_BUS} "
        f"({region}, found by {OF_STACK_RULE})",
        f"aws_cloudwatch_event_target topic of rule forward-alarms -> {topic_arn} ({region}, found by {OF_STACK_RULE})",
        f"aws_cloudwatch_log_group {own_logs} ({region}, found by name prefix)",
        f"aws_cloudwatch_log_metric_filter errors on {service_logs} ({region}, found by {ON_STACK_LOGS})",
        f"aws_kms_alias alias/{prefix}-data ({region}, found by name prefix)",
        f"aws_kms_key {key['KeyId']} (alias/{prefix}-data) ({region}, found by {OF_STACK_ALIAS})",
    ]
    missing = [e for e in expected if e not in reason]
    assert not missing, (missing, reason)
    for other in ("team-query", "other-crawl", "someone-elses", "/team/other", other_key["KeyId"]):
        assert other not in reason, (other, reason)
    assert "aws_athena_workgroup primary" not in reason
    assert "glue:job export" not in reason  # the sweep's name for it: listed once
    assert f"aws_cloudwatch_log_group {service_logs}" not in reason  # AWS's own group; its filter is judged

    # Once Terraform state holds each (by the keys its resource types keep), nothing is unmanaged.
    rule_arn = f"arn:aws:events:{region}:{account}:rule/forward-alarms"
    glue_arn = f"arn:aws:glue:{region}:{account}"
    state += [
        {"type": "aws_athena_named_query", "values": {"id": in_group["NamedQueryId"]}},
        {"type": "aws_athena_named_query", "values": {"id": in_primary["NamedQueryId"]}},
        {"type": "aws_athena_prepared_statement", "values": {"name": "peek", "workgroup": workgroup}},
        {"type": "aws_glue_crawler", "values": {"arn": f"{glue_arn}:crawler/nightly-crawl"}},
        {"type": "aws_glue_job", "values": {"arn": f"{glue_arn}:job/export"}},
        {"type": "aws_glue_trigger", "values": {"arn": f"{glue_arn}:trigger/kick"}},
        {"type": "aws_cloudwatch_event_rule", "values": {"arn": rule_arn}},
        {"type": "aws_cloudwatch_event_target", "values": {"rule": "forward-alarms", "target_id": "topic"}},
        {
            "type": "aws_cloudwatch_event_target",
            "values": {"rule": "forward-alarms", "target_id": "away", "event_bus_name": "default"},
        },
        {
            "type": "aws_cloudwatch_log_group",
            "values": {"arn": f"arn:aws:logs:{region}:{account}:log-group:{own_logs}"},
        },
        {"type": "aws_cloudwatch_log_metric_filter", "values": {"name": "errors", "log_group_name": service_logs}},
        {"type": "aws_kms_alias", "values": {"name": f"alias/{prefix}-data"}},
        {"type": "aws_kms_key", "values": {"arn": key["Arn"]}},
    ]
    passed = judge_iac(PlanResult(0), state, inv, set())
    assert passed.status is Status.PASSED, passed.reason

    athena.delete_named_query(NamedQueryId=in_group["NamedQueryId"])  # the emulator deletes them as Athena does
    assert in_group["NamedQueryId"] not in athena.list_named_queries(WorkGroup=workgroup)["NamedQueryIds"]
