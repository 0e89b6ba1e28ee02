"""Whether an ALARM message is CloudWatch's own: the alarm's history, read back from CloudWatch, has the change
the message tells of, computed by CloudWatch's evaluation of the alarm's metric, and CloudWatch's own publishing of
it to the topic the message came through.

A message on the harness's queue proves nothing by its words: any principal allowed ``sqs:SendMessage`` on the
queue, or ``sns:Publish`` on the alarm's topic, can put one with the right ``AlarmArn``, ``NewStateValue`` ALARM
and a ``StateChangeTime`` after the fault. CloudWatch records each state change of an alarm as a ``StateUpdate``
item of its history (DescribeAlarmHistory), stamped with the instant of the change, and its notification's
``StateChangeTime`` is that same instant. So a message counts only when:

- the alarm's history has a change to ALARM at its ``StateChangeTime``, to the millisecond (``not_cloudwatchs``);
- that change was computed, not set: a reason CloudWatch's evaluation writes ("Threshold Crossed", not missing
  data) and, in the item's ``newState``, the ``stateReasonData`` every evaluation records with the datapoints it
  evaluated (``evaluatedDatapoints``). A SetAlarmState item carries only the reason its caller wrote, and
  ``stateReasonData`` only when the caller passed StateReasonData (aws-cli's describe-alarm-history example: the
  set change's ``newState`` is ``{"stateValue": "ALARM", "stateReason": "testing purposes"}``), so words that
  imitate CloudWatch's are not enough (``not_evaluated``);
- the datapoints that change says breached are the alarm's metric's, read back (GetMetricStatistics with the
  alarm's statistic and period), in a period that ends after the fault was injected: StateReasonData written by
  hand, or copied from an earlier real change, cites datapoints CloudWatch does not have there (``not_the_metrics``).
  An alarm that treats missing data as breaching goes to ALARM because no datapoint came ("no datapoints were
  received ... treated as [Breaching]"); CloudWatch's ``evaluatedDatapoints`` then list those periods by their
  ``timestamp`` alone, with no ``value`` (describe-alarm-history of such a change). That change counts when the
  alarm's ``TreatMissingData`` is ``breaching``, each period it lists ends after the injection and no later than
  the change, and the metric, read back, has no datapoint there (``not_absent``);
- every period that change cites was over at it (the history item's Timestamp, which no caller writes): CloudWatch
  evaluates only periods that are over, a SetAlarmState lands whenever it is called, so one citing the faulty run's
  real datapoint while its period still fills would shorten the detection (``not_over``);
- CloudWatch ran the alarm's action for that change on the topic the message came through, and it succeeded: the
  history's ``Action`` item of each action carries ``notificationResource`` (the topic), ``actionState`` and
  ``stateUpdateTimestamp`` (the change's instant, epoch milliseconds). When CloudWatch's own message was not sent
  (its actions disabled for the moment, the publish refused), a copy of the real change's time and reason written
  onto the topic or the queue is no notification of CloudWatch's, and the stack's receivers were not told
  (``not_published``).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.detection import BREACHING, change_time, not_computed, shown
from lakehouse.chaos.mttr import rule_of
from lakehouse.emulator.alarms import AlarmRule
from lakehouse.target import Target

#: How much history around a message's StateChangeTime is read (the match itself is to the millisecond).
WINDOW = timedelta(minutes=1)
#: An Action item's ``actionState`` when CloudWatch's publish to the topic went through.
SUCCEEDED = "Succeeded"


@dataclass(frozen=True)
class StateUpdate:
    """One ``StateUpdate`` item of an alarm's history: when, from which state to which, why, and the
    ``stateReasonData`` of the new state (None: the item has none, as a SetAlarmState without StateReasonData)."""

    at: datetime
    old: str
    new: str
    reason: str
    data: Any = None


@dataclass(frozen=True)
class ActionRun:
    """One ``Action`` item of an alarm's history: CloudWatch ran an action (``resource``, the topic) for the change
    at ``change`` (``stateUpdateTimestamp``; None: absent), with ``state`` (``actionState``) and its ``error``."""

    at: datetime
    resource: str
    state: str
    change: datetime | None
    error: str = ""


@dataclass(frozen=True)
class History:
    """The alarm's StateUpdate and Action items around a message's StateChangeTime."""

    updates: list[StateUpdate] = field(default_factory=list)
    actions: list[ActionRun] = field(default_factory=list)


def _items(target: Target, name: str, kind: str, around: datetime) -> list[tuple[datetime, dict[str, Any]]]:
    """Alarm ``name``'s history items of ``kind`` within :data:`WINDOW` of ``around``: (Timestamp, HistoryData)."""
    pages = (
        target.client("cloudwatch")
        .get_paginator("describe_alarm_history")
        .paginate(AlarmName=name, HistoryItemType=kind, StartDate=around - WINDOW, EndDate=around + WINDOW)
    )
    found: list[tuple[datetime, dict[str, Any]]] = []
    for page in pages:
        for item in page.get("AlarmHistoryItems", []):
            found.append((item["Timestamp"], history_data(str(item.get("HistoryData") or "{}"))))
    return found


