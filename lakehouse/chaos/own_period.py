"""Before a fault: the faulty run's datapoint in an alarm period no earlier run's datapoint can sway.

CloudWatch aggregates every datapoint of an alarm period with the alarm's statistic. The chaos loop's runs
(a settle run, the previous fault's faulty and recovery runs) publish seconds apart, so a fault injected at
once often puts its faulty run in the period of a healthy run: a ``Minimum`` alarm then sees the healthy value
and never the fault, a ``Sum`` alarm may cross only with the healthy run's share, and which one happens depends
on where the period boundary fell, not on the stack. So before the injection the harness waits until the
period of every such datapoint is over, judged on CloudWatch's grid (periods aligned on multiples of the
alarm's ``Period``) from the runs' own ``Timestamp`` (``Published.at``), not from how fast this machine is.

Waiting is needed only for a datapoint that can sway the verdict (``sways``). With the shipped alarms
(``Maximum`` of a "greater than" on a value a healthy run does not breach, ``Sum`` of a healthy 0) the period
breaches exactly when the faulty datapoint does, wherever the healthy one fell, so no time is spent. A
statistic a healthy value holds down or adds to (``Minimum`` of a "greater than", ``Sum`` of a non-zero value,
``Average``, ``SampleCount``, a percentile) waits for that period's end: at most one period of the fault's
longest-period alarm after the last run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse.chaos.detection import shown
from lakehouse.chaos.settle import period_end
from lakehouse.emulator.alarms import AlarmRule

if TYPE_CHECKING:
    from lakehouse.chaos.mttr import Published


def sways(rule: AlarmRule, value: float) -> bool:
    """Whether a datapoint ``value`` in the faulty run's period can change whether the period breaches.

    It cannot, for every faulty value v, only when the period's statistic over ``value`` and v breaches exactly
    when v does: a ``Maximum`` of a "greater than" (``Minimum`` of a "less than") and ``value`` not breaching;
    a ``Maximum`` of a "less than" (``Minimum`` of a "greater than") and ``value`` breaching; a ``Sum`` and
    ``value`` 0. ``Average``, ``SampleCount`` and percentiles are taken to sway always: whether they do depends
    on how many datapoints share the period, so the harness waits rather than guess.
    """
    statistic = rule.stat_name
    if statistic in ("Maximum", "Minimum"):
        towards_breach = (statistic == "Maximum") == rule.comparison.startswith("Greater")
        return rule.breaches(value) if towards_breach else not rule.breaches(value)
    return not (statistic == "Sum" and value == 0.0)


@dataclass(frozen=True)
class Overlap:
    """A run's datapoint whose alarm period is still open and could sway the fault's: wait until ``until``."""

    alarm: str
    run: str
    #: The end of the run's period (epoch seconds): a datapoint stamped at or after it is in a period of its own.
    until: float
    why: str


def overlaps(rules: Mapping[str, tuple[str, AlarmRule]], runs: Sequence[Published], now: float) -> list[Overlap]:
    """The datapoints of ``runs`` a faulty run published from ``now`` (epoch seconds) on could share a period with.

    ``rules``: alarm name -> (its metric, its evaluation rule). A run whose values are unknown may have put
    anything there; one that recorded no ``Timestamp`` is placed by its end (``Published.ended``, no later).
    """
    found: list[Overlap] = []
    for name, (metric, rule) in rules.items():
        for run in runs:
            if run.values is not None and metric not in run.values:
                continue
            latest = run.at if run.at is not None else run.ended
            if latest is None:
                continue  # no time at all: the judgement names it (UnknownPeriod)
            until = period_end(latest, rule.period)
            if until <= now:
                continue  # its period is over
            if run.values is not None and not sways(rule, run.values[metric]):
                continue
            what = "what it published is unknown" if run.values is None else f"{metric} {run.values[metric]:g}"
            when = f"at {shown(run.at)}" if run.at is not None else f"no later than {shown(run.ended)}"
            found.append(
                Overlap(
                    name,
                    run.run,
                    until,
                    f"alarm {name} ({metric} {rule.stat_name} of each {rule.period} s period): run {run.run} published "
                    f"{what} {when}, in a period that ends {shown(until)}",
                )
            )
    return found


def wait_until(
    until: float,
    wait: Callable[[float], object],
    deadline: float,
    clock: Callable[[], float],
    monotonic: Callable[[], float],
) -> bool:
    """Until ``clock`` (epoch seconds, the datapoints' clock) reaches ``until``, or ``deadline`` (monotonic) passes.

    ``wait(until)`` returns at ``until`` (monotonic) or at the first notification on the harness's queue; the
    condition is read again after each. True when the moment came.
    """
    while (left := until - clock()) > 0:
        if monotonic() >= deadline:
            return False
        wait(min(deadline, monotonic() + left))
    return True
