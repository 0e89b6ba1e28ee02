"""KPI-mttr's timelines and judge: per fault, injected -> alarm message received -> exit checks green.

Time to detect is fault injected -> the alarm's message on the harness's queue; time to recover is
message -> exit checks 2, 4, 6 and 7 green again. The KPI is the mean of detect + recover over the
faults (the plan's MTTR), with the worst beside it. A fault that was not detected or not recovered
in time, or whose alarm is not in CloudWatch (or tells nobody but the harness's own queue: ``delivery``),
fails the KPI naming the fault; so does a run that left faults of the catalogue out (``left_out``), and a
fault "detected" by an alarm that breaches on what the healthy recovery run publishes: it fires on every
run, fault or not, so its message tells nothing of the fault (``fires_without_the_fault``). Every fault is
judged on the alarms as read at the start of the run; one changed before the fault is over fails it (``reconfigured``).

Only an alarm that can tell of this fault is listened to: one on the metric this stack's pipeline
publishes (the pipeline's namespace, the one dimension ``StackId`` = this stack; ``watches_another_metric``),
and whose condition the faulty run's own datapoint raises, evaluated as CloudWatch evaluates it: an M-of-N alarm
(``DatapointsToAlarm`` M of ``EvaluationPeriods`` N) needs M breaching periods, and the fault puts one
(``not_breached_by_the_fault``). Runs can share a period (settle.py): CloudWatch aggregates every datapoint of
the period with the alarm's statistic, so the fault's period is judged on what every run of the chaos round
published into it (``Published``); the harness waits before the injection until no datapoint that could sway
it is there (``own_period``), and when a run's time or values there are still unknown, it cannot be judged
(``UnknownPeriod``: the KPI is an error, not a guess). An alarm on
another stack's metric of the same name, or one in ALARM for another reason, is never the detection. Nor is
a message that arrives after the injection but tells of an earlier change (a late delivery, an alarm already in
ALARM): the alarm must have changed to ALARM after the injection (``detection.not_this_faults``). Nor is a
message CloudWatch did not send (anyone allowed to publish to the topic or send to the harness's queue can write
one): the alarm's history must have that change to ALARM at its StateChangeTime, computed by CloudWatch's evaluation
(its ``stateReasonData`` citing a breaching datapoint the metric holds after the injection, or, for an alarm that
treats missing data as breaching, periods after the injection the metric holds no datapoint in) and sent by
CloudWatch's own action to the topic the message came through (``provenance.unconfirmed``), at an evaluation's
instant, after every period it cites was over (``provenance.not_over``: a SetAlarmState copying the faulty run's
real datapoint lands earlier). Nor is a copy of CloudWatch's message put back on the harness's queue: SQS's
``SenderId`` is the harness's own, not SNS's delivery from the topic (``resent``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lakehouse.chaos import own_period
from lakehouse.chaos.settle import period_end
from lakehouse.emulator import alarms as cloudwatch_eval
from lakehouse.outcome import Outcome
from lakehouse.pipeline.metrics import DIMENSION, NAMESPACE

#: ComparisonOperator -> (CloudWatch's test of a value against the threshold, its symbol for the evidence).
BREACHES: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, ">="),
    "GreaterThanThreshold": (operator.gt, ">"),
    "LessThanThreshold": (operator.lt, "<"),
    "LessThanOrEqualToThreshold": (operator.le, "<="),
}


@dataclass(frozen=True)
class Published:
    """What one pipeline run of the chaos round put into CloudWatch: its datapoints share one Timestamp.

    ``at``: epoch seconds (None: the run recorded none); ``values``: metric -> value (None: unknown what it put);
    ``ended``: when the harness had the run back (epoch seconds): it published no later, whatever ``at`` says.
    """

    run: str
    at: float | None
    values: Mapping[str, float] | None
    ended: float | None = None


class UnknownPeriod(ValueError):
    """A run of the round may have published into the fault's period, but its time or value is unknown."""


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
    #: Seconds each phase took: settle (the alarms out of ALARM before the fault), own_period (until no earlier
    #: datapoint that could sway it shares the faulty run's alarm period), inject, the faulty run, the wait for
    #: the alarm's message, the runbook step, each re-run and each round of checks.
    spent: dict[str, float] = field(default_factory=dict)
    #: How the fault's alarms were brought out of ALARM before it (``settle.Settled.to_dict``).
    settle: dict[str, Any] = field(default_factory=dict)
    #: The fault's alarms not listened to, and why (not this stack's metric, not breached by the faulty run).
    ignored: dict[str, str] = field(default_factory=dict)
    #: The fault's alarms as CloudWatch described them just before the injection (``detection.AlarmBefore``).
    before: dict[str, Any] = field(default_factory=dict)
    #: ALARM messages of the listened alarms that were not this fault's detection, and why (stale, late).
    refused: list[str] = field(default_factory=list)
    #: Why no alarm could be judged (``UnknownPeriod``): the fault's detection is unknown, not failed.
    undecided: str | None = None

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
            "alarms_ignored": self.ignored,
            "alarms_before": self.before,
            "message": self.message,
            "messages_refused": self.refused,
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
            "settle": self.settle,
            "problem": self.problem,
            "undecided": self.undecided,
            "skipped": self.skipped,
        }


