"""The chaos loop: for each fault, settle its alarms, give its faulty run an alarm period no healthy datapoint
sways (``own_period``), inject, run from Bronze, wait for the alarm, mend, check.

Every wait is a condition with a deadline (SQS long polls, which return when a message arrives);
nothing sleeps. The fault's deadline is the KPI's threshold: past it the fault fails anyway. Each
timeline keeps what each phase took (``spent``): settle, own_period, inject, the faulty run, the wait for
the alarm's message, the runbook step, each re-run and round of checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lakehouse.chaos.alerts import AlarmMessage, AlertQueue
from lakehouse.chaos.delivery import Delivery, foreign_read, read_delivery, read_topics
from lakehouse.chaos.detection import AlarmBefore, alarms_before, fired_unheard, loud_before, not_this_faults, shown
from lakehouse.chaos.faults import ChaosContext, Fault
from lakehouse.chaos.mttr import (
    Published,
    Timeline,
    UnknownPeriod,
    fires_without_the_fault,
    missing_alarms,
    not_breached_by_the_fault,
    rules_of,
    unusable,
)
from lakehouse.chaos.own_period import overlaps, wait_until
from lakehouse.chaos.provenance import unconfirmed
from lakehouse.chaos.reconfigured import UPDATED, changed_alarms
from lakehouse.chaos.resent import resent
from lakehouse.chaos.runbook import (
    STEPS,
    Criteria,
    ScheduledRun,
    exit_checks,
    not_green,
    run_from_bronze,
    source_files,
    summary,
)
from lakehouse.chaos.settle import Pace, Settled, settle
from lakehouse.chaos.unheard import unheard
from lakehouse.target import Target

#: Recovery attempts (runbook step, then run from Bronze and the checks) before a fault counts as unrecovered.
RECOVERY_ATTEMPTS = 2


@dataclass
class ChaosRun:
    """Every fault's timeline, the alarms as CloudWatch described them, and the messages that arrived."""

    timelines: list[Timeline] = field(default_factory=list)
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "alarms": self.alarms,
            "faults": [t.to_dict() for t in self.timelines],
            "messages": self.messages,
        }


