"""@STACK-catalog over the regions of the stack's state: EventBridge Scheduler listed only where it is offered.

Scheduler has endpoints in more regions than App Runner but not in all (botocore's endpoint data). A region of the
state without it holds no schedule: it is skipped with a note instead of failing the check with
EndpointConnectionError. A service whose own region has no Scheduler cannot be paused (a schedule's universal target
calls pauseService in the schedule's own region), so the missing schedule still fails the idle judgement, naming why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from lakehouse.catalog.regions import StackRegions, offers, stack_regions
from lakehouse.checks.catalog import PauseSchedule, ScheduleListings, judge_idle, read_pauses
from lakehouse.target import Target

SESSION = boto3.session.Session()
OFFERED = sorted(SESSION.get_available_regions("scheduler"))
#: Regions of the aws partition where botocore's data offers no Scheduler. Botocore 1.44 lists it in every region
#: it knows, so this is a region it does not know (one launched after it: on aws the partition's endpoint pattern
#: names a host there, which answers only if Scheduler runs there), plus any a later botocore lists without it.
NOT_OFFERED = sorted(set(SESSION.get_available_regions("ec2")) - set(OFFERED)) + ["eu-future-9"]


@dataclass(frozen=True)
class NoCalls(Target):
    """A target any client of which fails the test: nothing may be asked."""

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        raise AssertionError(f"{service} was asked in {region or self.region}")


@dataclass(frozen=True)
class Unreachable(Target):
    """A target whose every endpoint does not answer."""

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        raise EndpointConnectionError(endpoint_url=f"https://{service}.{region or self.region}.amazonaws.com")


def test_offers_follows_botocores_scheduler_data() -> None:
    assert OFFERED and "eu-future-9" not in SESSION.get_available_regions("ec2")
    assert SESSION.get_partition_for_region("eu-future-9") == "aws"
    assert all(offers("scheduler", region) for region in OFFERED)
    assert not any(offers("scheduler", region) for region in NOT_OFFERED)


def test_a_region_without_scheduler_is_noted_and_not_asked() -> None:
    """main asked ListSchedules there: on aws EndpointConnectionError, the check an error."""
    nowhere = NOT_OFFERED[0]
    arn = f"arn:aws:apprunner:{nowhere}:123456789012:service/s/1"
    listings = ScheduleListings(NoCalls("aws", OFFERED[0]))
    assert read_pauses(NoCalls("aws", OFFERED[0]), arn, None, (nowhere,), listings) == []
    assert [note.split(",")[0] for note in listings.notes] == [f"EventBridge Scheduler is not offered in {nowhere}"]
    assert f"scheduler in aws in: {', '.join(OFFERED)})" in listings.notes[0]


def test_a_region_that_offers_scheduler_and_does_not_answer_stays_an_error() -> None:
    """The healthy twin of the skip: only botocore's data excuses a region, never a failed call."""
    listings = ScheduleListings(Unreachable("aws", OFFERED[0]), StackRegions(OFFERED[0], (OFFERED[0],)))
    with pytest.raises(EndpointConnectionError):
        listings.pausing(OFFERED[0])
    assert listings.notes == []


def test_a_region_where_the_state_holds_a_schedule_is_listed_whatever_the_endpoint_data_says() -> None:
    """Endpoint data older than Scheduler's launch in a region must not hide the stack's schedule there."""
    nowhere = NOT_OFFERED[0]
    schedule = {
        "mode": "managed",
        "type": "aws_scheduler_schedule",
        "values": {"arn": f"arn:aws:scheduler:{nowhere}:1:schedule/d/p"},
    }
    places = stack_regions({"values": {"root_module": {"resources": [schedule]}}}, OFFERED[0])
    assert places.has("scheduler", nowhere) and not StackRegions(OFFERED[0], (nowhere,)).has("scheduler", nowhere)
    with pytest.raises(EndpointConnectionError):  # asked, not skipped
        ScheduleListings(Unreachable("aws", OFFERED[0]), places).pausing(nowhere)


def _service(region: str) -> dict[str, Any]:
    arn = f"arn:aws:apprunner:{region}:123456789012:service/lakehouse-lh-1-catalog/1"
    return {"ServiceArn": arn, "Status": "RUNNING", "InstanceConfiguration": {"Memory": "2048"}}


def test_a_service_in_a_region_without_scheduler_is_not_paused_and_says_why() -> None:
    """Its pause schedule would have to be in its own region, where there can be none: the skip must not pass it."""
    nowhere = NOT_OFFERED[0]
    problems = judge_idle("lakehouse-lh-1-catalog", _service(nowhere), [], 1)
    assert len(problems) == 1 and "has no schedule that pauses it" in problems[0]
    assert f"none can be there: EventBridge Scheduler is not offered in {nowhere} (botocore" in problems[0]
    # one made in a region with Scheduler pauses that region's service, not this one
    elsewhere = PauseSchedule("default/p", "ENABLED", "rate(1 hour)", "r", True, region=OFFERED[0])
    problems = judge_idle("lakehouse-lh-1-catalog", _service(nowhere), [elsewhere], 1)
    assert len(problems) == 1 and "is not paused when idle" in problems[0]
    assert f"EventBridge Scheduler is not offered in {nowhere}" in problems[0]


def test_a_service_in_a_region_with_scheduler_names_no_such_reason() -> None:
    """The healthy twin: where Scheduler is offered, a missing schedule is only missing."""
    problems = judge_idle("lakehouse-lh-1-catalog", _service(OFFERED[0]), [], 1)
    assert len(problems) == 1 and "not offered" not in problems[0]
    good = PauseSchedule("default/p", "ENABLED", "rate(1 hour)", "r", True, region=OFFERED[0])
    assert judge_idle("lakehouse-lh-1-catalog", _service(OFFERED[0]), [good], 1) == []