def watches_another_metric(name: str, alarm: Mapping[str, Any], stack_id: str) -> str | None:
    """Why alarm ``name`` does not watch a metric this stack's pipeline publishes (None: it does).

    A CloudWatch metric is its namespace, name and every dimension: the pipeline publishes under
    ``NAMESPACE`` with the one dimension ``StackId`` = ``stack_id``. An alarm on another stack's
    ``StackId`` (same metric name), or with other dimensions, changes state on what something else
    publishes, so its message says nothing of a fault here.
    """
    dims = {str(d.get("Name")): str(d.get("Value")) for d in alarm.get("Dimensions") or []}
    if alarm.get("Namespace") == NAMESPACE and alarm.get("MetricName") and dims == {DIMENSION: stack_id}:
        return None
    shown = ", ".join(f"{k}={v}" for k, v in sorted(dims.items())) or "no dimension"
    return (
        f"alarm {name} watches {alarm.get('Namespace') or '?'} {alarm.get('MetricName') or '(no single metric)'} "
        f"[{shown}], not the metric this stack's pipeline publishes ({NAMESPACE} [{DIMENSION}={stack_id}]): "
        "it changes state on what something else publishes, so its message says nothing of a fault here"
    )


def unusable(name: str, alarm: Mapping[str, Any] | None, stack_id: str) -> str | None:
    """Why alarm ``name`` (DescribeAlarms' fields, None when absent) cannot tell of a fault of this stack."""
    if alarm is None:
        return f"alarm {name} is not in CloudWatch (missing from infra/alarms.tf?)"
    if not alarm.get("AlarmActions"):
        return f"alarm {name} has no AlarmActions (nobody is told)"
    if alarm.get("ActionsEnabled") is False:
        return f"alarm {name} has ActionsEnabled false: CloudWatch runs none of its actions (nobody is told)"
    if alarm.get("Undelivered"):
        return str(alarm["Undelivered"])
    return watches_another_metric(name, alarm, stack_id)


def missing_alarms(
    expected: Mapping[str, Sequence[str]], described: Mapping[str, Mapping[str, Any]], stack_id: str
) -> dict[str, str]:
    """Faults none of whose alarms can tell of them -> why (naming fault and each alarm).

    ``expected``: fault -> full alarm names (any one may fire); ``described``: DescribeAlarms' alarms by name.
    An alarm is usable when CloudWatch has it, it notifies someone and it watches this stack's metric.
    """
    problems: dict[str, str] = {}
    for fault, names in expected.items():
        whys = [unusable(n, described.get(n), stack_id) for n in names]
        if any(why is None for why in whys):
            continue
        problems[fault] = f"fault {fault}: " + "; ".join(str(why) for why in whys)
    return problems


def _condition(alarm: Mapping[str, Any]) -> tuple[str, str, float, Callable[[float, float], bool], str] | None:
    """The alarm's test of one datapoint: (metric, statistic, threshold, compare, symbol); None if not one."""
    metric, threshold = alarm.get("MetricName"), alarm.get("Threshold")
    test = BREACHES.get(str(alarm.get("ComparisonOperator")))
    if not metric or test is None or not isinstance(threshold, int | float) or isinstance(threshold, bool):
        return None
    statistic = str(alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "?")
    return str(metric), statistic, float(threshold), test[0], test[1]


def _one_point(statistic: str, value: float) -> float:
    """A statistic of one datapoint is its value, except SampleCount (1)."""
    return 1.0 if statistic == "SampleCount" else float(value)


