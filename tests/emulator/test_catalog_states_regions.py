"""@STACK-catalog on the emulator: resources judged usable and in the region the stack's Terraform state puts them.

Broken stacks that passed on main: the catalog's App Runner service CREATE_FAILED (its image could not be
pulled) counted as existing and serving; a second App Runner service of the stack in us-east-1 (where the root's
``aws.use1`` provider deploys) that nothing pauses was never read; a DISABLED Athena workgroup counted as the
stack's workgroup. Each has a healthy twin.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.catalog.service import CatalogHandle
from lakehouse.checks.catalog import check_catalog
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Outcome
from lakehouse.target import Target, local_target
from tests.emulator.test_catalog_readback import CATALOG, HOME, _stack
from tests.emulator.test_catalog_services import _pause_hourly, _service

OTHER_REGION = "us-east-1"


def _check(
    emulator: EmulatorHandle,
    services: tuple[CatalogHandle, LineageHandle],
    stack_id: str,
    state: dict[str, Any] | None = None,
) -> Outcome:
    catalog, lineage = services
    target = local_target(emulator.endpoint)
    urls = {"lineage": lineage.url, "mlflow": lineage.url}
    return check_catalog(CATALOG, target, stack_id, urls, catalog.url, state=state, repository=HOME)


def _state(*resources: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A ``terraform show -json`` state holding ``resources`` (type, values)."""
    managed = [{"mode": "managed", "type": kind, "values": values} for kind, values in resources]
    return {"values": {"root_module": {"resources": managed}}}


def _billing_topic(target: Target, stack_id: str) -> tuple[str, dict[str, Any]]:
    """What the real stack's state holds in us-east-1 (infra/finops.tf's billing topic, provider aws.use1)."""
    account = target.client("sts").get_caller_identity()["Account"]
    return "aws_sns_topic", {"arn": f"arn:aws:sns:{OTHER_REGION}:{account}:lakehouse-{stack_id}-billing"}


def _replace_catalog_service(target: Target, stack_id: str, pushed: bool) -> str:
    """The stack's catalog service made again from a private ECR image, pushed to the emulator's ECR or not."""
    apprunner = target.client("apprunner")
    name = f"lakehouse-{stack_id}-catalog"
    [old] = [s for s in apprunner.list_services()["ServiceSummaryList"] if s["ServiceName"] == name]
    apprunner.delete_service(ServiceArn=old["ServiceArn"])
    account = target.client("sts").get_caller_identity()["Account"]
    repository = f"{name}-image"
    if pushed:
        ecr = target.client("ecr")
        ecr.create_repository(repositoryName=repository)
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
        ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="1")
    image = f"{account}.dkr.ecr.{target.region}.amazonaws.com/{repository}:1"
    source = {"ImageRepository": {"ImageIdentifier": image, "ImageRepositoryType": "ECR"}}
    tags = [{"Key": "stack_id", "Value": stack_id}]  # infra/'s default_tags
    made = apprunner.create_service(ServiceName=name, SourceConfiguration=source, Tags=tags)["Service"]
    return str(apprunner.describe_service(ServiceArn=made["ServiceArn"])["Service"]["Status"])


def test_a_catalog_service_that_failed_to_create_is_named(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    stack_id = "lh-st-failed"
    _stack(emulator, stack_id)
    target = local_target(emulator.endpoint)
    assert _replace_catalog_service(target, stack_id, pushed=False) == "CREATE_FAILED"
    outcome = _check(emulator, services, stack_id)
    name = f"lakehouse-{stack_id}-catalog"
    assert (
        f"resource:default/lakehouse-catalog-service names apprunner-service '{name}', which cannot be used: it is "
        f"CREATE_FAILED in {target.region}, not RUNNING or PAUSED: it runs nothing (App Runner ListServices)"
    ) in outcome.details["problems"]["resources"]
    assert outcome.details["problems"]["served"] == [
        f"App Runner service {name} is CREATE_FAILED, not RUNNING or PAUSED: it serves no entities"
    ]


def test_a_catalog_service_whose_image_was_pulled_runs_and_passes(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    stack_id = "lh-st-pulled"
    _stack(emulator, stack_id)
    assert _replace_catalog_service(local_target(emulator.endpoint), stack_id, pushed=True) == "RUNNING"
    outcome = _check(emulator, services, stack_id)
    assert not [p for p in outcome.details["problems"]["resources"] if "lakehouse-catalog-service" in p]
    assert outcome.details["problems"]["served"] == []


def test_a_disabled_workgroup_is_named(emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]) -> None:
    stack_id = "lh-st-disabled"
    _stack(emulator, stack_id)
    target = local_target(emulator.endpoint)
    target.client("athena").update_work_group(WorkGroup=f"lakehouse-{stack_id}", State="DISABLED")
    outcome = _check(emulator, services, stack_id)
    assert (
        f"resource:default/lakehouse-workgroup names athena-workgroup 'lakehouse-{stack_id}', which cannot be used: "
        f"it is DISABLED in {target.region}: Athena runs no query in it (Athena GetWorkGroup)"
    ) in outcome.details["problems"]["resources"]
    target.client("athena").update_work_group(WorkGroup=f"lakehouse-{stack_id}", State="ENABLED")
    outcome = _check(emulator, services, stack_id)
    assert not [p for p in outcome.details["problems"]["resources"] if "lakehouse-workgroup" in p]


@pytest.mark.parametrize("found_by", ["name", "state"])
def test_a_service_of_the_stack_in_another_region_that_nothing_pauses_fails(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle], found_by: str
) -> None:
    """``name``: named with the stack's prefix in us-east-1, a region the state uses (the billing topic's);
    ``state``: named and tagged otherwise, but in the stack's state."""
    stack_id = f"lh-st-use1-{found_by}"
    _stack(emulator, stack_id)
    target = local_target(emulator.endpoint)
    use1 = local_target(emulator.endpoint, OTHER_REGION)
    name = f"lakehouse-{stack_id}-preview" if found_by == "name" else f"preview-{found_by}"
    arn = _service(use1, name)
    held = [("aws_apprunner_service", {"arn": arn, "service_name": name})] if found_by == "state" else []
    state = _state(_billing_topic(target, stack_id), *held)
    outcome = _check(emulator, services, stack_id, state)
    assert outcome.details["problems"]["idle"] == [
        f"App Runner service {name} in {OTHER_REGION} (RUNNING) has no schedule that pauses it: no EventBridge "
        "Scheduler schedule targets pauseService with its ARN (ListSchedules); App Runner has no auto-pause, and a "
        "RUNNING service bills its provisioned memory (2048 MB per instance) while idle"
    ]
    assert [(o["name"], o["region"]) for o in outcome.details["other_services"]] == [(name, OTHER_REGION)]


