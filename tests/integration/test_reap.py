"""Auto-destroy on the local target: `lakehouse reap` takes expired stacks and orphans, and nothing else.

Two real cases, through the CLI a user (or reap.yml) runs, with expiry judged ``--at`` a time past
the short-lived stack's expiry (the clock is never waited for):

- recorded stacks: two stacks deployed by ``lakehouse up`` with ``--ttl 1h`` and ``--ttl 7d`` in a
  project of their own (so no one else's stack is judged); a dry run destroys nothing, ``--yes``
  destroys the expired one through its state and leaves the live one as it was;
- orphans: the real root deployed, then its state deleted, leaving its resources in the emulator;
  ``reap --target aws``, told about the emulator only by ``AWS_ENDPOINT_URL`` as for an account,
  finds them by their tags and deletes every one, and leaves a live orphan alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from lakehouse import procgroup, reap
from lakehouse.config import new_stack_id
from lakehouse.emulator.process import EmulatorHandle, pid_alive, stop_emulator
from lakehouse.lifetime import parse_expiry
from lakehouse.lineage.service.process import stop_lineage_service
from lakehouse.services import stop_pid
from lakehouse.stack import Lifecycle, StackRecord, destroy_recorded, list_records, stack_dir
from lakehouse.target import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Target
from tests.integration.conftest import ROOT, make_options

REGION = "ap-northeast-1"

SMALL_ROOT = """
    variable "stack_id" { type = string }
    variable "region" { type = string }
    variable "owner" { type = string }
    variable "ttl" { type = string }
    variable "expires_at" { type = string }
    provider "aws" {
      region = var.region
      default_tags {
        tags = { stack_id = var.stack_id, owner = var.owner, ttl = var.ttl, expires_at = var.expires_at }
      }
    }
    resource "aws_s3_bucket" "data" {
      bucket        = "${var.stack_id}-reap-data"
      force_destroy = true
    }
    resource "aws_sns_topic" "alerts" {
      name = "${var.stack_id}-reap-alerts"
    }
"""


def _project(tmp_path: Path) -> Path:
    """A checkout of its own: a small root with the real provider pin, and no stack records but its own."""
    root = tmp_path / "project"
    (root / "infra").mkdir(parents=True)
    (root / "features").mkdir()
    for name in ("versions.tf", ".terraform.lock.hcl"):
        shutil.copy(ROOT / "infra" / name, root / "infra" / name)
    (root / "infra" / "main.tf").write_text(textwrap.dedent(SMALL_ROOT))
    return root


def _lakehouse(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``lakehouse <args>`` as a user runs it in ``project`` (``LAKEHOUSE_ROOT``)."""
    environment = dict(env or os.environ)
    environment["LAKEHOUSE_ROOT"] = str(project)
    environment.pop("LAKEHOUSE_STACK_ID", None)
    # A deadline, not a pace (an `up` on a busy machine takes minutes); a timeout ends its Terraform and emulator.
    return procgroup.run([sys.executable, "-m", "lakehouse.cli", *args], cwd=project, env=environment, timeout=900)


def _local(endpoint: str) -> Target:
    return Target(name="local", region=REGION, endpoint_url=endpoint)


