"""@STACK-catalog's idle part read back: the schedules pausing the service, found by their target, and their roles."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lakehouse.checks.catalog import PauseSchedule, read_pauses
from lakehouse.target import Target

SERVICE = "arn:aws:apprunner:us-east-1:123456789012:service/lakehouse-lh-1-catalog/abc"
PAUSE_TARGET = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield Target(name="aws", region="us-east-1")


def _role(target: Target, name: str, resource: str) -> str:
    iam = target.client("iam")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    statement = {"Effect": "Allow", "Action": "apprunner:PauseService", "Resource": resource}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    iam.put_role_policy(RoleName=name, PolicyName="pause", PolicyDocument=json.dumps(policy))
    return arn


def _schedule(target: Target, name: str, role: str, service: str, arn: str = PAUSE_TARGET, **extra: str) -> None:
    target.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": role, "Input": json.dumps({"ServiceArn": service})},
        **extra,
    )


def test_the_schedules_pausing_the_service_are_found_by_their_target_with_their_roles(account: Target) -> None:
    allowed = _role(account, "pause-ok", SERVICE)
    elsewhere = _role(account, "pause-elsewhere", SERVICE + "-other")
    _schedule(account, "b-pause", allowed, SERVICE, State="DISABLED")
    _schedule(account, "a-pause", elsewhere, SERVICE)
    _schedule(account, "another-service", allowed, SERVICE + "-other")
    _schedule(account, "resume-not-pause", allowed, SERVICE, arn="arn:aws:scheduler:::aws-sdk:apprunner:resumeService")
    _schedule(account, "role-gone", "arn:aws:iam::123456789012:role/gone", SERVICE)
    assert read_pauses(account, SERVICE) == [
        PauseSchedule("default/a-pause", "ENABLED", "rate(1 hour)", elsewhere, False),
        PauseSchedule("default/b-pause", "DISABLED", "rate(1 hour)", allowed, True),
        PauseSchedule("default/role-gone", "ENABLED", "rate(1 hour)", "arn:aws:iam::123456789012:role/gone", None),
    ]


def test_no_schedule_is_none_found(account: Target) -> None:
    assert read_pauses(account, SERVICE) == []