def test_a_service_in_another_region_paused_there_passes(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """The healthy twin: the second service's hourly pause schedule is in its own region."""
    stack_id = "lh-st-use1-ok"
    _stack(emulator, stack_id)
    target = local_target(emulator.endpoint)
    use1 = local_target(emulator.endpoint, OTHER_REGION)
    name = f"lakehouse-{stack_id}-preview"
    _pause_hourly(use1, name, _service(use1, name))
    outcome = _check(emulator, services, stack_id, _state(_billing_topic(target, stack_id)))
    assert outcome.details["problems"]["idle"] == []
    assert [(o["name"], o["region"]) for o in outcome.details["other_services"]] == [(name, OTHER_REGION)]


def test_a_resource_is_read_in_the_region_the_state_puts_it(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """The gold database made through the us-east-1 provider exists there, not in the stack's region: found where
    the state says. The state placing the silver one in us-east-1, where it is not, fails naming the region."""
    stack_id = "lh-st-placed"
    _stack(emulator, stack_id, missing="gold-database")
    target = local_target(emulator.endpoint)
    account = target.client("sts").get_caller_identity()["Account"]
    gold, silver = f"lakehouse_{stack_id.replace('-', '_')}_gold", f"lakehouse_{stack_id.replace('-', '_')}_silver"
    glue = local_target(emulator.endpoint, OTHER_REGION).client("glue")
    glue.create_database(DatabaseInput={"Name": gold}, Tags={"stack_id": stack_id})

    def database(name: str) -> tuple[str, dict[str, Any]]:
        return "aws_glue_catalog_database", {
            "name": name,
            "arn": f"arn:aws:glue:{OTHER_REGION}:{account}:database/{name}",
        }

    outcome = _check(emulator, services, stack_id, _state(database(gold)))
    assert not [p for p in outcome.details["problems"]["resources"] if "database" in p]
    outcome = _check(emulator, services, stack_id, _state(database(gold), database(silver)))
    assert [p for p in outcome.details["problems"]["resources"] if "database" in p] == [
        f"resource:default/lakehouse-silver-database names glue-database '{silver}', which does not exist "
        f"(Glue GetDatabase: none in {OTHER_REGION})"
    ]


def test_a_bucket_the_state_puts_in_another_region_is_the_stacks_there(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """The gold bucket made through the us-east-1 provider: the stack's where its state says, another region's
    bucket when the state does not say so (the stack's region is then expected)."""
    stack_id = "lh-st-bucket"
    _stack(emulator, stack_id, missing="gold")
    target = local_target(emulator.endpoint)
    account = target.client("sts").get_caller_identity()["Account"]
    gold = f"lakehouse-{stack_id}-gold-{account}"
    use1 = local_target(emulator.endpoint, OTHER_REGION).client("s3")
    use1.create_bucket(Bucket=gold)  # us-east-1 takes no LocationConstraint
    use1.put_bucket_tagging(Bucket=gold, Tagging={"TagSet": [{"Key": "stack_id", "Value": stack_id}]})
    placed = _state(("aws_s3_bucket", {"bucket": gold, "region": OTHER_REGION}))
    outcome = _check(emulator, services, stack_id, placed)
    assert not [p for p in outcome.details["problems"]["resources"] if "gold-bucket" in p]
    outcome = _check(emulator, services, stack_id)
    assert [p for p in outcome.details["problems"]["resources"] if "gold-bucket" in p] == [
        f"resource:default/lakehouse-gold-bucket names s3-bucket '{gold}', which is not the stack's: S3 HeadBucket "
        f"answers x-amz-bucket-region {OTHER_REGION}, not the stack's region {target.region}"
    ]
