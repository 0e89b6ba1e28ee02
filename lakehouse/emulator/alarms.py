"""Metric alarm evaluation as CloudWatch documents it, as pure functions of (rule, samples, now).

moto stores alarms and metric data but never evaluates an alarm; the emulator's CloudWatch
extension (``extensions.cloudwatch``) feeds these functions and applies the verdict. Kept free
of moto and of the clock so that each documented behaviour is unit-tested with a chosen ``now``.

Semantics (CloudWatch user guide, "Using Amazon CloudWatch alarms" and "Configuring how
CloudWatch alarms treat missing data"):

- datapoints are aggregated per ``Period`` into buckets aligned on multiples of the period
  (10, 20 and 30 s high-resolution periods work like 60 s multiples);
- an evaluation retrieves an *evaluation range* of more buckets than ``EvaluationPeriods`` (N):
  the user guide's example retrieves 5 for N = 3; here N + max(2, N // 3);
- when at least N buckets of the range hold data, the N most recent of them decide: ALARM when
  at least ``DatapointsToAlarm`` (M) breach, else OK; the missing-data treatment is not used;
- when none holds data: ``missing`` -> INSUFFICIENT_DATA, ``ignore`` -> the state stays,
  ``breaching`` -> ALARM, ``notBreaching`` -> OK;
- when fewer than N hold data: ``breaching``/``notBreaching`` fill the gap up to N with breaching
  / not breaching points (all real points count); ``missing``/``ignore`` decide on the real points
  alone when they can (M real points breach -> ALARM; M cannot be reached even if every missing
  point breached -> OK), and otherwise ``missing`` goes to ALARM when the oldest breaching point
  of the last N periods is at least M periods old and every later point breaches or is missing
  ("avoiding premature transitions to alarm state"), and the state stays.

Only periods that are over are evaluated: the range ends with the last period that ended by ``now``,
so a datapoint counts once its period is over (at the next tick, or on the PutMetricData of a
datapoint stamped in a period already over). CloudWatch's own evaluations show it: every period a
``stateReasonData`` lists ends no later than its ``queryDate`` (the evaluation's instant), and the
change's StateUpdate follows that instant by milliseconds (aws-cli's describe-alarm-history example:
period 300, datapoints from 18:44:00 and 18:49:00, queryDate 18:59:06.419, the item at 18:59:06.442;
an EventBridge state change: period 60, startDate 04:17:00, queryDate 04:18:51.691). A SetAlarmState
lands whenever its caller calls it: ``lakehouse.chaos.provenance`` tells the two apart by that.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)

#: ComparisonOperator -> (test of value against threshold, words CloudWatch's reasons use).
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
DEFAULT_TREATMENT = "missing"


class UnsupportedAlarm(ValueError):
    """An alarm this evaluator cannot judge (metric math, anomaly bands, unknown statistic)."""


@dataclass(frozen=True)
class Sample:
    """One stored datum: a single value (``raw`` holds it) or a StatisticSet (``raw`` empty)."""

    timestamp: float  # seconds since the epoch
    total: float
    minimum: float
    maximum: float
    count: float
    raw: tuple[float, ...] = ()

    @classmethod
    def value(cls, timestamp: float, value: float) -> Sample:
        return cls(timestamp, value, value, value, 1.0, (value,))


@dataclass(frozen=True)
class AlarmRule:
    """What of a metric alarm decides its state."""

    period: int
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    statistic: str | None = "Sum"
    extended_statistic: str | None = None
    treat_missing_data: str = DEFAULT_TREATMENT

    def __post_init__(self) -> None:
        if self.period <= 0:
            raise UnsupportedAlarm(f"period {self.period} is not positive")
        if self.comparison not in COMPARISONS:
            raise UnsupportedAlarm(f"comparison operator {self.comparison!r} is not evaluated locally")
        if self.extended_statistic is None and self.statistic not in STATISTICS:
            raise UnsupportedAlarm(f"statistic {self.statistic!r} is not a CloudWatch statistic")
        if self.extended_statistic is not None:
            percentile(self.extended_statistic, [0.0])  # raises for anything but pNN
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise UnsupportedAlarm(
                f"DatapointsToAlarm {self.datapoints_to_alarm} is not within 1..{self.evaluation_periods}"
            )
        if self.treat_missing_data not in TREATMENTS:
            raise UnsupportedAlarm(f"TreatMissingData {self.treat_missing_data!r} is not one of {TREATMENTS}")

    @property
    def stat_name(self) -> str:
        return self.extended_statistic or str(self.statistic)

    def breaches(self, value: float) -> bool:
        return COMPARISONS[self.comparison][0](value, self.threshold)


@dataclass(frozen=True)
class Bucket:
    """One period of the evaluation range: its start (epoch seconds) and statistic (None: missing)."""

    start: float
    value: float | None
    samples: float = 0.0


@dataclass(frozen=True)
class Verdict:
    """The state an evaluation reaches, CloudWatch's StateReason and StateReasonData for it."""

    state: str
    reason: str
    reason_data: dict[str, Any] = field(default_factory=dict)


