"""KPI-mttr: an alarm changed during the chaos run is not judged on the configuration it had at the start.

The broken stack: the fault's alarm is edited while the fault runs (its threshold raised out of the fault's
reach, its actions removed, or its actions disabled after the run read them). The run read the alarms once, at
its start, and judged the fault on that read: the fault counted as detected and recovered and the KPI passed,
though the alarm as it stands tells nobody of the fault. Now each fault's alarms are read again from CloudWatch
(moto's, in process) when the fault is over, and a change since the start fails the fault naming the alarm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.delivery import Delivery
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.reconfigured import UPDATED, reconfigured
from lakehouse.chaos.runbook import Criteria
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.target import Target

STACK = "lh-1"
ALARM = f"lakehouse-{STACK}-input-empty"
TOPIC = f"arn:aws:sns:us-east-1:123456789012:lakehouse-{STACK}-alerts"
#: infra/alarms.tf's input-empty alarm, as PutMetricAlarm takes it.
PARAMS: dict[str, Any] = {
    "AlarmName": ALARM,
    "Namespace": metrics.NAMESPACE,
    "MetricName": metrics.EMPTY_INPUTS,
    "Dimensions": [{"Name": metrics.DIMENSION, "Value": STACK}],
    "Statistic": "Maximum",
    "Period": 10,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "AlarmActions": [TOPIC],
}
JUDGED = "the KPI judged it on its configuration from the start of the run, which it no longer has"


class _Queue:
    seen: list[dict[str, Any]] = []

    def close(self) -> None:
        pass


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    """The stack's account with its input-empty alarm in CloudWatch."""
    target = Target(name="aws", region="us-east-1")
    target.client("cloudwatch").put_metric_alarm(**PARAMS)
    yield target


def _kpi(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    target: Target,
    during: Callable[[Any], None],
    undecided: str | None = None,
) -> Outcome:
    """``run_chaos`` over bronze-truncated, detected and recovered, ``during`` done to CloudWatch as the fault runs.

    ``undecided``: the fault's detection could not be judged instead (``mttr.UnknownPeriod``), though it recovered.
    """
    monkeypatch.setattr(chaos_run, "read_delivery", lambda _t, _a, _s: Delivery())
    monkeypatch.setattr(chaos_run.AlertQueue, "create", lambda *_a: _Queue())

    def run_fault(ctx: ChaosContext, fault: Fault, *_a: Any) -> Timeline:
        tl = Timeline(fault.name, fault.what, [ALARM], fault.runbook.value)
        during(ctx.target.client("cloudwatch"))
        tl.injected_at, tl.detected_at, tl.recovered_at = 100.0, 110.0, 200.0
        if undecided is None:
            tl.alarm_fired = ALARM
        else:
            tl.detected_at, tl.undecided = None, undecided
            tl.problem = f"fault {fault.name}: none of its alarms can tell of it, so no message is its detection"
        return tl

    monkeypatch.setattr(chaos_run, "run_fault", run_fault)
    fault = Fault("bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection(""))
    ctx = ChaosContext(target=target, outputs={}, stack_id=STACK)
    chaos = chaos_run.run_chaos(ctx, [fault], Criteria(expected_row={}), 1800.0, tmp_path)
    return judge_mttr(chaos.timelines, 1800.0)


@pytest.mark.parametrize(
    ("during", "shown"),
    [
        (lambda cw: cw.put_metric_alarm(**{**PARAMS, "Threshold": 1000.0}), "Threshold 1.0 -> 1000.0"),
        (lambda cw: cw.put_metric_alarm(**{**PARAMS, "AlarmActions": []}), f"AlarmActions ['{TOPIC}'] -> []"),
        (lambda cw: cw.disable_alarm_actions(AlarmNames=[ALARM]), "ActionsEnabled True -> False"),
    ],
    ids=["threshold-raised", "actions-removed", "actions-disabled"],
)
def test_an_alarm_changed_during_the_run_fails_the_kpi_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, account: Target, during: Callable[[Any], None], shown: str
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, account, during)
    assert outcome.status is Status.FAILED, f"KPI-mttr passed though {ALARM} was changed during the run ({shown})"
    reason = str(outcome.reason)
    assert reason.startswith(f"fault bronze-truncated: alarm {ALARM}'s configuration changed during the chaos run")
    assert shown in reason and reason.endswith(JUDGED), reason


def test_an_alarm_deleted_during_the_run_fails_the_kpi_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, account: Target
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, account, lambda cw: cw.delete_alarms(AlarmNames=[ALARM]))
    assert outcome.status is Status.FAILED
    assert str(outcome.reason) == (
        f"fault bronze-truncated: alarm {ALARM} was deleted during the chaos run (DescribeAlarms no longer has it): "
        f"{JUDGED}"
    )


def test_an_alarm_changed_during_a_run_whose_detection_was_undecided_fails_rather_than_errs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, account: Target
) -> None:
    raised = _kpi(
        monkeypatch, tmp_path, account, lambda cw: cw.put_metric_alarm(**{**PARAMS, "Threshold": 1000.0}), "x"
    )
    assert raised.status is Status.FAILED, raised.reason
    assert "Threshold 1.0 -> 1000.0" in str(raised.reason)


def test_healthy_twin_an_alarm_left_alone_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, account: Target
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, account, lambda _cw: None)
    assert outcome.passed, outcome.reason
    # The undecided twin stays an error: left alone, the alarm gives no verdict of its own.
    assert _kpi(monkeypatch, tmp_path, account, lambda _cw: None, "x").status is Status.ERROR


def test_describe_alarms_keeps_when_the_configuration_last_changed(account: Target) -> None:
    stamp = chaos_run.describe_alarms(account, [ALARM])[ALARM][UPDATED]
    assert isinstance(stamp, str) and stamp.endswith("+00:00"), stamp


def test_a_change_undone_before_the_second_read_is_shown_by_the_configuration_timestamp() -> None:
    """Threshold raised while the fault ran, put back before the fault was over: the fields read the same, but
    CloudWatch's ``AlarmConfigurationUpdatedTimestamp`` moved."""
    start = {"Threshold": 1.0, "StateValue": "OK", UPDATED: "2026-12-07T00:00:00.000+00:00"}
    undone = {**start, "StateValue": "ALARM", UPDATED: "2026-12-07T00:05:00.000+00:00"}
    assert reconfigured(ALARM, start, undone) == (
        f"alarm {ALARM}'s configuration changed during the chaos run ({UPDATED} 2026-12-07T00:05:00.000+00:00, "
        f"after 2026-12-07T00:00:00.000+00:00 read at the start): {JUDGED}"
    )
    assert reconfigured(ALARM, start, {**start, "StateValue": "ALARM", "Undelivered": None}) is None