def describe_alarms(target: Target, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The named alarms as CloudWatch has them (absent ones are not in the answer)."""
    cloudwatch = target.client("cloudwatch")
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(names))
    for start in range(0, len(unique), 100):
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=unique[start : start + 100]):
            for alarm in page.get("MetricAlarms", []):
                found[alarm["AlarmName"]] = {
                    "AlarmArn": alarm.get("AlarmArn"),
                    "AlarmDescription": alarm.get("AlarmDescription"),
                    "ActionsEnabled": alarm.get("ActionsEnabled"),
                    "AlarmActions": list(alarm.get("AlarmActions", [])),
                    "OKActions": list(alarm.get("OKActions", [])),
                    "StateValue": alarm.get("StateValue"),
                    "MetricName": alarm.get("MetricName"),
                    "Namespace": alarm.get("Namespace"),
                    "Dimensions": [
                        {"Name": d.get("Name"), "Value": d.get("Value")} for d in alarm.get("Dimensions", [])
                    ],
                    "Statistic": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                    "Period": alarm.get("Period"),
                    "EvaluationPeriods": alarm.get("EvaluationPeriods"),
                    "Threshold": alarm.get("Threshold"),
                    "ComparisonOperator": alarm.get("ComparisonOperator"),
                    "DatapointsToAlarm": alarm.get("DatapointsToAlarm"),
                    "TreatMissingData": alarm.get("TreatMissingData"),
                    "Unit": alarm.get("Unit"),
                    UPDATED: shown(updated) if isinstance(updated := alarm.get(UPDATED), datetime) else None,
                }
    return found


def mark_undelivered(alarms: dict[str, dict[str, Any]], deaf: Mapping[str, str]) -> None:
    """Record on each alarm nobody but the harness hears why (``Undelivered``): ``mttr.unusable`` then refuses it."""
    for name, why in deaf.items():
        if name in alarms:
            alarms[name]["Undelivered"] = why


def in_alarm(target: Target, names: list[str]) -> list[str]:
    """Those of ``names`` CloudWatch has in ALARM now."""
    return [n for n, a in describe_alarms(target, names).items() if a["StateValue"] == "ALARM"]


def wait_quiet(
    ctx: ChaosContext,
    queue: AlertQueue,
    names: list[str],
    deadline: float,
    described: Mapping[str, Mapping[str, Any]],
    pace: Pace,
    run: Callable[[], ScheduledRun],
) -> Settled:
    """Until none of ``names`` is in ALARM (``settle``: the stack's next run clears a breached period), or the deadline.

    ``run``: one pipeline run from Bronze as the schedule starts it; woken by any notification on the queue.
    """

    def scheduled() -> float:
        return published_at(run())

    return settle(lambda: in_alarm(ctx.target, names), described, pace, scheduled, queue.next_message, deadline)


def published_at(scheduled: ScheduledRun) -> float:
    """When the run put its metrics (epoch seconds); the run's end when it recorded no time (none is later)."""
    stamp = (scheduled.result.metrics or {}).get("published_at")
    return float(stamp) if isinstance(stamp, int | float) else time.time()


def published_values(scheduled: ScheduledRun) -> dict[str, float]:
    """The metric values the run put (``lakehouse.pipeline.metrics``), empty when it recorded none.

    Values whose PutMetricData failed (nothing ``sent``) reached no alarm: they count as not published.
    """
    metrics = scheduled.result.metrics or {}
    values = metrics.get("values")
    if not isinstance(values, dict) or ("sent" in metrics and not metrics["sent"]):
        return {}
    return {str(k): float(v) for k, v in values.items()}


def published(scheduled: ScheduledRun, run: str) -> Published:
    """What the run put into CloudWatch, for the periods it shares with others; None where it recorded nothing."""
    metrics = scheduled.result.metrics
    stamp = (metrics or {}).get("published_at")
    at = float(stamp) if isinstance(stamp, int | float) else None
    ended = time.time()  # the run is back: whatever it put, it put before now
    if metrics is None or not isinstance(metrics.get("values"), dict):
        return Published(run, at, None, ended)
    return Published(run, at, published_values(scheduled), ended)


def listened_alarms(
    ctx: ChaosContext,
    names: Sequence[str],
    described: Mapping[str, Mapping[str, Any]],
    faulty: Mapping[str, float],
    at: float | None = 0.0,
    others: Sequence[Published] = (),
    since: float | None = None,
) -> tuple[set[str], dict[str, str], list[str]]:
    """The fault's alarms whose ALARM message can be its detection, why each other one cannot, and which of
    those could not be judged at all (``UnknownPeriod``).

    Usable (in CloudWatch, notifying, on this stack's metric) and raised by the fault's period (the faulty run's
    datapoint at ``at``, no earlier than ``since``, with the ``others`` runs' in the same period), M-of-N
    evaluated as CloudWatch does.
    """
    listen: set[str] = set()
    ignored: dict[str, str] = {}
    unknown: list[str] = []
    for name in names:
        alarm = described.get(name)
        why = unusable(name, alarm, ctx.stack_id)
        if why is None and alarm is not None:
            try:
                why = not_breached_by_the_fault(name, alarm, faulty, at, others, since)
            except UnknownPeriod as err:
                why = f"alarm {name} cannot be judged: {err}"
                unknown.append(name)
        if why is None:
            listen.add(name)
        else:
            ignored[name] = why
    return listen, ignored, unknown


def wait_for_own_period(
    tl: Timeline,
    queue: AlertQueue,
    names: Sequence[str],
    described: Mapping[str, Mapping[str, Any]],
    pace: Pace,
    deadline: float,
) -> str | None:
    """Until no datapoint of the round that could sway the fault's alarms shares the period the faulty run will
    publish in (``own_period``): at most one period of the longest-period alarm. Why not, at the deadline.

    The periods are CloudWatch's, placed by the runs' own ``Timestamp``; woken by any notification on the queue
    (drained afterwards), the moment is read again from the clock the pipeline stamps its datapoints with.
    """
    shared = overlaps(rules_of(names, described), pace.runs, time.time())
    if not shared:
        return None
    until = max(o.until for o in shared)
    started = time.monotonic()
    over = wait_until(until, queue.next_message, deadline, time.time, time.monotonic)
    tl.spent["own_period"] = time.monotonic() - started
    tl.settle["own_period"] = {"until": shown(until), "because": [o.why for o in shared]}
    if over:
        return None
    return (
        f"the alarm period of an earlier datapoint that could sway the fault's was not over by the deadline "
        f"({shown(until)}): " + "; ".join(o.why for o in shared)
    )


def _pipeline(scheduled: ScheduledRun) -> dict[str, Any]:
    r = scheduled.result
    return {"ok": r.ok, "error": r.error, "metrics": r.metrics, "seconds": round(r.seconds, 1)}


def run_fault(
    ctx: ChaosContext,
    fault: Fault,
    queue: AlertQueue,
    criteria: Criteria,
    deadline_s: float,
    scratch: Path,
    described: Mapping[str, Mapping[str, Any]] | None = None,
    pace: Pace | None = None,
) -> Timeline:
    """One fault end to end; the stack is mended whatever happened (or the timeline says why not).

    ``described``: the alarms as CloudWatch has them (``describe_alarms``). Only the fault's alarms on
    this stack's metric whose condition the faulty run's own value breaches are listened to (a message
    of another is not this fault's); the one that fired must not breach on what the healthy recovery
    run published, or its message detected nothing. ``pace``: when the loop's last run published (shared by
    the faults of one chaos run, so settling knows which alarm period the last run counted in, and the
    injection waits until no datapoint of the round that could sway the fault's period shares it).
    """
    names = [ctx.alarm_name(a) for a in fault.alarms]
    tl = Timeline(fault.name, fault.what, names, fault.runbook.value)
    pace = pace if pace is not None else Pace()
    deadline = time.monotonic() + deadline_s
    settle_runs = 0

    def ran(scheduled: ScheduledRun, key: str) -> ScheduledRun:
        tl.pipeline[key] = _pipeline(scheduled)
        pace.last_published_at = published_at(scheduled)
        pace.runs.append(published(scheduled, f"{fault.name}/{key}"))
        return scheduled

    def scheduled_run() -> ScheduledRun:
        nonlocal settle_runs
        settle_runs += 1
        key = f"settle_{settle_runs}"
        return ran(run_from_bronze(ctx, criteria.lineage, scratch / fault.name / key), key)

    # An alarm on another stack's metric is not listened to: its state is not this stack's to wait out.
    quiet = [n for n in names if described is None or unusable(n, described.get(n), ctx.stack_id) is None]
    settled = wait_quiet(ctx, queue, quiet, deadline, described or {}, pace, scheduled_run)
    tl.settle = settled.to_dict()
    tl.spent["settle"] = settled.seconds
    if settled.loud:
        tl.problem = (
            f"fault {fault.name}: alarm {', '.join(settled.loud)} is still in ALARM before the fault (not detectable)"
        )
        return tl
    if why := wait_for_own_period(tl, queue, quiet, described or {}, pace, deadline):
        tl.problem = f"fault {fault.name}: {why}"
        return tl
    queue.drain()
    try:
        source = source_files(ctx)  # what a recovery must bring back, byte for byte
    except Exception as err:  # noqa: BLE001 - without the source no recovery can be proven
        tl.problem = f"fault {fault.name}: could not read the source files before the fault: {err}"
        return tl
    try:  # last before the injection: a change to ALARM later than this read is the fault's
        before = alarms_before(ctx.target, quiet)
    except Exception as err:  # noqa: BLE001 - without it no message can be placed after the fault
        tl.problem = f"fault {fault.name}: could not read its alarms' state before the fault: {err}"
        return tl
    tl.before = {name: b.to_dict() for name, b in before.items()}
    if why := loud_before(before):
        tl.problem = f"fault {fault.name}: {why}"
        return tl
    tl.injected_at = injected_at = time.time()
    started = time.monotonic()
    injection = fault.inject(ctx)
    tl.injection = injection.did
    tl.spent["inject"] = time.monotonic() - started
    started = time.monotonic()
    earlier = list(pace.runs)  # the round's runs so far: one may share the faulty run's period
    after = ran(run_from_bronze(ctx, criteria.lineage, scratch / fault.name / "after-fault"), "after_fault")
    tl.spent["run_after_fault"] = time.monotonic() - started
    listen: set[str] = set(names)
    unknown: list[str] = []
    if described is not None:
        at = published(after, "after_fault").at
        faulty = published_values(after)
        listen, tl.ignored, unknown = listened_alarms(ctx, names, described, faulty, at, earlier, injected_at)
    started = time.monotonic()

    heard: dict[str, list[str]] = {}  # alarm -> the StateChangeTime of each of its messages refused

    def why_not(message: AlarmMessage) -> str | None:
        # Its words place it after the fault; CloudWatch's history and metric show it is CloudWatch's (``provenance``);
        # SQS's SenderId, that SNS delivered it, not the harness's credentials (``resent``).
        why = (
            not_this_faults(message, before, injected_at)
            or unconfirmed(ctx.target, message, since=injected_at)
            or resent(message, queue.own, ctx.target)
        )
        if why is not None:
            tl.refused.append(why)
            heard.setdefault(message.alarm, []).append(message.state_changed_at)
        return why

    message = queue.wait_for(listen, deadline, why_not) if listen else None
    tl.spent["wait_for_alarm"] = time.monotonic() - started
    if not listen:
        tl.problem = (
            f"fault {fault.name}: none of its alarms can tell of it, so no message is its detection: "
            + "; ".join(tl.ignored.values())
        )
        if unknown:  # the period CloudWatch judges cannot be rebuilt: no verdict rather than a guess
            tl.undecided = "; ".join(tl.ignored[n] for n in unknown)
    elif message is None:
        tl.problem = (
            f"fault {fault.name}: no ALARM message of {' or '.join(n for n in names if n in listen)} arrived "
            f"within {deadline_s:.0f} s"
        )
        if tl.refused:
            tl.problem += " that tells of this fault; refused: " + "; ".join(tl.refused)
        if lost := message_lost(ctx, sorted(listen), before, heard):
            tl.problem += f"; {lost}"
    else:
        tl.detected_at, tl.alarm_fired, tl.message = message.received_at, message.alarm, message.to_dict()
    started = time.monotonic()
    try:
        tl.runbook_did.append(STEPS[fault.runbook](ctx, injection))
        tl.spent["runbook_step"] = time.monotonic() - started
    except Exception as err:  # noqa: BLE001 - a runbook step that fails is the fault's problem, named
        tl.problem = f"fault {fault.name}: runbook step failed: {type(err).__name__}: {err}"
        return tl
    for attempt in range(1, RECOVERY_ATTEMPTS + 1):
        started = time.monotonic()
        rerun = ran(
            run_from_bronze(ctx, criteria.lineage, scratch / fault.name / f"recovery-{attempt}"), f"recovery_{attempt}"
        )
        tl.runbook_did.append(f"pipeline re-run from Bronze: {'ok' if rerun.result.ok else rerun.result.error}")
        tl.spent[f"rerun_{attempt}"] = time.monotonic() - started
        started = time.monotonic()
        each: dict[str, float] = {}
        checks = exit_checks(ctx, criteria, rerun, source, each)
        tl.spent[f"exit_checks_{attempt}"] = time.monotonic() - started
        tl.spent.update({f"exit_checks_{attempt}/{name}": s for name, s in each.items()})
        tl.checks = summary(checks)
        red = not_green(checks)
        if not red:
            tl.recovered_at = time.time()
            alarm = (described or {}).get(tl.alarm_fired or "")
            healthy, at = published_values(rerun), published_at(rerun)
            if alarm and (why := fires_without_the_fault(str(tl.alarm_fired), alarm, healthy, at)):
                tl.problem = tl.problem or f"fault {fault.name}: {why}"
            return tl
        if time.monotonic() >= deadline:
            break
    if tl.problem is None:
        tl.problem = f"fault {fault.name}: exit checks not green after the runbook: {'; '.join(red)}"
    return tl


def message_lost(
    ctx: ChaosContext,
    names: Sequence[str],
    before: Mapping[str, AlarmBefore],
    heard: Mapping[str, Sequence[str]] | None = None,
) -> str | None:
    """``detection.fired_unheard`` of the alarms read again now that no message came (None: none fired, or unread:
    the fault fails as undetected either way, this only names the evidence lost). ``heard``: the StateChangeTime of
    each refused message, by alarm (a change one of them tells of was heard, not lost)."""
    try:
        now = alarms_before(ctx.target, names)
    except Exception:  # noqa: BLE001 - a diagnosis only: the verdict does not depend on it
        return None
    return fired_unheard(before, now, heard)


def changed_since_start(
    ctx: ChaosContext,
    names: Sequence[str],
    start: Mapping[str, Mapping[str, Any]],
    heard: Delivery,
) -> str | None:
    """Why the fault's alarms, read again now that the fault is over, are not those the run read at its start.

    The fault was judged on the start's read (``reconfigured``): an alarm changed since (threshold, actions,
    ActionsEnabled) was judged on a configuration it no longer has. ``heard``: who received each alarm's message at
    the start (``delivery.read_delivery``); their topics (with their tags and queues) are read again now too, and an
    alarm none of whose receivers received its message all run may have told nobody (``unheard``). None: every
    one is as it was.
    """
    try:
        now = describe_alarms(ctx.target, names)
    except Exception as err:  # noqa: BLE001 - unread, the configuration the fault was judged on is unconfirmed
        return f"could not read its alarms again after the fault to confirm their configuration: {err}"
    found = changed_alarms(names, start, now)
    listened = {n: start[n] for n in sorted(set(names)) if n in start and any(heard.receivers.get(n, {}).values())}
    if listened:
        try:
            topics = read_topics(ctx.target, listened)
            foreign = foreign_read(ctx.target, topics, listened, ctx.stack_id)
        except Exception as err:  # noqa: BLE001 - unread, that anyone of the stack's still receives is unconfirmed
            return "; ".join([*found, f"could not read its alarms' topics again after the fault: {err}"])
        region = ctx.target.region
        found += [why for n, a in listened.items() if (why := unheard(n, a, heard, topics, foreign, region))]
    return "; ".join(found) or None


def run_chaos(
    ctx: ChaosContext, faults: Sequence[Fault], criteria: Criteria, deadline_s: float, scratch: Path
) -> ChaosRun:
    """Every fault in turn through the harness's own SQS subscriber to the alarms' topics."""
    started = time.monotonic()
    out = ChaosRun()
    expected = {f.name: [ctx.alarm_name(a) for a in f.alarms] for f in faults}
    out.alarms = describe_alarms(ctx.target, [n for names in expected.values() for n in names])
    delivery = read_delivery(ctx.target, out.alarms, ctx.stack_id)
    mark_undelivered(out.alarms, delivery.deaf)
    missing = missing_alarms(expected, out.alarms, ctx.stack_id)
    topics = sorted({arn for a in out.alarms.values() for arn in a["AlarmActions"] if ":sns:" in arn})
    queue = AlertQueue.create(ctx.target, ctx.stack_id, topics)
    pace = Pace()
    try:
        for fault in faults:
            # First: a fault this target cannot inject still needs its alarm (the stack meets it elsewhere).
            if fault.name in missing:  # not injected: nobody would be told of it
                tl = Timeline(fault.name, fault.what, expected[fault.name], fault.runbook.value)
                tl.problem = missing[fault.name]
                if why := fault.unavailable(ctx):
                    tl.problem += f" (the fault itself is not injected on this target: {why})"
                out.timelines.append(tl)
                continue
            if why := fault.unavailable(ctx):
                out.timelines.append(
                    Timeline(fault.name, fault.what, expected[fault.name], fault.runbook.value, skipped=why)
                )
                continue
            tl = run_fault(ctx, fault, queue, criteria, deadline_s, scratch, out.alarms, pace)
            if why := changed_since_start(ctx, expected[fault.name], out.alarms, delivery):
                tl.problem = f"{tl.problem}; {why}" if tl.problem else f"fault {fault.name}: {why}"
                tl.undecided = None  # whatever could not be judged, an alarm changed mid-run fails the fault
            out.timelines.append(tl)
    finally:
        out.messages = queue.seen
        queue.close()
        out.seconds = time.monotonic() - started
    return out