#: An Action item's scalar fields, as they open its HistoryData (before ``publishedMessage``, the message itself).
_SCALAR = re.compile(
    r'"(actionState|notificationResource|error)"\s*:\s*"((?:[^"\\]|\\.)*)"|"(stateUpdateTimestamp)"\s*:\s*(\d+)'
)


def history_data(text: str) -> dict[str, Any]:
    """An item's HistoryData. HistoryData is at most 4,095 characters (AlarmHistoryItem), and an Action item carries
    the whole message it published: one cut there is not JSON, so its scalar fields are read where they stand."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        found: dict[str, Any] = {}
        for match in _SCALAR.finditer(text):
            if match.group(1):
                found.setdefault(match.group(1), json.loads(f'"{match.group(2)}"'))
            else:
                found.setdefault(match.group(3), int(match.group(4)))
        return found
    return data if isinstance(data, dict) else {}


def _epoch_ms(value: Any) -> datetime | None:
    """An Action item's ``stateUpdateTimestamp`` (epoch milliseconds) as a UTC datetime; None when not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def read_history(target: Target, name: str, around: datetime) -> History:
    """Alarm ``name``'s state changes and actions CloudWatch recorded within :data:`WINDOW` of ``around``."""
    updates = []
    for at, data in _items(target, name, "StateUpdate", around):
        old, new = data.get("oldState") or {}, data.get("newState") or {}
        updates.append(
            StateUpdate(
                at,
                str(old.get("stateValue", "")),
                str(new.get("stateValue", "")),
                str(new.get("stateReason", "")),
                new.get("stateReasonData"),
            )
        )
    actions = [
        ActionRun(
            at,
            str(data.get("notificationResource") or ""),
            str(data.get("actionState") or ""),
            _epoch_ms(data.get("stateUpdateTimestamp")),
            str(data.get("error") or ""),
        )
        for at, data in _items(target, name, "Action", around)
    ]
    return History(updates, actions)


def _said(message: AlarmMessage) -> str:
    return f"alarm {message.alarm}'s {message.state} message (StateChangeTime {message.state_changed_at or 'absent'})"


def the_change(message: AlarmMessage, history: History) -> list[StateUpdate]:
    """The history's changes to ALARM at the message's StateChangeTime, to the millisecond."""
    changed = change_time(message.state_changed_at)
    if changed is None:
        return []
    return [u for u in history.updates if _millis(u.at) == _millis(changed) and u.new == "ALARM"]


def not_cloudwatchs(message: AlarmMessage, history: History) -> str | None:
    """Why ``message`` is not CloudWatch's notification of a change its alarm's history has (None: it is).

    ``history``: the alarm's history around the message's StateChangeTime (``read_history``): the change must be
    there, computed (``not_computed``, ``not_evaluated``), and CloudWatch's publish of it to the message's topic
    must have succeeded (``not_published``).
    """
    said = _said(message)
    changed = change_time(message.state_changed_at)
    if changed is None:
        return f"{said} carries no time of its state change: it cannot be tied to one CloudWatch recorded"
    same = the_change(message, history)
    if not same:
        recorded = ", ".join(f"{shown(u.at)} {u.old} -> {u.new}" for u in history.updates) or "none"
        return (
            f"{said} is not CloudWatch's: the alarm's history (DescribeAlarmHistory, StateUpdate) has no change to "
            f"ALARM at {shown(changed)} (changes recorded within {WINDOW.seconds // 60} min of it: {recorded}), so "
            "another principal put it on the alert topic or the harness's queue"
        )
    kept = evaluated(message, history)
    if not kept:
        return next(why for u in same if (why := _not_recorded(said, u)))
    return not_published(message, changed, history.actions)


