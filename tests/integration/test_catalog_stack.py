"""@STACK-catalog against a real stack made by `lakehouse up` on the emulator, healthy and broken.

Broken as a person would break it (a catalog entity naming a bucket the stack lacks; the schedule that
pauses the App Runner service disabled through its API, so nothing pauses it when idle) and judged by the
real reader; each test repairs what it broke (the shared "stack" group).
Deleting a real resource is not done here: the emulator drops a Glue database's Lake Formation grants
with it, which no repair could restore for the next test (tests/emulator/test_catalog_readback.py
removes one resource of each kind on the bare emulator instead).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.catalog.model import CATALOG_FILE
from lakehouse.catalog.service import find_service, service_name
from lakehouse.checks.catalog import PauseSchedule, check_catalog, read_pauses
from lakehouse.outcome import Outcome, Status
from lakehouse.stack import Deployment
from tests.emulator.test_catalog_readback import HOME
from tests.integration.conftest import CATALOG_REPO, ROOT, UpStack, run_features

pytestmark = pytest.mark.xdist_group("stack")


def _check(deployed: Deployment, catalog: Path = ROOT / CATALOG_FILE) -> Outcome:
    record = deployed.record
    return check_catalog(
        catalog,
        deployed.stack.target,
        deployed.stack.stack_id,
        {"lineage": record.lineage_url, "mlflow": record.mlflow_url},
        record.catalog_url,
        state=deployed.stack.state(),
        repository=HOME,
    )


def _service(deployed: Deployment) -> dict[str, Any]:
    found = find_service(deployed.stack.target.client("apprunner"), service_name(deployed.stack.stack_id))
    assert found is not None
    return found


def _pauses(deployed: Deployment) -> list[PauseSchedule]:
    return read_pauses(deployed.stack.target, str(_service(deployed)["ServiceArn"]))


def test_make_up_prints_the_catalog_and_deploys_the_schedule_that_pauses_its_service(up_stack: UpStack) -> None:
    record = up_stack.deployment.record
    assert f"Backstage catalog API (catalog-info.yaml): {record.catalog_url}/api/catalog/entities" in up_stack.output
    [pause] = _pauses(up_stack.deployment)
    assert (pause.state, pause.expression, pause.role_allows) == ("ENABLED", "rate(1 hour)", True)


def test_healthy_stack_passes_the_catalog_scenario(deployed: Deployment, tmp_path: Path) -> None:
    run = run_features(tmp_path, "--deployed", "--stack-id", deployed.stack.stack_id, "-k", "catalog", *CATALOG_REPO)
    check = run.check("STACK-catalog")
    assert check["status"] == "passed", (check["reason"], run.output[-3000:])
    details = check["details"]
    assert [p["state"] for p in details["service"]["pause_schedules"]] == ["ENABLED"]
    assert {r["type"] for r in details["resources"] if r["exists"]} >= {
        "s3-bucket",
        "glue-database",
        "athena-workgroup",
        "apprunner-service",
        "lineage-service",
        "mlflow-service",
    }


def test_an_entity_naming_a_bucket_the_stack_lacks_fails(deployed: Deployment, tmp_path: Path) -> None:
    text = (ROOT / CATALOG_FILE).read_text(encoding="utf-8")
    stray = text.replace('"{project}-{stack_id}-gold-{account_id}"', '"{project}-{stack_id}-platinum-{account_id}"')
    catalog = tmp_path / CATALOG_FILE
    catalog.write_text(stray, encoding="utf-8")
    outcome = _check(deployed, catalog)
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    assert "resource:default/lakehouse-gold-bucket names s3-bucket 'lakehouse-" in outcome.reason
    assert "-platinum-" in outcome.reason and "which does not exist (S3 HeadBucket)" in outcome.reason


def test_a_catalog_changed_since_deploy_is_served_stale_and_fails(deployed: Deployment, tmp_path: Path) -> None:
    """The local catalog service serves the copy taken at deploy (as an App Runner image does): the repository's
    catalog-info.yaml changed since (here a copy of it) is not what the service answers. On main the service read
    the live file, and a description differing was no difference."""
    text = (ROOT / CATALOG_FILE).read_text(encoding="utf-8")
    assert "title: Verification harness" in text
    catalog = tmp_path / CATALOG_FILE
    catalog.write_text(text.replace("title: Verification harness", "title: Harness v2"), encoding="utf-8")
    outcome = _check(deployed, catalog)
    assert outcome.status is Status.FAILED
    [stale] = outcome.details["problems"]["served"]
    assert "serves component:default/lakehouse-harness unlike catalog-info.yaml" in stale
    assert "metadata.title 'Verification harness', not 'Harness v2'" in stale
    assert _check(deployed).details["problems"]["served"] == []


def test_service_urls_answered_by_the_other_service_fail_naming_both(deployed: Deployment) -> None:
    """MARQUEZ_URL and MLFLOW_TRACKING_URI swapped: something answers at each URL, but not the service named."""
    record = deployed.record
    swapped = {"lineage": record.mlflow_url, "mlflow": record.lineage_url}
    target, stack_id = deployed.stack.target, deployed.stack.stack_id
    outcome = check_catalog(ROOT / CATALOG_FILE, target, stack_id, swapped, record.catalog_url, repository=HOME)
    assert outcome.status is Status.FAILED
    reason = outcome.reason or ""
    assert f"names lineage-service 'lineage at {record.mlflow_url}', which does not exist" in reason, reason
    assert f"names mlflow-service 'mlflow at {record.lineage_url}', which does not exist" in reason, reason


@pytest.fixture
def pause_disabled(deployed: Deployment) -> Iterator[str]:
    """The stack's pause schedule disabled through EventBridge Scheduler's API (then enabled again)."""
    scheduler = deployed.stack.target.client("scheduler")
    [pause] = _pauses(deployed)
    group, name = pause.name.split("/", 1)
    schedule = scheduler.get_schedule(GroupName=group, Name=name)
    keep = ("ScheduleExpression", "FlexibleTimeWindow", "Target", "Description", "ScheduleExpressionTimezone")
    settings = {k: schedule[k] for k in keep if schedule.get(k) is not None}
    scheduler.update_schedule(GroupName=group, Name=name, State="DISABLED", **settings)
    try:
        yield pause.name
    finally:
        scheduler.update_schedule(GroupName=group, Name=name, State="ENABLED", **settings)


def test_the_service_not_paused_when_idle_fails_naming_it_and_its_schedule(
    deployed: Deployment, pause_disabled: str
) -> None:
    outcome = _check(deployed)
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    service = service_name(deployed.stack.stack_id)
    assert outcome.reason.startswith(f"App Runner service {service} (")
    assert f"is not paused when idle: schedule {pause_disabled}: it is DISABLED" in outcome.reason
    assert outcome.details["problems"]["resources"] == []


@pytest.fixture
def pause_expression(deployed: Deployment) -> Iterator[Callable[[str, str], str]]:
    """Rewrites the stack's pause schedule's expression and time zone through Scheduler's API (then restores it)."""
    scheduler = deployed.stack.target.client("scheduler")
    [pause] = _pauses(deployed)
    group, name = pause.name.split("/", 1)
    schedule = scheduler.get_schedule(GroupName=group, Name=name)
    keep = ("ScheduleExpression", "FlexibleTimeWindow", "Target", "Description", "ScheduleExpressionTimezone", "State")
    settings = {k: schedule[k] for k in keep if schedule.get(k) is not None}

    def rewrite(expression: str, timezone: str) -> str:
        changed = {**settings, "ScheduleExpression": expression, "ScheduleExpressionTimezone": timezone}
        scheduler.update_schedule(GroupName=group, Name=name, **changed)
        return pause.name

    try:
        yield rewrite
    finally:
        scheduler.update_schedule(GroupName=group, Name=name, **settings)


