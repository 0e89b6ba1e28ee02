"""KPI-mttr on a real stack: a fault raises its alarm, the message reaches the harness's queue, the runbook mends.

And the broken case the KPI exists for: a fault whose alarm is missing from the stack fails the
KPI naming the fault and the alarm. The test deletes the alarm through CloudWatch's API and
re-applies infra/ afterwards, so the next test sees the stack Terraform made.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakehouse.chaos.faults import CATALOGUE, ChaosContext, Injection, Runbook, by_name
from lakehouse.chaos.mttr import judge_mttr
from lakehouse.chaos.run import describe_alarms, run_chaos
from lakehouse.chaos.runbook import STEPS, Criteria
from lakehouse.lineage.endpoint import emitter_for, resolve
from lakehouse.outcome import Status
from lakehouse.pipeline.commands import operated_run
from lakehouse.pipeline.runner import DATA_DIR
from lakehouse.stack import Deployment
from steps.chaos_steps import chaos_context
from tests.integration.conftest import make_options

pytestmark = pytest.mark.xdist_group("mttr")  # a stack of its own: the whole chaos catalogue overlaps the other groups

#: The Gold row exit check 2 expects of the sample data (features/exit_criteria.feature).
ROW = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
FAULT = "bronze-truncated"
THRESHOLD_S = 1800.0


def _context(deployed: Deployment) -> ChaosContext:
    return ChaosContext(deployed.stack.target, deployed.record.outputs, deployed.stack.stack_id)


def _criteria(deployed: Deployment, tmp_path: Path) -> Criteria:
    endpoint = resolve(deployed.stack.stack_id, deployed.record.lineage_url, None, None, None)
    return Criteria(expected_row=ROW, lineage=endpoint, screenshot_dir=tmp_path)


@pytest.fixture
def loaded(deployed: Deployment, tmp_path: Path) -> Deployment:
    """The stack with the sample loaded (what the faults break), as `lakehouse pipeline` leaves it."""
    endpoint = resolve(deployed.stack.stack_id, deployed.record.lineage_url, None, None, None)
    result = operated_run(
        deployed.stack.target, deployed.record.outputs, DATA_DIR, emitter_for(deployed.stack.target, endpoint)
    )
    assert result.ok, result.error
    assert result.metrics is not None and result.metrics["sent"] >= 5, result.metrics
    return deployed


def test_every_fault_raises_its_alarm_and_the_runbook_brings_checks_back(
    loaded: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole catalogue on a `lakehouse up` stack, with the levers the scenario has (service, re-apply)."""
    ctx = chaos_context(loaded, make_options(stack_id=loaded.stack.stack_id, deployed=True))
    chaos = run_chaos(ctx, CATALOGUE, _criteria(loaded, tmp_path), THRESHOLD_S, tmp_path)
    outcome = judge_mttr(chaos.timelines, THRESHOLD_S)
    with capsys.disabled():
        print(f"\nchaos: {chaos.seconds:.0f} s for {len(chaos.timelines)} faults; {outcome.measured}")
    assert outcome.passed, outcome.reason
    fired = {t["fault"]: t["alarm_fired"] for t in outcome.details["faults"]}
    prefix = f"lakehouse-{loaded.stack.stack_id}"
    assert fired[FAULT] == f"{prefix}-input-empty"
    assert fired["gold-metadata-missing"] == f"{prefix}-gold-unreadable"
    for timeline in outcome.details["faults"]:
        assert timeline["message"]["state"] == "ALARM"
        # Recovered = the exit checks green and every source row back (counted before the fault).
        assert set(timeline["exit_checks"]) == {"EXIT-2", "EXIT-4", "EXIT-6", "EXIT-7", "full-data"}
        assert all(c["status"] == "passed" for c in timeline["exit_checks"].values())
        assert timeline["timeline"]["detect_s"] >= 0 and timeline["timeline"]["recover_s"] >= 0


