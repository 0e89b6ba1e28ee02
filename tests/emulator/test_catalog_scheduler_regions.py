"""@STACK-catalog on the emulator over the state's regions: schedules listed only where Scheduler is offered.

EventBridge Scheduler is offered in more regions than App Runner, but a region of the state botocore's endpoint data
lists no Scheduler in (one it does not know: botocore 1.44 lists it in every region it knows) has no endpoint, and
on main ListSchedules there failed the whole check with EndpointConnectionError. It is now skipped with a note, as
App Runner is. The emulator answers in every region, so :class:`Unlisted` gives every service, in the regions it is
told, no endpoint, as AWS does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from lakehouse.catalog.service import CatalogHandle
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Status
from lakehouse.target import DEFAULT_REGION
from tests.emulator.test_catalog_apprunner_regions import AwsLike, _check, _healthy, _state_in
from tests.emulator.test_catalog_readback import NOTHING_LISTENS, _stack

#: A region of the aws partition botocore's data does not know, so offers no Scheduler in (nor App Runner).
UNKNOWN = "eu-future-9"


@dataclass(frozen=True)
class Unlisted(AwsLike):
    """:class:`AwsLike` where nothing listens in the ``unanswered`` regions for any service (``only``: that one)."""

    only: str | None = None

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        where = region or self.region
        if where in self.unanswered and self.only in (None, service):
            return self.session().client(service, region_name=where, endpoint_url=NOTHING_LISTENS)
        return super().client(service, region=region, **config)


def test_a_region_of_the_state_without_scheduler_is_skipped_with_a_note(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """main: ListSchedules in that region found no endpoint and the healthy stack's check was an error."""
    assert UNKNOWN not in boto3.session.Session().get_available_regions("scheduler")
    stack_id = "lh-sch-skip"
    _stack(emulator, stack_id)
    target = Unlisted(
        name="local", region=DEFAULT_REGION, endpoint_url=emulator.endpoint, unanswered=frozenset({UNKNOWN})
    )
    outcome = _check(target, services, stack_id, _state_in(target, stack_id, UNKNOWN))
    _healthy(outcome)
    notes = [note.split(",")[0] for note in outcome.details["notes"]]
    assert notes == [f"App Runner is not offered in {UNKNOWN}", f"EventBridge Scheduler is not offered in {UNKNOWN}"]
    assert not [call for call in target.calls if call[1] == UNKNOWN]


def test_a_region_that_offers_scheduler_and_does_not_answer_is_an_error(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """The twin: us-east-1 offers Scheduler, so no answer there means a schedule there cannot be known."""
    stack_id = "lh-sch-silent"
    _stack(emulator, stack_id)
    target = Unlisted(
        name="local",
        region=DEFAULT_REGION,
        endpoint_url=emulator.endpoint,
        unanswered=frozenset({"us-east-1"}),
        only="scheduler",
    )
    outcome = _check(target, services, stack_id, _state_in(target, stack_id, "us-east-1"))
    assert outcome.status is Status.ERROR
    assert "could not read the catalog's resources: Could not connect to the endpoint URL" in str(outcome.reason)
