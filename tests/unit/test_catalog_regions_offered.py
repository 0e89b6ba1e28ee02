"""@STACK-catalog over the regions of the stack's state: App Runner only where it is offered, schedules listed once.

App Runner has endpoints in some regions only (botocore's endpoint data); a region of the state without it has no
App Runner to list, so it is skipped with a note instead of failing the check with EndpointConnectionError. Each
region's schedules are listed once for all the services judged. The emulator tests
(tests/emulator/test_catalog_apprunner_regions.py) show both on the whole check.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from lakehouse.catalog.model import Entity
from lakehouse.catalog.regions import StackRegions, offers
from lakehouse.checks.catalog import AWS_NAME, ScheduleListings, _stack_services, lookup, read_pauses
from lakehouse.target import Target

PAUSE_TARGET = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"
SESSION = boto3.session.Session()
OFFERED = sorted(SESSION.get_available_regions("apprunner"))
#: Regions of the aws partition where botocore's data offers no App Runner (never a hand list).
NOT_OFFERED = sorted(set(SESSION.get_available_regions("sns")) - set(OFFERED))


@dataclass(frozen=True)
class NoCalls(Target):
    """A target any client of which fails the test: nothing may be asked."""

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        raise AssertionError(f"{service} was asked in {region or self.region}")


@dataclass(frozen=True)
class Counting(Target):
    """A target whose real clients count their calls by (service, region, operation)."""

    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter, compare=False, hash=False)

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        made = super().client(service, region=region, **config)
        where = region or self.region

        def count(model: Any, **_: Any) -> None:
            self.calls[(service, where, model.name)] += 1

        made.meta.events.register("before-call", count)
        return made


def test_offers_follows_botocores_endpoint_data() -> None:
    assert OFFERED and NOT_OFFERED
    assert all(offers("apprunner", region) for region in OFFERED)
    assert not any(offers("apprunner", region) for region in NOT_OFFERED)
    assert not offers("apprunner", "cn-north-1")  # the aws-cn partition lists none


def test_regions_without_app_runner_are_noted_and_not_asked() -> None:
    """main asked ListServices there: on aws EndpointConnectionError, the check an error."""
    home, other = NOT_OFFERED[:2]
    notes: list[str] = []
    assert _stack_services(NoCalls("aws", home), "lh-1", "lakehouse", StackRegions(home, (home, other)), notes) == []
    assert [note.split(",")[0] for note in notes] == [f"App Runner is not offered in {r}" for r in (home, other)]
    assert all(f"apprunner in aws in: {', '.join(OFFERED)})" in note for note in notes)


def _catalog_service() -> Entity:
    """catalog-info.yaml's Resource naming the catalog's App Runner service."""
    metadata = {"name": "lakehouse-catalog-service", "annotations": {AWS_NAME: "lakehouse-{stack_id}-catalog"}}
    return Entity({"kind": "Resource", "metadata": metadata, "spec": {"type": "apprunner-service"}}, 1, 0)


def test_the_catalogs_service_placed_in_a_region_without_app_runner_does_not_exist() -> None:
    """Its region is the state's (else the stack's): App Runner cannot run it there, so it is named absent."""
    name, nowhere = "lakehouse-lh-1-catalog", NOT_OFFERED[0]
    places = StackRegions(OFFERED[0], (OFFERED[0], nowhere), {("apprunner-service", name): nowhere})
    values = {"project": "lakehouse", "stack_id": "lh-1", "glue_prefix": "lakehouse_lh_1"}
    found = lookup(_catalog_service(), NoCalls("aws", OFFERED[0]), values, {}, places)
    assert found is not None
    assert (found.exists, found.why, found.region) == (False, f"App Runner is not offered in {nowhere}", nowhere)


def test_a_region_where_the_state_holds_a_service_is_read_whatever_the_endpoint_data_says() -> None:
    """Endpoint data older than App Runner's launch in a region must not hide the stack's service there."""
    nowhere = NOT_OFFERED[0]
    arn = f"arn:aws:apprunner:{nowhere}:123456789012:service/x/1"
    assert StackRegions(OFFERED[0], (OFFERED[0], nowhere), {}, (arn,)).has_apprunner(nowhere)
    assert not StackRegions(OFFERED[0], (OFFERED[0], nowhere)).has_apprunner(nowhere)


@pytest.fixture
def account(moto_aws: None) -> Iterator[Counting]:
    yield Counting(name="aws", region="eu-central-1")


def _pause(target: Target, region: str, service_arn: str, name: str) -> None:
    role = target.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            }
        ),
    )["Role"]["Arn"]
    target.client("scheduler", region=region).create_schedule(
        Name=name,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": PAUSE_TARGET, "RoleArn": role, "Input": json.dumps({"ServiceArn": service_arn})},
    )


def test_services_sharing_listings_list_each_region_once(account: Counting) -> None:
    """Three services, two regions: two ListSchedules (six when each service listed them), and each service still
    finds its own schedule only, in its region."""
    regions = ("eu-central-1", "us-east-1")
    arns = [f"arn:aws:apprunner:{r}:123456789012:service/s{i}/x" for i, r in enumerate((*regions, regions[0]))]
    for i, arn in enumerate(arns):
        _pause(account, arn.split(":")[3], arn, f"pause-{i}")
    listings = ScheduleListings(account)
    found = {arn: read_pauses(account, arn, None, regions, listings) for arn in arns}
    assert {arn: [(p.name, p.region) for p in pauses] for arn, pauses in found.items()} == {
        arn: [(f"default/pause-{i}", arn.split(":")[3])] for i, arn in enumerate(arns)
    }
    listed = {region: n for (_, region, op), n in account.calls.items() if op == "ListSchedules"}
    assert listed == {"eu-central-1": 1, "us-east-1": 1}
    assert sum(n for (_, _, op), n in account.calls.items() if op == "GetSchedule") == 3
