"""Whether a fault's alarm still reaches the stack's subscribers it reached when the chaos run started.

KPI-mttr counts an alarm's message as the stack's detection only if someone of the stack's receives it
(``delivery``), and reads that once, as the run starts. A subscription removed during the run, its endpoint's
queue deleted, or the topic deleted leaves an alarm whose alert, when the fault fired it, may have reached
nobody; the harness's own queue still heard it, so the fault passed. So when a fault is over its alarms'
topics are read again (the same reader, at the moment the alarms are: ``run.changed_since_start``).

The alert reached someone only if a subscription that received it at the start still receives it now: it
was there, receiving, for the whole run. SNS gives a new SubscriptionArn to every Subscribe after an
Unsubscribe (and a deleted topic takes its subscriptions with it), so the ARN is the subscription's
identity: a subscriber removed and added back is a new one, and the gap may have swallowed the alert.
A receiver added during the run proves nothing of the moment the alarm fired, so it does not count.

Two changes keep the SubscriptionArn. An SQS queue deleted and created again under its name keeps its URL and
ARN, so the subscription stays, but what SNS sent it in between failed (a missing queue is a client-side error,
which SNS does not retry: the message is discarded, or held in the subscription's dead-letter queue): its
``CreatedTimestamp`` (SQS's clock, compared with itself) read again must be the one of the start. And a topic
whose ``stack_id`` tag changed (or was removed) is not the stack's any more (``delivery.foreign_topics``): its
tags are read again with it.

A Lambda function deleted and created again under its name keeps its ARN too, and so its subscription: what SNS
sent it in between found no function (a client-side error, not retried). Its ``LastModified`` (Lambda's clock,
compared with itself) read again must be the one of the start. Lambda also moves it when the function's code or
configuration is updated (UpdateFunctionCode, UpdateFunctionConfiguration): that fails the fault too, for the
reason ``reconfigured`` fails an alarm updated mid-run, since the receiver judged at the start and again now need
not be the one that ran when the alert came (changed and changed back shows only in the stamp). What leaves it
alone is judged on its read of now, and does not fail the fault: its resource policy (AddPermission and
RemovePermission move ``RevisionId``, not ``LastModified``, so ``RevisionId`` is not compared), its reserved
concurrency, its tags, its invocations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakehouse.chaos.delivery import CODE, CREATED, MODIFIED, Delivery, alarm_receivers, without_harness
from lakehouse.checks.alert_delivery import alarm_alerts
from lakehouse.checks.finops import CLOUDWATCH_PRINCIPAL, FinopsReadback, delivery_problems, too_large, unpublishable


def _endpoint(now: FinopsReadback, topic: str, arn: str, protocol: str) -> str | None:
    """The endpoint subscription ``arn`` of ``topic`` delivers to in ``now``, when it uses ``protocol``."""
    sub = next((s for s in now.subscriptions.get(topic, []) if str(s.get("SubscriptionArn")) == arn), None)
    return str(sub.get("Endpoint")) if sub is not None and sub.get("Protocol") == protocol else None


def queue_replaced(now: FinopsReadback, topic: str, arn: str, created: Mapping[str, str]) -> str | None:
    """Why the SQS queue subscription ``arn`` of ``topic`` delivers to in ``now`` is not the queue it delivered to
    at the start (``created``: ``Delivery.created``). None: it is, it is no queue, or it is gone (named elsewhere).
    """
    endpoint = _endpoint(now, topic, arn, "sqs")
    if endpoint is None:
        return None
    queue = now.queues.get(endpoint)
    if queue is None or queue.attributes is None:
        return None
    was, is_ = created.get(endpoint), queue.attributes.get(CREATED)
    if was is not None and was == is_:
        return None
    name = endpoint.rsplit(":", 1)[-1]
    if was is None or is_ is None:
        return f"queue {name} cannot be shown to be the queue of the start (GetQueueAttributes shows no {CREATED})"
    return (
        f"queue {name} was deleted and created again under its name during the run ({CREATED} {was} at the start, "
        f"{is_} now): what SNS sent it in between was lost"
    )


def function_replaced(now: FinopsReadback, topic: str, arn: str, start: Mapping[str, Mapping[str, str]]) -> str | None:
    """Why the Lambda function subscription ``arn`` of ``topic`` invokes in ``now`` is not the function of the start
    as it was (``start``: ``Delivery.functions``). None: it is, it is no function, or it is gone (named elsewhere).
    """
    endpoint = _endpoint(now, topic, arn, "lambda")
    if endpoint is None:
        return None
    function = now.functions.get(endpoint)
    if function is None or not function.exists:
        return None
    shown = function.configuration
    was, is_ = start.get(endpoint, {}), {k: str(shown[k]) for k in (MODIFIED, CODE) if shown.get(k) is not None}
    if was.get(MODIFIED) is not None and was.get(MODIFIED) == is_.get(MODIFIED):
        return None
    name = endpoint.split(":function:", 1)[-1]
    if was.get(MODIFIED) is None or is_.get(MODIFIED) is None:
        return (
            f"Lambda function {name} cannot be shown to be the function of the start (GetFunction shows no {MODIFIED})"
        )
    code = f"; its {CODE} {was.get(CODE)} -> {is_.get(CODE)}" if was.get(CODE) != is_.get(CODE) else ""
    return (
        f"Lambda function {name} was created again under its name, or its code or configuration updated, during "
        f"the run ({MODIFIED} {was[MODIFIED]} at the start, {is_[MODIFIED]} now{code}): the function that SNS "
        "invoked when the alarm fired is not shown to be the one judged"
    )


def receiver_replaced(now: FinopsReadback, topic: str, arn: str, start: Delivery) -> str | None:
    """Why subscription ``arn``'s receiver in ``now`` (a queue, a function) is not the one of the ``start`` read."""
    return queue_replaced(now, topic, arn, start.created) or function_replaced(now, topic, arn, start.functions)


