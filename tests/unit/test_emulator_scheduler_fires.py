"""The emulator firing Scheduler schedules (extensions.scheduler), in-process with moto and a chosen clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakehouse.emulator.extensions import scheduler as fires
from lakehouse.emulator.extensions.apprunner import apprunner_backends

REGION = "us-east-1"
ACCOUNT = "123456789012"
PAUSE_TARGET = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"


@pytest.fixture
def aws(moto_aws: None) -> Iterator[dict[str, Any]]:
    import boto3

    yield {s: boto3.client(s, region_name=REGION) for s in ("iam", "scheduler", "cloudwatch")}


def _service(name: str) -> str:
    source = {"ImageRepository": {"ImageIdentifier": "x", "ImageRepositoryType": "ECR_PUBLIC"}}
    created = apprunner_backends[ACCOUNT][REGION].create_service({"ServiceName": name, "SourceConfiguration": source})
    return str(created["ServiceArn"])


def _status(arn: str) -> str:
    return str(apprunner_backends[ACCOUNT][REGION].describe_service(arn)["Status"])


def _role(iam: Any, name: str, action: str = "apprunner:PauseService", resource: str = "*", trusted: str = "") -> str:
    principal = {"Service": trusted or "scheduler.amazonaws.com"}
    trust = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return arn


def _schedule(
    aws: dict[str, Any], name: str, role: str, service: str, target: str = PAUSE_TARGET, **extra: Any
) -> float:
    """Create a schedule; the epoch second it was created (the clock's origin for the test)."""
    aws["scheduler"].create_schedule(
        Name=name,
        ScheduleExpression=extra.pop("expression", "rate(1 minute)"),
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": target, "RoleArn": role, "Input": json.dumps({"ServiceArn": service})},
        **extra,
    )
    return float(aws["scheduler"].get_schedule(Name=name)["CreationDate"].timestamp())


def _tick(now: float) -> list[fires.Invocation]:
    from moto.scheduler.models import scheduler_backends

    return fires.evaluate_backend(scheduler_backends[ACCOUNT][REGION], now)


def _sum(cw: Any, metric: str) -> float:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace="AWS/Scheduler",
        MetricName=metric,
        Dimensions=[{"Name": "ScheduleGroup", "Value": "default"}],
        StartTime=now - timedelta(days=1),
        EndTime=now + timedelta(days=1),
        Period=86400,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(p["Sum"] for p in points))


def test_rate_schedule_pauses_the_service_at_its_fire_time_and_not_before(aws: dict[str, Any]) -> None:
    service = _service("rate-ok")
    created = _schedule(aws, "pause", _role(aws["iam"], "ok"), service)
    assert _tick(created + 30) == []
    assert _status(service) == "RUNNING"
    [outcome] = _tick(created + 61)
    assert outcome.error == ""
    assert _status(service) == "PAUSED"
    assert _sum(aws["cloudwatch"], "InvocationAttemptCount") == 1
    assert _sum(aws["cloudwatch"], "TargetErrorCount") == 0
    # The next fire finds it paused: App Runner refuses, a target error as on AWS.
    [again] = _tick(created + 125)
    assert "InvalidState" in again.error or "PAUSED" in again.error
    assert _sum(aws["cloudwatch"], "TargetErrorCount") == 1
    assert _sum(aws["cloudwatch"], "InvocationDroppedCount") == 1


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("no-permission", "is not authorized to perform: apprunner:PauseService"),
        ("other-resource", "is not authorized to perform: apprunner:PauseService"),
        ("not-trusted", "does not trust scheduler.amazonaws.com"),
        ("no-role", "does not exist"),
        ("unsupported-action", "apprunner:deleteService is unsupported"),
        ("not-universal", "is unsupported by the emulator"),
    ],
)
def test_an_invocation_that_cannot_pause_fails_saying_why(aws: dict[str, Any], case: str, why: str) -> None:
    service = _service(f"svc-{case}")
    iam = aws["iam"]
    role = {
        "no-permission": lambda: _role(iam, case, action="apprunner:ResumeService"),
        "other-resource": lambda: _role(iam, case, resource=service + "-other"),
        "not-trusted": lambda: _role(iam, case, trusted="lambda.amazonaws.com"),
        "no-role": lambda: f"arn:aws:iam::{ACCOUNT}:role/absent",
    }.get(case, lambda: _role(iam, case))()
    target = {
        "unsupported-action": "arn:aws:scheduler:::aws-sdk:apprunner:deleteService",
        "not-universal": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f",
    }.get(case, PAUSE_TARGET)
    created = _schedule(aws, f"s-{case}", role, service, target=target)
    [outcome] = _tick(created + 61)
    assert why in outcome.error
    assert _status(service) == "RUNNING"
    assert _sum(aws["cloudwatch"], "TargetErrorCount") == 1


def test_a_role_scoped_to_the_service_pauses_it(aws: dict[str, Any]) -> None:
    service = _service("scoped")
    created = _schedule(aws, "scoped", _role(aws["iam"], "scoped", resource=service), service)
    [outcome] = _tick(created + 60)
    assert outcome.error == ""
    assert _status(service) == "PAUSED"


def test_disabled_schedule_does_not_fire_and_at_schedule_is_deleted_after_firing(aws: dict[str, Any]) -> None:
    service = _service("at")
    role = _role(aws["iam"], "at")
    created = _schedule(aws, "off", role, service, State="DISABLED")
    assert _tick(created + 3600) == []
    when = datetime.fromtimestamp(created, UTC).replace(microsecond=0) + timedelta(seconds=5)
    expression = f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})"
    _schedule(aws, "once", role, service, expression=expression, ActionAfterCompletion="DELETE")
    _schedule(aws, "kept", role, service, expression=expression)
    outcomes = _tick(when.timestamp())
    assert len(outcomes) == 2  # both at() schedules fired once, the disabled one not
    names = [s["Name"] for s in aws["scheduler"].list_schedules()["Schedules"]]
    assert "once" not in names
    assert {"off", "kept"} <= set(names)
    assert _tick(when.timestamp() + 3600) == []
