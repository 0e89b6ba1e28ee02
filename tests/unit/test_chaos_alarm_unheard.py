"""KPI-mttr: an alarm whose stack subscriber is lost during the chaos run is no detection by the stack.

Who besides the harness receives the alarm's topic was read once, as the run started. The broken stack: while
the fault runs, the stack's own subscription to the alerts topic is removed (or replaced by a new one), its
endpoint's queue is deleted, or the topic itself is deleted. The harness's queue heard the ALARM message, the
fault counted as detected and the KPI passed, though the alert may have reached nobody of the stack's. Now the
topics are read again (moto's SNS, SQS, in process) when the fault is over, with the alarms, and an alarm none of
whose start-of-run receivers still receives its message fails the fault, naming the topic and what changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.alerts import queue_policy
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.runbook import Criteria
from lakehouse.outcome import Outcome, Status
from lakehouse.target import Target
from tests.unit.test_chaos_alarm_reconfigured import PARAMS, STACK
from tests.unit.test_finops import topic_policy

REGION = "us-east-1"
ALARM = str(PARAMS["AlarmName"])
NOBODY = "the message the harness received may have told nobody of the stack's"


@dataclass
class Stack:
    """The stack's alerts topic (tagged as its own, CloudWatch may publish) and its inbox queue, subscribed."""

    target: Target
    topic: str
    queue_url: str = ""
    queue_arn: str = ""
    subscription: str = ""

    def subscribe(self, name: str) -> tuple[str, str, str]:
        """Queue ``name`` of the stack's, letting the topic deliver, subscribed: its URL, ARN and SubscriptionArn."""
        sqs, sns = self.target.client("sqs"), self.target.client("sns")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy(arn, [self.topic])})
        sub = sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)
        return url, arn, str(sub["SubscriptionArn"])


@pytest.fixture
def stack(moto_aws: None) -> Iterator[Stack]:
    target = Target(name="aws", region=REGION)
    sns = target.client("sns")
    topic = sns.create_topic(Name=f"lakehouse-{STACK}-alerts", Tags=[{"Key": "stack_id", "Value": STACK}])["TopicArn"]
    policy = json.dumps(topic_policy(topic, "cloudwatch.amazonaws.com"))
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy)
    target.client("cloudwatch").put_metric_alarm(**{**PARAMS, "AlarmActions": [topic]})
    built = Stack(target, topic)
    built.queue_url, built.queue_arn, built.subscription = built.subscribe(f"lakehouse-{STACK}-alert-inbox")
    yield built


class _Queue:
    seen: list[dict[str, Any]] = []

    def close(self) -> None:
        pass


def _kpi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack, during: Callable[[Stack], None]) -> Outcome:
    """``run_chaos`` over bronze-truncated, detected and recovered, ``during`` done to the stack as the fault runs."""
    monkeypatch.setattr(chaos_run.AlertQueue, "create", lambda *_a: _Queue())

    def run_fault(_ctx: ChaosContext, fault: Fault, *_a: Any) -> Timeline:
        tl = Timeline(fault.name, fault.what, [ALARM], fault.runbook.value)
        during(stack)
        tl.injected_at, tl.detected_at, tl.recovered_at, tl.alarm_fired = 100.0, 110.0, 200.0, ALARM
        return tl

    monkeypatch.setattr(chaos_run, "run_fault", run_fault)
    fault = Fault("bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection(""))
    ctx = ChaosContext(target=stack.target, outputs={}, stack_id=STACK)
    chaos = chaos_run.run_chaos(ctx, [fault], Criteria(expected_row={}), 1800.0, tmp_path)
    return judge_mttr(chaos.timelines, 1800.0)


def _unsubscribe(stack: Stack) -> None:
    stack.target.client("sns").unsubscribe(SubscriptionArn=stack.subscription)


def _resubscribe(stack: Stack) -> None:
    _unsubscribe(stack)
    sns = stack.target.client("sns")
    sns.subscribe(TopicArn=stack.topic, Protocol="sqs", Endpoint=stack.queue_arn, ReturnSubscriptionArn=True)


def _delete_queue(stack: Stack) -> None:
    stack.target.client("sqs").delete_queue(QueueUrl=stack.queue_url)


def _delete_topic(stack: Stack) -> None:
    stack.target.client("sns").delete_topic(TopicArn=stack.topic)


@pytest.mark.parametrize(
    ("during", "changed"),
    [
        (_unsubscribe, "subscription {sub} (sqs {queue}) was removed (ListSubscriptionsByTopic no longer lists it)"),
        (_resubscribe, "subscription {sub} (sqs {queue}) was removed (ListSubscriptionsByTopic no longer lists it)"),
        (
            _delete_queue,
            "subscription {sub} (sqs {queue}) no longer receives the alarm's message: "
            f"queue lakehouse-{STACK}-alert-inbox does not exist",
        ),
        (_delete_topic, "topic {topic} was deleted (GetTopicAttributes: no such topic)"),
    ],
    ids=["unsubscribed", "resubscribed", "queue-deleted", "topic-deleted"],
)
def test_an_alarm_whose_subscriber_is_lost_during_the_run_fails_the_kpi_naming_the_topic(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack, during: Callable[[Stack], None], changed: str
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, stack, during)
    assert outcome.status is Status.FAILED, f"KPI-mttr passed though {stack.topic}'s subscriber was lost mid-run"
    reason = str(outcome.reason)
    assert reason.startswith(
        f"fault bronze-truncated: alarm {ALARM}'s ALARM notification no longer reaches any subscriber of the stack's "
        "it reached at the start of the chaos run ("
    ), reason
    shown = changed.format(sub=stack.subscription, queue=stack.queue_arn, topic=stack.topic)
    assert stack.topic in reason and shown in reason and reason.endswith(f"): {NOBODY}"), reason


def test_healthy_twin_subscribers_left_alone_pass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, stack, lambda _s: None)
    assert outcome.passed, outcome.reason


def test_healthy_twin_one_of_two_subscribers_kept_all_run_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    """A second inbox subscribed from the start still receives: the alert reached someone the whole run."""
    stack.subscribe(f"lakehouse-{STACK}-oncall")
    outcome = _kpi(monkeypatch, tmp_path, stack, _unsubscribe)
    assert outcome.passed, outcome.reason


def test_a_subscriber_added_during_the_run_does_not_stand_in_for_the_lost_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    """Nothing says the new subscriber was there when the alarm fired."""

    def swap(s: Stack) -> None:
        _unsubscribe(s)
        s.subscribe(f"lakehouse-{STACK}-oncall")

    outcome = _kpi(monkeypatch, tmp_path, stack, swap)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"subscription {stack.subscription} (sqs {stack.queue_arn}) was removed" in str(outcome.reason)


def test_topics_that_cannot_be_read_again_fail_the_fault_rather_than_pass_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    """Unread, that anyone of the stack's still received the alert is unconfirmed (the start's read was fine)."""

    def unreadable(_target: Target, _alarms: Any) -> Any:
        raise RuntimeError("ListSubscriptionsByTopic: throttled")

    monkeypatch.setattr(chaos_run, "read_topics", unreadable)
    outcome = _kpi(monkeypatch, tmp_path, stack, lambda _s: None)
    assert outcome.status is Status.FAILED, outcome.reason
    assert str(outcome.reason) == (
        "fault bronze-truncated: could not read its alarms' topics again after the fault: "
        "ListSubscriptionsByTopic: throttled"
    )
