"""@STACK-catalog idle: a schedule in another region than the App Runner service does not pause it.

EventBridge Scheduler's universal target ``arn:aws:scheduler:::aws-sdk:apprunner:pauseService`` names no region,
so it calls PauseService in the schedule's own region: a schedule in us-east-1 naming a service of eu-central-1
fails at every firing (ResourceNotFoundException) and the service runs idle. On main ``read_pauses`` read the
target's region unless told otherwise and ``judge_idle`` counted every schedule naming the service's ARN, so such
a schedule passed; the schedules now carry their region (their ARN's) and one elsewhere is refused naming both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from lakehouse.checks.catalog import PauseSchedule, judge_idle, read_pauses
from lakehouse.target import Target

NAME = "lakehouse-lh-1-catalog"
SERVICE_ARN = f"arn:aws:apprunner:eu-central-1:123456789012:service/{NAME}/abc"
SERVICE = {"ServiceName": NAME, "ServiceArn": SERVICE_ARN, "Status": "RUNNING"}
SERVICE["InstanceConfiguration"] = {"Memory": "512"}
PAUSE_TARGET = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    """A moto account whose harness region is us-east-1 (the service lives in eu-central-1)."""
    yield Target(name="aws", region="us-east-1")


def _role(target: Target) -> str:
    """A role Scheduler may assume, allowed apprunner:PauseService on the service."""
    iam = target.client("iam")
    assume = {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
    trust = {"Statement": [assume]}
    arn = str(iam.create_role(RoleName="pause", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    allow = {"Effect": "Allow", "Action": "apprunner:PauseService", "Resource": SERVICE_ARN}
    policy = {"Version": "2012-10-17", "Statement": [allow]}
    iam.put_role_policy(RoleName="pause", PolicyName="pause", PolicyDocument=json.dumps(policy))
    return arn


def _schedule(target: Target, region: str, role: str, name: str = "catalog-pause") -> None:
    """An enabled hourly schedule in ``region`` whose universal target pauses the eu-central-1 service."""
    target.client("scheduler", region=region).create_schedule(
        Name=name,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": PAUSE_TARGET, "RoleArn": role, "Input": json.dumps({"ServiceArn": SERVICE_ARN})},
    )


def test_a_schedule_in_the_harness_region_does_not_pause_a_service_of_another_region(account: Target) -> None:
    """main: read in the target's region (us-east-1), the schedule was found and the service judged paused."""
    _schedule(account, "us-east-1", _role(account))
    [problem] = judge_idle(NAME, SERVICE, read_pauses(account, SERVICE_ARN), 1)
    assert problem.startswith(f"App Runner service {NAME} (RUNNING) has no schedule that pauses it")


def test_a_schedule_in_another_region_of_the_stack_is_named_with_both_regions(account: Target) -> None:
    _schedule(account, "us-east-1", _role(account))
    pauses = read_pauses(account, SERVICE_ARN, "eu-central-1", ("eu-central-1", "us-east-1"))
    assert [(p.name, p.region) for p in pauses] == [("default/catalog-pause", "us-east-1")]
    assert judge_idle(NAME, SERVICE, pauses, 1) == [
        f"App Runner service {NAME} (RUNNING) is not paused when idle: schedule default/catalog-pause in us-east-1: "
        "its universal target calls pauseService in its own region us-east-1, not in eu-central-1 where the service "
        "is (App Runner there answers ResourceNotFoundException) (a RUNNING service bills its provisioned memory "
        "(512 MB per instance) while idle)"
    ]


def test_a_schedule_in_the_services_region_pauses_it(account: Target) -> None:
    """The healthy twin (green on main too): the same schedule made in eu-central-1, read there."""
    _schedule(account, "eu-central-1", _role(account))
    pauses = read_pauses(account, SERVICE_ARN, "eu-central-1")
    assert [p.name for p in pauses] == ["default/catalog-pause"]
    assert judge_idle(NAME, SERVICE, pauses, 1) == []


def test_the_services_region_is_read_whatever_else_is(account: Target) -> None:
    """Read by the service's ARN alone or with the stack's other regions, the eu-central-1 schedule pauses it; a
    same-named one in us-east-1 beside it changes nothing (one working schedule is enough, and it is not merged
    with the other: schedule names are unique per region only)."""
    role = _role(account)
    _schedule(account, "eu-central-1", role)
    for pauses in (read_pauses(account, SERVICE_ARN), read_pauses(account, SERVICE_ARN, None, ("us-east-1",))):
        assert [(p.name, p.region) for p in pauses] == [("default/catalog-pause", "eu-central-1")]
        assert judge_idle(NAME, SERVICE, pauses, 1) == []
    _schedule(account, "us-east-1", role)  # the same name in another region is another schedule
    pauses = read_pauses(account, SERVICE_ARN, None, ("us-east-1",))
    assert [(p.name, p.region) for p in pauses] == [
        ("default/catalog-pause", "eu-central-1"),
        ("default/catalog-pause", "us-east-1"),
    ]
    assert judge_idle(NAME, SERVICE, pauses, 1) == []


def test_the_judgement_refuses_a_schedule_of_another_region_than_the_services_arn() -> None:
    pause = PauseSchedule("default/p", "ENABLED", "rate(1 hour)", "arn:aws:iam::123456789012:role/p", True)
    assert judge_idle(NAME, SERVICE, [pause], 1) == []  # region unknown: read in the service's region
    assert judge_idle(NAME, SERVICE, [replace(pause, region="eu-central-1")], 1) == []
    [problem] = judge_idle(NAME, SERVICE, [replace(pause, region="us-east-1")], 1)
    assert (
        "schedule default/p in us-east-1: its universal target calls pauseService in its own region us-east-1, "
        "not in eu-central-1 where the service is" in problem
    )
