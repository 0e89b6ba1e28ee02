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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakehouse.chaos.delivery import Receivers, alarm_receivers, without_harness
from lakehouse.checks.alert_delivery import alarm_alerts
from lakehouse.checks.finops import CLOUDWATCH_PRINCIPAL, FinopsReadback, delivery_problems, too_large, unpublishable


def what_changed(data: FinopsReadback, alarm: Mapping[str, Any], topic: str, arn: str, label: str, region: str) -> str:
    """What became of subscription ``arn`` (``label``) of ``topic`` that received the alarm's message at the start."""
    stack = without_harness(data)
    assert isinstance(stack, FinopsReadback)
    messages = alarm_alerts(alarm, data.account_id, region)
    if not stack.topics.get(topic):
        return f"topic {topic} was deleted (GetTopicAttributes: no such topic)"
    if why := unpublishable(stack, topic, CLOUDWATCH_PRINCIPAL, str(alarm.get("AlarmArn") or "")):
        return f"topic {topic} {why}"
    if why := too_large(stack, topic, messages):
        return f"topic {topic} {why}"
    if arn not in {str(s.get("SubscriptionArn")) for s in stack.subscriptions.get(topic, [])}:
        return f"topic {topic}: subscription {arn} ({label}) was removed (ListSubscriptionsByTopic no longer lists it)"
    problems = delivery_problems(stack, topic, messages).get(label) or ["is not confirmed"]
    return f"topic {topic}: subscription {arn} ({label}) no longer receives the alarm's message: {', '.join(problems)}"


def unheard(name: str, alarm: Mapping[str, Any], start: Receivers, now: FinopsReadback, region: str) -> str | None:
    """Why alarm ``name``'s ALARM notification may have reached nobody of the stack's during the run (None: a
    subscriber that received it at the start, ``start``, still receives it in ``now``).

    An alarm nobody received at the start is not judged here: ``mttr.unusable`` already refused it (Undelivered).
    ``alarm``: its fields as read at the start (the topics judged are those its actions named then).
    """
    if not any(start.values()):
        return None
    current = alarm_receivers(now, name, alarm, region, {})
    if any(arn in current.get(topic, {}) for topic, subs in start.items() for arn in subs):
        return None
    described = {"AlarmName": name, **alarm}
    changes = [
        what_changed(now, described, topic, arn, label, region)
        for topic, subs in sorted(start.items())
        for arn, label in sorted(subs.items())
    ]
    return (
        f"alarm {name}'s ALARM notification no longer reaches any subscriber of the stack's it reached at the start "
        f"of the chaos run ({'; '.join(changes)}): the message the harness received may have told nobody of the stack's"
    )
