"""Whether an ALARM message is CloudWatch's own: the alarm's history, read back from CloudWatch, has the change
the message tells of.

A message on the harness's queue proves nothing by its words: any principal allowed ``sqs:SendMessage`` on the
queue, or ``sns:Publish`` on the alarm's topic, can put one with the right ``AlarmArn``, ``NewStateValue`` ALARM
and a ``StateChangeTime`` after the fault. CloudWatch records each state change of an alarm as a ``StateUpdate``
item of its history (DescribeAlarmHistory), stamped with the instant of the change, and its notification's
``StateChangeTime`` is that same instant (the notification's Action history item carries it as
``stateUpdateTimestamp``, to the millisecond). So a message counts only when the alarm's history has a change to
ALARM at its ``StateChangeTime``, to the millisecond, whose reason is CloudWatch's evaluation of the metric (not a
SetAlarmState that a forged message then dresses up).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.detection import change_time, not_computed, shown
from lakehouse.target import Target

#: How much history around a message's StateChangeTime is read (the match itself is to the millisecond).
WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class StateUpdate:
    """One ``StateUpdate`` item of an alarm's history: when, from which state to which, and why."""

    at: datetime
    old: str
    new: str
    reason: str


def state_updates(target: Target, name: str, around: datetime) -> list[StateUpdate]:
    """Alarm ``name``'s state changes CloudWatch recorded within :data:`WINDOW` of ``around`` (DescribeAlarmHistory)."""
    cloudwatch = target.client("cloudwatch")
    found: list[StateUpdate] = []
    pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
        AlarmName=name, HistoryItemType="StateUpdate", StartDate=around - WINDOW, EndDate=around + WINDOW
    )
    for page in pages:
        for item in page.get("AlarmHistoryItems", []):
            data = json.loads(str(item.get("HistoryData") or "{}"))
            old, new = data.get("oldState") or {}, data.get("newState") or {}
            found.append(
                StateUpdate(
                    item["Timestamp"],
                    str(old.get("stateValue", "")),
                    str(new.get("stateValue", "")),
                    str(new.get("stateReason", "")),
                )
            )
    return found


def not_cloudwatchs(message: AlarmMessage, updates: Sequence[StateUpdate]) -> str | None:
    """Why ``message`` is not CloudWatch's notification of a change its alarm's history has (None: it is).

    ``updates``: the alarm's history around the message's StateChangeTime (``state_updates``).
    """
    said = f"alarm {message.alarm}'s {message.state} message (StateChangeTime {message.state_changed_at or 'absent'})"
    changed = change_time(message.state_changed_at)
    if changed is None:
        return f"{said} carries no time of its state change: it cannot be tied to one CloudWatch recorded"
    same = [u for u in updates if _millis(u.at) == _millis(changed) and u.new == "ALARM"]
    if not same:
        recorded = ", ".join(f"{shown(u.at)} {u.old} -> {u.new}" for u in updates) or "none"
        return (
            f"{said} is not CloudWatch's: the alarm's history (DescribeAlarmHistory, StateUpdate) has no change to "
            f"ALARM at {shown(changed)} (changes recorded within {WINDOW.seconds // 60} min of it: {recorded}), so "
            "another principal put it on the alert topic or the harness's queue"
        )
    reasons = [why for u in same if (why := not_computed(said, u.reason, "the reason its history gives that change"))]
    return reasons[0] if len(reasons) == len(same) else None


def _millis(moment: datetime) -> datetime:
    """``moment`` in UTC cut to the millisecond, the precision of ``StateChangeTime``."""
    at = moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


#: On AWS an alarm's history may show a change after its notification went (the history is read through another API,
#: not promised to be consistent with SNS): a change not found yet is read again until this long after the first
#: read, every :data:`HISTORY_POLL_S`. The local emulator records the change before it publishes: no wait there.
HISTORY_LAG_S, HISTORY_POLL_S = 60.0, 2.0


def unconfirmed(target: Target, message: AlarmMessage, lag_s: float | None = None) -> str | None:
    """``not_cloudwatchs`` on the alarm's history read back (None: CloudWatch recorded the change), read again until
    ``lag_s`` (default :data:`HISTORY_LAG_S` on AWS, 0 locally) while the change is not there; a history that cannot
    be read confirms nothing, so the message is refused, naming why."""
    changed = change_time(message.state_changed_at)
    deadline = time.monotonic() + (lag_s if lag_s is not None else 0.0 if target.is_local else HISTORY_LAG_S)
    while True:
        try:
            updates = state_updates(target, message.alarm, changed) if changed is not None else []
        except Exception as err:  # noqa: BLE001 - unread, the message is not shown to be CloudWatch's
            return (
                f"alarm {message.alarm}'s {message.state} message (StateChangeTime {message.state_changed_at}): the "
                f"alarm's history (DescribeAlarmHistory) could not be read to show it is CloudWatch's: {err}"
            )
        why = not_cloudwatchs(message, updates)
        if why is None or changed is None or time.monotonic() >= deadline:
            return why
        time.sleep(HISTORY_POLL_S)  # polled until the deadline: the change may not be recorded yet