@pytest.mark.xdist_group("reap-recorded")
def test_reap_destroys_the_expired_recorded_stack_only_and_a_dry_run_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    options = make_options(root=project)
    expired_id, live_id = new_stack_id(), new_stack_id()
    try:
        for stack_id, ttl in ((expired_id, "1h"), (live_id, "7d")):
            up = _lakehouse(project, "up", "--stack-id", stack_id, "--ttl", ttl)
            assert up.returncode == 0, up.stdout + up.stderr
            assert f"(ttl {ttl})" in up.stdout
        records = {r.stack_id: r for r in list_records(options)}
        expired, live = records[expired_id], records[live_id]
        assert expired.ttl == "1h" and live.ttl == "7d"
        assert expired.expires_at and live.expires_at
        # The expiry the record holds is the tag every resource carries.
        s3 = _local(str(live.endpoint_url)).client("s3")
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=f"{live_id}-reap-data")["TagSet"]}
        assert (tags["ttl"], tags["expires_at"]) == ("7d", live.expires_at)
        at = (parse_expiry(expired.expires_at) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        dry = _lakehouse(project, "reap", "--at", at)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert f"would destroy {expired_id} (local, recorded): expired at {expired.expires_at}" in dry.stdout
        assert f"keep          {live_id} (local, recorded): expires at {live.expires_at}" in dry.stdout
        assert {r.stack_id for r in list_records(options)} == {expired_id, live_id}, "a dry run destroyed a stack"
        assert expired.emulator_pid and pid_alive(expired.emulator_pid)

        done = _lakehouse(project, "reap", "--yes", "--at", at)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"destroyed {expired_id} (local, recorded)" in done.stdout
        assert not stack_dir(options, expired_id).exists(), "expired stack still recorded"
        assert not pid_alive(expired.emulator_pid), "expired stack's emulator still running"
        assert [r.stack_id for r in list_records(options)] == [live_id]
        assert live.emulator_pid and pid_alive(live.emulator_pid), "live stack's emulator stopped"
        assert s3.head_bucket(Bucket=f"{live_id}-reap-data")["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        for record in list_records(options):
            destroy_recorded(make_options(root=project, stack_id=record.stack_id))


def _stack_leftovers(target: Target, stack_id: str) -> list[str]:
    """Every named thing of the stack the emulator still holds, tagged or not (read per service)."""
    glue_id = stack_id.replace("-", "_")
    found = [b["Name"] for b in target.client("s3").list_buckets()["Buckets"]]
    found += [d["Name"] for d in target.client("glue").get_databases()["DatabaseList"]]
    found += [w["Name"] for w in target.client("athena").list_work_groups()["WorkGroups"]]
    found += [r["RoleName"] for r in target.client("iam").list_roles()["Roles"]]
    found += [r["ResourceArn"] for r in target.client("lakeformation").list_resources()["ResourceInfoList"]]
    found += [d["DashboardName"] for d in target.client("cloudwatch").list_dashboards()["DashboardEntries"]]
    for region in (REGION, "us-east-1"):
        found += [t["TopicArn"] for t in target.client("sns", region=region).list_topics()["Topics"]]
        alarms = target.client("cloudwatch", region=region).describe_alarms()["MetricAlarms"]
        found += [a["AlarmName"] for a in alarms]
    apprunner = target.client("apprunner")
    found += [s["ServiceName"] for s in apprunner.list_services()["ServiceSummaryList"]]
    configs = apprunner.list_auto_scaling_configurations(LatestOnly=False)["AutoScalingConfigurationSummaryList"]
    found += [c["AutoScalingConfigurationName"] for c in configs]
    found += [s["Name"] for s in target.client("scheduler").list_schedules()["Schedules"]]
    sagemaker = target.client("sagemaker")
    found += [m["ModelName"] for m in sagemaker.list_models()["Models"]]
    found += [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    found += [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
    budgets = target.client("budgets", region="us-east-1").describe_budgets(AccountId="123456789012")
    found += [b["BudgetName"] for b in budgets.get("Budgets", [])]
    return sorted(name for name in found if stack_id in name or glue_id in name)


@pytest.mark.xdist_group("reap-orphan")
def test_reap_deletes_an_expired_orphan_of_the_real_root_and_leaves_a_live_one(tmp_path: Path) -> None:
    stack_id, live_id = new_stack_id(), new_stack_id()
    options = make_options(stack_id=stack_id, reports_dir=tmp_path / "reports")
    dep = Lifecycle(options, ttl="1h").up(detach_emulator=True)  # as `lakehouse up` deploys it
    emulator = EmulatorHandle(str(dep.record.endpoint_url), int(dep.record.emulator_pid or 0))
    try:
        assert dep.ok, dep.error
        record = StackRecord.load(dep.stack.record_path)
        shutil.rmtree(dep.stack.dir)  # the state is gone: what is left in the account is an orphan
        target = _local(emulator.endpoint)
        before = _stack_leftovers(target, stack_id)
        assert len(before) >= 8, before
        # The v0.9 parts: the catalog's App Runner service, its auto scaling and its pause schedule.
        assert {f"lakehouse-{stack_id}-catalog", f"lakehouse-{stack_id}-catalog-pause"} <= set(before), before
        # A live orphan: tagged by the harness, expiring in a week.
        live_tags = {"stack_id": live_id, "owner": "lakehouse-harness/aws", "ttl": "7d"}
        live_tags["expires_at"] = (parse_expiry(str(record.expires_at)) + timedelta(days=7)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        s3 = target.client("s3")
        s3.create_bucket(Bucket=f"{live_id}-live", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(
            Bucket=f"{live_id}-live", Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in live_tags.items()]}
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=emulator.endpoint,
            AWS_ACCESS_KEY_ID=LOCAL_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=LOCAL_SECRET_KEY,
            AWS_REGION=REGION,
            AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        )
        empty = tmp_path / "elsewhere"  # a machine with no stack records, as a CI runner
        (empty / "features").mkdir(parents=True)
        (empty / "infra").mkdir()
        at = (parse_expiry(str(record.expires_at)) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        args = ("reap", "--target", "aws", "--region", REGION, "--at", at)

        dry = _lakehouse(empty, *args, env=env)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert f"would destroy {stack_id} (orphan: no state here" in dry.stdout
        assert f"keep          {live_id} (orphan: no state here, 1 tagged resources): expires at" in dry.stdout
        assert _stack_leftovers(target, stack_id) == before, "a dry run deleted something"

        done = _lakehouse(empty, *args, "--yes", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "NOT deleted" not in done.stdout, done.stdout
        assert _stack_leftovers(target, stack_id) == [], done.stdout
        assert _stack_leftovers(target, live_id) == [f"{live_id}-live"]
        assert [o.stack_id for o in reap.group_orphans(reap.scan(target, [REGION, "us-east-1"]), [])] == [live_id]
        print(dry.stdout + done.stdout)  # what a sweep of the real root looks like (pytest -rP shows it)
    finally:
        if dep.lineage is not None:
            stop_lineage_service(dep.lineage)
        for service in (dep.mlflow, dep.catalog):  # the stack's other services: none outlives the test
            if service is not None:
                stop_pid(service.pid)
        if emulator.pid:
            stop_emulator(emulator)
        if dep.stack.dir.exists():
            shutil.rmtree(dep.stack.dir)
