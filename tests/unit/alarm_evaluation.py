"""CloudWatch's evaluation of an alarm, in moto in process: the datapoint is stored, the alarm evaluated on it.

moto 5.2.5 stores datapoints and alarms but never evaluates one; the emulator's evaluation
(``lakehouse.emulator.extensions.cloudwatch.evaluate_alarm``, on the periods over at the instant it is given)
applies the verdict as CloudWatch does: the state change with its ``stateReasonData``, its StateUpdate history
item, and its actions (the notification published to the topic, an Action item each). Used with the
``cloudwatch_history`` fixture, which answers DescribeAlarmHistory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from lakehouse.chaos.settle import period_end
from lakehouse.emulator.extensions import cloudwatch as extension
from lakehouse.target import Target


def breach(target: Target, alarm: Mapping[str, Any], value: float, at: float | None = None) -> None:
    """Put ``value`` (at ``at``, epoch seconds; default now, high resolution) into ``alarm``'s metric (its
    PutMetricAlarm parameters), then evaluate the alarm where CloudWatch does: once that period is over (the
    change is stamped with that instant, the period's end, without waiting for it)."""
    stamp = time.time() if at is None else at
    datum: dict[str, Any] = {
        "MetricName": alarm["MetricName"],
        "Dimensions": list(alarm.get("Dimensions") or []),
        "Value": value,
        "StorageResolution": 1,
        "Timestamp": stamp,
    }
    target.client("cloudwatch").put_metric_data(Namespace=alarm["Namespace"], MetricData=[datum])
    evaluate(target, [str(alarm["AlarmName"])], period_end(stamp, int(alarm["Period"])))


def evaluate(target: Target, names: Sequence[str], now: float | None = None) -> None:
    """Evaluate the named alarms at ``now`` (epoch seconds; default now) on the datapoints moto holds (the
    emulator's evaluation)."""
    account = str(target.client("sts").get_caller_identity()["Account"])
    backend = cloudwatch_backends[account][target.region]
    for name in names:
        extension.evaluate_alarm(backend, backend.alarms[name], time.time() if now is None else now)


def until_period_over(period: int) -> float:
    """Sleep until the alarm period (``period`` s) holding this moment is over; that period's start (epoch s).

    CloudWatch evaluates only periods that are over: a change citing this period is CloudWatch's only after it."""
    now = time.time()
    start = math.floor(now / period) * period
    time.sleep(start + period - now + 0.05)
    return float(start)
