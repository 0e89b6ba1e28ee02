"""KPI-mttr: a fault's alarm must tell this stack's own topic, not another stack's that someone receives.

The chaos harness subscribes its queue to whatever SNS topics the alarms' actions name, so it hears the
ALARM message wherever it goes. Delivery (``chaos.delivery``) only asked whether the topic has a confirmed
subscriber besides the harness: an input-empty alarm whose action is stack lh-2's alerts topic (lh-2's
operator subscribed) counted as detected for lh-1, though nobody of lh-1's was told. The topic's
``stack_id`` tag, read back from SNS, now decides whose it is.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lakehouse.chaos import delivery
from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.delivery import deaf_alarms, not_the_stacks
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.runbook import Criteria
from lakehouse.checks.finops import FinopsReadback
from lakehouse.outcome import Status
from tests.unit.test_chaos_delivery import pipeline_alarm
from tests.unit.test_finops import (
    ACCOUNT,
    BILLING_TOPIC,
    INBOX,
    TOPIC,
    healthy,
    inbox,
    inbox_policy,
    subscription,
    topic_policy,
)

STACK = "lh-1"
EMPTY = f"lakehouse-{STACK}-input-empty"
#: Stack lh-2's alerts topic: its operator's e-mail is confirmed on it.
OTHER = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:lakehouse-lh-2-alerts"
TAGS = {TOPIC: {"stack_id": STACK}, OTHER: {"stack_id": "lh-2"}}


def readback() -> FinopsReadback:
    """lh-1's alerts topic and lh-2's, each with a confirmed subscriber of its own stack."""
    # GetQueueAttributes (All) always shows CreatedTimestamp: the re-read after the fault compares it with this one
    data = healthy(queues={INBOX: inbox(inbox_policy(TOPIC, BILLING_TOPIC, OTHER), CreatedTimestamp="1764547200")})
    data.topics[OTHER] = True
    data.subscriptions[OTHER] = [subscription(OTHER)]  # an inbox that lets lh-2's topic deliver
    data.subscription_attributes[data.subscriptions[OTHER][0]["SubscriptionArn"]] = {}
    data.topic_policies[OTHER] = topic_policy(OTHER, "cloudwatch.amazonaws.com")
    return data


class _Queue:
    seen: list[dict[str, Any]] = []

    def close(self) -> None:
        pass


class _Target:
    """Only what reading the topics' owners asks of the target: who the caller is."""

    region = "ap-northeast-1"

    def client(self, service: str, **_kw: Any) -> Any:
        assert service == "sts", service
        identity = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/operator"}
        return SimpleNamespace(get_caller_identity=lambda: identity)


def _kpi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, topic: str) -> Any:
    """``run_chaos`` over bronze-truncated whose alarm tells ``topic``; the fault itself detected and mended."""
    alarms = {EMPTY: pipeline_alarm(topic)}
    monkeypatch.setattr(chaos_run, "describe_alarms", lambda _t, names: {n: dict(alarms[n]) for n in names})
    monkeypatch.setattr(delivery, "topics_readback", lambda _t, _topics: readback())
    monkeypatch.setattr(delivery, "read_tags", lambda _t, _kind, arn, *_a: TAGS[arn], raising=False)
    monkeypatch.setattr(chaos_run.AlertQueue, "create", lambda *_a: _Queue())

    def run_fault(_ctx: ChaosContext, fault: Fault, *_a: Any) -> Timeline:
        tl = Timeline(fault.name, fault.what, [EMPTY], fault.runbook.value)
        tl.injected_at, tl.detected_at, tl.recovered_at = 100.0, 110.0, 200.0
        return tl

    monkeypatch.setattr(chaos_run, "run_fault", run_fault)
    fault = Fault("bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection(""))
    ctx = ChaosContext(target=_Target(), outputs={}, stack_id=STACK)  # type: ignore[arg-type]
    return judge_mttr(chaos_run.run_chaos(ctx, [fault], Criteria(expected_row={}), 1800.0, tmp_path).timelines, 1800.0)


def test_an_alarm_telling_another_stacks_topic_is_no_detection_though_that_topic_is_heard(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, OTHER)
    assert outcome.status is Status.FAILED, f"KPI-mttr passed lh-1 whose {EMPTY} tells only lh-2's topic {OTHER}"
    assert str(outcome.reason) == (
        f"fault bronze-truncated: alarm {EMPTY}'s ALARM notification reaches nobody of this stack's, only the chaos "
        f"harness's own queue ({OTHER} is not stack lh-1's topic (its stack_id tag is 'lh-2'): its subscribers are "
        "not this stack's): a message the harness receives is no detection by the stack"
    )


def test_an_alarm_telling_the_stacks_own_topic_is_a_detection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    outcome = _kpi(monkeypatch, tmp_path, TOPIC)
    assert outcome.passed, outcome.reason


def test_one_own_heard_topic_beside_a_foreign_one_is_enough() -> None:
    foreign = {OTHER: str(not_the_stacks(TAGS[OTHER], STACK))}
    assert deaf_alarms(readback(), {EMPTY: pipeline_alarm(OTHER, TOPIC)}, "ap-northeast-1", foreign) == {}
    assert EMPTY in deaf_alarms(readback(), {EMPTY: pipeline_alarm(OTHER)}, "ap-northeast-1", foreign)


def test_an_untagged_topic_is_not_shown_to_be_the_stacks() -> None:
    assert not_the_stacks({}, STACK) == (
        "is not stack lh-1's topic (it has no stack_id tag): its subscribers are not this stack's"
    )
    assert not_the_stacks({"stack_id": STACK}, STACK) is None
