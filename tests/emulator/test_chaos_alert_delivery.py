"""KPI-mttr's detection must be the stack's: an alarm whose topic only the harness's queue receives tells nobody.

The chaos loop runs for real against the emulator's CloudWatch, SNS and SQS (``run_chaos``), with the
pipeline runs, runbook and exit checks stood in for as in ``test_chaos_alarm_identity``. The broken stack:
the alerts topic has no subscriber of its own (nobody subscribed the inbox or a mailbox). The harness's
own SQS queue, subscribed for the run, used to receive the ALARM message and count it as the detection.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse.chaos.faults import ChaosContext
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Status
from lakehouse.target import local_target
from tests.emulator.chaos_inbox import subscribe_inbox
from tests.emulator.conftest import REGION
from tests.emulator.test_chaos_alarm_identity import FAULT, _alarm, _chaos


@pytest.fixture(params=[True, False], ids=["inbox", "nobody"])
def stack(request: pytest.FixtureRequest, emulator: EmulatorHandle) -> Iterator[tuple[ChaosContext, bool]]:
    """A stack of its own whose alerts topic has the stack's inbox subscribed, or nobody."""
    target = local_target(emulator.endpoint, REGION)
    ctx = ChaosContext(target, {}, f"md{uuid.uuid4().hex[:8]}")
    topic = target.client("sns").create_topic(
        Name=f"{ctx.prefix}-alerts", Tags=[{"Key": "stack_id", "Value": ctx.stack_id}]
    )["TopicArn"]
    ctx.outputs["topic"] = topic
    remove = subscribe_inbox(target, topic, f"{ctx.prefix}-alerts-inbox") if request.param else None
    yield ctx, bool(request.param)
    if remove is not None:
        remove()
    target.client("cloudwatch").delete_alarms(AlarmNames=[ctx.alarm_name("input-empty")])
    target.client("sns").delete_topic(TopicArn=topic)


def test_a_fault_counts_as_detected_only_when_the_stack_itself_receives_the_alarm(
    stack: tuple[ChaosContext, bool], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ctx, has_inbox = stack
    name = _alarm(ctx, ctx.stack_id)
    outcome, chaos = _chaos(ctx, monkeypatch, tmp_path, lambda: None)
    (timeline,) = chaos.timelines
    if has_inbox:
        assert outcome.passed, outcome.reason
        assert timeline.alarm_fired == name
        return
    assert outcome.status is Status.FAILED, "the harness's own queue was the only receiver, yet the KPI passed"
    assert timeline.injected_at is None  # nobody would be told: not injected
    topic = ctx.outputs["topic"]
    assert str(outcome.reason) == (
        f"fault {FAULT}: alarm {name}'s ALARM notification reaches nobody of this stack's, only the chaos harness's "
        f"own queue ({topic} has no subscription): a message the harness receives is no detection by the stack"
    )
    assert chaos.alarms[name]["Undelivered"] in str(outcome.reason)
