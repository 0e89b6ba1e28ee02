"""EventBridge Scheduler schedules fire in the emulator: a universal App Runner target is called as its role.

The catalog's pause schedule (infra/catalog_service.tf) only pauses a resumed service if the schedule
fires; moto stores schedules and never fires them. Fires happen on the emulator's background thread, so
each outcome is awaited on a condition with a deadline.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import AwsClientFactory

DEADLINE_S = 20.0
PAUSE_TARGET = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"
SOURCE = {
    "ImageRepository": {
        "ImageIdentifier": "public.ecr.aws/example/catalog:1",
        "ImageRepositoryType": "ECR_PUBLIC",
        "ImageConfiguration": {"Port": "7007"},
    },
    "AutoDeploymentsEnabled": False,
}


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {DEADLINE_S} s: {what}")
        time.sleep(0.25)  # poll interval of a condition wait, not a synchronisation


def _role(iam: Any, name: str, trusted: str, allowed: str | None) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": trusted}, "Action": "sts:AssumeRole"}],
    }
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    if allowed:
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}]}
        iam.put_role_policy(RoleName=name, PolicyName="pause", PolicyDocument=json.dumps(policy))
    return arn


def _service(apprunner: Any, name: str) -> str:
    return str(apprunner.create_service(ServiceName=name, SourceConfiguration=SOURCE)["Service"]["ServiceArn"])


def _status(apprunner: Any, arn: str) -> str:
    return str(apprunner.describe_service(ServiceArn=arn)["Service"]["Status"])


def _at_soon(seconds: int = 2) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def _schedule(scheduler: Any, name: str, service_arn: str, role_arn: str, **extra: Any) -> None:
    scheduler.create_schedule(
        Name=name,
        ScheduleExpression=_at_soon(),
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": PAUSE_TARGET, "RoleArn": role_arn, "Input": json.dumps({"ServiceArn": service_arn})},
        **extra,
    )


def _metric_sum(cw: Any, name: str, group: str = "default") -> float:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace="AWS/Scheduler",
        MetricName=name,
        Dimensions=[{"Name": "ScheduleGroup", "Value": group}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(p["Sum"] for p in points))


def test_an_at_schedule_pauses_the_service_as_its_role_and_is_deleted(aws_client: AwsClientFactory) -> None:
    apprunner, iam, scheduler = aws_client("apprunner"), aws_client("iam"), aws_client("scheduler")
    tag = uuid.uuid4().hex[:8]
    service_arn = _service(apprunner, f"sched-ok-{tag}")
    role_arn = _role(iam, f"sched-ok-{tag}", "scheduler.amazonaws.com", "apprunner:PauseService")
    attempts_before = _metric_sum(aws_client("cloudwatch"), "InvocationAttemptCount")
    _schedule(scheduler, f"pause-ok-{tag}", service_arn, role_arn, ActionAfterCompletion="DELETE")
    assert _status(apprunner, service_arn) == "RUNNING"

    _until(lambda: _status(apprunner, service_arn) == "PAUSED", "the schedule paused the service")

    def deleted() -> bool:
        try:
            scheduler.get_schedule(Name=f"pause-ok-{tag}")
        except ClientError as err:
            return bool(err.response["Error"]["Code"] == "ResourceNotFoundException")
        return False

    _until(deleted, "the fired at() schedule with ActionAfterCompletion DELETE is deleted")
    cw = aws_client("cloudwatch")
    _until(lambda: _metric_sum(cw, "InvocationAttemptCount") >= attempts_before + 1, "an invocation attempt counted")


@pytest.mark.parametrize(
    ("case", "trusted", "allowed"),
    [
        ("no-permission", "scheduler.amazonaws.com", "apprunner:ResumeService"),
        ("not-trusted", "lambda.amazonaws.com", "apprunner:PauseService"),
    ],
)
def test_a_role_that_cannot_pause_leaves_the_service_running_and_counts_a_target_error(
    aws_client: AwsClientFactory, case: str, trusted: str, allowed: str
) -> None:
    apprunner, iam, scheduler, cw = (aws_client(s) for s in ("apprunner", "iam", "scheduler", "cloudwatch"))
    tag = uuid.uuid4().hex[:8]
    group = f"g-{case}-{tag}"
    scheduler.create_schedule_group(Name=group)
    service_arn = _service(apprunner, f"sched-{case}-{tag}")
    role_arn = _role(iam, f"sched-{case}-{tag}", trusted, allowed)
    _schedule(scheduler, f"pause-{case}-{tag}", service_arn, role_arn, GroupName=group)

    _until(lambda: _metric_sum(cw, "TargetErrorCount", group) >= 1, "a target error counted for the group")
    assert _status(apprunner, service_arn) == "RUNNING"
    assert _metric_sum(cw, "InvocationAttemptCount", group) == 1
    assert _metric_sum(cw, "InvocationDroppedCount", group) == 1
    # Without ActionAfterCompletion DELETE the fired at() schedule stays.
    assert scheduler.get_schedule(Name=f"pause-{case}-{tag}", GroupName=group)["Name"] == f"pause-{case}-{tag}"
