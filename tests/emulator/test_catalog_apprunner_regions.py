"""@STACK-catalog on the emulator over the state's regions: App Runner read where it is offered, schedules listed once.

App Runner runs in some regions only (botocore's endpoint data lists them); elsewhere there is no endpoint and a
call fails with no answer (EndpointConnectionError). On main a region of the state without App Runner (one the
stack uses for something else) made the App Runner listing fail and the whole check ``error``; it is now skipped
with a note in the evidence, while a region that offers App Runner and does not answer stays an error. The emulator
answers in every region, so :class:`AwsLike` gives App Runner, in the regions it is told, no endpoint, as AWS does.

On main the schedules of every region of the state were listed again for each App Runner service; they are now
listed once per region (counted on the real clients by botocore's ``before-call`` event).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from lakehouse.catalog.service import CatalogHandle
from lakehouse.checks.catalog import check_catalog
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.target import DEFAULT_REGION, Target
from tests.emulator.test_catalog_readback import CATALOG, HOME, NOTHING_LISTENS, _stack
from tests.emulator.test_catalog_services import _pause_hourly, _service

OTHER_REGION = "us-east-1"


def _without_apprunner() -> str:
    """A region of the aws partition where botocore's endpoint data offers no App Runner (never a hand list)."""
    session = boto3.session.Session()
    offered = set(session.get_available_regions("apprunner"))
    return sorted(set(session.get_available_regions("sns")) - offered)[0]


@dataclass(frozen=True)
class AwsLike(Target):
    """The emulator, as AWS is in two ways: App Runner has no endpoint in ``unanswered`` regions (a call there finds
    nothing listening), and every API call is counted by (service, region, operation) on the real client."""

    unanswered: frozenset[str] = frozenset()
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter, compare=False, hash=False)

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        where = region or self.region
        if service == "apprunner" and where in self.unanswered:
            return self.session().client(service, region_name=where, endpoint_url=NOTHING_LISTENS)
        made = super().client(service, region=region, **config)

        def count(model: Any, **_: Any) -> None:
            self.calls[(service, where, model.name)] += 1

        made.meta.events.register("before-call", count)
        return made


def _target(
    emulator: EmulatorHandle, region: str = DEFAULT_REGION, unanswered: frozenset[str] = frozenset()
) -> AwsLike:
    return AwsLike(name="local", region=region, endpoint_url=emulator.endpoint, unanswered=unanswered)


def _state_in(target: Target, stack_id: str, *regions: str) -> dict[str, Any]:
    """A state with one SNS topic of the stack in each of ``regions`` (as infra/finops.tf's billing topic)."""
    account = target.client("sts").get_caller_identity()["Account"]
    managed = [
        {
            "mode": "managed",
            "type": "aws_sns_topic",
            "values": {"arn": f"arn:aws:sns:{r}:{account}:lakehouse-{stack_id}"},
        }
        for r in regions
    ]
    return {"values": {"root_module": {"resources": managed}}}


def _healthy(outcome: Outcome) -> None:
    """Judged, and nothing wrong but MLflow (the lineage service stands at its URL and answers nothing there)."""
    assert outcome.status is not Status.ERROR, outcome.reason
    assert [p for p in outcome.details["problems"]["resources"] if not p.startswith("resource:default/mlflow ")] == []
    for part in ("ownership", "idle", "served"):
        assert outcome.details["problems"][part] == [], part


def _check(target: AwsLike, services: tuple[CatalogHandle, LineageHandle], stack_id: str, state: Any) -> Outcome:
    catalog, lineage = services
    urls = {"lineage": lineage.url, "mlflow": lineage.url}
    return check_catalog(CATALOG, target, stack_id, urls, catalog.url, state=state, repository=HOME)


def test_a_region_of_the_state_without_app_runner_is_skipped_with_a_note(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """main: ListServices in that region found no endpoint and the healthy stack's check was an error."""
    stack_id = "lh-ar-skip"
    _stack(emulator, stack_id)
    nowhere = _without_apprunner()
    target = _target(emulator, unanswered=frozenset({nowhere}))
    outcome = _check(target, services, stack_id, _state_in(target, stack_id, nowhere))
    _healthy(outcome)
    [note] = outcome.details["notes"]
    assert note.startswith(f"App Runner is not offered in {nowhere}, a region of the stack's state, so it was not read")
    offered = sorted(boto3.session.Session().get_available_regions("apprunner"))
    assert note.endswith(f"apprunner in aws in: {', '.join(offered)})")
    assert not [call for call in target.calls if call[0] == "apprunner" and call[1] == nowhere]


def test_a_region_that_offers_app_runner_and_does_not_answer_is_an_error(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """The twin: us-east-1 offers App Runner, so no answer there means the stack's services cannot be known."""
    stack_id = "lh-ar-silent"
    _stack(emulator, stack_id)
    target = _target(emulator, unanswered=frozenset({OTHER_REGION}))
    outcome = _check(target, services, stack_id, _state_in(target, stack_id, OTHER_REGION))
    assert outcome.status is Status.ERROR
    assert "could not read the catalog's resources: Could not connect to the endpoint URL" in str(outcome.reason)


def test_each_regions_schedules_are_listed_once_for_all_the_stacks_services(
    emulator: EmulatorHandle, services: tuple[CatalogHandle, LineageHandle]
) -> None:
    """Three services (the catalog's, one more in the stack's region, one in us-east-1), two regions: ListSchedules
    twice, not once per service and region (six on main); the verdict is unchanged (each paused in its region)."""
    stack_id = "lh-ar-once"
    _stack(emulator, stack_id)
    home, use1 = _target(emulator), _target(emulator, OTHER_REGION)
    for where, name in ((home, f"lakehouse-{stack_id}-preview"), (use1, f"lakehouse-{stack_id}-batch")):
        _pause_hourly(where, name, _service(where, name))
    target = _target(emulator)
    outcome = _check(target, services, stack_id, _state_in(target, stack_id, OTHER_REGION))
    _healthy(outcome)
    assert len(outcome.details["other_services"]) == 2
    listed = {(region, n) for (service, region, op), n in target.calls.items() if op == "ListSchedules"}
    assert listed == {(DEFAULT_REGION, 1), (OTHER_REGION, 1)}
