"""How long each planned App Runner service runs a month: in use, and idle until the plan's pause fires.

App Runner has no auto-pause: a RUNNING service bills (and draws) its provisioned memory while idle.
The stack pauses the catalog itself with an EventBridge Scheduler schedule calling App Runner's
PauseService (infra/catalog_service.tf). So the idle hours are the plan's, not the usage file's: a
service some enabled pause schedule of its own region targets (already started, never ending) runs at most
the schedule's window after each resume (``resumes`` in fixtures/cost/usage.yml); a service nothing pauses
runs all month. The cost and CO2
KPIs both price these hours, and their evidence says which schedule (or none) decided them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lakehouse.schedule_gap import Gap, Unjudged, longest_gap

if TYPE_CHECKING:
    from lakehouse.kpi.cost import PlannedResource

HOURS_PER_MONTH = 730.0
PAUSE_TARGET = ":apprunner:pauseService"
RESUME_TARGET = ":apprunner:resumeService"


@lru_cache(maxsize=64)
def _gap(expression: str, timezone: str | None) -> Gap | str:
    """The evaluator's answer once per expression: its longest gap, or why it cannot tell (a cron is read over
    400 days, up to seconds)."""
    try:
        return longest_gap(expression, timezone)
    except Unjudged as err:
        return str(err)


def window_hours(expression: str, timezone: str | None = None) -> float | None:
    """Longest gap between two firings of a schedule expression (hours), a cron read in ``timezone`` with its
    DST shifts (``lakehouse.schedule_gap``); None when it cannot be told or the schedule stops firing."""
    gap = _gap(expression, timezone)
    return None if isinstance(gap, str) or math.isinf(gap.hours) else gap.hours


def _why_no_window(expression: str, timezone: str | None) -> str:
    """Why ``window_hours`` is None for the expression, as the evaluator says it."""
    gap = _gap(expression, timezone)
    return gap if isinstance(gap, str) else gap.why


@dataclass(frozen=True)
class RunningHours:
    """One service's month: hours in use, hours running idle, and what decided the idle hours."""

    service: str
    active: float
    idle: float
    paused_by: str | None
    window_h: float | None
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _service_arn_in(schedule: PlannedResource) -> str | None:
    """The ServiceArn the schedule's target input names, when the plan knows it."""
    for target in schedule.values.get("target") or []:
        try:
            doc = json.loads(str(target.get("input") or ""))
        except json.JSONDecodeError:
            continue
        if isinstance(doc, dict) and doc.get("ServiceArn"):
            return str(doc["ServiceArn"])
    return None


def _targets(schedule: PlannedResource, service: PlannedResource) -> bool:
    """Whether ``schedule``'s target input is ``service``: by ARN when both are known, else by a reference of its
    ``target`` block. A reference elsewhere (a name built from the service's) says nothing of what it pauses: a
    schedule copied for another service and named after it may still pass the first one's ARN."""
    named, arn = _service_arn_in(schedule), service.values.get("arn")
    if named and arn:
        return bool(named == arn)
    base = service.address.split("[", 1)[0]
    in_target = schedule.attribute_references.get("target", frozenset())
    return service.address in in_target or base in in_target


def _elsewhere(schedule: PlannedResource, service: PlannedResource) -> str | None:
    """Why a schedule of another region than the service cannot pause it (None: same region).

    A universal target (``arn:aws:scheduler:::aws-sdk:apprunner:pauseService``) names no region: its ARN's region
    field is empty and only ``Arn``, ``RoleArn`` and ``Input`` configure it (EventBridge Scheduler User Guide,
    "Using universal targets", https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html),
    so Scheduler, a regional service, calls the API in the schedule's own region; App Runner there knows no service
    of another region's ARN (ResourceNotFoundException), so the pause never happens."""
    if schedule.region == service.region:
        return None
    return (
        f"{schedule.address} is in {schedule.region or 'a region the plan does not tell'}: its universal target calls "
        f"pauseService in that region, not {service.region or 'the unknown region'} where {service.address} is"
    )


