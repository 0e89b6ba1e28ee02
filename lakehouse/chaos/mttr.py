"""KPI-mttr's timelines and judge: per fault, injected -> alarm message received -> exit checks green.

Time to detect is fault injected -> the alarm's message on the harness's queue; time to recover is
message -> exit checks 2, 4, 6 and 7 green again. The KPI is the mean of detect + recover over the
faults (the plan's MTTR), with the worst beside it. A fault that was not detected or not recovered
in time, or whose alarm is not in CloudWatch, fails the KPI naming the fault. So does one "detected" by an
alarm that breaches on what the healthy recovery run publishes: it fires on every run, fault or not, so
its message tells nothing of the fault (``fires_without_the_fault``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lakehouse.outcome import Outcome
from lakehouse.pipeline.metrics import NAMESPACE

#: ComparisonOperator -> (CloudWatch's test of a value against the threshold, its symbol for the evidence).
BREACHES: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, ">="),
    "GreaterThanThreshold": (operator.gt, ">"),
    "LessThanThreshold": (operator.lt, "<"),
    "LessThanOrEqualToThreshold": (operator.le, "<="),
}


@dataclass
class Timeline:
    """One fault's run: what was done when, the alarm and message that told, the runbook step, the checks."""

    fault: str
    what: str
    alarms: list[str]
    runbook: str
    injected_at: float | None = None
    detected_at: float | None = None
    recovered_at: float | None = None
    injection: str = ""
    alarm_fired: str | None = None
    message: dict[str, Any] | None = None
    runbook_did: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    skipped: str | None = None
    pipeline: dict[str, Any] = field(default_factory=dict)
    #: Seconds each part of the recovery took (runbook step, each re-run, each round of checks).
    spent: dict[str, float] = field(default_factory=dict)

    @property
    def detect_s(self) -> float | None:
        if self.injected_at is None or self.detected_at is None:
            return None
        return self.detected_at - self.injected_at

    @property
    def recover_s(self) -> float | None:
        if self.detected_at is None or self.recovered_at is None:
            return None
        return self.recovered_at - self.detected_at

    @property
    def total_s(self) -> float | None:
        d, r = self.detect_s, self.recover_s
        return None if d is None or r is None else d + r

    def to_dict(self) -> dict[str, Any]:
        def rounded(x: float | None) -> float | None:
            return None if x is None else round(x, 1)

        return {
            "fault": self.fault,
            "what": self.what,
            "alarms_expected": self.alarms,
            "injection": self.injection,
            "alarm_fired": self.alarm_fired,
            "message": self.message,
            "runbook": self.runbook,
            "runbook_did": self.runbook_did,
            "exit_checks": self.checks,
            "timeline": {
                "injected_at": self.injected_at,
                "detected_at": self.detected_at,
                "recovered_at": self.recovered_at,
                "detect_s": rounded(self.detect_s),
                "recover_s": rounded(self.recover_s),
                "total_s": rounded(self.total_s),
            },
            "pipeline": self.pipeline,
            "spent_s": {k: round(v, 1) for k, v in self.spent.items()},
            "problem": self.problem,
            "skipped": self.skipped,
        }


def missing_alarms(expected: Mapping[str, Sequence[str]], described: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Faults whose alarms CloudWatch does not have or that notify nobody -> why (naming fault and alarm).

    ``expected``: fault -> full alarm names (any one may fire); ``described``: DescribeAlarms' alarms by name.
    """
    problems: dict[str, str] = {}
    for fault, names in expected.items():
        usable = [n for n in names if n in described and described[n].get("AlarmActions")]
        if usable:
            continue
        absent = [n for n in names if n not in described]
        silent = [n for n in names if n in described and not described[n].get("AlarmActions")]
        parts = []
        if absent:
            parts.append(f"alarm {' / '.join(absent)} is not in CloudWatch (missing from infra/alarms.tf?)")
        if silent:
            parts.append(f"alarm {' / '.join(silent)} has no AlarmActions (nobody is told)")
        problems[fault] = f"fault {fault}: " + "; ".join(parts)
    return problems


def fires_without_the_fault(name: str, alarm: Mapping[str, Any], healthy: Mapping[str, float]) -> str | None:
    """Why alarm ``name`` breaches on the values a healthy run published (None: it does not, or cannot be told).

    ``alarm``: DescribeAlarms' fields (Namespace, MetricName, Statistic, ComparisonOperator, Threshold);
    ``healthy``: metric -> the value the recovery run (exit checks green) put, one datapoint per metric.
    A statistic of one datapoint is its value, except SampleCount (1). An alarm whose condition holds for
    that value fires after every run, so its ALARM message after a fault proves no detection. Alarms on
    another namespace, metric math or anomaly bands are not judged here (the pipeline's values say nothing).
    """
    metric, threshold = alarm.get("MetricName"), alarm.get("Threshold")
    test = BREACHES.get(str(alarm.get("ComparisonOperator")))
    if alarm.get("Namespace") != NAMESPACE or metric not in healthy or test is None:
        return None
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        return None
    statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "?"
    value = 1.0 if statistic == "SampleCount" else float(healthy[str(metric)])
    compare, symbol = test
    if not compare(value, float(threshold)):
        return None
    return (
        f"alarm {name} ({metric} {statistic} {symbol} {threshold:g}) breaches on the healthy recovery run's "
        f"{metric} {statistic} = {value:g}: it fires after every run, fault or not, so its message detects nothing"
    )


def judge_mttr(timelines: Sequence[Timeline], threshold_s: float) -> Outcome:
    """Mean detect + recover of the faults < ``threshold_s``, every fault detected and recovered."""
    ran = [t for t in timelines if t.skipped is None]
    details: dict[str, Any] = {"faults": [t.to_dict() for t in timelines]}
    if not ran:
        return Outcome.error("no fault of the chaos catalogue could be injected", threshold_s, details)
    problems = [t.problem for t in ran if t.problem]
    totals = [(t.total_s, t.fault) for t in ran if t.total_s is not None]
    measured: dict[str, Any] = {"faults": len(ran), "recovered": len(totals)}
    if totals:
        worst_s, worst = max(totals)
        measured.update(
            mean_s=round(sum(s for s, _ in totals) / len(totals), 1),
            worst_s=round(worst_s, 1),
            worst_fault=worst,
        )
    for t in ran:
        if t.problem is None and t.total_s is None:
            problems.append(f"fault {t.fault}: no complete timeline (not detected or not recovered)")
    if problems:
        return Outcome.judged(False, measured, threshold_s, "; ".join(problems), details)
    mean = float(measured["mean_s"])
    ok = mean < threshold_s
    reason = None if ok else f"mean time to recover {mean:.0f} s is not below {threshold_s:.0f} s (worst {worst})"
    return Outcome.judged(ok, measured, threshold_s, reason, details)
