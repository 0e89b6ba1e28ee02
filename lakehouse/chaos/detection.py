"""Whether an ALARM message is the detection of the fault just injected, not an older or unrelated one.

CloudWatch tells of a fault by a state change, and SNS may deliver its message late. A message of the
right alarm that arrives after the injection proves nothing by its arrival: it may be the previous
fault's, delivered late, or the alarm may have been in ALARM before the fault. So a message counts only
when it says the alarm moved to ALARM from OK or INSUFFICIENT_DATA (``OldStateValue``), after the
injection (``StateChangeTime``), because a threshold was crossed on datapoints (``NewStateReason``) or, for an
alarm that treats missing data as breaching (``TreatMissingData``), because no datapoint came (the periods it
evaluated are then checked against the metric: ``provenance.not_the_metrics``), and when it is the alarm CloudWatch
described (``AlarmArn``): an alarm name is unique only within one account
and Region, and a same-named alarm elsewhere whose action names the stack's topic says nothing of this fault.

Two clocks: ``StateChangeTime`` is CloudWatch's, the injection instant is ours. The strict comparison is
made on CloudWatch's clock alone: the alarm's state read back just before the injection
(``AlarmBefore``: DescribeAlarms' ``StateValue`` and ``StateUpdatedTimestamp``) must not be ALARM, and
the message's change must be later than that read's last state update. Against our clock the change may
be at most :data:`CLOCK_SKEW_S` before the injection (the only tolerance): a message older than that is
stale whatever CloudWatch's read said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.target import Target

#: How far CloudWatch's clock (``StateChangeTime``) and ours (the injection instant) may disagree, in
#: seconds: a state change stamped more than this before the injection is not the fault's.
CLOCK_SKEW_S = 5.0
#: The states an alarm leaves when a fault raises it (``OldStateValue`` of its message).
QUIET = ("OK", "INSUFFICIENT_DATA")
#: How CloudWatch's evaluation starts the reason of a state it computed from the metric (a static threshold's, and
#: an anomaly detection band's "Thresholds Crossed").
CROSSED = ("Threshold Crossed", "Thresholds Crossed")
#: What CloudWatch's reason says when missing data, not a datapoint, decided (TreatMissingData breaching).
NO_DATAPOINTS = "no datapoints were received"
#: The ``TreatMissingData`` under which CloudWatch's evaluation counts a period without data as breaching.
BREACHING = "breaching"


@dataclass(frozen=True)
class AlarmBefore:
    """An alarm as CloudWatch described it just before the injection: its state and when that last changed."""

    state: str
    #: ``StateUpdatedTimestamp`` (CloudWatch's clock), None when DescribeAlarms gave none.
    since: datetime | None
    #: ``AlarmArn``: the alarm of that name in the stack's account and Region (None: DescribeAlarms gave none).
    arn: str | None = None
    #: ``TreatMissingData`` (None: DescribeAlarms gave none, CloudWatch's default ``missing``).
    treat_missing_data: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "since": shown(self.since),
            "arn": self.arn,
            "treat_missing_data": self.treat_missing_data,
        }


def shown(moment: datetime | float | None) -> str | None:
    """A moment (aware datetime or epoch seconds) as UTC ISO 8601 with milliseconds, for the evidence."""
    if moment is None:
        return None
    at = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int | float) else moment.astimezone(UTC)
    return at.isoformat(timespec="milliseconds")


def change_time(stamp: str) -> datetime | None:
    """A message's ``StateChangeTime`` (``2026-12-03T11:21:05.123+0000``), None when absent or not a time."""
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def alarms_before(target: Target, names: Sequence[str]) -> dict[str, AlarmBefore]:
    """The named alarms' state as CloudWatch has it now (absent alarms are not in the answer)."""
    cloudwatch = target.client("cloudwatch")
    found: dict[str, AlarmBefore] = {}
    unique = sorted(set(names))
    for start in range(0, len(unique), 100):
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=unique[start : start + 100]):
            for alarm in page.get("MetricAlarms", []):
                since = alarm.get("StateUpdatedTimestamp")
                found[alarm["AlarmName"]] = AlarmBefore(
                    str(alarm.get("StateValue")),
                    since if isinstance(since, datetime) else None,
                    str(alarm["AlarmArn"]) if alarm.get("AlarmArn") else None,
                    str(alarm["TreatMissingData"]) if alarm.get("TreatMissingData") else None,
                )
    return found


def loud_before(before: Mapping[str, AlarmBefore]) -> str | None:
    """Why no message of these alarms can tell of a fault injected now: one is already in ALARM (None: none is)."""
    loud = [f"{name} (since {shown(b.since)})" for name, b in sorted(before.items()) if b.state == "ALARM"]
    if not loud:
        return None
    return (
        f"alarm {', '.join(loud)} is in ALARM just before the fault (read back from CloudWatch): "
        "CloudWatch tells of a fault only by a change to ALARM, so no message of it could be this fault's"
    )


