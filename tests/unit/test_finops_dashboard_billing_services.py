"""Exit check 7 counts an EstimatedCharges tile split by ServiceName only for a service the stack is billed under.

``ServiceName=AmazonEC2`` on a stack with no instance is the account's EC2 bill: published, fresh, and
none of the stack's cost is in it. The stack's services come from its resources' Terraform types
(``billing_services``): the state's, or, when the state is not given, what the outputs name.
"""

from __future__ import annotations

import json
from typing import Any

from lakehouse.checks.billing_services import service_of, stack_services
from lakehouse.checks.finops import check_finops, judge_finops, read_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import OUTPUTS, WG, healthy, metric_widget, stubbed_stack

OURS = {"stack_id": "lh-1"}
CHARGES = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
#: The stack's resources, as its state has them (a lakehouse: buckets, catalog, workgroup, model, alerts).
STATE_TYPES = [
    "aws_s3_bucket",
    "aws_s3_bucket_policy",
    "aws_glue_catalog_database",
    "aws_athena_workgroup",
    "aws_sagemaker_endpoint",
    "aws_sns_topic",
    "aws_sqs_queue",
    "aws_cloudwatch_dashboard",
    "aws_iam_role",
    "aws_lakeformation_permissions",
    "aws_budgets_budget",
]


def judged_billing(*rows: list[Any], **changes: Any) -> Any:
    """Exit 7's verdict on stack lh-1 (its budget and alarm tagged as its own) whose dashboard draws ``rows`` in
    us-east-1, where AWS/Billing is published; ``changes``: other fields of the readback, as ``healthy`` takes them."""
    body = {"widgets": [metric_widget(*rows, region="us-east-1")]}
    data = healthy(
        stack_id="lh-1",
        budget_tags=OURS,
        alarm_tags=OURS,
        dashboard_body=json.dumps(body),
        own_names=frozenset({WG}),
        **changes,
    )
    return judge_finops(data)


def judged(*rows: list[Any]) -> Any:
    return judged_billing(*rows, stack_services=stack_services(STATE_TYPES))


def test_charges_of_services_the_stack_does_not_use_are_not_the_stacks() -> None:
    """Broken dashboard: EC2, Redshift and Kinesis charges (published in a busy account), none of them the stack's."""
    result = judged(*[[*CHARGES, "ServiceName", s] for s in ("AmazonEC2", "AmazonRedshift", "AmazonKinesis")])
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0
    assert (
        "AWS/Billing EstimatedCharges Currency=USD ServiceName=AmazonEC2 [us-east-1]: the charges of "
        "ServiceName=AmazonEC2, a service none of stack lh-1's resources is billed under (theirs: AWSGlue, "
        "AWSQueueService, AmazonAthena, AmazonCloudWatch, AmazonS3, AmazonSNS, AmazonSageMaker)"
    ) in str(result.reason)


def test_a_linked_accounts_split_to_a_foreign_service_is_not_the_stacks() -> None:
    """Broken dashboard: this account's own LinkedAccount series, split to a service the stack does not use."""
    result = judged(CHARGES, [*CHARGES, "LinkedAccount", "123456789012", "ServiceName", "AmazonEC2"], CHARGES)
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 1
    assert "ServiceName=AmazonEC2, a service none of stack lh-1's resources is billed under" in str(result.reason)


def test_charges_of_the_services_the_stack_uses_count() -> None:
    """Healthy twin: the total and the S3, Glue and Athena splits hold the stack's cost."""
    result = judged(
        CHARGES,
        [*CHARGES, "ServiceName", "AmazonS3"],
        [*CHARGES, "ServiceName", "AWSGlue"],
        [*CHARGES, "ServiceName", "AmazonAthena"],
    )
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 4
    assert result.details["billing_services_of_the_stack"] == sorted(stack_services(STATE_TYPES))


def test_a_terraform_type_names_the_service_it_is_billed_under() -> None:
    """The table's lookup: ``aws_<service>_...``; free services (IAM, Lake Formation, Budgets) add none."""
    assert service_of("aws_glue_catalog_table") == "AWSGlue"
    assert service_of("aws_sqs_queue_policy") == "AWSQueueService"
    assert service_of("aws_instance") == "AmazonEC2"
    assert [service_of(t) for t in ("aws_iam_role", "aws_lakeformation_resource", "aws_budgets_budget")] == [None] * 3
    assert service_of("google_storage_bucket") is None


def test_the_reader_takes_the_stacks_services_from_its_state_else_from_its_outputs() -> None:
    """Wiring: the state's resource types when the step gives them; otherwise what the outputs name and the check
    reads (the outputs here name a topic; the check reads a dashboard, an alarm and a budget)."""
    from_state = read_finops(stubbed_stack(None), OUTPUTS, resource_types=["aws_s3_bucket", "aws_lambda_function"])
    assert from_state.stack_services == frozenset({"AmazonS3", "AWSLambda"})
    from_outputs = read_finops(stubbed_stack(None), OUTPUTS)
    assert from_outputs.stack_services == frozenset({"AmazonSNS", "AmazonCloudWatch"})
    assert check_finops(stubbed_stack(None), OUTPUTS).passed  # the healthy dashboard's total still counts