def test_a_fault_whose_alarm_is_missing_fails_the_kpi_naming_it(loaded: Deployment, tmp_path: Path) -> None:
    ctx = _context(loaded)
    alarm = ctx.alarm_name("input-empty")
    cloudwatch = loaded.stack.target.client("cloudwatch")
    cloudwatch.delete_alarms(AlarmNames=[alarm])
    try:
        chaos = run_chaos(ctx, by_name([FAULT]), _criteria(loaded, tmp_path), THRESHOLD_S, tmp_path)
        outcome = judge_mttr(chaos.timelines, THRESHOLD_S)
        assert outcome.status is Status.FAILED
        assert FAULT in str(outcome.reason) and alarm in str(outcome.reason)
        assert chaos.timelines[0].injected_at is None  # nothing was broken: nobody would have been told
    finally:
        assert loaded.stack.apply().ok
    assert alarm in describe_alarms(loaded.stack.target, [alarm])


#: What PutMetricAlarm takes back from DescribeAlarms to recreate a pipeline alarm as Terraform made it.
ALARM_PARAMS = (
    "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
    "MetricName", "Namespace", "Statistic", "Dimensions", "Period", "EvaluationPeriods", "DatapointsToAlarm",
    "Threshold", "ComparisonOperator", "TreatMissingData",
)  # fmt: skip


def test_a_fault_detected_by_an_alarm_that_fires_after_every_run_fails_the_kpi_naming_it(
    loaded: Deployment, tmp_path: Path
) -> None:
    """input-empty edited to EmptyInputFiles >= 0: it goes to ALARM after the faulty run as after any run.

    Its message arrives and the runbook mends the stack, so the fault looked detected and recovered;
    the KPI fails naming the alarm, its condition and the healthy run's value it breaches on.
    """
    ctx = _context(loaded)
    alarm = ctx.alarm_name("input-empty")
    cloudwatch = loaded.stack.target.client("cloudwatch")
    described = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    params = {k: described[k] for k in ALARM_PARAMS if k in described}
    tags = cloudwatch.list_tags_for_resource(ResourceARN=described["AlarmArn"])["Tags"]
    cloudwatch.put_metric_alarm(**{**params, "Threshold": 0.0})
    try:
        chaos = run_chaos(ctx, by_name([FAULT]), _criteria(loaded, tmp_path), THRESHOLD_S, tmp_path)
        outcome = judge_mttr(chaos.timelines, THRESHOLD_S)
        (timeline,) = chaos.timelines
        assert timeline.alarm_fired == alarm and timeline.recovered_at is not None, timeline.to_dict()
        assert outcome.status is Status.FAILED
        assert str(outcome.reason) == (
            f"fault {FAULT}: alarm {alarm} (EmptyInputFiles Maximum >= 0) breaches on the healthy recovery run's "
            "EmptyInputFiles Maximum = 0: it fires after every run, fault or not, so its message detects nothing"
        )
    finally:
        cloudwatch.put_metric_alarm(**params)
        cloudwatch.tag_resource(ResourceARN=described["AlarmArn"], Tags=tags)
    assert describe_alarms(loaded.stack.target, [alarm])[alarm]["Threshold"] == 1.0


def _cut_in_last_line(body: bytes) -> bytes:
    """Cut inside the last value: every line is still there, the last one short of its end and line break."""
    return body.rstrip(b"\r\n")[:-4]