def rule_of(alarm: Mapping[str, Any], treat_missing_data: str | None = None) -> cloudwatch_eval.AlarmRule | str:
    """The alarm's evaluation rule from DescribeAlarms' fields, or why it has none CloudWatch's evaluation applies.

    ``DatapointsToAlarm`` absent means M = N (CloudWatch's default); ``treat_missing_data`` overrides the alarm's own.
    ``run.describe_alarms`` folds ``ExtendedStatistic`` (``p99``) into ``Statistic``: both are accepted.
    """
    try:
        periods = int(alarm.get("EvaluationPeriods") or 1)
        statistic = str(alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "")
        extended = statistic if statistic.startswith("p") else None
        return cloudwatch_eval.AlarmRule(
            period=int(alarm.get("Period") or 60),
            threshold=float(alarm["Threshold"]),
            comparison=str(alarm.get("ComparisonOperator")),
            evaluation_periods=periods,
            datapoints_to_alarm=int(alarm.get("DatapointsToAlarm") or periods),
            statistic=None if extended else statistic,
            extended_statistic=extended,
            treat_missing_data=str(
                treat_missing_data or alarm.get("TreatMissingData") or cloudwatch_eval.DEFAULT_TREATMENT
            ),
        )
    except (cloudwatch_eval.UnsupportedAlarm, KeyError, TypeError, ValueError) as err:
        return str(err)


def rules_of(
    names: Sequence[str], described: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, cloudwatch_eval.AlarmRule]]:
    """The named alarms CloudWatch evaluates on one metric -> (metric, ``AlarmRule``); the others are left out."""
    found: dict[str, tuple[str, cloudwatch_eval.AlarmRule]] = {}
    for name in names:
        alarm = described.get(name) or {}
        rule = rule_of(alarm) if _condition(alarm) is not None else None
        if isinstance(rule, cloudwatch_eval.AlarmRule):
            found[name] = (str(alarm["MetricName"]), rule)
    return found


def _fault_period(
    rule: cloudwatch_eval.AlarmRule,
    metric: str,
    value: float,
    at: float | None,
    others: Sequence[Published],
    since: float | None = None,
) -> tuple[list[cloudwatch_eval.Sample], list[str]]:
    """The datapoints of ``metric`` in the faulty run's period (its own first) and the other runs' evidence.

    ``others``: every other run of the round, whenever it published: only those in the period count.
    ``since``: the injection instant (epoch seconds): the faulty run published no earlier, so a run that ended
    before that period began (``Published.ended``) is not in it even when it recorded no time. Raises
    ``UnknownPeriod`` naming the run when one may have published ``metric`` there but its time or value is not
    known: CloudWatch's aggregate of the period cannot then be computed (unless its value cannot sway it).
    """
    period = rule.period
    mine = None if at is None else math.floor(at / period)
    anchor = at if at is not None else since
    begins = None if anchor is None else math.floor(anchor / period)
    samples = [cloudwatch_eval.Sample.value(at or 0.0, value)]
    shared: list[str] = []
    for run in others:
        if run.values is not None and metric not in run.values:
            continue
        latest = run.at if run.at is not None else run.ended
        if latest is not None and begins is not None and math.floor(latest / period) < begins:
            continue  # it published before the faulty run's period began
        if run.at is None or mine is None:
            if run.values is not None and not own_period.sways(rule, run.values[metric]):
                continue  # in the period or not, the faulty datapoint alone decides whether it breaches
            what = f"published {metric}" if run.values is not None else f"may have published {metric}"
            when = "recorded no publication time" if run.at is None else "the faulty run recorded no time"
            raise UnknownPeriod(
                f"run {run.run} {what} and {when}: whether it shares the faulty run's {period} s "
                "period (which CloudWatch aggregates) is unknown"
            )
        if math.floor(run.at / period) != mine:
            continue
        if run.values is None:
            raise UnknownPeriod(
                f"run {run.run} published into the faulty run's {period} s period, but what it published is "
                f"unknown: CloudWatch's {rule.stat_name} of the period cannot be computed"
            )
        samples.append(cloudwatch_eval.Sample.value(run.at, run.values[metric]))
        shared.append(f"{run.run}'s {run.values[metric]:g}")
    return samples, shared


def alone(rule: cloudwatch_eval.AlarmRule, value: float, at: float) -> cloudwatch_eval.Verdict:
    """The state CloudWatch reaches on one run's datapoint ``value`` at ``at`` (epoch s), every other period empty,
    once that period is over (CloudWatch evaluates only periods that are over)."""
    now = period_end(at, rule.period)
    evaluated = cloudwatch_eval.buckets(rule, [cloudwatch_eval.Sample.value(at, value)], now)
    return cloudwatch_eval.evaluate(rule, evaluated, cloudwatch_eval.OK, now)