def what_changed(
    data: FinopsReadback,
    alarm: Mapping[str, Any],
    topic: str,
    arn: str,
    label: str,
    region: str,
    foreign: Mapping[str, str],
    start: Delivery,
) -> str:
    """What became of subscription ``arn`` (``label``) of ``topic`` that received the alarm's message at the start.

    ``foreign``: the topics not the stack's now (-> why); ``start``: the read of the start (its receivers' stamps).
    """
    stack = without_harness(data)
    assert isinstance(stack, FinopsReadback)
    messages = alarm_alerts(alarm, data.account_id, region)
    if not stack.topics.get(topic):
        return f"topic {topic} was deleted (GetTopicAttributes: no such topic)"
    if topic in foreign:
        return f"topic {topic}, the stack's at the start of the run, now {foreign[topic]}"
    if why := unpublishable(stack, topic, CLOUDWATCH_PRINCIPAL, str(alarm.get("AlarmArn") or "")):
        return f"topic {topic} {why}"
    if why := too_large(stack, topic, messages):
        return f"topic {topic} {why}"
    if arn not in {str(s.get("SubscriptionArn")) for s in stack.subscriptions.get(topic, [])}:
        return f"topic {topic}: subscription {arn} ({label}) was removed (ListSubscriptionsByTopic no longer lists it)"
    problems = delivery_problems(stack, topic, messages).get(label) or []
    if why := receiver_replaced(stack, topic, arn, start):
        now = f"; now it {', '.join(problems)}" if problems else ""
        return f"topic {topic}: subscription {arn} ({label}) did not receive all run: {why}{now}"
    shown = ", ".join(problems or ["is not confirmed"])
    return f"topic {topic}: subscription {arn} ({label}) no longer receives the alarm's message: {shown}"


def unheard(
    name: str,
    alarm: Mapping[str, Any],
    start: Delivery,
    now: FinopsReadback,
    foreign: Mapping[str, str],
    region: str,
) -> str | None:
    """Why alarm ``name``'s ALARM notification may have reached nobody of the stack's during the run (None: a
    subscriber that received it at the start, ``start.receivers[name]``, still receives it in ``now``, from the same
    queue or function if it is one (``receiver_replaced``), on a topic still the stack's: not in ``foreign``,
    ``delivery.foreign_read`` of ``now``).

    An alarm nobody received at the start is not judged here: ``mttr.unusable`` already refused it (Undelivered).
    ``alarm``: its fields as read at the start (the topics judged are those its actions named then).
    """
    receivers = start.receivers.get(name, {})
    if not any(receivers.values()):
        return None
    current = alarm_receivers(now, name, alarm, region, foreign)
    for topic, subs in receivers.items():
        for arn in subs:
            if arn in current.get(topic, {}) and not receiver_replaced(now, topic, arn, start):
                return None
    described = {"AlarmName": name, **alarm}
    changes = [
        what_changed(now, described, topic, arn, label, region, foreign, start)
        for topic, subs in sorted(receivers.items())
        for arn, label in sorted(subs.items())
    ]
    return (
        f"alarm {name}'s ALARM notification no longer reaches any subscriber of the stack's it reached at the start "
        f"of the chaos run ({'; '.join(changes)}): the message the harness received may have told nobody of the stack's"
    )
