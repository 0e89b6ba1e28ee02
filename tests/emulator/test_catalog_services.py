"""@STACK-catalog's idle part for the whole stack: every App Runner service it runs, not only the catalog's.

App Runner cannot scale to zero and a RUNNING service bills its memory while idle. A stack whose catalog
service is paused hourly but which runs a second service (named with its prefix, or tagged with its id and
named otherwise) that nothing pauses bills all month: the check must name it. Services of other stacks, of
a stack extending this one's id, or of no stack are not this stack's (the healthy twin).
"""

from __future__ import annotations

import json

import pytest

from lakehouse.catalog.service import CatalogHandle
from lakehouse.checks.catalog import check_catalog
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.target import Target, local_target
from tests.emulator.test_catalog_readback import CATALOG, HOME, _stack

SOURCE = {"ImageRepository": {"ImageIdentifier": "public.ecr.aws/x/y:1", "ImageRepositoryType": "ECR_PUBLIC"}}


def _service(target: Target, name: str, stack_id: str | None = None) -> str:
    """A RUNNING App Runner service (tagged ``stack_id`` as default_tags would), its ARN."""
    tags = [{"Key": "stack_id", "Value": stack_id}] if stack_id else []
    made = target.client("apprunner").create_service(ServiceName=name, SourceConfiguration=SOURCE, Tags=tags)
    return str(made["Service"]["ServiceArn"])


def _pause_hourly(target: Target, name: str, arn: str) -> None:
    """What infra/catalog_service.tf makes for the catalog's service, for another one: a role allowed to pause it
    and an hourly schedule calling pauseService with its ARN."""
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    iam = target.client("iam")
    role = iam.create_role(RoleName=f"{name}-pause", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    statement = {"Effect": "Allow", "Action": ["apprunner:PauseService"], "Resource": [arn]}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="pause", PolicyDocument=json.dumps(policy))
    target.client("scheduler").create_schedule(
        Name=f"{name}-pause",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService",
            "RoleArn": role["Arn"],
            "Input": json.dumps({"ServiceArn": arn}),
        },
    )


def _check(emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle], stack_id: str) -> Outcome:
    catalog, lineage = services
    target = local_target(emulator.endpoint)
    return check_catalog(
        CATALOG, target, stack_id, {"lineage": lineage.url, "mlflow": lineage.url}, catalog.url, repository=HOME
    )


@pytest.mark.parametrize(
    ("stack_id", "second", "tag"),
    [("lh-svc-named", "lakehouse-lh-svc-named-preview", None), ("lh-svc-tagged", "catalog-preview", "lh-svc-tagged")],
    ids=["named-with-the-stacks-prefix", "tagged-with-the-stacks-id-named-otherwise"],
)
def test_a_second_service_of_the_stack_that_nothing_pauses_fails_naming_it(
    emulator: EmulatorHandle,
    services: tuple[CatalogHandle, LineageHandle],
    stack_id: str,
    second: str,
    tag: str | None,
) -> None:
    _stack(emulator, stack_id)  # the catalog's own service, paused hourly through an allowed role
    _service(local_target(emulator.endpoint), second, tag)
    outcome = _check(emulator, services, stack_id)
    assert outcome.status is Status.FAILED
    assert f"App Runner service {second} (RUNNING) has no schedule" in str(outcome.reason)
    assert outcome.details["problems"]["idle"] == [
        f"App Runner service {second} (RUNNING) has no schedule that pauses it: no EventBridge Scheduler schedule "
        "targets pauseService with its ARN (ListSchedules); App Runner has no auto-pause, and a RUNNING service "
        "bills its provisioned memory (2048 MB per instance) while idle"
    ]


def test_services_of_other_stacks_or_paused_by_the_stack_are_no_idle_cost(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """The healthy twin: a second service the stack pauses hourly, and services that are not the stack's."""
    stack_id = "lh-svc-ok"
    _stack(emulator, stack_id)
    target = local_target(emulator.endpoint)
    _pause_hourly(target, "lakehouse-lh-svc-ok-preview", _service(target, "lakehouse-lh-svc-ok-preview", stack_id))
    _service(target, "lakehouse-lh-svc-ok-x-catalog", "lh-svc-ok-x")  # a stack extending this one's id
    _service(target, "another-stacks-service", "lh-svc-other")
    _service(target, "no-stacks-service")
    outcome = _check(emulator, services, stack_id)
    assert outcome.details["problems"]["idle"] == []
    assert [o["name"] for o in outcome.details["other_services"]] == ["lakehouse-lh-svc-ok-preview"]