def _not_pausing(schedule: PlannedResource, service: PlannedResource) -> str | None:
    """Why a schedule calling PauseService does not bound ``service``'s idle hours (None: it does)."""
    if elsewhere := _elsewhere(schedule, service):
        return elsewhere
    v = schedule.values
    if str(v.get("state", "ENABLED")) != "ENABLED":
        return f"{schedule.address} is {v.get('state')}"
    if v.get("end_date"):
        return f"{schedule.address} ends at {v['end_date']}: after it nothing pauses the service"
    if _starts_later(v.get("start_date")):
        return f"{schedule.address} starts firing only at {v['start_date']}: until then nothing pauses the service"
    expression, timezone = str(v.get("schedule_expression", "")), _timezone(schedule)
    if window_hours(expression, timezone) is None:
        why = _why_no_window(expression, timezone)
        return f"{schedule.address}'s {expression!r} has no window the estimate can tell ({why})"
    return None


def _starts_later(start_date: Any) -> bool:
    """Whether a planned ``start_date`` (RFC 3339) is still to come: Scheduler fires nothing before it (as
    @STACK-catalog judges the deployed schedule); unset, unknown until apply or unreadable, it is not."""
    try:
        starts = datetime.fromisoformat(str(start_date)) if start_date else None
    except ValueError:
        return False
    return starts is not None and starts.tzinfo is not None and starts > datetime.now(UTC)


def _timezone(schedule: PlannedResource) -> str | None:
    """The schedule's ``schedule_expression_timezone`` (None: unset or unknown until apply, read as UTC)."""
    return str(schedule.values.get("schedule_expression_timezone") or "") or None


def _window(schedule: PlannedResource) -> float:
    """The schedule's window plus its flexible time window (it may fire that much later)."""
    hours = window_hours(str(schedule.values.get("schedule_expression", "")), _timezone(schedule)) or 0.0
    for flexible in schedule.values.get("flexible_time_window") or []:
        if flexible.get("mode") == "FLEXIBLE":
            hours += float(flexible.get("maximum_window_in_minutes") or 0) / 60
    return hours


def _calling(resources: list[PlannedResource], action: str) -> list[PlannedResource]:
    """The planned schedules whose target is App Runner's ``action`` (a universal target's ARN suffix)."""
    return [
        r
        for r in resources
        if r.type == "aws_scheduler_schedule"
        and any(str(t.get("arn", "")).endswith(action) for t in r.values.get("target") or [])
    ]


def _resumes(schedule: PlannedResource, service: PlannedResource) -> bool:
    """Whether an enabled schedule of the service's region resumes it: a timer starting it whether anyone uses it,
    so it runs idle after every pause (the usage file's resumes are people's, not a timer's)."""
    enabled = str(schedule.values.get("state", "ENABLED")) == "ENABLED"
    return enabled and _targets(schedule, service) and _elsewhere(schedule, service) is None


def running_hours(
    resources: list[PlannedResource], usage: dict[str, float], shares: Mapping[str, float] | None = None
) -> dict[str, RunningHours]:
    """Each planned App Runner service's hours, carrying ``shares`` of the usage (``active_hours``, ``resumes``)
    by address (a service not in it: none); without ``shares`` the usage is split evenly over them."""
    services = [r for r in resources if r.type == "aws_apprunner_service"]
    pausers = _calling(resources, PAUSE_TARGET)
    resumers = _calling(resources, RESUME_TARGET)
    found: dict[str, RunningHours] = {}
    for service in services:
        share = 1 / len(services) if shares is None else shares.get(service.address, 0.0)
        active, resumes = usage["active_hours"] * share, usage["resumes"] * share
        mine = [s for s in pausers if _targets(s, service)]
        usable = [s for s in mine if _not_pausing(s, service) is None]
        timers = [s for s in resumers if _resumes(s, service)]
        if usable and not timers:
            best = min(usable, key=_window)
            window = _window(best)
            idle = min(resumes * window, HOURS_PER_MONTH - active)
            why = (
                f"paused by {best.address} ({best.values.get('schedule_expression')}): at most {window:g} h "
                f"running after each of {resumes:g} resumes = {idle:g} h idle"
            )
            found[service.address] = RunningHours(service.address, active, idle, best.address, window, why)
            continue
        idle = HOURS_PER_MONTH - active
        reasons = [
            f"{s.address} resumes it ({s.values.get('schedule_expression')}, apprunner:ResumeService) whether "
            "used or not"
            for s in timers
        ]
        reasons += [reason for s in mine if (reason := _not_pausing(s, service)) is not None]
        if not mine:
            reasons.append(f"no schedule in the plan calls apprunner:PauseService on {service.address}")
        why = (
            f"{'; '.join(reasons)}: the service runs all month, {HOURS_PER_MONTH:g} h - {active:g} h in use "
            f"= {idle:g} h idle"
        )
        found[service.address] = RunningHours(service.address, active, idle, None, None, why)
    return found
