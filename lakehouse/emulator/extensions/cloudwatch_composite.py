"""CloudWatch composite alarms: ``PutCompositeAlarm``, and ``DescribeAlarms`` honouring ``AlarmTypes``.

moto 5.2.5 stores a composite alarm (an alarm with a rule) and describes it under
``CompositeAlarms``, but has no ``PutCompositeAlarm``, so nothing outside moto's own backend can
create one; exit check 5 lists composite alarms and could only be tested on paper. This module
adds the operation as CloudWatch documents it: it creates or replaces the alarm (``AlarmName`` and
``AlarmRule`` required; ``Tags`` apply when the alarm is created and are ignored on an update,
which leaves the alarm's state as it was).

moto's ``DescribeAlarms`` also ignores ``AlarmTypes`` and always answers both kinds; CloudWatch
answers only the types asked for, and only metric alarms when ``AlarmTypes`` is absent. The
wrapper filters what moto (or an extension installed before this one) answers, so it composes
with other patches of ``DescribeAlarms`` rather than replacing them.

Composite alarms are stored and described, never evaluated (their state stays as created).
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult

from lakehouse.emulator.extensions._graft import graft

_MARK = "_lakehouse_composite_installed"
#: Limits of the API (botocore's model: AlarmName 1-255, AlarmRule 1-10240 characters).
MAX_NAME, MAX_RULE = 255, 10240
#: What DescribeAlarms answers when the request names no AlarmTypes.
DEFAULT_TYPES = ("MetricAlarm",)


class CompositeAlarmResponse(CloudWatchResponse):
    """``PutCompositeAlarm`` grafted onto moto's CloudWatchResponse (moto dispatches by method name)."""

    def put_composite_alarm(self) -> ActionResult:
        name = self._get_param("AlarmName") or ""
        rule = self._get_param("AlarmRule") or ""
        if not 1 <= len(name) <= MAX_NAME:
            raise ValidationError(f"AlarmName must be 1 to {MAX_NAME} characters long.")
        if not 1 <= len(rule) <= MAX_RULE:
            raise ValidationError(f"AlarmRule must be 1 to {MAX_RULE} characters long.")
        backend = self.cloudwatch_backend
        existing = backend.alarms.get(name)
        enabled = self._get_bool_param("ActionsEnabled")
        backend.put_metric_alarm(
            name=name,
            namespace=None,  # type: ignore[arg-type]  # a composite alarm watches no metric
            metric_name=None,  # type: ignore[arg-type]
            comparison_operator=None,  # type: ignore[arg-type]
            evaluation_periods=None,  # type: ignore[arg-type]
            period=None,  # type: ignore[arg-type]
            threshold=None,  # type: ignore[arg-type]
            statistic=None,  # type: ignore[arg-type]
            description=self._get_param("AlarmDescription"),
            dimensions=[],
            alarm_actions=self._get_param("AlarmActions", []),
            ok_actions=self._get_param("OKActions", []),
            insufficient_data_actions=self._get_param("InsufficientDataActions", []),
            actions_enabled=True if enabled is None else enabled,
            rule=rule,
            tags=None if existing is not None else self._get_param("Tags", []),
        )
        if existing is not None:  # an update leaves the alarm's state and history as they were
            alarm = backend.alarms[name]
            alarm.state_value, alarm.state_reason = existing.state_value, existing.state_reason
            alarm.state_reason_data = existing.state_reason_data
            alarm.state_updated_timestamp, alarm.history = existing.state_updated_timestamp, existing.history
        return EmptyResult()


def _wrap_describe_alarms() -> None:
    """Keep only the alarm types the request asks for (metric alarms when it names none)."""
    original = CloudWatchResponse.describe_alarms

    def describe_alarms(self: CloudWatchResponse) -> Any:
        answer = original(self)
        result = answer.result if isinstance(answer, ActionResult) else None
        if not isinstance(result, dict):
            return answer
        wanted = set(self._get_param("AlarmTypes") or DEFAULT_TYPES)
        kept = {
            "MetricAlarms": list(result.get("MetricAlarms", [])) if "MetricAlarm" in wanted else [],
            "CompositeAlarms": list(result.get("CompositeAlarms", [])) if "CompositeAlarm" in wanted else [],
        }
        return ActionResult({**result, **kept})

    CloudWatchResponse.describe_alarms = describe_alarms  # type: ignore[method-assign]


def install() -> None:
    """Add PutCompositeAlarm and the AlarmTypes filter to moto; a second call does nothing."""
    if getattr(CloudWatchResponse, _MARK, False):
        return
    graft(CompositeAlarmResponse, CloudWatchResponse)
    _wrap_describe_alarms()
    setattr(CloudWatchResponse, _MARK, True)