def test_a_recovery_that_brings_back_a_file_cut_mid_line_is_not_one(
    loaded: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Bronze runbook step restores orders.csv cut inside its last line: line for line it is all there.

    Counting the data lines called this a recovery; the file is not the source, and the KPI says so.
    """
    ctx = _context(loaded)
    restore = STEPS[Runbook.RESTORE_BRONZE_OBJECT]
    last_line = (DATA_DIR / "orders.csv").read_bytes().count(b"\n")

    def restore_then_cut(ctx: ChaosContext, injection: Injection) -> str:
        did = restore(ctx, injection)
        s3 = ctx.target.client("s3")
        bucket, key = injection.subject["bucket"], injection.subject["key"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key=key, Body=_cut_in_last_line(body))
        return f"{did}, then cut inside its last line"

    monkeypatch.setitem(STEPS, Runbook.RESTORE_BRONZE_OBJECT, restore_then_cut)
    try:
        chaos = run_chaos(ctx, by_name([FAULT]), _criteria(loaded, tmp_path), THRESHOLD_S, tmp_path)
        outcome = judge_mttr(chaos.timelines, THRESHOLD_S)
        assert outcome.status is Status.FAILED
        (timeline,) = chaos.timelines
        assert timeline.detected_at is not None and timeline.recovered_at is None
        full_data = timeline.checks["full-data"]
        assert full_data["status"] == "failed"
        assert full_data["reason"].startswith("orders.csv: the recovery run landed ")
        assert f"it ends mid-line (line {last_line} has no line break: the file was cut short)" in full_data["reason"]
        assert f"fault {FAULT}: exit checks not green after the runbook" in str(outcome.reason)
        assert full_data["reason"] in str(outcome.reason)
    finally:
        endpoint = resolve(loaded.stack.stack_id, loaded.record.lineage_url, None, None, None)
        repaired = operated_run(  # lands the sample again, arrived objects included
            loaded.stack.target, loaded.record.outputs, DATA_DIR, emitter_for(loaded.stack.target, endpoint)
        )
        assert repaired.ok, repaired.error


def test_a_late_alarm_message_of_an_earlier_change_is_no_detection_and_fails_the_kpi_naming_it(
    loaded: Deployment, tmp_path: Path
) -> None:
    """The fault's own change to ALARM tells nobody (the alarm's actions switched off as it is injected), and SNS
    delivers, after the injection, input-empty's ALARM message of a change ten minutes old.

    Any ALARM message of the alarm arriving after the injection counted as the detection; the KPI passed.
    """
    ctx = _context(loaded)
    alarm = ctx.alarm_name("input-empty")
    target = loaded.stack.target
    (topic,) = describe_alarms(target, [alarm])[alarm]["AlarmActions"]
    changed = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    arn = target.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmArn"]
    late = {
        "AlarmName": alarm,
        "AlarmArn": arn,  # the stack's own alarm: only its late timing should refuse it
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the "
        "threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": changed,
    }
    (fault,) = by_name([FAULT])

    def inject_silently_then_late(ctx: ChaosContext) -> Injection:
        target.client("cloudwatch").disable_alarm_actions(AlarmNames=[alarm])
        injection = fault.inject(ctx)
        target.client("sns").publish(TopicArn=topic, Message=json.dumps(late), Subject=f'ALARM: "{alarm}"')
        return injection

    try:
        chaos = run_chaos(
            ctx, [replace(fault, inject=inject_silently_then_late)], _criteria(loaded, tmp_path), 120.0, tmp_path
        )
    finally:
        target.client("cloudwatch").enable_alarm_actions(AlarmNames=[alarm])
    outcome = judge_mttr(chaos.timelines, THRESHOLD_S)
    (timeline,) = chaos.timelines
    assert timeline.injected_at is not None and timeline.detected_at is None, timeline.to_dict()
    assert timeline.runbook_did, timeline.to_dict()  # the runbook mended the stack all the same
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    assert reason.startswith(
        f"fault {FAULT}: no ALARM message of {alarm} arrived within 120 s that tells of this fault"
    )
    assert f"alarm {alarm}'s ALARM message (StateChangeTime {changed}): the alarm changed to ALARM at " in reason
    assert "a stale or late message, not this fault's" in reason
    # The actions switched off during the run: the alarm is not the one the run read at its start.
    assert f"alarm {alarm}'s configuration changed during the chaos run" in reason
    assert "ActionsEnabled True -> False" in reason