def _m_of_n(rule: cloudwatch_eval.AlarmRule) -> str:
    """How many breaching periods the rule needs, for the evidence."""
    return (
        f"DatapointsToAlarm {rule.datapoints_to_alarm} of EvaluationPeriods {rule.evaluation_periods}: "
        f"ALARM needs {rule.datapoints_to_alarm} breaching periods among the last {rule.evaluation_periods}"
    )


def not_breached_by_the_fault(
    name: str,
    alarm: Mapping[str, Any],
    faulty: Mapping[str, float],
    at: float | None = 0.0,
    others: Sequence[Published] = (),
    since: float | None = None,
) -> str | None:
    """Why the faulty run's datapoint does not raise alarm ``name`` (None: it does).

    ``faulty``: metric -> the value the one run after the fault published, at ``at`` (epoch seconds; None: not
    recorded), no earlier than ``since`` (the injection); ``others``: the chaos round's other runs. CloudWatch
    aggregates every datapoint of a period with the alarm's statistic, so the fault's period holds the faulty
    run's value and those of the runs that published into the same period (``run_fault`` waits before the
    injection until no earlier datapoint that could sway it shares it: ``own_period``): a ``Minimum`` of a
    healthy and a faulty value is the healthy one, a ``Sum`` adds both. The alarm is evaluated as CloudWatch
    does (``lakehouse.emulator.alarms``) on that period with every other period not breaching: only then does
    its ALARM prove the fault. An M-of-N
    alarm (M > 1) needs M breaching periods, and the fault put one: an ALARM of it counts other periods (an
    earlier fault's run, missing data treated as breaching), so its message is not this fault's. So does an
    alarm whose condition the period does not meet: it goes to ALARM, if at all, for another reason.
    Raises ``UnknownPeriod`` when another run may share the period but its time or values are unknown.
    """
    condition = _condition(alarm)
    if condition is None:
        return (
            f"alarm {name}'s condition ({alarm.get('ComparisonOperator')} {alarm.get('Threshold')}) is not a "
            "threshold on one metric: the faulty run's values cannot show it breached"
        )
    metric, statistic, threshold, compare, symbol = condition
    shown = f"alarm {name} ({metric} {statistic} {symbol} {threshold:g})"
    if metric not in faulty:
        return f"the faulty run published no {metric}, so {shown} cannot have seen the fault"
    rule = rule_of(alarm, treat_missing_data="notBreaching")
    if isinstance(rule, str):
        return f"{shown} is not an alarm CloudWatch evaluates ({rule}): the fault cannot be shown to raise it"
    samples, shared = _fault_period(rule, metric, faulty[metric], at, others, since)
    value = cloudwatch_eval.aggregate(rule, samples)
    if value is None:  # an Average of no count: cannot happen with one datapoint or more
        return f"the fault's period holds no {metric} datapoint CloudWatch can aggregate for {shown}"
    whose = f"the faulty run's {metric} {statistic} = {value:g}"
    if shared:
        whose = (
            f"the fault's period's {metric} {statistic} = {value:g} (CloudWatch aggregates the faulty run's "
            f"{faulty[metric]:g} with {', '.join(shared)}, published in the same {rule.period} s period)"
        )
    if not compare(value, threshold):
        return f"{whose} does not breach {shown}: an ALARM of it would be for another reason, not this fault"
    now = period_end(max(s.timestamp for s in samples), rule.period)  # once the fault's period is over
    verdict = cloudwatch_eval.evaluate(rule, cloudwatch_eval.buckets(rule, samples, now), cloudwatch_eval.OK, now)
    if verdict.state == cloudwatch_eval.ALARM:
        return None
    return (
        f"{whose} breaches {shown} in one period, but the alarm has "
        f"{_m_of_n(rule)}, and the fault's one run puts one datapoint: CloudWatch stays {verdict.state} on it alone, "
        "so an ALARM of it counts other periods (an earlier run's datapoints, missing data treated as breaching), "
        "not this fault"
    )