def _not_recorded(said: str, update: StateUpdate) -> str | None:
    """Why ``update`` is not recorded as an evaluation of CloudWatch's: its reason, its datapoints (None: it is).
    A reason that missing data raised it is let through here: whether the alarm treats missing data as breaching,
    and the metric has no datapoint where it says, is judged with the alarm read back (``not_the_metrics``)."""
    whose = "the reason its history gives that change"
    return not_computed(said, update.reason, whose, treat_missing_data=BREACHING) or not_evaluated(said, update)


def evaluated(message: AlarmMessage, history: History) -> list[StateUpdate]:
    """The message's changes (``the_change``) that CloudWatch's evaluation computed: its reason, its datapoints."""
    said = _said(message)
    return [u for u in the_change(message, history) if not _not_recorded(said, u)]


def not_evaluated(said: str, update: StateUpdate) -> str | None:
    """Why the change ``update`` is not one CloudWatch's evaluation recorded: its ``newState`` has no
    ``stateReasonData`` with the datapoints evaluated (None: it has)."""
    data = update.data
    if isinstance(data, dict) and isinstance(data.get("evaluatedDatapoints"), list):
        return None
    carried = "no stateReasonData" if data is None else f"stateReasonData without evaluatedDatapoints ({data!r:.200})"
    return (
        f"{said}: the alarm's history records that change with {carried}: CloudWatch's evaluation records the "
        "datapoints it evaluated there, a SetAlarmState only what its caller wrote, so the state was set, not "
        "computed from what the faulty run published (however its reason reads)"
    )


def not_published(message: AlarmMessage, changed: datetime, actions: Sequence[ActionRun]) -> str | None:
    """Why no action of CloudWatch's sent the change at ``changed`` to the topic ``message`` came through (None: one
    did: the history's Action item on that topic for that change succeeded)."""
    mine = [a for a in actions if a.change is not None and _millis(a.change) == _millis(changed)]
    there = [a for a in mine if a.resource == message.topic]
    if any(a.state == SUCCEEDED for a in there):
        return None
    ran = "; ".join(f"{a.resource} {a.state or '?'}{f' ({a.error})' if a.error else ''}" for a in mine) or "none"
    return (
        f"{_said(message)} came through {message.topic or '(no TopicArn)'}, but the alarm's history "
        f"(DescribeAlarmHistory, Action) has no successful action of CloudWatch's sending that change there "
        f"(actions recorded for the change at {shown(changed)}: {ran}): CloudWatch did not send this message, "
        "another principal copied the change's time and reason into it, and the stack's receivers were not told"
    )


def _cited(data: Any) -> list[tuple[datetime, float | None]]:
    """The evaluated datapoints a ``stateReasonData`` lists: (period start, value), the value None for a period
    CloudWatch found no data in (listed by its ``timestamp`` alone). An entry with another value is left out."""
    found: list[tuple[datetime, float | None]] = []
    points = data.get("evaluatedDatapoints") if isinstance(data, dict) else None
    for point in points if isinstance(points, list) else []:
        if not isinstance(point, dict):
            continue
        value = point.get("value")
        if "value" in point and (isinstance(value, bool) or not isinstance(value, int | float)):
            continue
        try:
            start = datetime.strptime(str(point.get("timestamp")), "%Y-%m-%dT%H:%M:%S.%f%z")
        except ValueError:
            continue
        found.append((start, None if value is None else float(value)))
    return found


def read_period(target: Target, alarm: Mapping[str, Any], rule: AlarmRule, start: datetime) -> float | None:
    """The alarm's statistic of its metric over the one period from ``start`` (GetMetricStatistics; None: no data)."""
    stat = rule.stat_name
    kind = {"ExtendedStatistics": [stat]} if rule.extended_statistic else {"Statistics": [stat]}
    answer = target.client("cloudwatch").get_metric_statistics(
        Namespace=str(alarm.get("Namespace")),
        MetricName=str(alarm.get("MetricName")),
        Dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in alarm.get("Dimensions") or []],
        StartTime=start,
        EndTime=start + timedelta(seconds=rule.period),
        Period=rule.period,
        **kind,
    )
    for point in answer.get("Datapoints", []):
        value = (point.get("ExtendedStatistics") or {}).get(stat) if rule.extended_statistic else point.get(stat)
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
    return None


