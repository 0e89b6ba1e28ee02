"""Which AWS/Billing ``ServiceName`` values hold the stack's cost: the services its resources are billed under.

AWS/Billing EstimatedCharges split by ``ServiceName`` (``AmazonS3``, ``AWSGlue``...) is one service's
charges for the whole account. A tile on a service the stack does not use (``AmazonEC2`` for a stack with
no instance) is published and passes every other rule, yet none of the stack's cost is in it. The stack's
services come from its resources' Terraform types (``aws_<service>_...``), mapped by ``SERVICE_NAMES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

#: The dimension that splits EstimatedCharges by service.
SERVICE_DIMENSION = "ServiceName"

#: The ``<service>`` of a Terraform type ``aws_<service>_...`` -> the ServiceName AWS publishes its charges under.
#: Source: the ServiceName values AWS/Billing publishes are the price-list offer codes (AmazonEC2, AWSQueueService,
#: awskms...); the set CloudWatch lists for a payer account is what ``aws cloudwatch list-metrics --namespace
#: AWS/Billing --region us-east-1`` shows, and pulumi-awsx's billing metric type enumerates the common ones
#: (AmazonCloudWatch, AmazonEC2, AmazonKinesis, AmazonRoute53, AmazonS3, AmazonSNS, AWSCloudTrail, AWSCodePipeline,
#: AWSConfig, AWSDataTransfer, awskms, AWSLambda, AWSMarketplace, AWSQueueService, AWSSecretsManager, awswaf,
#: AWSXRay, CodeBuild). Resources of free services (IAM, Lake Formation's permissions, Budgets' first two) and
#: types not listed here add no service: a tile on one of them does not count. AWSDataTransfer is billed
#: across services, to no resource: not the stack's.
SERVICE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "s3": "AmazonS3",
        "athena": "AmazonAthena",
        "glue": "AWSGlue",
        "sagemaker": "AmazonSageMaker",
        "cloudwatch": "AmazonCloudWatch",
        "sns": "AmazonSNS",
        "sqs": "AWSQueueService",
        "lambda": "AWSLambda",
        "kms": "awskms",
        "apprunner": "AWSAppRunner",
        "kinesis": "AmazonKinesis",
        "route53": "AmazonRoute53",
        "cloudtrail": "AWSCloudTrail",
        "secretsmanager": "AWSSecretsManager",
        "codebuild": "CodeBuild",
        "codepipeline": "AWSCodePipeline",
        "config": "AWSConfig",
        "xray": "AWSXRay",
        "waf": "awswaf",
        "wafv2": "awswaf",
        "instance": "AmazonEC2",
        "ec2": "AmazonEC2",
        "ebs": "AmazonEC2",
        "nat": "AmazonEC2",
    }
)


def service_of(resource_type: str) -> str | None:
    """The ServiceName a resource of Terraform type ``resource_type`` is billed under (None: no mapped service)."""
    parts = resource_type.split("_")
    return SERVICE_NAMES.get(parts[1]) if len(parts) > 1 and parts[0] == "aws" else None


def stack_services(resource_types: Iterable[str]) -> frozenset[str]:
    """The ServiceNames the stack's resources (their Terraform types) are billed under."""
    return frozenset(s for t in resource_types if (s := service_of(t)) is not None)


def foreign_service(dimensions: Iterable[tuple[str, str]], services: frozenset[str]) -> str | None:
    """The ServiceName a series is split to when the stack uses no such service (None: it is not, or it does)."""
    named = dict(dimensions).get(SERVICE_DIMENSION)
    return named if named is not None and named not in services else None
