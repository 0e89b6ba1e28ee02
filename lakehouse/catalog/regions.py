"""Where a stack's resources live, as its Terraform state says: each resource in the region it was made in.

A root can deploy to more than one region (infra/providers.tf's ``aws.use1`` provider puts the billing alarm in
us-east-1 whatever the stack's region), and a resource's provider is not in ``terraform show -json``'s state. What
is there is what AWS answered: a regional resource's ARN names its region (``arn:aws:apprunner:us-east-1:...``),
and an S3 bucket (whose ARN has none) keeps a ``region`` attribute. So @STACK-catalog reads each resource the
catalog names in its own region and looks for the stack's App Runner services in every region the stack used
that offers App Runner (:func:`offers`: App Runner runs in some regions only, and elsewhere has no endpoint), and
lists the schedules that pause them in every region that offers EventBridge Scheduler (offered in more regions than
App Runner, but not in all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3
import botocore

from lakehouse.terraform import state_resources

#: Terraform type -> (the catalog's spec.type, the attribute holding the name the catalog names it by).
NAMED_KINDS = {
    "aws_s3_bucket": ("s3-bucket", "bucket"),
    "aws_glue_catalog_database": ("glue-database", "name"),
    "aws_athena_workgroup": ("athena-workgroup", "name"),
    "aws_apprunner_service": ("apprunner-service", "service_name"),
}


def resource_region(values: Mapping[str, Any]) -> str | None:
    """The region a state resource lives in: its ARN's region, else its ``region`` attribute (None: global or
    unknown, e.g. IAM)."""
    arn = str(values.get("arn") or "")
    parts = arn.split(":")
    if arn.startswith("arn:") and len(parts) >= 6 and parts[3]:
        return parts[3]
    region = values.get("region")
    return str(region) if isinstance(region, str) and region else None


@dataclass(frozen=True)
class StackRegions:
    """The stack's regions (its own first) and the region of each named resource the state holds."""

    home: str
    regions: tuple[str, ...]
    #: (catalog type, name) -> region, for the kinds the catalog names (``NAMED_KINDS``).
    placed: dict[tuple[str, str], str] = field(default_factory=dict)
    #: ARNs of the App Runner services in state, each judged in its region whatever its name or tags.
    apprunner_arns: tuple[str, ...] = ()
    #: (ARN service namespace, region) of every resource in state: a service the stack made something of there.
    held: frozenset[tuple[str, str]] = frozenset()

    def region_of(self, kind: str, name: str) -> str:
        """Where the stack made the resource of that kind and name; its own region when the state does not say."""
        return self.placed.get((kind, name), self.home)

    def has_apprunner(self, region: str) -> bool:
        """Whether a service of the stack can be in ``region``: botocore's endpoint data offers App Runner there
        (:func:`offers`), or the state holds one there (endpoint data older than App Runner's launch there)."""
        return offers("apprunner", region) or any(resource_region({"arn": a}) == region for a in self.apprunner_arns)

    def has(self, service: str, region: str) -> bool:
        """Whether ``service`` (a botocore name that is also its ARN namespace, ``scheduler``) can be read in
        ``region``: botocore's endpoint data offers it there (:func:`offers`), or the state holds a resource of it
        there (endpoint data older than the service's launch there)."""
        return offers(service, region) or (service, region) in self.held


def stack_regions(state: Mapping[str, Any] | None, home: str) -> StackRegions:
    """The regions of ``state`` (``terraform show -json``), ``home`` (the target's region) first; only ``home``
    when there is no state to read."""
    regions = [home]
    placed: dict[tuple[str, str], str] = {}
    services: list[str] = []
    held: set[tuple[str, str]] = set()
    for res in state_resources(state or {}):
        values = res.get("values") or {}
        region = resource_region(values)
        if region is None:
            continue
        if region not in regions:
            regions.append(region)
        if str(values.get("arn") or "").startswith("arn:"):
            held.add((str(values["arn"]).split(":")[2], region))
        kind = NAMED_KINDS.get(str(res.get("type")))
        if kind is not None and values.get(kind[1]):
            placed[(kind[0], str(values[kind[1]]))] = region
        if res.get("type") == "aws_apprunner_service" and values.get("arn"):
            services.append(str(values["arn"]))
    return StackRegions(home, tuple(regions), placed, tuple(services), frozenset(held))


@cache
def _offered(service: str, partition: str) -> frozenset[str]:
    return frozenset(boto3.session.Session().get_available_regions(service, partition_name=partition))


def offers(service: str, region: str) -> bool:
    """Whether ``service`` (a botocore name, ``apprunner``) has an endpoint in ``region``, as botocore's endpoint
    data (``botocore/data/endpoints.json``) lists it for the region's partition. Elsewhere a call fails with no
    answer (EndpointConnectionError): there is nothing to read there, not something that could not be read."""
    partition = boto3.session.Session().get_partition_for_region(region)
    return region in _offered(service, partition)


def not_offered_note(service: str, what: str, region: str) -> str:
    """The evidence's note for a region of the stack's state where ``service`` was not read because it has no
    endpoint there (:func:`offers`), naming the data that says so."""
    why = source(service, region)
    return f"{what} is not offered in {region}, a region of the stack's state, so it was not read there {why}"


def source(service: str, region: str) -> str:
    """The data :func:`offers` judged by, as evidence: botocore's version and the regions it lists ``service`` in
    for ``region``'s partition."""
    partition = boto3.session.Session().get_partition_for_region(region)
    offered = ", ".join(sorted(_offered(service, partition))) or "none"
    return f"(botocore {botocore.__version__} endpoint data lists {service} in {partition} in: {offered})"
