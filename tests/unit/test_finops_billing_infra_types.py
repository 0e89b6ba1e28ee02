"""Exit check 7 knows every resource type the shipped infra/ root creates: each is billed under a sourced ServiceName
or sourced as free (``billing_services.SERVICE_NAMES``), so the stack's own tiles never read as someone else's cost.

A type no entry matches adds no service: its tile would fail on a healthy stack (false red). The types are read from
infra/*.tf with python-hcl2 (``lakehouse.tfsource``), so a resource added to the root without an entry fails here.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from lakehouse.checks.billing_services import SERVICE_NAMES, billing_prefix, service_of, stack_services
from lakehouse.config import project_root
from lakehouse.tfsource import document, is_configuration
from tests.unit.test_finops_dashboard_billing_services import CHARGES, judged_billing

INFRA = project_root() / "infra"


def infra_types() -> list[str]:
    """The ``aws_*`` resource types infra/'s configuration files declare."""
    found: set[str] = set()
    for path in sorted(p for p in INFRA.iterdir() if p.is_file() and is_configuration(p.name)):
        blocks = document(path).get("resource") or []
        for block in blocks if isinstance(blocks, list) else [blocks]:
            if isinstance(block, Mapping):
                found.update(str(kind) for kind in block if str(kind).startswith("aws_"))
    return sorted(found)


TYPES = infra_types()
SERVICES = sorted(stack_services(TYPES))


def test_the_root_is_read() -> None:
    """The reader finds the root's resources (a reader finding none would let every other test here pass)."""
    assert {"aws_s3_bucket", "aws_apprunner_service", "aws_scheduler_schedule", "aws_sagemaker_endpoint"} <= set(TYPES)


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_type_the_root_creates_has_a_sourced_entry(resource_type: str) -> None:
    prefix = billing_prefix(resource_type)
    assert prefix is not None, f"infra/ creates {resource_type}, which no SERVICE_NAMES entry maps or marks free"
    assert prefix in SERVICE_NAMES


def test_a_type_without_an_entry_is_told_apart_from_a_free_one() -> None:
    """The twin: a free type has its entry (None), an unknown one has none; both add no service."""
    assert (billing_prefix("aws_iam_role"), service_of("aws_iam_role")) == ("iam", None)
    assert (billing_prefix("aws_memorydb_cluster"), service_of("aws_memorydb_cluster")) == (None, None)


def test_the_roots_services() -> None:
    """What the shipped root is billed under, by the module's sourced entries."""
    assert stack_services(TYPES) == {
        "AWSAppRunner",
        "AWSEvents",
        "AWSGlue",
        "AWSQueueService",
        "AmazonAthena",
        "AmazonCloudWatch",
        "AmazonS3",
        "AmazonSNS",
        "AmazonSageMaker",
    }


@pytest.mark.parametrize("service", SERVICES)
def test_the_tile_of_each_service_of_the_root_counts(service: str) -> None:
    """A stack of the root's types: the total and the tiles of two of its services (this one and the next) all hold
    its cost (exit 7 wants 3 series of the stack)."""
    other = SERVICES[(SERVICES.index(service) + 1) % len(SERVICES)]
    rows = [CHARGES, *([*CHARGES, "ServiceName", s] for s in (service, other))]
    result = judged_billing(*rows, stack_services=stack_services(TYPES))
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 3
