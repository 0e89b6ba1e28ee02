"""KPI-mttr: the harness's own subscriber is no receiver of the stack's alerts.

While a chaos run listens, its SQS queue (``AlertQueue``, ``mttr-chaos-<stack>-<hex>``) is a confirmed
subscription of the alarms' topic, which is also the budget's. Exit check 7 run inside a recovery used to
count it: a stack whose alerts topic nobody of its own receives from passed the check, so the fault
counted as recovered. And an alarm whose topic only that queue receives was counted as a detection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import runbook
from lakehouse.chaos.alerts import queue_policy
from lakehouse.chaos.delivery import deaf_alarms, is_harness_subscription
from lakehouse.chaos.faults import ChaosContext
from lakehouse.chaos.mttr import missing_alarms
from lakehouse.chaos.runbook import Criteria, ScheduledRun, exit_check_7
from lakehouse.checks.alert_delivery import QueueReadback
from lakehouse.checks.finops import FinopsReadback
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.target import local_target
from tests.unit.test_finops import ACCOUNT, BILLING_TOPIC, INBOX, TOPIC, healthy, inbox, subscription, topic_policy

HARNESS = f"arn:aws:sqs:ap-northeast-1:{ACCOUNT}:mttr-chaos-lh-1-0a1b2c3d"
ORPHAN = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:lakehouse-lh-1-pipeline-alerts"


def harness_subscription(topic: str) -> dict[str, Any]:
    """The chaos run's queue as ListSubscriptionsByTopic lists it (SQS in the same account: confirmed)."""
    return {
        "SubscriptionArn": f"{topic}:0c4a7e1d-0000-4000-8000-00000000beef",
        "Owner": ACCOUNT,
        "Protocol": "sqs",
        "Endpoint": HARNESS,
        "TopicArn": topic,
    }


def readback(stack_inbox: bool, *topics: str) -> FinopsReadback:
    """Exit check 7's read-back of lh-1 while the harness listens on ``topics``; the stack's inbox on TOPIC or not."""
    subs: dict[str, list[dict[str, Any]]] = {TOPIC: [subscription(TOPIC)] if stack_inbox else []}
    subs[BILLING_TOPIC] = [subscription(BILLING_TOPIC)]
    subs.setdefault(ORPHAN, [])
    for topic in topics:
        subs[topic] = [*subs[topic], harness_subscription(topic)]
    harness_queue = QueueReadback(HARNESS, {"Policy": queue_policy(HARNESS, list(topics))})
    data = healthy(
        subscriptions=subs,
        queues={INBOX: inbox(), HARNESS: harness_queue},
        topics={TOPIC: True, BILLING_TOPIC: True, ORPHAN: True},
    )
    data.topic_policies[ORPHAN] = topic_policy(ORPHAN, "cloudwatch.amazonaws.com")
    return data


def _exit_7(monkeypatch: pytest.MonkeyPatch, data: FinopsReadback) -> Any:
    monkeypatch.setattr(runbook, "try_read_finops", lambda *_a, **_k: data)
    ctx = ChaosContext(local_target("http://127.0.0.1:1", "ap-northeast-1"), {}, "lh-1")
    scheduled = ScheduledRun(PipelineResult(), EmissionStats(None, "lakehouse-lh-1"), Path("."))
    return exit_check_7(ctx, Criteria(expected_row={}), scheduled)


def test_exit_check_7_in_a_recovery_does_not_count_the_harness_queue_as_the_stacks_subscriber(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Broken: nobody of the stack's is subscribed to the alerts topic; only the chaos queue is, for the run."""
    outcome = _exit_7(monkeypatch, readback(False, TOPIC))
    assert outcome.status is Status.FAILED, "the chaos harness's own queue passed exit check 7 for the stack"
    assert f"{TOPIC} has no subscription" in str(outcome.reason)


def test_exit_check_7_in_a_recovery_passes_with_the_stacks_inbox_beside_the_harness_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcome = _exit_7(monkeypatch, readback(True, TOPIC))
    assert outcome.passed, outcome.reason


def pipeline_alarm(*topics: str) -> dict[str, Any]:
    """infra/alarms.tf's input-empty alarm as DescribeAlarms has it (``run.describe_alarms``' fields)."""
    name = "lakehouse-lh-1-input-empty"
    return {
        "AlarmArn": f"arn:aws:cloudwatch:ap-northeast-1:{ACCOUNT}:alarm:{name}",
        "AlarmActions": list(topics),
        "Namespace": "Lakehouse/Pipeline",
        "MetricName": "EmptyInputFiles",
        "Dimensions": [{"Name": "StackId", "Value": "lh-1"}],
        "Statistic": "Maximum",
        "Period": 10,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }


def test_an_alarm_on_a_topic_only_the_harness_receives_is_deaf_though_exit_check_7_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pipeline alarms moved to a topic of their own nobody subscribed; budget and billing alarm still heard."""
    data = readback(True, ORPHAN)
    assert _exit_7(monkeypatch, data).passed  # exit check 7 reads the budget's and billing alarm's topics only
    deaf = deaf_alarms(data, {"lakehouse-lh-1-input-empty": pipeline_alarm(ORPHAN)}, "ap-northeast-1", {})
    assert deaf == {
        "lakehouse-lh-1-input-empty": (
            "alarm lakehouse-lh-1-input-empty's ALARM notification reaches nobody of this stack's, only the chaos "
            f"harness's own queue ({ORPHAN} has no subscription): a message the harness receives is no detection "
            "by the stack"
        )
    }


def test_an_alarm_on_the_topic_the_stacks_inbox_receives_is_heard() -> None:
    data = readback(True, TOPIC)
    assert deaf_alarms(data, {"lakehouse-lh-1-input-empty": pipeline_alarm(TOPIC)}, "ap-northeast-1", {}) == {}


def test_one_heard_topic_of_several_is_enough_and_a_deleted_topic_is_deaf() -> None:
    data = readback(True, ORPHAN)
    gone = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:deleted"
    assert deaf_alarms(data, {"a": pipeline_alarm(ORPHAN, TOPIC)}, "ap-northeast-1", {}) == {}
    assert f"{gone} does not exist" in deaf_alarms(data, {"a": pipeline_alarm(gone)}, "ap-northeast-1", {})["a"]


def test_only_the_harness_queues_are_left_out() -> None:
    assert is_harness_subscription(harness_subscription(TOPIC))
    assert not is_harness_subscription(subscription(TOPIC))
    assert not is_harness_subscription({"Protocol": "email", "Endpoint": "mttr-chaos-ops@example.com"})
    assert json.loads(queue_policy(HARNESS, [TOPIC]))["Statement"][0]["Resource"] == HARNESS


def test_an_alarm_whose_actions_are_disabled_is_named_before_the_fault_is_injected() -> None:
    """Its message never comes: named up front, not after waiting out the KPI's whole threshold."""
    disabled = {**pipeline_alarm(TOPIC), "ActionsEnabled": False}
    problems = missing_alarms(
        {"bronze-truncated": ["lakehouse-lh-1-input-empty"]}, {"lakehouse-lh-1-input-empty": disabled}, "lh-1"
    )
    assert problems == {
        "bronze-truncated": "fault bronze-truncated: alarm lakehouse-lh-1-input-empty has ActionsEnabled false: "
        "CloudWatch runs none of its actions (nobody is told)"
    }
    enabled = {**pipeline_alarm(TOPIC), "ActionsEnabled": True}
    assert missing_alarms({"f": ["a"]}, {"a": enabled}, "lh-1") == {}
