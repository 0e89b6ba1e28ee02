"""EventBridge Scheduler schedules that fire, which moto 5.2.5 only stores.

The stack pauses its catalog's App Runner service with a schedule whose universal target is
``arn:aws:scheduler:::aws-sdk:apprunner:pauseService`` (infra/catalog_service.tf); without firing, a
resumed service ran forever locally. Here a background thread asks :mod:`lakehouse.emulator.schedules`
every :data:`TICK_S` seconds which fire times of each schedule fell since its last evaluation (the first
one since the schedule's last modification) and, for each, invokes the target:

- a universal target ``arn:<partition>:scheduler:::aws-sdk:<service>:<action>`` with its ``Input`` JSON
  is called on the emulator's own backend, as the target's ``RoleArn``: the role must exist, its trust
  policy must allow ``sts:AssumeRole`` to ``scheduler.amazonaws.com``, and its inline and attached
  policies must allow ``<service>:<Action>`` on the resource the input names (identity's IAM evaluation,
  :class:`identity.Caller`). Supported: App Runner PauseService and ResumeService; any other action or
  target is a failed invocation naming it unsupported;
- every attempt is counted in ``AWS/Scheduler`` (``InvocationAttemptCount``); a failed one in
  ``TargetErrorCount`` and, since retries are not emulated (a failed attempt is not retried, whatever the
  RetryPolicy), ``InvocationDroppedCount``; each metric without dimensions (the account's) and with
  ``ScheduleGroup``;
- an ``at()`` schedule with ``ActionAfterCompletion: DELETE`` is deleted after it fires.

Not checked: permission boundaries, SCPs, trust-policy conditions (``aws:SourceAccount``...), KMS keys,
dead-letter queues, the 60-second precision (a fire happens within a second of its time here). Each
outcome is logged (a failure as a warning) and kept in :data:`INVOCATIONS`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.iam.models import iam_backends
from moto.scheduler.models import EventBridgeSchedulerBackend, scheduler_backends
from moto.scheduler.models import Schedule as StoredSchedule
from moto.utilities.utils import get_partition

from lakehouse.emulator import schedules
from lakehouse.emulator.extensions.identity import Caller
from lakehouse.emulator.ticker import Ticker

LOG = logging.getLogger(__name__)

#: Seconds between two evaluations of every schedule by the background thread.
TICK_S = 1.0
NAMESPACE = "AWS/Scheduler"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
#: The emulator's clock (seconds since the epoch); tests may replace it.
CLOCK: Callable[[], float] = time.time
LOCK = threading.RLock()

#: Last evaluation per schedule: ARN -> (its LastModificationDate, the time evaluated up to).
_LAST: dict[str, tuple[float, float]] = {}


@dataclass(frozen=True)
class Invocation:
    """One invocation attempt and its outcome (``error`` empty: the target call succeeded)."""

    schedule_arn: str
    fired_at: datetime
    target: str
    error: str = ""


#: The latest outcomes, newest last (bounded: a long-lived emulator keeps the last thousand).
INVOCATIONS: deque[Invocation] = deque(maxlen=1000)


class TargetError(Exception):
    """The target refused or could not be called; the message says why."""


def _moment(value: Any) -> datetime | None:
    """A stored StartDate/EndDate/CreationDate (epoch seconds or ISO text) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def spec_of(stored: StoredSchedule) -> schedules.Schedule:
    return schedules.Schedule(
        expression=stored.schedule_expression,
        created=_moment(stored.creation_date) or datetime.now(UTC),
        timezone=stored.schedule_expression_timezone or "UTC",
        state=stored.state or schedules.ENABLED,
        start=_moment(stored.start_date),
        end=_moment(stored.end_date),
    )


# ------------------------------------------------------------------ the target's role


def _role_caller(account_id: str, region: str, role_arn: str) -> Caller:
    """The role as a caller, after checking it exists and trusts Scheduler."""
    iam = iam_backends[account_id][get_partition(region)]
    try:
        role = iam.get_role_by_arn(role_arn)
    except Exception as err:
        raise TargetError(f"role {role_arn} does not exist: Scheduler cannot assume it") from err
    trust = json.loads(role.assume_role_policy_document or "{}")
    if not _trusts_scheduler(trust):
        raise TargetError(f"role {role_arn} does not trust {SCHEDULER_PRINCIPAL} (sts:AssumeRole): cannot assume it")
    policies: list[Any] = [*role.policies.values(), *role.managed_policies.values()]
    return Caller("", role_arn, role_arn, policies=policies)


def _trusts_scheduler(trust: dict[str, Any]) -> bool:
    statements = trust.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        services = (statement.get("Principal") or {}).get("Service", [])
        services = services if isinstance(services, list) else [services]
        if SCHEDULER_PRINCIPAL in services:
            return True
    return False


# ------------------------------------------------------------------ universal targets


def _apprunner(account_id: str, region: str, action: str, payload: dict[str, Any]) -> tuple[str, Callable[[], Any]]:
    from lakehouse.emulator.extensions.apprunner import apprunner_backends

    backend = apprunner_backends[account_id][region]
    arn = str(payload.get("ServiceArn", ""))
    calls = {"pauseService": backend.pause_service, "resumeService": backend.resume_service}
    return arn, lambda: calls[action](arn)


