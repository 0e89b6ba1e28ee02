"""@STACK-catalog attacked: a schedule that pauses the service hourly beside one that resumes it. Every pause is
undone by the next resume, so the service runs idle all month, yet "an enabled schedule pauses it at least hourly"
held (read through moto's EventBridge Scheduler and IAM)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.catalog.teams import read_codeowners
from lakehouse.checks.catalog import CatalogReadback, read_pauses, verdict
from lakehouse.config import project_root
from lakehouse.outcome import Outcome, Status
from lakehouse.target import Target

SERVICE = "arn:aws:apprunner:us-east-1:123456789012:service/lakehouse-lh-1-catalog/abc"
RUNNING = {"Status": "RUNNING", "ServiceArn": SERVICE, "ServiceName": "lakehouse-lh-1-catalog"}
SCHEDULER = "arn:aws:scheduler:::aws-sdk:apprunner:{}"


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    target = Target(name="aws", region="us-east-1")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    iam = target.client("iam")
    iam.create_role(RoleName="pause", AssumeRolePolicyDocument=json.dumps(trust))
    allow = {
        "Effect": "Allow",
        "Action": ["apprunner:PauseService", "apprunner:ResumeService"],
        "Resource": SERVICE,
    }
    policy = {"Version": "2012-10-17", "Statement": [allow]}
    iam.put_role_policy(RoleName="pause", PolicyName="pause", PolicyDocument=json.dumps(policy))
    _schedule(target, "lakehouse-lh-1-catalog-pause", "pauseService", "cron(0 * * * ? *)")
    yield target


def _schedule(
    target: Target, name: str, action: str, expression: str, state: str = "ENABLED", arn: str = SERVICE, **extra: Any
) -> None:
    target.client("scheduler").create_schedule(
        **extra,
        Name=name,
        State=state,
        ScheduleExpression=expression,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": SCHEDULER.format(action),
            "RoleArn": "arn:aws:iam::123456789012:role/pause",
            "Input": json.dumps({"ServiceArn": arn}),
        },
    )


def verdict_of(target: Target) -> Outcome:
    """The idle part as the check reads it: the schedules pausing (and, when it reads them, resuming) the service."""
    from lakehouse.checks import catalog

    read = CatalogReadback([], service_name="lakehouse-lh-1-catalog", service=RUNNING, catalog_url="http://c")
    read.served = []
    read.codeowners = read_codeowners(project_root())  # the repository's: no entity here for it to judge
    read.pauses = read_pauses(target, SERVICE)
    if hasattr(catalog, "read_resumes"):  # main's check reads none: the broken stack below passed there
        read.resumes = catalog.read_resumes(target, SERVICE)
    return verdict(read)


def test_a_schedule_resuming_the_service_after_each_pause_fails_naming_it(account: Target) -> None:
    _schedule(account, "warm-up", "resumeService", "cron(5 * * * ? *)")
    outcome = verdict_of(account)
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.details["problems"]["idle"] == [
        "App Runner service lakehouse-lh-1-catalog (RUNNING) is not paused when idle: schedule default/warm-up "
        "(cron(5 * * * ? *)) resumes it (resumeService), so it runs whether used or not after every pause (a RUNNING "
        "service bills its provisioned memory (None MB per instance) while idle)"
    ]


def test_a_disabled_resume_schedule_or_one_resuming_another_service_passes(account: Target) -> None:
    _schedule(account, "warm-up", "resumeService", "cron(5 * * * ? *)", state="DISABLED")
    _schedule(account, "other", "resumeService", "cron(5 * * * ? *)", arn=SERVICE + "-other")
    _schedule(account, "ended", "resumeService", "cron(5 * * * ? *)", EndDate=datetime(2026, 1, 1, tzinfo=UTC))
    outcome = verdict_of(account)
    assert outcome.status is Status.PASSED, outcome.reason
