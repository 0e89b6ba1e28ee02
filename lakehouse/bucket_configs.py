"""The configurations a bucket carries besides its own settings, each one a Terraform resource of its own.

Since provider v4 an ``aws_s3_bucket`` manages neither its notifications nor its replication,
CORS, website, logging, lifecycle, policy, ... : each is a separate resource
(``aws_s3_bucket_notification``, ...). One set on a stack bucket outside Terraform is in no
state, and ``terraform plan`` shows nothing (the root does not declare it, and the bucket's
deprecated computed attributes never diff). So exit check 5 reads each of them on every stack
bucket and compares with state by bucket (and configuration id, for the kinds a bucket has many of).

Only configurations a bucket has by choice are read: versioning, encryption, ownership controls and
the public access block have AWS defaults on every bucket (and the root manages all four, so their
drift shows in the plan).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class BucketConfig:
    """One configuration found on a bucket: the Terraform type that manages it, the key state is
    compared by (``bucket``, or ``bucket:id``), and what a person reads."""

    kind: str
    key: str
    name: str


@dataclass(frozen=True)
class _Single:
    """A configuration a bucket has at most one of."""

    kind: str
    label: str
    operation: str
    absent: tuple[str, ...]  # error codes that mean "not configured"
    present: Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class _Many:
    """Configurations a bucket has several of, each by id (listed, ``ContinuationToken`` paged)."""

    kind: str
    label: str
    operation: str
    items: str


def _any_field(answer: Mapping[str, Any]) -> bool:
    return any(k != "ResponseMetadata" for k in answer)


SINGLE = (
    # Topic, queue, Lambda or EventBridge (an empty ``EventBridgeConfiguration`` turns it on): any field is one.
    _Single(
        "aws_s3_bucket_notification",
        "notification configuration",
        "get_bucket_notification_configuration",
        (),
        _any_field,
    ),
    _Single(
        "aws_s3_bucket_replication_configuration",
        "replication configuration",
        "get_bucket_replication",
        ("ReplicationConfigurationNotFoundError",),
        _any_field,
    ),
    _Single(
        "aws_s3_bucket_cors_configuration",
        "CORS configuration",
        "get_bucket_cors",
        ("NoSuchCORSConfiguration",),
        _any_field,
    ),
    _Single(
        "aws_s3_bucket_website_configuration",
        "website configuration",
        "get_bucket_website",
        ("NoSuchWebsiteConfiguration",),
        _any_field,
    ),
    _Single(
        "aws_s3_bucket_logging", "access logging", "get_bucket_logging", (), lambda a: bool(a.get("LoggingEnabled"))
    ),
    _Single(
        "aws_s3_bucket_lifecycle_configuration",
        "lifecycle configuration",
        "get_bucket_lifecycle_configuration",
        ("NoSuchLifecycleConfiguration",),
        lambda a: bool(a.get("Rules")),
    ),
    _Single(
        "aws_s3_bucket_policy",
        "bucket policy",
        "get_bucket_policy",
        ("NoSuchBucketPolicy",),
        lambda a: bool(a.get("Policy")),
    ),
    _Single(
        "aws_s3_bucket_accelerate_configuration",
        "transfer acceleration",
        "get_bucket_accelerate_configuration",
        (),
        lambda a: a.get("Status") == "Enabled",
    ),
    _Single(
        "aws_s3_bucket_request_payment_configuration",
        "requester pays",
        "get_bucket_request_payment",
        (),
        lambda a: a.get("Payer") == "Requester",
    ),
    _Single(
        "aws_s3_bucket_object_lock_configuration",
        "object lock configuration",
        "get_object_lock_configuration",
        ("ObjectLockConfigurationNotFoundError",),
        lambda a: bool((a.get("ObjectLockConfiguration") or {}).get("Rule")),
    ),
)

MANY = (
    _Many(
        "aws_s3_bucket_inventory",
        "inventory configuration",
        "list_bucket_inventory_configurations",
        "InventoryConfigurationList",
    ),
    _Many(
        "aws_s3_bucket_metric",
        "metrics configuration",
        "list_bucket_metrics_configurations",
        "MetricsConfigurationList",
    ),
    _Many(
        "aws_s3_bucket_analytics_configuration",
        "analytics configuration",
        "list_bucket_analytics_configurations",
        "AnalyticsConfigurationList",
    ),
    _Many(
        "aws_s3_bucket_intelligent_tiering_configuration",
        "intelligent-tiering configuration",
        "list_bucket_intelligent_tiering_configurations",
        "IntelligentTieringConfigurationList",
    ),
)

#: How a state entry of each kind names what ``bucket_configs`` finds (``BucketConfig.key``).
STATE_KEY: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    **{c.kind: (lambda v: str(v["bucket"])) for c in SINGLE},
    **{c.kind: (lambda v: f"{v['bucket']}:{v['name']}") for c in MANY},
}

#: One read of one bucket: (what was read, the operation to call). The caller runs it and records a failure.
Read = tuple[str, Callable[[], list[BucketConfig]]]


def bucket_configs(s3: Any, bucket: str) -> Iterator[Read]:
    """Each read of ``bucket``'s configurations (an answer that says "not configured" reads as none)."""
    for single in SINGLE:
        yield f"s3 {single.operation} of {bucket}", _single(s3, bucket, single)
    for many in MANY:
        yield f"s3 {many.operation} of {bucket}", _many(s3, bucket, many)


def _single(s3: Any, bucket: str, config: _Single) -> Callable[[], list[BucketConfig]]:
    def read() -> list[BucketConfig]:
        try:
            answer = getattr(s3, config.operation)(Bucket=bucket)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in config.absent:
                return []
            raise
        if not config.present(answer):
            return []
        return [BucketConfig(config.kind, bucket, f"{config.label} of {bucket}")]

    return read


def _many(s3: Any, bucket: str, config: _Many) -> Callable[[], list[BucketConfig]]:
    def read() -> list[BucketConfig]:
        found = []
        token: dict[str, str] = {}
        while True:  # botocore has no paginators for these listings
            page = getattr(s3, config.operation)(Bucket=bucket, **token)
            for item in page.get(config.items) or []:
                found.append(
                    BucketConfig(config.kind, f"{bucket}:{item['Id']}", f"{config.label} {item['Id']} of {bucket}")
                )
            if page.get("IsTruncated") is not True or not page.get("NextContinuationToken"):
                return found
            token = {"ContinuationToken": page["NextContinuationToken"]}

    return read