def not_the_metrics(
    target: Target, message: AlarmMessage, update: StateUpdate, alarm: Mapping[str, Any] | None, since: float | None
) -> str | None:
    """Why the datapoints the change ``update`` says breached are not the alarm's metric's (None: one is).

    ``alarm``: DescribeAlarms' fields of the message's alarm; ``since``: the injection (epoch seconds; None: no
    bound). A breaching datapoint the change cites must be in a period that ends after the injection (the faulty
    run published after it) and CloudWatch's metric, read back with the alarm's statistic over that period, must
    breach too: StateReasonData written by whoever set the state cites datapoints the metric does not have. With
    none cited there, an alarm that treats missing data as breaching may have been raised by the periods the change
    lists without a value (``not_absent``); a cited breaching value the metric does not have refuses it all the same.
    """
    said = _said(message)
    rule = rule_of(alarm) if alarm is not None else "not in CloudWatch"
    if isinstance(rule, str):
        return f"{said}: the alarm's metric condition cannot be read ({rule}), so the change's datapoints are unshown"
    if why := not_over(said, update, rule):
        return why
    points = _cited(update.data)
    cited = [(s, v) for s, v in points if v is not None]
    missing = [s for s, v in points if v is None]
    breaching = [(s, v) for s, v in cited if rule.breaches(v)]
    late = [(s, v) for s, v in breaching if since is None or s.timestamp() + rule.period > since]
    condition = f"{rule.stat_name} {alarm and alarm.get('ComparisonOperator')} {rule.threshold:g}"
    read: list[str] = []
    for start, value in late:
        there = read_period(target, alarm or {}, rule, start)
        if there is not None and rule.breaches(there):
            return None
        has = f"{rule.stat_name} {there:g}" if there is not None else "no datapoint"
        read.append(f"{value:g} for the period from {shown(start)}, where the metric has {has}")
    if missing and not read and rule.treat_missing_data == BREACHING:
        return not_absent(target, said, update, alarm or {}, rule, missing, since)
    if not read:
        listed = ", ".join(f"{v:g} ({shown(s)})" for s, v in cited) or "none"
        after = f" in a period that ends after the fault was injected at {shown(since)}" if since is not None else ""
        empty = (
            f"; the periods it cites with no datapoint ({', '.join(str(shown(s)) for s in missing)}) do not breach "
            f"it either: the alarm treats missing data as {rule.treat_missing_data}"
            if missing
            else ""
        )
        return (
            f"{said}: the datapoints its change cites ({listed}) hold none that breaches the alarm ({condition})"
            f"{after}{empty}: it is no evaluation of the faulty run's datapoint"
        )
    return (
        f"{said}: its change cites {'; '.join(read)} (read back with {_read_with(alarm or {}, rule)}; the alarm "
        f"breaches on {condition}): it is not CloudWatch's evaluation of its own datapoints but StateReasonData "
        "written by whoever set the state"
    )


def not_over(said: str, update: StateUpdate, rule: AlarmRule) -> str | None:
    """Why the change ``update`` is not one CloudWatch's evaluation made: a period it cites was not over at the
    change (None: every one ended by then).

    CloudWatch evaluates only periods that are over: each period a ``stateReasonData`` lists ends no later than its
    ``queryDate``, the evaluation's instant, which the change's StateUpdate follows (``lakehouse.emulator.alarms``
    cites AWS's examples); on AWS the change may come later still (evaluation every minute, late data), never
    earlier. A SetAlarmState lands whenever its caller calls it, and the item's Timestamp is that call's, whatever
    StateReasonData it copies: citing the faulty run's real datapoint while its period is still filling, it
    shortens the detection by up to one evaluation."""
    period = timedelta(seconds=rule.period)
    early = [s for s, _ in _cited(update.data) if s + period > update.at]
    if not early:
        return None
    listed = ", ".join(f"{shown(s)} (ends {shown(s + period)})" for s in sorted(early))
    return (
        f"{said}: its change at {shown(update.at)} (DescribeAlarmHistory) cites the {rule.period} s period from "
        f"{listed}, not over at the change: CloudWatch evaluates only periods that are over (each one its "
        "evaluation lists ends by the evaluation's queryDate, which the change follows), so it is StateReasonData "
        "written by whoever set the state, before CloudWatch's evaluation would have changed it"
    )


def _read_with(alarm: Mapping[str, Any], rule: AlarmRule) -> str:
    """How the metric was read back, for the evidence."""
    return (
        f"GetMetricStatistics: {alarm.get('Namespace')} {alarm.get('MetricName')}, {rule.stat_name} per {rule.period} s"
    )