def test_a_cron_pause_passes_hourly_and_fails_with_a_weekend_gap(
    deployed: Deployment, pause_expression: Callable[[str, str], str]
) -> None:
    """An hourly cron pauses as well as rate(1 hour); a weekday-only one in London leaves a resumed service up to
    50 h (Friday 23:00 BST to Monday 00:00 GMT over the weekend the clocks go back)."""
    pause_expression("cron(0 * * * ? *)", "UTC")
    healthy = _check(deployed)
    assert healthy.details["problems"]["idle"] == [], healthy.reason
    name = pause_expression("cron(0 * ? * MON-FRI *)", "Europe/London")
    outcome = _check(deployed)
    assert outcome.status is Status.FAILED
    [idle] = outcome.details["problems"]["idle"]
    assert f"schedule {name}: it fires 'cron(0 * ? * MON-FRI *)', not at least every 1 h (" in idle
    assert "in Europe/London goes up to 50 h without firing" in idle


@pytest.fixture
def pause_role_untrusted(deployed: Deployment) -> Iterator[str]:
    """The pause schedule's role made to trust Lambda instead of EventBridge Scheduler (IAM's API), then restored."""
    iam = deployed.stack.target.client("iam")
    [pause] = _pauses(deployed)
    name = pause.role_arn.rsplit("/", 1)[-1]
    kept = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(lambda_trust))
    try:
        yield pause.role_arn
    finally:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=kept if isinstance(kept, str) else json.dumps(kept))


def test_a_pause_schedule_whose_role_the_scheduler_cannot_assume_fails_naming_the_role(
    deployed: Deployment, pause_role_untrusted: str
) -> None:
    """The schedule is ENABLED, hourly, and its role may pause the service: but every firing fails to assume it."""
    outcome = _check(deployed)
    assert outcome.status is Status.FAILED and outcome.reason is not None
    assert (
        f"EventBridge Scheduler cannot run as its role {pause_role_untrusted}: its trust policy does not let "
        "scheduler.amazonaws.com assume it"
    ) in outcome.reason, outcome.reason
