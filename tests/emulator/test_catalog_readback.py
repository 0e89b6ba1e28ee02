"""@STACK-catalog's reader on the emulator (no Terraform): each kind of resource the catalog names read back.

A stack's worth of resources is made through boto3 with one part missing per kind; the composed check
must name each missing one and a service nothing pauses, and pass once everything is there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.catalog.model import CATALOG_FILE
from lakehouse.catalog.repository import Repository
from lakehouse.catalog.service import CatalogHandle
from lakehouse.checks.catalog import check_catalog
from lakehouse.config import project_root
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Status
from lakehouse.target import local_target

CATALOG = project_root() / CATALOG_FILE
#: The repository catalog-info.yaml's Components name (this template's placeholder), as the harness would be told it.
HOME = Repository("github.com", "lakehouse-org/lakehouse-code", "the tests: catalog-info.yaml's own")
NOTHING_LISTENS = "http://127.0.0.1:9"  # discard port: nothing answers there


def _stack(emulator: EmulatorHandle, stack_id: str, missing: str = "", key: str = "") -> None:
    """``key``: "" (AWS owned, as infra/ makes it), "usable" (a customer managed key the role may decrypt with),
    "unusable" (one it may not: KMS's default key policy leaves it to IAM, and the role's policy lacks it)."""
    target = local_target(emulator.endpoint)
    account = target.client("sts").get_caller_identity()["Account"]
    s3 = target.client("s3")
    tags = [{"Key": "stack_id", "Value": stack_id}]  # infra/'s default_tags
    for purpose in ("bronze", "silver", "gold", "athena-results"):
        if purpose != missing:
            name = f"lakehouse-{stack_id}-{purpose}-{account}"
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region})
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    for layer in ("bronze", "silver", "gold"):
        if f"{layer}-database" != missing:
            target.client("glue").create_database(
                DatabaseInput={"Name": f"lakehouse_{stack_id}_{layer}".replace("-", "_")}, Tags={"stack_id": stack_id}
            )
    if missing != "workgroup":
        target.client("athena").create_work_group(Name=f"lakehouse-{stack_id}", Tags=tags)
    apprunner = target.client("apprunner")
    source = {"ImageRepository": {"ImageIdentifier": "public.ecr.aws/x/y:1", "ImageRepositoryType": "ECR_PUBLIC"}}
    made = apprunner.create_service(ServiceName=f"lakehouse-{stack_id}-catalog", SourceConfiguration=source, Tags=tags)
    arn = made["Service"]["ServiceArn"]
    # What infra/catalog_service.tf makes to pause it: a role allowed to, and an hourly schedule.
    iam = target.client("iam")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role = iam.create_role(RoleName=f"lakehouse-{stack_id}-catalog-pause", AssumeRolePolicyDocument=json.dumps(trust))
    allowed = arn if missing != "role" else arn + "-another"
    statements = [{"Effect": "Allow", "Action": ["apprunner:PauseService"], "Resource": [allowed]}]
    encrypted = {}
    if key:
        key_arn = target.client("kms").create_key(Description=f"{stack_id} pause input")["KeyMetadata"]["Arn"]
        encrypted = {"KmsKeyArn": key_arn}
        if key == "usable":
            statements.append({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]})
    iam.put_role_policy(
        RoleName=role["Role"]["RoleName"],
        PolicyName="pause",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    if missing != "pause":
        target.client("scheduler").create_schedule(
            Name=f"lakehouse-{stack_id}-catalog-pause",
            ScheduleExpression="rate(1 hour)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService",
                "RoleArn": role["Role"]["Arn"],
                "Input": json.dumps({"ServiceArn": arn}),
            },
            **encrypted,
        )
    apprunner.pause_service(ServiceArn=arn)  # as the schedule does when it fires (the emulator's never does)


def test_a_whole_stack_passes_and_its_service_is_left_paused(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    catalog, lineage = services
    _stack(emulator, "lh-cat-ok")
    target = local_target(emulator.endpoint)
    # MLflow stands for a service the stack runs: here the lineage service answers nothing at MLflow's path.
    outcome = check_catalog(
        CATALOG, target, "lh-cat-ok", {"lineage": lineage.url, "mlflow": lineage.url}, catalog.url, repository=HOME
    )
    assert outcome.details["problems"]["resources"] == [
        f"resource:default/mlflow names mlflow-service 'mlflow at {lineage.url}', which does not exist "
        "(GET /api/2.0/mlflow/experiments/search, and 404 for an unknown experiment: "
        "GET /api/2.0/mlflow/experiments/search?max_results=1 answered HTTP 404)"
    ]
    for part in ("ownership", "idle", "served"):
        assert outcome.details["problems"][part] == [], part
    assert outcome.details["served"] == outcome.measured
    [summary] = [
        s for s in target.client("apprunner").list_services()["ServiceSummaryList"] if "lh-cat-ok" in s["ServiceName"]
    ]
    assert summary["Status"] == "PAUSED"  # resumed to be asked, paused again


@pytest.mark.parametrize(
    ("missing", "culprit"),
    [
        ("gold", "resource:default/lakehouse-gold-bucket names s3-bucket 'lakehouse-lh-cat-gold-gold-"),
        ("silver-database", "resource:default/lakehouse-silver-database names glue-database 'lakehouse_lh_cat_silver"),
        ("workgroup", "resource:default/lakehouse-workgroup names athena-workgroup 'lakehouse-lh-cat-workgroup'"),
        ("pause", "App Runner service lakehouse-lh-cat-pause-catalog (PAUSED) has no schedule that pauses it"),
        ("role", "schedule default/lakehouse-lh-cat-role-catalog-pause: its role arn:aws:iam::"),
    ],
)
def test_each_missing_part_is_named(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle], missing: str, culprit: str
) -> None:
    catalog, lineage = services
    stack_id = f"lh-cat-{missing.split('-')[0]}"
    _stack(emulator, stack_id, missing)
    target = local_target(emulator.endpoint)
    outcome = check_catalog(
        CATALOG, target, stack_id, {"lineage": lineage.url, "mlflow": NOTHING_LISTENS}, catalog.url, repository=HOME
    )
    assert outcome.status is Status.FAILED
    assert culprit in str(outcome.reason)


def test_a_service_url_the_run_lacks_is_an_error(emulator: EmulatorHandle) -> None:
    _stack(emulator, "lh-cat-nourl")
    outcome = check_catalog(CATALOG, local_target(emulator.endpoint), "lh-cat-nourl", {}, None, repository=HOME)
    assert outcome.status is Status.ERROR
    assert "no URL for the stack's lineage" in str(outcome.reason)


@pytest.mark.parametrize("key", ["usable", "unusable"])
def test_a_schedule_encrypting_its_input_pauses_only_if_its_role_may_decrypt(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle], key: str
) -> None:
    """The emulator's Scheduler keeps KmsKeyArn and its KMS the key policy: the reader follows both."""
    catalog, lineage = services
    stack_id = f"lh-cat-{key}"
    _stack(emulator, stack_id, key=key)
    target = local_target(emulator.endpoint)
    outcome = check_catalog(
        CATALOG, target, stack_id, {"lineage": lineage.url, "mlflow": NOTHING_LISTENS}, catalog.url, repository=HOME
    )
    idle = outcome.details["problems"]["idle"]
    if key == "usable":
        assert idle == []
        return
    [problem] = idle
    assert (
        f"schedule default/lakehouse-{stack_id}-catalog-pause: its target input is encrypted with KMS key " in problem
    )
    assert (
        "and the role's do not allow it: no statement of its policies allows it, nor does a grant (ListGrants: none "
        "to " in problem
    )
    assert "for Decrypt) (EventBridge Scheduler cannot decrypt it, so every pause fails)" in problem