def evaluation_range(evaluation_periods: int) -> int:
    """How many periods an evaluation retrieves (the user guide's example: 5 for 3)."""
    return evaluation_periods + max(2, evaluation_periods // 3)


def percentile(name: str, values: Sequence[float]) -> float | None:
    """``pNN`` / ``pNN.N`` of raw values by nearest rank (CloudWatch's own is an approximation too)."""
    if not name.startswith("p"):
        raise UnsupportedAlarm(f"extended statistic {name!r} is not evaluated locally (only pNN)")
    try:
        p = float(name[1:])
    except ValueError as exc:
        raise UnsupportedAlarm(f"extended statistic {name!r} is not a percentile") from exc
    if not 0 <= p <= 100:
        raise UnsupportedAlarm(f"percentile {name!r} is not within 0..100")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def aggregate(rule: AlarmRule, samples: Sequence[Sample]) -> float | None:
    """The rule's statistic over one period's samples; None when the period has no data."""
    if not samples:
        return None
    if rule.extended_statistic is not None:
        return percentile(rule.extended_statistic, [v for s in samples for v in s.raw])
    count = sum(s.count for s in samples)
    total = sum(s.total for s in samples)
    stat = rule.statistic
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return total
    if stat == "Minimum":
        return min(s.minimum for s in samples)
    if stat == "Maximum":
        return max(s.maximum for s in samples)
    return total / count if count else None  # Average


def buckets(rule: AlarmRule, samples: Iterable[Sample], now: float) -> list[Bucket]:
    """The evaluation range at ``now``, oldest period first: it ends with the last period over by ``now``
    (the one holding ``now`` is still filling: it is evaluated once it ends)."""
    period = rule.period
    current = math.floor(now / period) * period
    by_start: dict[float, list[Sample]] = {}
    for sample in samples:
        if sample.timestamp < current:
            by_start.setdefault(math.floor(sample.timestamp / period) * period, []).append(sample)
    newest = current - period
    size = evaluation_range(rule.evaluation_periods)
    starts = [newest - (size - 1 - i) * period for i in range(size)]
    return [
        Bucket(start, aggregate(rule, by_start.get(start, [])), sum(s.count for s in by_start.get(start, [])))
        for start in starts
    ]


def _stamp(start: float) -> str:
    """A datapoint's time the way CloudWatch's StateReason writes it (dd/mm/yy HH:MM:SS)."""
    return datetime.fromtimestamp(start, UTC).strftime("%d/%m/%y %H:%M:%S")


def _iso(start: float) -> str:
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reason_data(rule: AlarmRule, evaluated: Sequence[Bucket], now: float) -> dict[str, Any]:
    """CloudWatch's StateReasonData for the periods that decided, newest first in ``evaluatedDatapoints``: a period
    with data as ``timestamp``, ``sampleCount`` and ``value``; one without (missing data treated as breaching or
    not) by its ``timestamp`` alone, as describe-alarm-history shows a "no datapoints were received" change."""
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(now).replace(".000", f".{int(now * 1000) % 1000:03d}"),
        "period": rule.period,
        "recentDatapoints": [b.value for b in evaluated if b.value is not None],
        "threshold": rule.threshold,
        "evaluatedDatapoints": [
            {
                "timestamp": _iso(b.start),
                **({"sampleCount": b.samples, "value": b.value} if b.value is not None else {}),
            }
            for b in reversed(evaluated)
        ],
    }
    if evaluated:
        data["startDate"] = _iso(evaluated[0].start)
    data["extendedStatistic" if rule.extended_statistic else "statistic"] = rule.stat_name
    return data