#: ``(service, action)`` -> resolver of the resource the action names and the call to make.
UNIVERSAL: dict[tuple[str, str], Callable[[str, str, str, dict[str, Any]], tuple[str, Callable[[], Any]]]] = {
    ("apprunner", "pauseService"): _apprunner,
    ("apprunner", "resumeService"): _apprunner,
}


def invoke(account_id: str, region: str, target: dict[str, Any]) -> None:
    """Call ``target`` as its role; raises :class:`TargetError` saying why it failed."""
    arn = str(target.get("Arn", ""))
    parts = arn.split(":")
    if len(parts) != 8 or parts[2] != "scheduler" or parts[5] != "aws-sdk":
        raise TargetError(f"target {arn} is unsupported by the emulator (only universal aws-sdk targets)")
    service, action = parts[6], parts[7]
    resolver = UNIVERSAL.get((service, action))
    if resolver is None:
        raise TargetError(f"universal target {service}:{action} is unsupported by the emulator")
    caller = _role_caller(account_id, region, str(target.get("RoleArn", "")))
    try:
        payload = json.loads(target.get("Input") or "{}")
    except json.JSONDecodeError as err:
        raise TargetError(f"target input is not JSON: {err}") from err
    resource, call = resolver(account_id, region, action, payload)
    iam_action = f"{service}:{action[0].upper()}{action[1:]}"
    allowed, refused, _ = caller.allows(iam_action, [resource or "*"])
    if not allowed:
        raise TargetError(f"{caller.arn} is not authorized to perform: {iam_action} on resource: {refused}")
    try:
        call()
    except Exception as err:
        raise TargetError(f"{service}:{action} failed: {getattr(err, 'message', None) or err}") from err


# ------------------------------------------------------------------ firing


def _count(account_id: str, region: str, group: str, counts: dict[str, int], when: datetime) -> None:
    """Publish Scheduler's own metrics for one invocation (account-wide and per schedule group)."""
    from moto.cloudwatch.models import cloudwatch_backends

    stamp = when.replace(tzinfo=None)  # moto compares naive UTC timestamps
    data = [
        {"MetricName": name, "Value": float(value), "Unit": "Count", "Timestamp": stamp, "Dimensions": dims}
        for name, value in counts.items()
        for dims in ([], [{"Name": "ScheduleGroup", "Value": group}])
    ]
    cloudwatch_backends[account_id][region].put_metric_data(NAMESPACE, data)


def fire(backend: EventBridgeSchedulerBackend, stored: StoredSchedule, when: datetime) -> Invocation:
    """Invoke ``stored``'s target once for the fire time ``when`` and record the outcome."""
    account_id, region = backend.account_id, backend.region_name
    target = dict(stored.target or {})
    error = ""
    try:
        invoke(account_id, region, target)
    except TargetError as err:
        error = str(err)
    except Exception as err:  # a bug in a target must not stop the other schedules
        LOG.exception("schedule %s: target invocation crashed", stored.arn)
        error = f"target invocation failed: {err}"
    counts = {"InvocationAttemptCount": 1}
    if error:
        counts |= {"TargetErrorCount": 1, "InvocationDroppedCount": 1}
        LOG.warning("schedule %s fired at %s: %s", stored.arn, when.isoformat(), error)
    _count(account_id, region, stored.group_name, counts, when)
    outcome = Invocation(stored.arn, when, str(target.get("Arn", "")), error)
    INVOCATIONS.append(outcome)
    return outcome


def evaluate_backend(backend: EventBridgeSchedulerBackend, now: float) -> list[Invocation]:
    """Fire every schedule of ``backend`` whose fire times fell since its last evaluation; the outcomes."""
    outcomes: list[Invocation] = []
    moment = datetime.fromtimestamp(now, UTC)
    for group in list(backend.schedule_groups.values()):
        for stored in list(group.schedules.values()):
            modified = float(stored.last_modified_date)
            seen_modified, last = _LAST.get(stored.arn, (modified, modified))
            if seen_modified != modified:  # an update: evaluate from it, as for a new schedule
                last = modified
            _LAST[stored.arn] = (modified, max(last, now))
            try:
                due = schedules.fires_between(spec_of(stored), datetime.fromtimestamp(last, UTC), moment)
            except schedules.Unjudged as err:
                LOG.warning("schedule %s is not evaluated: %s", stored.arn, err)
                continue
            outcomes += [fire(backend, stored, when) for when in due]
            one_time = schedules.is_one_time(stored.schedule_expression)
            if due and one_time and (stored.action_after_completion or "NONE") == "DELETE":
                group.schedules.pop(stored.name, None)
                _LAST.pop(stored.arn, None)
    return outcomes


def evaluate_all(now: float | None = None) -> None:
    """One round over every account and region that has a Scheduler backend."""
    moment = CLOCK() if now is None else now
    with LOCK:
        for regions in list(dict.values(scheduler_backends)):
            for backend in list(dict.values(regions)):
                evaluate_backend(backend, moment)


_ticker = Ticker("scheduler-fires", lambda: evaluate_all(), TICK_S)


def start_ticker() -> None:
    """Start the background thread once per process (a daemon: it ends with the server)."""
    _ticker.start()


def install() -> None:
    """Start the firing thread (moto's Scheduler backend itself is used as it is); once per process."""
    start_ticker()