def fires_without_the_fault(
    name: str, alarm: Mapping[str, Any], healthy: Mapping[str, float], at: float = 0.0
) -> str | None:
    """Why alarm ``name`` goes to ALARM on what a healthy run published (None: it does not, or cannot be told).

    ``alarm``: DescribeAlarms' fields (Namespace, MetricName, Statistic, ComparisonOperator, Threshold,
    EvaluationPeriods, DatapointsToAlarm, TreatMissingData); ``healthy``: metric -> the value the recovery run
    (exit checks green) put at ``at``, one datapoint per metric. A statistic of one datapoint is its value,
    except SampleCount (1). An alarm whose condition holds for that value fires once enough runs breach it
    (after every run at M = 1); one that CloudWatch raises on that datapoint alone with its own missing-data
    treatment (``breaching`` periods around a run) fires whenever a run leaves periods empty. Either way its
    ALARM message after a fault proves no detection. Alarms on another namespace, metric math or anomaly
    bands are not judged here (the pipeline's values say nothing).
    """
    condition = _condition(alarm)
    if alarm.get("Namespace") != NAMESPACE or condition is None or condition[0] not in healthy:
        return None
    metric, statistic, threshold, compare, symbol = condition
    value = _one_point(statistic, healthy[metric])
    shown = f"alarm {name} ({metric} {statistic} {symbol} {threshold:g})"
    if compare(value, threshold):
        return (
            f"{shown} breaches on the healthy recovery run's {metric} {statistic} = {value:g}: "
            "it fires after every run, fault or not, so its message detects nothing"
        )
    rule = rule_of(alarm)
    if isinstance(rule, str) or alone(rule, healthy[metric], at).state != cloudwatch_eval.ALARM:
        return None
    return (
        f"{shown} goes to ALARM on the healthy recovery run's {metric} {statistic} = {value:g} alone: with "
        f"{_m_of_n(rule)} and TreatMissingData {rule.treat_missing_data}, the periods no run published in breach, "
        "so it fires whenever the pipeline does not run every period, fault or not: its message detects nothing"
    )


def left_out(timelines: Sequence[Timeline], catalogue: Sequence[str]) -> str | None:
    """Why the run does not cover the catalogue: the faults it has no timeline of (None: it has every one).

    ``--chaos-faults`` (or ``LAKEHOUSE_CHAOS_FAULTS``) picks some faults, which is handy while mending one; a
    mean over those says nothing of the others, so it is no KPI-mttr pass.
    """
    ran = {t.fault for t in timelines}
    missing = [name for name in catalogue if name not in ran]
    if not missing:
        return None
    return (
        f"only {len(catalogue) - len(missing)} of the chaos catalogue's {len(catalogue)} faults were run "
        f"(--chaos-faults or LAKEHOUSE_CHAOS_FAULTS); not injected: {', '.join(missing)}: "
        "the KPI holds only over every fault"
    )


def judge_mttr(timelines: Sequence[Timeline], threshold_s: float, catalogue: Sequence[str] | None = None) -> Outcome:
    """Mean detect + recover of the faults < ``threshold_s``, every fault detected and recovered.

    ``catalogue``: every fault's name (``faults.CATALOGUE``): a run without a timeline of each is no pass. A fault
    that cannot be injected on this target (``skipped``) is named in ``measured``, beside the mean it is not in.
    """
    ran = [t for t in timelines if t.skipped is None]
    details: dict[str, Any] = {"faults": [t.to_dict() for t in timelines]}
    if not ran:
        return Outcome.error("no fault of the chaos catalogue could be injected", threshold_s, details)
    problems = [t.problem for t in ran if t.problem]
    if catalogue is not None and (why := left_out(timelines, catalogue)):
        problems.insert(0, why)
    totals = [(t.total_s, t.fault) for t in ran if t.total_s is not None]
    measured: dict[str, Any] = {"faults": len(ran), "recovered": len(totals)}
    if skipped := {t.fault: str(t.skipped) for t in timelines if t.skipped is not None}:
        measured["skipped"] = skipped
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
    undecided = all(t.undecided and t.recovered_at is not None for t in ran if t.problem)
    if problems and undecided and not (catalogue and left_out(timelines, catalogue)):
        return Outcome.error("; ".join(problems), threshold_s, details, measured)
    if problems:
        return Outcome.judged(False, measured, threshold_s, "; ".join(problems), details)
    mean = float(measured["mean_s"])
    ok = mean < threshold_s
    reason = None if ok else f"mean time to recover {mean:.0f} s is not below {threshold_s:.0f} s (worst {worst})"
    return Outcome.judged(ok, measured, threshold_s, reason, details)
