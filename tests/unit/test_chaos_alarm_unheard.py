"""KPI-mttr: an alarm whose stack subscriber is lost during the chaos run is no detection by the stack.

Who besides the harness receives the alarm's topic was read once, as the run started. The broken stack: while
the fault runs, the stack's own subscription to the alerts topic is removed (or replaced by a new one), its
endpoint's queue is deleted, or the topic itself is deleted. The harness's queue heard the ALARM message, the
fault counted as detected and the KPI passed, though the alert may have reached nobody of the stack's. Now the
topics are read again (moto's SNS, SQS, in process) when the fault is over, with the alarms, and an alarm none of
whose start-of-run receivers still receives its message fails the fault, naming the topic and what changed.

Two changes keep the subscription: the inbox queue deleted and created again under its name (same URL and ARN;
a new CreatedTimestamp, compared between the two reads) and the topic's stack_id tag changed or removed (read
again with the subscriptions).
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
from lakehouse.chaos.delivery import Delivery, read_topics
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.runbook import Criteria
from lakehouse.chaos.unheard import unheard
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


# -- what keeps its SubscriptionArn: a queue created again under its name, a topic no longer tagged the stack's --


def _created(stack: Stack) -> str:
    """The stack's inbox queue's CreatedTimestamp, as GetQueueAttributes gives it."""
    sqs = stack.target.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["CreatedTimestamp"])
    return str(attributes["Attributes"]["CreatedTimestamp"])


def _recreate_queue(stack: Stack) -> None:
    """The inbox deleted and created again under its name, its policy set again: same URL, ARN and subscription.

    AWS lets the name be taken again 60 s after the delete (CreateQueue's QueueDeletedRecently); moto at once,
    but with a new CreatedTimestamp too (asserted, or this test would show nothing).
    """
    sqs = stack.target.client("sqs")
    was = _created(stack)
    _delete_queue(stack)
    url = sqs.create_queue(QueueName=f"lakehouse-{STACK}-alert-inbox")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy(stack.queue_arn, [stack.topic])})
    assert url == stack.queue_url and _created(stack) != was, "moto kept the queue's URL or its CreatedTimestamp"
    listed = stack.target.client("sns").list_subscriptions_by_topic(TopicArn=stack.topic)["Subscriptions"]
    assert stack.subscription in {s["SubscriptionArn"] for s in listed}


def test_an_inbox_queue_created_again_under_its_name_during_the_run_fails_the_kpi_naming_the_queue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    """Its URL and SubscriptionArn are those of the start, and it receives now: what SNS sent in the gap was lost."""
    outcome = _kpi(monkeypatch, tmp_path, stack, _recreate_queue)
    assert outcome.status is Status.FAILED, "KPI-mttr passed though the inbox queue was deleted and created again"
    reason = str(outcome.reason)
    assert (
        f"topic {stack.topic}: subscription {stack.subscription} (sqs {stack.queue_arn}) did not receive all run: "
        f"queue lakehouse-{STACK}-alert-inbox was deleted and created again under its name during the run "
        "(CreatedTimestamp "
    ) in reason, reason
    assert "now): what SNS sent it in between was lost" in reason and reason.endswith(f"): {NOBODY}"), reason


def _retag(value: str | None) -> Callable[[Stack], None]:
    def retag(stack: Stack) -> None:
        sns = stack.target.client("sns")
        if value is None:
            sns.untag_resource(ResourceArn=stack.topic, TagKeys=["stack_id"])
        else:
            sns.tag_resource(ResourceArn=stack.topic, Tags=[{"Key": "stack_id", "Value": value}])

    return retag


@pytest.mark.parametrize(
    ("during", "carried"),
    [(_retag("lh-2"), "its stack_id tag is 'lh-2'"), (_retag(None), "it has no stack_id tag")],
    ids=["tag-changed", "tag-removed"],
)
def test_a_topic_no_longer_tagged_the_stacks_during_the_run_fails_the_kpi_naming_the_topic(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack, during: Callable[[Stack], None], carried: str
) -> None:
    """Its subscribers are another stack's (or nobody's) now: the run read the tag only at its start."""
    outcome = _kpi(monkeypatch, tmp_path, stack, during)
    assert outcome.status is Status.FAILED, f"KPI-mttr passed though {stack.topic} is not the stack's any more"
    reason = str(outcome.reason)
    assert (
        f"topic {stack.topic}, the stack's at the start of the run, now is not stack {STACK}'s topic ({carried}): "
        "its subscribers are not this stack's"
    ) in reason, reason
    assert reason.endswith(f"): {NOBODY}"), reason


def test_healthy_twin_queue_and_topic_changed_in_place_pass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    """SetQueueAttributes (LastModifiedTimestamp moves, CreatedTimestamp not) and another tag on the topic."""

    def edit(s: Stack) -> None:
        was = _created(s)
        sqs = s.target.client("sqs")
        policy = queue_policy(s.queue_arn, [s.topic])  # sent again: moto's SetQueueAttributes drops it otherwise
        sqs.set_queue_attributes(QueueUrl=s.queue_url, Attributes={"VisibilityTimeout": "60", "Policy": policy})
        s.target.client("sns").tag_resource(ResourceArn=s.topic, Tags=[{"Key": "team", "Value": "data"}])
        assert _created(s) == was

    outcome = _kpi(monkeypatch, tmp_path, stack, edit)
    assert outcome.passed, outcome.reason


def test_healthy_twin_a_second_inbox_kept_all_run_covers_the_recreated_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    stack.subscribe(f"lakehouse-{STACK}-oncall")
    outcome = _kpi(monkeypatch, tmp_path, stack, _recreate_queue)
    assert outcome.passed, outcome.reason


def test_a_queue_whose_start_read_showed_no_created_timestamp_is_not_shown_to_be_the_same(stack: Stack) -> None:
    """Hand-built start read (SQS showed no CreatedTimestamp then): the queue's continuity is unconfirmed, so the
    alarm is not shown to have been heard all run."""
    alarm = chaos_run.describe_alarms(stack.target, [ALARM])[ALARM]
    now = read_topics(stack.target, {ALARM: alarm})
    start = Delivery(receivers={ALARM: {stack.topic: {stack.subscription: f"sqs {stack.queue_arn}"}}}, created={})
    why = unheard(ALARM, alarm, start, now, {}, REGION)
    assert (
        why is not None
        and (
            f"queue lakehouse-{STACK}-alert-inbox cannot be shown to be the queue of the start "
            "(GetQueueAttributes shows no CreatedTimestamp)"
        )
        in why
    ), why
    kept = Delivery(receivers=start.receivers, created={stack.queue_arn: _created(stack)})
    assert unheard(ALARM, alarm, kept, now, {}, REGION) is None
