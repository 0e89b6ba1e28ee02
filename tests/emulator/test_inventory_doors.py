"""Exit check 5 finds hand-made doors onto the stack: Athena data catalogs, Glue connections and workflows,
CloudWatch Logs resource policies and EventBridge archives.

Before, no listing read these kinds, and the untagged ones (log policies and archives take no tags at all) passed
"nothing of the stack lives outside Terraform": a federated catalog named for the stack running a function over
the lake, a Logs policy letting a service write into the stack's logs, an archive keeping (and replaying) the stack
bus's alerts. Each is made in the real emulator; the check must fail naming each and why it is the stack's, and
pass once state holds them. Others' (a policy over every log group, a catalog of another team's function, an archive
of the default bus) are not judged.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.inventory_kinds import USES_STACK
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult

REGION = "ap-south-1"  # a region of its own: Logs keeps at most 10 resource policies a region


def _logs_policy(resource: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": resource,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_hand_made_doors_onto_the_stack_fail_check_5_naming_each(emulator: EmulatorHandle) -> None:
    stack = f"doors-{uuid.uuid4().hex[:6]}"
    prefix, glue_prefix = name_prefixes(stack)
    target = local_target(emulator.endpoint, REGION)
    account = target.client("sts").get_caller_identity()["Account"]
    tag = [{"Key": "stack_id", "Value": stack}]
    athena, glue = target.client("athena"), target.client("glue")
    logs, events = target.client("logs"), target.client("events")

    # The healthy part of the stack: a tagged log group and a tagged bus named by a person.
    own_logs = f"/{prefix}/pipeline"
    logs.create_log_group(logGroupName=own_logs, tags={"stack_id": stack})
    bus_arn = events.create_event_bus(Name=f"alerts-{uuid.uuid4().hex[:6]}", Tags=tag)["EventBusArn"]
    logs_arn = f"arn:aws:logs:{REGION}:{account}:log-group"
    state: list[dict[str, Any]] = [
        {"type": "aws_cloudwatch_log_group", "values": {"arn": f"{logs_arn}:{own_logs}"}},
        {"type": "aws_cloudwatch_event_bus", "values": {"arn": bus_arn}},
    ]
    state_json = json.dumps(state)

    # Made by hand.
    stack_fn = f"arn:aws:lambda:{REGION}:{account}:function:{prefix}-reader"
    other_fn = f"arn:aws:lambda:{REGION}:{account}:function:team-reader"
    athena.create_data_catalog(Name=f"{prefix}-fed", Type="LAMBDA", Parameters={"function": other_fn})
    athena.create_data_catalog(
        Name="lake-side", Type="LAMBDA", Parameters={"metadata-function": stack_fn, "record-function": stack_fn}
    )
    athena.create_data_catalog(Name="team-catalog", Type="LAMBDA", Parameters={"function": other_fn})
    jdbc = {"JDBC_CONNECTION_URL": "jdbc:postgresql://db.example:5432/x", "USERNAME": "u", "PASSWORD": "p"}
    for name in (f"{glue_prefix}_jdbc", "team-jdbc"):
        glue.create_connection(ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": jdbc})
    glue.create_connection(  # tagged only: its name is a person's
        ConnectionInput={"Name": f"net-{stack}", "ConnectionType": "NETWORK", "ConnectionProperties": {}},
        Tags={"stack_id": stack},
    )
    glue.create_workflow(Name=f"{prefix}-nightly")
    glue.create_workflow(Name=f"team-flow-{stack}")
    logs.put_resource_policy(policyName=f"{prefix}-delivery", policyDocument=_logs_policy("*"))
    logs.put_resource_policy(policyName=f"into-{stack}", policyDocument=_logs_policy(f"{logs_arn}:{own_logs}:*"))
    logs.put_resource_policy(  # AWS's own group for a stack endpoint, by a path segment
        policyName=f"endpoint-{stack}",
        policyDocument=_logs_policy(f"{logs_arn}:/aws/sagemaker/Endpoints/{prefix}-endpoint:*"),
    )
    logs.put_resource_policy(policyName=f"every-{stack}", policyDocument=_logs_policy(f"{logs_arn}:*"))
    logs.put_resource_policy(policyName=f"team-{stack}", policyDocument=_logs_policy(f"{logs_arn}:/team/*"))
    default_bus = f"arn:aws:events:{REGION}:{account}:event-bus/default"
    events.create_archive(ArchiveName=f"{prefix}-replay", EventSourceArn=default_bus)
    events.create_archive(ArchiveName=f"keep-{stack}", EventSourceArn=bus_arn)
    events.create_archive(ArchiveName=f"team-{stack}", EventSourceArn=default_bus)

    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), json.loads(state_json), inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    glue_arn = f"arn:aws:glue:{REGION}:{account}"
    expected = [
        f"aws_athena_data_catalog {prefix}-fed (LAMBDA) ({REGION}, found by name prefix)",
        f"aws_athena_data_catalog lake-side (LAMBDA) ({REGION}, found by {USES_STACK}: metadata-function {stack_fn}"
        f" + {USES_STACK}: record-function {stack_fn})",
        f"aws_glue_connection {glue_prefix}_jdbc ({REGION}, found by name prefix)",
        f"aws_glue_connection net-{stack} ({REGION}, found by tag)",
        f"aws_glue_workflow {prefix}-nightly ({REGION}, found by name prefix)",
        f"aws_cloudwatch_log_resource_policy {prefix}-delivery ({REGION}, found by name prefix)",
        f"aws_cloudwatch_log_resource_policy into-{stack} ({REGION}, found by {USES_STACK}: log group {own_logs})",
        f"aws_cloudwatch_log_resource_policy endpoint-{stack} ({REGION}, found by {USES_STACK}: log group "
        f"/aws/sagemaker/Endpoints/{prefix}-endpoint)",
        f"aws_cloudwatch_event_archive {prefix}-replay of {default_bus} ({REGION}, found by name prefix)",
        f"aws_cloudwatch_event_archive keep-{stack} of {bus_arn} ({REGION}, found by {USES_STACK}: bus {bus_arn})",
    ]
    missing = [e for e in expected if e not in reason]
    assert not missing, (missing, reason)
    for other in ("team-catalog", "team-jdbc", f"team-flow-{stack}", f"every-{stack}", f"team-{stack}"):
        assert other not in reason, (other, reason)
    assert "AwsDataCatalog" not in reason
    assert f"connection/net-{stack}" not in reason  # the sweep's name for it: listed once, by its kind

    # Once Terraform state holds each (by the keys its resource types keep), nothing is unmanaged.
    state += [
        {"type": "aws_athena_data_catalog", "values": {"arn": f"arn:aws:athena:{REGION}:{account}:datacatalog/{n}"}}
        for n in (f"{prefix}-fed", "lake-side")
    ]
    state += [
        {"type": "aws_glue_connection", "values": {"arn": f"{glue_arn}:connection/{n}"}}
        for n in (f"{glue_prefix}_jdbc", f"net-{stack}")
    ]
    state.append({"type": "aws_glue_workflow", "values": {"arn": f"{glue_arn}:workflow/{prefix}-nightly"}})
    state += [
        {"type": "aws_cloudwatch_log_resource_policy", "values": {"policy_name": n}}
        for n in (f"{prefix}-delivery", f"into-{stack}", f"endpoint-{stack}")
    ]
    state += [
        {"type": "aws_cloudwatch_event_archive", "values": {"arn": f"arn:aws:events:{REGION}:{account}:archive/{n}"}}
        for n in (f"{prefix}-replay", f"keep-{stack}")
    ]
    passed = judge_iac(PlanResult(0), state, inv, set())
    assert passed.status is Status.PASSED, passed.reason
