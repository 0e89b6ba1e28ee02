"""Exit check 7: a ServiceName tile counts exactly when the stack's resources are billed under that ServiceName.

The Terraform type's service token is not always the billing service: ``aws_cloudwatch_event_rule`` is
EventBridge (``AWSEvents``), ``aws_kinesis_firehose_delivery_stream`` is Firehose (``AmazonKinesisFirehose``),
a transit gateway attachment (``aws_ec2_...``) is billed under ``AmazonVPC``. Mapped wrong, a healthy stack's
tile fails (false red) or a tile of someone else's cost passes (a broken stack passes).
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.billing_services import service_of, stack_services
from lakehouse.outcome import Status
from tests.unit.test_finops_dashboard_billing_services import CHARGES, STATE_TYPES, judged_billing


def judged(types: list[str], service: str) -> Any:
    """Exit 7's verdict on a dashboard with the total, the S3 split and a ``service`` split, for a stack of ``types``
    (the check wants 3 series of the stack)."""
    rows = [CHARGES, [*CHARGES, "ServiceName", "AmazonS3"], [*CHARGES, "ServiceName", service]]
    return judged_billing(*rows, stack_services=stack_services(types))


#: A resource and the ServiceName its charges are billed under (sources: ``billing_services.SERVICE_NAMES``).
BILLED_UNDER = [
    ("aws_scheduler_schedule", "AWSEvents"),  # the stack's own hourly pause (infra/)
    ("aws_apprunner_service", "AWSAppRunner"),  # the catalog's service (infra/catalog_service.tf)
    ("aws_cloudwatch_event_rule", "AWSEvents"),
    ("aws_sfn_state_machine", "AmazonStates"),
    ("aws_ecr_repository", "AmazonECR"),
    ("aws_kinesis_firehose_delivery_stream", "AmazonKinesisFirehose"),
    ("aws_ec2_transit_gateway_vpc_attachment", "AmazonVPC"),
]


@pytest.mark.parametrize(("resource_type", "service"), BILLED_UNDER)
def test_a_tile_of_a_service_the_stack_is_billed_under_counts(resource_type: str, service: str) -> None:
    """False red fixed: the stack has the resource, its charges are in that ServiceName's series."""
    result = judged([*STATE_TYPES, resource_type], service)
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 3
    assert service in result.details["billing_services_of_the_stack"]


@pytest.mark.parametrize("service", sorted({service for _, service in BILLED_UNDER}))
def test_the_same_tile_without_the_resource_does_not_count(service: str) -> None:
    """Twin: the lakehouse's own resources (no schedule, rule, state machine, registry, stream, gateway) are
    billed under none of these services, so their tile holds none of its cost."""
    result = judged(STATE_TYPES, service)
    assert result.status is Status.FAILED
    assert f"the charges of ServiceName={service}, a service none of stack lh-1's resources" in str(result.reason)


@pytest.mark.parametrize(
    ("resource_type", "service"),
    [
        ("aws_kinesis_firehose_delivery_stream", "AmazonKinesis"),  # a Firehose is not a Kinesis data stream
        ("aws_ec2_transit_gateway_vpc_attachment", "AmazonEC2"),  # a transit gateway is not an instance
    ],
)
def test_a_tile_of_a_service_named_like_the_resource_but_billed_apart_does_not_count(
    resource_type: str, service: str
) -> None:
    """Broken dashboard: the tile's service shares the Terraform type's first token, none of the stack's cost."""
    result = judged([*STATE_TYPES, resource_type], service)
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 2  # the total and S3
    assert (
        f"AWS/Billing EstimatedCharges Currency=USD ServiceName={service} [us-east-1]: the charges of "
        f"ServiceName={service}, a service none of stack lh-1's resources is billed under"
    ) in str(result.reason)


def test_eventbridge_resources_are_not_billed_under_cloudwatch() -> None:
    """``aws_cloudwatch_event_*`` is EventBridge: a stack whose only CloudWatch-named resources are event rules
    uses no AmazonCloudWatch; alarms, dashboards and log groups do."""
    assert stack_services(["aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"]) == {"AWSEvents"}
    assert [
        service_of(t) for t in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard", "aws_cloudwatch_log_group")
    ] == ["AmazonCloudWatch"] * 3


def test_the_longest_listed_prefix_decides_and_an_unlisted_service_is_not_guessed() -> None:
    """Lookup: the longest prefix of the type's tokens; free services and unknown ones add no service."""
    assert service_of("aws_scheduler_schedule_group") == "AWSEvents"
    assert service_of("aws_kinesis_stream_consumer") == "AmazonKinesis"
    assert service_of("aws_ec2_host") == "AmazonEC2"
    assert service_of("aws_ecr_repository_policy") == "AmazonECR"
    assert service_of("aws_budgets_budget_action") == "AWSBudgets"
    assert [service_of(t) for t in ("aws_budgets_budget", "aws_iam_role", "aws_lakeformation_permissions")] == [
        None
    ] * 3
    # Unsourced: unmapped rather than billed under the first token's service.
    assert [service_of(t) for t in ("aws_kinesis_video_stream", "aws_ecrpublic_repository", "aws_")] == [None] * 3
