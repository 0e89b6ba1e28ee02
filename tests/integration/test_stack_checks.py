"""Exit checks 1 and 5 against a real deployed stack, healthy and broken.

Everything here runs on one xdist worker (group "stack") because the tests share
one deployment; each test that breaks it puts it right again.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from lakehouse.checks.iac import check_iac_coverage
from lakehouse.cli import main as cli_main
from lakehouse.criteria import catalogue
from lakehouse.emulator.process import pid_alive
from lakehouse.stack import Deployment
from tests.integration.conftest import ROOT, UpStack, run_features

pytestmark = pytest.mark.xdist_group("stack")


def test_make_up_prints_how_to_reach_the_stack(up_stack: UpStack) -> None:
    out = up_stack.output
    endpoint = up_stack.deployment.stack.target.endpoint_url
    assert f"endpoint: {endpoint}" in out
    exports = dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in out.splitlines()
        if line.strip().startswith("export ")
    )
    assert exports["AWS_ENDPOINT_URL"] == endpoint
    assert exports["AWS_ATHENA_WORK_GROUP"] == up_stack.deployment.record.outputs["athena_workgroup_name"]
    # What the printed variables give a user's boto3: the stack's buckets.
    session = boto3.Session(
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        region_name=exports["AWS_DEFAULT_REGION"],
    )
    names = {b["Name"] for b in session.client("s3", endpoint_url=endpoint).list_buckets()["Buckets"]}
    assert set(up_stack.deployment.record.outputs["bucket_names"].values()) <= names
    assert f"make destroy STACK_ID={up_stack.deployment.stack.stack_id}" in out


def test_deployed_stack_passes_checks_1_and_5(deployed: Deployment, tmp_path: Path) -> None:
    run = run_features(tmp_path, "--deployed", "--stack-id", deployed.stack.stack_id)
    assert run.returncode == 0, run.output
    assert run.check("EXIT-1")["status"] == "passed"
    assert run.check("EXIT-5")["status"] == "passed"
    assert run.check("EXIT-5")["measured"] == {"plan_changes": 0, "unmanaged_resources": 0}
    assert run.evidence["run"]["mode"] == "deployed"
    for pending in (c.id for c in catalogue(ROOT / "features") if c.pending):
        entry = run.check(pending)
        assert entry["status"] == "skipped" and entry["reason"].startswith("not implemented yet (issue ")
    for artifact in run.check("EXIT-1")["artifacts"] + run.check("EXIT-5")["artifacts"]:
        assert (tmp_path / artifact).is_file(), artifact


def test_deploy_threshold_of_one_second_fails_check_1(deployed: Deployment, tmp_path: Path) -> None:
    run = run_features(tmp_path, "--deployed", "--stack-id", deployed.stack.stack_id, "--deploy-threshold", "1")
    assert run.returncode == 1
    entry = run.check("EXIT-1")
    assert entry["status"] == "failed"
    assert "over the 1 s threshold" in entry["reason"]
    assert entry["threshold"] == 1.0
    assert run.evidence["run"]["verdict"] == "failed"


def test_out_of_band_bucket_with_the_stack_tag_fails_check_5(deployed: Deployment, tmp_path: Path) -> None:
    stack = deployed.stack
    s3 = stack.target.client("s3")
    stray = f"{stack.stack_id}-made-by-hand"
    s3.create_bucket(Bucket=stray, CreateBucketConfiguration={"LocationConstraint": stack.target.region})
    s3.put_bucket_tagging(Bucket=stray, Tagging={"TagSet": [{"Key": "stack_id", "Value": stack.stack_id}]})
    try:
        run = run_features(tmp_path, "--deployed", "--stack-id", stack.stack_id)
        entry = run.check("EXIT-5")
        assert entry["status"] == "failed"
        assert f"aws_s3_bucket {stray}" in entry["reason"]
        assert entry["details"]["unmanaged"] == [f"aws_s3_bucket {stray}"]
    finally:
        s3.delete_bucket(Bucket=stray)
    assert check_iac_coverage(stack).passed


def test_out_of_band_role_with_the_stack_tag_fails_check_5(deployed: Deployment) -> None:
    stack = deployed.stack
    iam = stack.target.client("iam")
    name = f"{stack.stack_id}-console-role"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}", Tags=[{"Key": "stack_id", "Value": stack.stack_id}])
    try:
        result = check_iac_coverage(stack)
        assert not result.passed
        assert f"aws_iam_role {name}" in str(result.reason)
    finally:
        iam.delete_role(RoleName=name)


def test_tag_changed_outside_terraform_fails_check_5(deployed: Deployment) -> None:
    stack = deployed.stack
    s3 = stack.target.client("s3")
    bucket = deployed.record.outputs["bucket_names"]["bronze"]
    original = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    changed = [t if t["Key"] != "owner" else {"Key": "owner", "Value": "someone-in-the-console"} for t in original]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": changed})
    try:
        result = check_iac_coverage(stack)
        assert not result.passed
        assert "terraform plan is not empty" in str(result.reason)
        assert 'aws_s3_bucket.this["bronze"]' in str(result.reason)
        assert result.details["plan_exit_code"] == 2
    finally:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": original})
    assert check_iac_coverage(stack).passed


def test_make_destroy_leaves_nothing_running(deployed: Deployment) -> None:
    """Last in the group: `lakehouse destroy` (what `make destroy` runs) on the kept stack."""
    pid = deployed.record.emulator_pid
    assert pid and pid_alive(pid)
    assert cli_main(["destroy", "--stack-id", deployed.stack.stack_id]) == 0
    assert not pid_alive(pid)
    assert not deployed.stack.dir.exists()
    assert cli_main(["destroy", "--stack-id", deployed.stack.stack_id]) == 2  # nothing left to destroy