def _crossed(rule: AlarmRule, evaluated: Sequence[Bucket], state: str, extra: str = "") -> str:
    """CloudWatch's "Threshold Crossed" reason for the real datapoints that decided."""
    real = [b for b in reversed(evaluated) if b.value is not None]
    words = COMPARISONS[rule.comparison][1]
    listed = ", ".join(f"{b.value} ({_stamp(b.start)})" for b in real)
    if state == ALARM:
        breaching = [b for b in real if b.value is not None and rule.breaches(b.value)]
        verb = "was" if len(breaching) == 1 else "were"
        return (
            f"Threshold Crossed: {len(breaching)} out of the last {len(evaluated)} datapoints [{listed}] {verb} "
            f"{words} the threshold ({rule.threshold}) (minimum {_plural(rule.datapoints_to_alarm, 'datapoint')} "
            f"for OK -> ALARM transition).{extra}"
        )
    verb = "was" if len(real) == 1 else "were"
    return (
        f"Threshold Crossed: {_plural(len(real), 'datapoint')} [{listed}] {verb} not {words} the threshold "
        f"({rule.threshold}) (minimum {_plural(rule.datapoints_to_alarm, 'datapoint')} for OK -> ALARM "
        f"transition).{extra}"
    )


def _premature_alarm(rule: AlarmRule, window: Sequence[Bucket]) -> bool:
    """The user guide's rule: the oldest breaching point of the last N periods is at least M periods
    old and every later point breaches or is missing."""
    for index, bucket in enumerate(window):
        if bucket.value is not None and rule.breaches(bucket.value):
            age = len(window) - index
            later = window[index + 1 :]
            return age >= rule.datapoints_to_alarm and all(b.value is None or rule.breaches(b.value) for b in later)
    return False


def evaluate(rule: AlarmRule, evaluation: Sequence[Bucket], current: str, now: float) -> Verdict:
    """The state the alarm reaches on this evaluation range (oldest first); ``current`` when it stays."""
    n, m = rule.evaluation_periods, rule.datapoints_to_alarm
    treatment = rule.treat_missing_data
    real = [b for b in evaluation if b.value is not None]
    window = list(evaluation[-n:])
    if len(real) >= n:
        decided = real[-n:]
        count = sum(1 for b in decided if b.value is not None and rule.breaches(b.value))
        state = ALARM if count >= m else OK
        return Verdict(state, _crossed(rule, decided, state), _reason_data(rule, decided, now))
    data = _reason_data(rule, window, now)
    if not real:
        if treatment == "missing":
            return Verdict(INSUFFICIENT_DATA, f"Insufficient Data: {n} datapoints were unknown.", data)
        if treatment == "ignore":
            return Verdict(current, "", data)
        label = "Breaching" if treatment == "breaching" else "NonBreaching"
        state = ALARM if treatment == "breaching" else OK
        return Verdict(
            state,
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_plural(n, 'missing datapoint')} {'was' if n == 1 else 'were'} treated as [{label}].",
            data,
        )
    breaching = sum(1 for b in real if b.value is not None and rule.breaches(b.value))
    fill = n - len(real)
    if treatment in ("breaching", "notBreaching"):
        count = breaching + (fill if treatment == "breaching" else 0)
        state = ALARM if count >= m else OK
        label = "Breaching" if treatment == "breaching" else "NonBreaching"
        extra = f" {_plural(fill, 'missing datapoint')} {'was' if fill == 1 else 'were'} treated as [{label}]."
        return Verdict(state, _crossed(rule, real, state, extra), _reason_data(rule, real, now))
    if breaching >= m:
        return Verdict(ALARM, _crossed(rule, real, ALARM), _reason_data(rule, real, now))
    if breaching + fill < m:
        return Verdict(OK, _crossed(rule, real, OK), _reason_data(rule, real, now))
    if treatment == "missing" and _premature_alarm(rule, window):
        return Verdict(ALARM, _crossed(rule, real, ALARM), data)
    return Verdict(current, "", data)