def test_resources_that_exist_but_are_not_the_stacks_are_named(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle], tmp_path: Path
) -> None:
    """The gold bucket's name is right but it lives in another region; the silver entity hard-codes another
    stack's bucket, which exists. Both read back as existing, neither is this stack's."""
    catalog, lineage = services
    stack_id = "lh-cat-foreign"
    _stack(emulator, stack_id, missing="gold")
    target = local_target(emulator.endpoint)
    account = target.client("sts").get_caller_identity()["Account"]
    s3 = target.client("s3")
    gold = f"lakehouse-{stack_id}-gold-{account}"
    oregon = local_target(emulator.endpoint, "us-west-2").client("s3")
    oregon.create_bucket(Bucket=gold, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    other = f"lakehouse-lh-cat-other-silver-{account}"
    s3.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": target.region})
    s3.put_bucket_tagging(Bucket=other, Tagging={"TagSet": [{"Key": "stack_id", "Value": "lh-cat-other"}]})
    text = CATALOG.read_text(encoding="utf-8")
    pattern = '"{project}-{stack_id}-silver-{account_id}"'
    assert pattern in text
    edited = tmp_path / "catalog-info.yaml"
    edited.write_text(text.replace(pattern, '"{project}-lh-cat-other-silver-{account_id}"'), encoding="utf-8")
    outcome = check_catalog(
        edited, target, stack_id, {"lineage": lineage.url, "mlflow": lineage.url}, catalog.url, repository=HOME
    )
    assert outcome.status is Status.FAILED
    problems = outcome.details["problems"]["resources"]
    assert (
        f"resource:default/lakehouse-gold-bucket names s3-bucket '{gold}', which is not the stack's: S3 HeadBucket "
        f"answers x-amz-bucket-region us-west-2, not the stack's region {target.region}"
    ) in problems
    assert (
        f"resource:default/lakehouse-silver-bucket names s3-bucket '{other}', which is not the stack's: "
        "lakehouse.io/aws-name '{project}-lh-cat-other-silver-{account_id}': the stack lh-cat-foreign's names start "
        "with 'lakehouse-lh-cat-foreign' or 'lakehouse_lh_cat_foreign'"
    ) in problems