def not_absent(
    target: Target,
    said: str,
    update: StateUpdate,
    alarm: Mapping[str, Any],
    rule: AlarmRule,
    missing: Sequence[datetime],
    since: float | None,
) -> str | None:
    """Why the periods the change ``update`` lists with no datapoint (``missing``: their starts) are not an
    absence CloudWatch's evaluation found after the fault (None: they are). The alarm treats missing data as
    breaching (checked by the caller); each period must end after the injection (``since``, epoch seconds), and no
    later than the change (an evaluation looks only at periods that are over), and the metric, read back with the
    alarm's statistic over it, must have no datapoint there: StateReasonData written by whoever set the state may
    list periods the metric has data in, or periods before the fault, where the absence says nothing of it. A period
    not over at the change is refused before (``not_over``)."""
    period = timedelta(seconds=rule.period)
    early = [s for s in missing if since is not None and (s + period).timestamp() <= since]
    if early:
        return (
            f"{said}: its change counts missing data as breaching for the periods from "
            f"{', '.join(str(shown(s)) for s in early)}, which end before the fault was injected at {shown(since)}: "
            "an absence before the fault is no evaluation of the faulty run"
        )
    held: list[str] = []
    for start in missing:
        there = read_period(target, alarm, rule, start)
        if there is not None:
            held.append(f"the period from {shown(start)}, where the metric has {rule.stat_name} {there:g}")
    if held:
        return (
            f"{said}: its change says no datapoint came for {'; '.join(held)} (read back with "
            f"{_read_with(alarm, rule)}): it is not CloudWatch's evaluation of its own metric but StateReasonData "
            "written by whoever set the state"
        )
    return None


def _millis(moment: datetime) -> datetime:
    """``moment`` in UTC cut to the millisecond, the precision of ``StateChangeTime``."""
    at = moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


#: On AWS an alarm's history may show a change after its notification went (the history is read through another API,
#: not promised to be consistent with SNS): a change not found yet is read again until this long after the first
#: read, every :data:`HISTORY_POLL_S`. The local emulator records the change before it publishes: no wait there.
HISTORY_LAG_S, HISTORY_POLL_S = 60.0, 2.0


def described(target: Target, name: str) -> dict[str, Any] | None:
    """Alarm ``name`` as DescribeAlarms has it now (None: not there)."""
    alarms = target.client("cloudwatch").describe_alarms(AlarmNames=[name]).get("MetricAlarms", [])
    return dict(alarms[0]) if alarms else None


def unconfirmed(
    target: Target, message: AlarmMessage, lag_s: float | None = None, since: float | None = None
) -> str | None:
    """``not_cloudwatchs`` on the alarm's history read back, then ``not_the_metrics`` on its metric (None: the message
    is CloudWatch's notification of its evaluation), read again until ``lag_s`` (default :data:`HISTORY_LAG_S` on
    AWS, 0 locally) while it is not shown; what cannot be read confirms nothing, so the message is refused, naming
    why. ``since``: the injection (epoch seconds): the change's breaching datapoint must be later."""
    changed = change_time(message.state_changed_at)
    deadline = time.monotonic() + (lag_s if lag_s is not None else 0.0 if target.is_local else HISTORY_LAG_S)
    said = f"alarm {message.alarm}'s {message.state} message (StateChangeTime {message.state_changed_at})"
    while True:
        try:
            history = read_history(target, message.alarm, changed) if changed is not None else History()
        except Exception as err:  # noqa: BLE001 - unread, the message is not shown to be CloudWatch's
            return (
                f"{said}: the alarm's history (DescribeAlarmHistory) could not be read to show it is "
                f"CloudWatch's: {err}"
            )
        why = not_cloudwatchs(message, history)
        if why is None:
            try:
                why = not_the_metrics(
                    target, message, evaluated(message, history)[0], described(target, message.alarm), since
                )
            except Exception as err:  # noqa: BLE001 - unread, the change's datapoints are not shown to be real
                return (
                    f"{said}: the alarm's metric (DescribeAlarms, GetMetricStatistics) could not be read to show its "
                    f"change is CloudWatch's evaluation: {err}"
                )
        if why is None or changed is None or time.monotonic() >= deadline:
            return why
        time.sleep(HISTORY_POLL_S)  # polled until the deadline: the change may not be recorded yet
