"""App Runner in the emulator, through boto3 (botocore validates requests and parses answers)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import AwsClientFactory

SOURCE = {
    "ImageRepository": {
        "ImageIdentifier": "public.ecr.aws/example/catalog:1",
        "ImageRepositoryType": "ECR_PUBLIC",
        "ImageConfiguration": {"Port": "7007"},
    },
    "AutoDeploymentsEnabled": False,
}


def _create(client: Any, name: str, **extra: Any) -> dict[str, Any]:
    return dict(client.create_service(ServiceName=name, SourceConfiguration=SOURCE, **extra)["Service"])


def test_service_life_with_aws_states_and_defaults(aws_client: AwsClientFactory) -> None:
    client = aws_client("apprunner")
    created = _create(client, "life-1", Tags=[{"Key": "stack_id", "Value": "lh-test"}])
    assert created["Status"] == "OPERATION_IN_PROGRESS"
    arn = created["ServiceArn"]
    service = client.describe_service(ServiceArn=arn)["Service"]
    assert service["Status"] == "RUNNING"
    assert service["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "2048"}
    assert service["HealthCheckConfiguration"]["Protocol"] == "TCP"
    assert service["AutoScalingConfigurationSummary"]["AutoScalingConfigurationName"] == "DefaultConfiguration"
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "stack_id", "Value": "lh-test"}]
    assert arn in [s["ServiceArn"] for s in client.list_services()["ServiceSummaryList"]]

    assert client.pause_service(ServiceArn=arn)["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    assert client.describe_service(ServiceArn=arn)["Service"]["Status"] == "PAUSED"
    with pytest.raises(ClientError) as err:
        client.update_service(ServiceArn=arn, InstanceConfiguration={"Cpu": "2 vCPU", "Memory": "4 GB"})
    assert err.value.response["Error"]["Code"] == "InvalidStateException"
    client.resume_service(ServiceArn=arn)
    client.update_service(ServiceArn=arn, InstanceConfiguration={"Cpu": "2 vCPU", "Memory": "4 GB"})
    assert client.describe_service(ServiceArn=arn)["Service"]["InstanceConfiguration"] == {
        "Cpu": "2048",
        "Memory": "4096",
    }

    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "expires_at", "Value": "2026-12-04T00:00:00Z"}])
    client.untag_resource(ResourceArn=arn, TagKeys=["stack_id"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "expires_at", "Value": "2026-12-04T00:00:00Z"}
    ]
    client.delete_service(ServiceArn=arn)
    assert client.describe_service(ServiceArn=arn)["Service"]["Status"] == "DELETED"
    assert arn not in [s["ServiceArn"] for s in client.list_services()["ServiceSummaryList"]]


def test_auto_scaling_configuration_bounds_and_use(aws_client: AwsClientFactory) -> None:
    client = aws_client("apprunner")
    with pytest.raises(ClientError) as err:
        client.create_auto_scaling_configuration(AutoScalingConfigurationName="upside-down", MinSize=2, MaxSize=1)
    assert "MinSize" in err.value.response["Error"]["Message"]  # (MinSize 0 botocore refuses itself: no scale to zero)
    config = client.create_auto_scaling_configuration(
        AutoScalingConfigurationName="one-instance", MinSize=1, MaxSize=1, MaxConcurrency=50
    )["AutoScalingConfiguration"]
    arn = config["AutoScalingConfigurationArn"]
    service = _create(client, "scaled-1", AutoScalingConfigurationArn=arn)
    assert service["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == arn
    described = client.describe_auto_scaling_configuration(AutoScalingConfigurationArn=arn)
    assert described["AutoScalingConfiguration"]["HasAssociatedService"] is True
    client.delete_service(ServiceArn=service["ServiceArn"])
    deleted = client.delete_auto_scaling_configuration(AutoScalingConfigurationArn=arn)
    assert deleted["AutoScalingConfiguration"]["Status"] == "inactive"


def test_unknown_service_is_not_found(aws_client: AwsClientFactory) -> None:
    client = aws_client("apprunner")
    with pytest.raises(ClientError) as err:
        client.describe_service(ServiceArn="arn:aws:apprunner:ap-northeast-1:123456789012:service/none/0")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_services_and_configurations_are_in_the_tagging_api_and_listed(aws_client: AwsClientFactory) -> None:
    """As on AWS: GetResources finds them by tag (where ``lakehouse reap`` looks for orphans)."""
    client = aws_client("apprunner")
    tags = [{"Key": "stack_id", "Value": "lh-tagged"}]
    service = _create(client, "tagged-1", Tags=tags)
    config = client.create_auto_scaling_configuration(AutoScalingConfigurationName="tagged-1", Tags=tags)[
        "AutoScalingConfiguration"
    ]
    found = aws_client("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "stack_id", "Values": ["lh-tagged"]}]
    )["ResourceTagMappingList"]
    assert sorted(m["ResourceARN"] for m in found) == sorted(
        [service["ServiceArn"], config["AutoScalingConfigurationArn"]]
    )
    listed = client.list_auto_scaling_configurations(LatestOnly=False)["AutoScalingConfigurationSummaryList"]
    assert config["AutoScalingConfigurationArn"] in [c["AutoScalingConfigurationArn"] for c in listed]
    client.delete_service(ServiceArn=service["ServiceArn"])
    client.delete_auto_scaling_configuration(AutoScalingConfigurationArn=config["AutoScalingConfigurationArn"])
    listed = client.list_auto_scaling_configurations(LatestOnly=False)["AutoScalingConfigurationSummaryList"]
    assert config["AutoScalingConfigurationArn"] not in [c["AutoScalingConfigurationArn"] for c in listed]
