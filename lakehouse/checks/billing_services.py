"""Which AWS/Billing ``ServiceName`` values hold the stack's cost: the services its resources are billed under.

AWS/Billing EstimatedCharges split by ``ServiceName`` (``AmazonS3``, ``AWSGlue``...) is one service's
charges for the whole account. A tile on a service the stack does not use (``AmazonEC2`` for a stack with
no instance) is published and passes every other rule, yet none of the stack's cost is in it. The stack's
services come from its resources' Terraform types, mapped by ``SERVICE_NAMES``: the longest listed prefix
of the type's tokens after ``aws_`` wins, so ``aws_cloudwatch_event_rule`` is EventBridge's (``AWSEvents``)
while ``aws_cloudwatch_metric_alarm`` is CloudWatch's, and ``aws_kinesis_firehose_delivery_stream`` is not
billed as a Kinesis data stream. A type no prefix matches adds no service (its tile does not count): an
unknown service is never guessed, since a wrong guess lets a tile of someone else's cost pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

#: The dimension that splits EstimatedCharges by service.
SERVICE_DIMENSION = "ServiceName"

#: Sources cited below, by the short name each entry uses.
#:
#: - [cw-doc] docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/billing-metricscollected.html: ServiceName
#:   is "the name of the AWS service"; AWS lists no values.
#: - [awsx] pulumi/pulumi-awsx classic/billing/metrics.ts (PR #659; @pulumi/awsx 3.0.0 metrics.d.ts): the
#:   ServiceName values of EstimatedCharges: AmazonCloudWatch, AmazonEC2, AmazonKinesis, AmazonRoute53,
#:   AmazonS3, AmazonSNS, AWSCloudTrail, AWSCodePipeline, AWSConfig, AWSDataTransfer, awskms, AWSLambda,
#:   AWSMarketplace, AWSQueueService, AWSSecretsManager, awswaf, AWSXRay, CodeBuild. Each AWS service among
#:   them is named, spelling and case included (awskms, AWSQueueService, CodeBuild), by its AWS Price List
#:   offer code, which is also the Cost and Usage Report's lineItem/ProductCode. That rule is how every value
#:   below that is not in this list was derived: it is the offer/product code a source names for the
#:   resource's charges, NOT a ServiceName value read from a published AWS/Billing metric (no such source was
#:   found for them).
#: - [infracost] infracost/infracost@95ba4f49 internal/resources/aws/<file>.go: the price-list ``Service`` a
#:   Terraform resource's cost components are looked up under.
#: - [cur-labs] awslabs/aws-well-architected-labs static/Cost/300_CUR_Queries/Code/<file>.sql:
#:   ``line_item_product_code`` of the service's CUR lines.
#: - [pricelist] the AWS Price List offer CSVs as copied in the labofsahil/aws-pricing-dataset Hugging Face
#:   dataset (<offer>.csv): its ``serviceCode`` column.
#: - [kc-eb] aws.amazon.com/premiumsupport/knowledge-center/eventbridge-reduce-charges (2021-12-13): EventBridge
#:   charges appear in the CUR as "CloudWatch Events: AWSEvents PutEvents <region>-Event(-64K-Chunks)".
#: - [prices] this repo's fixtures/cost/prices.yml ``free_resource_types`` (sources and dates there).
#:
#: A value is None when the prefix's resources are free: they add no service, so a tile on it does not count.
SERVICE_NAMES: Mapping[str, str | None] = MappingProxyType(
    {
        # Storage, catalog, query.
        "s3": "AmazonS3",  # [awsx]; [infracost] s3_bucket.go
        "glue": "AWSGlue",  # [infracost] glue_catalog_database.go, glue_crawler.go, glue_job.go
        "athena": "AmazonAthena",  # [cur-labs] Analytics/athena.sql (workgroups' cost, product code AmazonAthena)
        "sagemaker": "AmazonSageMaker",  # [cur-labs] Machine_Learning/sagemakerwrid.sql; awslabs/llmeter
        # llmeter/callbacks/cost/providers/sagemaker.py (hosting priced under service_code AmazonSageMaker)
        "lakeformation": None,  # permissions, settings, registered locations are free: [prices];
        # aws.amazon.com/lake-formation/pricing ("permissions ... provided free"); its paid parts (Storage API,
        # governed tables) have no Terraform resource here. Unsourced: the offer code of those paid parts.
        # Monitoring and alerting.
        "cloudwatch": "AmazonCloudWatch",  # [awsx]; [infracost] cloudwatch_dashboard.go, cloudwatch_metric_alarm.go
        "cloudwatch_log": "AmazonCloudWatch",  # CloudWatch Logs: [infracost] cloudwatch_log_group.go
        "cloudwatch_event": "AWSEvents",  # EventBridge (rules, targets, buses...): [infracost] cloudwatch_event_bus.go;
        # [kc-eb]; [pricelist] AWSEvents.csv (serviceName "CloudWatch Events")
        "scheduler": "AWSEvents",  # EventBridge Scheduler: [pricelist] AWSEvents.csv at 18779999 ("Scheduled
        # Invocation", usageType APN1-ScheduledInvocation, serviceCode AWSEvents);
        # [prices] scheduler_usd_per_1m_invocations
        "schemas": "AWSEvents",  # EventBridge schema discovery: [infracost] cloudwatch_event_bus.go
        "sns": "AmazonSNS",  # [awsx]; [infracost] sns_topic.go
        "sqs": "AWSQueueService",  # [awsx]; [infracost] sqs_queue.go
        "budgets": None,  # budgets without actions are free: [prices] aws_budgets_budget
        "budgets_budget_action": "AWSBudgets",  # action-enabled budgets past the first two are charged: [prices]
        # (AWS Price List AWSBudgets); Bjorn248/graphql_aws_pricing_api SCHEMATA.md lists the offer AWSBudgets
        "iam": None,  # IAM has no charge: [prices]
        # Compute and orchestration.
        "lambda": "AWSLambda",  # [awsx]; [infracost] lambda_function.go
        "apprunner": "AWSAppRunner",  # [pricelist] AWSAppRunner.csv at b691c14a (serviceCode AWSAppRunner, usageType
        # <region>-AppRunner-vCPU-hours, serviceName "AWS App Runner")
        "sfn": "AmazonStates",  # Step Functions: [infracost] sfn_state_machine.go; alexcasalboni gist b9b6c23b
        # (Price List GetProducts ServiceCode AmazonStates)
        "ecr": "AmazonECR",  # [infracost] ecr_repository.go. Unsourced, so unmapped: aws_ecrpublic_* (ECR Public)
        "instance": "AmazonEC2",  # [awsx]; [infracost] instance.go
        "ec2": "AmazonEC2",  # [infracost] ec2_host.go; but see the VPC-billed ec2_* below
        "ebs": "AmazonEC2",  # [infracost] ebs_volume.go, ebs_snapshot.go
        "eip": "AmazonEC2",  # [infracost] eip.go
        "nat": "AmazonEC2",  # NAT gateways: [infracost] nat_gateway.go
        "lb": "AWSELB",  # [infracost] lb.go
        "alb": "AWSELB",  # aws_alb is aws_lb's alias: [infracost] lb.go
        "elb": "AWSELB",  # [infracost] elb.go
        # Networking billed under Amazon VPC, not EC2, although Terraform names some of it ec2_.
        "ec2_transit_gateway": "AmazonVPC",  # [infracost] ec2_transit_gateway_vpc_attachment.go
        "ec2_client_vpn": "AmazonVPC",  # [infracost] ec2_client_vpn_endpoint.go
        "ec2_traffic_mirror": "AmazonVPC",  # [infracost] ec2_traffic_mirror_session.go
        "vpc_endpoint": "AmazonVPC",  # [infracost] vpc_endpoint.go
        "vpn_connection": "AmazonVPC",  # [infracost] vpn_connection.go
        # Streams: each Kinesis product is its own service. Unsourced, so unmapped: aws_kinesis_video_stream.
        "kinesis_stream": "AmazonKinesis",  # [awsx]; [infracost] kinesis_stream.go
        "kinesis_firehose": "AmazonKinesisFirehose",  # [infracost] kinesis_firehose_delivery_stream.go
        # Security, governance, developer tools: all in [awsx].
        "kms": "awskms",  # [infracost] kms_key.go
        "secretsmanager": "AWSSecretsManager",  # [infracost] secretsmanager_secret.go
        "route53": "AmazonRoute53",
        "cloudtrail": "AWSCloudTrail",
        "config": "AWSConfig",
        "xray": "AWSXRay",
        "waf": "awswaf",  # [infracost] waf_web_acl.go
        "wafv2": "awswaf",  # [infracost] wafv2_web_acl.go
        "codebuild": "CodeBuild",  # [infracost] codebuild_project.go
        "codepipeline": "AWSCodePipeline",
    }
)


def billing_prefix(resource_type: str) -> str | None:
    """The ``SERVICE_NAMES`` key that decides ``resource_type``'s service: the longest listed prefix of its tokens
    after ``aws_`` (None: no entry, so the type is neither mapped nor known to be free)."""
    provider, _, rest = resource_type.partition("_")
    if provider != "aws" or not rest:
        return None
    tokens = rest.split("_")
    for end in range(len(tokens), 0, -1):
        prefix = "_".join(tokens[:end])
        if prefix in SERVICE_NAMES:
            return prefix
    return None


def service_of(resource_type: str) -> str | None:
    """The ServiceName a resource of Terraform type ``resource_type`` is billed under (None: free or unknown;
    :func:`billing_prefix` tells the two apart)."""
    prefix = billing_prefix(resource_type)
    return SERVICE_NAMES[prefix] if prefix is not None else None


def stack_services(resource_types: Iterable[str]) -> frozenset[str]:
    """The ServiceNames the stack's resources (their Terraform types) are billed under."""
    return frozenset(s for t in resource_types if (s := service_of(t)) is not None)


def foreign_service(dimensions: Iterable[tuple[str, str]], services: frozenset[str]) -> str | None:
    """The ServiceName a series is split to when the stack uses no such service (None: it is not, or it does)."""
    named = dict(dimensions).get(SERVICE_DIMENSION)
    return named if named is not None and named not in services else None