def not_this_faults(message: AlarmMessage, before: Mapping[str, AlarmBefore], injected_at: float) -> str | None:
    """Why ``message`` is not the detection of the fault injected at ``injected_at`` (epoch seconds; None: it is).

    ``before``: the fault's alarms as CloudWatch described them just before the injection (``alarms_before``).
    """
    name = message.alarm
    said = f"alarm {name}'s {message.state} message (StateChangeTime {message.state_changed_at or 'absent'})"
    if message.state != "ALARM":
        return f"{said} is no ALARM notification"
    was = before.get(name)
    if was is None:
        return f"{said}: the alarm was not read back before the fault, so its change cannot be placed after it"
    if was.arn is not None and message.alarm_arn != was.arn:
        return (
            f"{said} is of alarm {message.alarm_arn or '(AlarmArn absent)'}, not of the alarm CloudWatch describes "
            f"as {name} ({was.arn}): a same-named alarm of another account or Region, not this stack's"
        )
    if message.old_state not in QUIET:
        return (
            f"{said} says the alarm was {message.old_state or '(OldStateValue absent)'} before, not OK or "
            "INSUFFICIENT_DATA: it is no change to ALARM"
        )
    changed = change_time(message.state_changed_at)
    if changed is None:
        return f"{said} carries no time of its state change: it cannot be placed after the fault"
    lag = injected_at - changed.timestamp()
    if lag > CLOCK_SKEW_S:
        return (
            f"{said}: the alarm changed to ALARM at {shown(changed)}, {lag:.1f} s before the fault was injected at "
            f"{shown(injected_at)} (more than the {CLOCK_SKEW_S:g} s clock tolerance): a stale or late message, "
            "not this fault's"
        )
    if was.since is not None and changed <= _to_millis(was.since):
        return (
            f"{said}: the alarm changed to ALARM at {shown(changed)}, not after its last state change "
            f"({was.state} since {shown(was.since)}) read back just before the fault was injected at "
            f"{shown(injected_at)}: a late message of an earlier change, not this fault's"
        )
    return not_computed(said, message.reason, treat_missing_data=was.treat_missing_data)


def not_computed(
    said: str, reason: str, whose: str = "its reason", treat_missing_data: str | None = None
) -> str | None:
    """Why a change to ALARM with ``reason`` is not CloudWatch's evaluation of the metric after the fault (None: it
    may be). ``said``: the message the reason is of; ``whose``: where the reason was read (the message, or its
    history); ``treat_missing_data``: the alarm's ``TreatMissingData`` (None: CloudWatch's default, ``missing``).

    CloudWatch writes "no datapoints were received ... treated as [Breaching]" only for an alarm that treats
    missing data as breaching: for such an alarm the absence is its evaluation (the periods it found empty are
    checked against the metric, ``provenance.not_the_metrics``); for any other it is no evaluation of CloudWatch's.
    """
    if not reason.startswith(CROSSED):
        return (
            f"{said}: {whose} {reason!r} is not CloudWatch's evaluation of the metric ({CROSSED[0]}...): "
            "the state was set, not computed from what the faulty run published"
        )
    if NO_DATAPOINTS in reason and treat_missing_data != BREACHING:
        return (
            f"{said}: {whose} {reason!r} says missing data raised it, not the faulty run's datapoint, but the alarm "
            f"treats missing data as {treat_missing_data or 'missing (the default)'} (DescribeAlarms before the "
            "fault), not as breaching: CloudWatch's evaluation of it writes no such reason"
        )
    return None


def fired_unheard(
    before: Mapping[str, AlarmBefore], now: Mapping[str, AlarmBefore], heard: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """Why no message came though the fault was told of: an alarm CloudWatch has in ALARM ``now``, changed later
    than its read ``before`` the fault (both ``alarms_before``, CloudWatch's clock), whose message the harness's
    queue did not hold when read (None: none is). ``heard``: alarm -> the StateChangeTime of each of its messages
    the queue held and the harness refused: a change one of them tells of was heard (the refusal names why), not lost.

    The harness reads its queue only while it waits: a message SNS delivered before that can be taken away first
    (PurgeQueue on the queue, or another principal's ReceiveMessage and DeleteMessage); or the alarm's actions sent
    none. The fault still fails, as undetected; this names the evidence lost rather than saying the stack never told
    of the fault (a change to ALARM and back to OK before the read is not seen: DescribeAlarms has the last state).
    """
    fired: list[str] = []
    for name, b in sorted(now.items()):
        was = before.get(name)
        if was is None or b.state != "ALARM" or b.since is None or (was.since is not None and b.since <= was.since):
            continue
        told = [change_time(stamp) for stamp in (heard or {}).get(name, [])]
        if any(at is not None and at == _to_millis(b.since) for at in told):
            continue  # its change's message arrived and was refused, naming why
        fired.append(f"{name} (ALARM since {shown(b.since)}; {was.state} since {shown(was.since)} before the fault)")
    if not fired:
        return None
    return (
        f"yet CloudWatch has alarm {', '.join(fired)} changed to ALARM after the read before the fault: its message "
        "was not sent (its actions), not delivered, or taken from the harness's queue before the harness read it "
        "(PurgeQueue, another consumer's ReceiveMessage and DeleteMessage): the detection is lost, not shown absent"
    )


def _to_millis(moment: datetime) -> datetime:
    """``moment`` cut to the millisecond, the precision of ``StateChangeTime``."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
