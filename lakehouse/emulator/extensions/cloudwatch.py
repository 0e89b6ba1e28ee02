"""CloudWatch metric alarms that are evaluated and act, which moto 5.2.5 only stores.

Against moto 5.2.5 (the version this module was written against) a metric alarm never leaves
the state it is created in (``OK``, where AWS starts in ``INSUFFICIENT_DATA``), PutMetricAlarm on
an existing alarm resets its state (AWS keeps it), SetAlarmState runs no action, and
DescribeAlarmHistory is not implemented. Here:

- a standard-resolution datapoint (no ``StorageResolution: 1``) is stored at the start of its minute, as
  CloudWatch stores it, so a high-resolution alarm (10/20/30 s periods) misses it as on AWS;
- every metric alarm (not metric math, not composite) is evaluated by :mod:`lakehouse.emulator.alarms`
  on a background thread every :data:`TICK_S` seconds of wall clock, and at once after a
  PutMetricData that names its metric and after PutMetricAlarm, on the periods over by then (a
  datapoint counts at the first tick after its period ends, as CloudWatch evaluates);
- a state change (evaluated or SetAlarmState) records a StateUpdate history item and, when the
  alarm's actions are enabled, publishes CloudWatch's notification (JSON: AlarmName, NewStateValue,
  OldStateValue, NewStateReason, StateChangeTime, Region, AlarmArn, Trigger{...}) to each SNS topic
  of the new state's actions (AlarmActions / OKActions / InsufficientDataActions), recording an
  Action history item for each (failed when the topic does not exist);
- PutMetricAlarm refuses (ValidationError) a Period other than 10, 20, 30 or a multiple of 60 s
  and a DatapointsToAlarm above EvaluationPeriods, as CloudWatch does;
- a new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); an update keeps
  the state; both record a ConfigurationUpdate history item;
- GetMetricStatistics answers ExtendedStatistics (pNN by nearest rank, as alarms are evaluated here), which
  moto accepts and ignores;
- DescribeAlarmHistory answers from that history (AlarmName, AlarmTypes, HistoryItemType,
  StartDate, EndDate, ScanBy, MaxRecords; one page);
- ListMetrics lists only metrics with a datapoint in the last two weeks (:data:`LIST_METRICS_LOOKBACK_S`),
  as CloudWatch does ("ListMetrics doesn't return information about metrics if those metrics haven't
  reported data in the past two weeks"); moto lists every metric ever put. GetMetricStatistics and
  GetMetricData still read older datapoints, as on AWS.

Other modules (composite alarms) can follow state changes through :data:`STATE_LISTENERS`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.models import (
    Alarm,
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    MetricDatumBase,
    Statistics,
    cloudwatch_backends,
)
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from lakehouse.emulator import alarms as evaluator
from lakehouse.emulator.extensions import billing
from lakehouse.emulator.extensions._graft import graft
from lakehouse.emulator.ticker import Ticker

LOG = logging.getLogger(__name__)

#: Seconds between two evaluations of every alarm by the background thread.
TICK_S = 1.0
_INSTALLED_MARK = "_lakehouse_cloudwatch_extension"
_HISTORY = "lakehouse_alarm_history"
#: How far back ListMetrics looks for a metric's datapoints (two weeks).
LIST_METRICS_LOOKBACK_S = 14 * 86_400
#: Periods under a minute CloudWatch accepts (high-resolution alarms).
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
#: One evaluation or state change at a time (request threads and the ticker share the alarms).
LOCK = threading.RLock()

#: Called as ``listener(backend, alarm, old_state, new_state)`` after every state change.
StateListener = Callable[[CloudWatchBackend, Alarm, str, str], None]
STATE_LISTENERS: list[StateListener] = []

_STAT_IN_MESSAGE = {"SampleCount": "SAMPLE_COUNT"}


def _utc(moment: datetime) -> datetime:
    """moto stores naive UTC datetimes; requests' timestamps come aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso_millis(moment: datetime) -> str:
    """CloudWatch's timestamp format in notifications (2026-12-03T11:21:05.123+0000)."""
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@cache
def region_title(region: str) -> str:
    """The region's long name, as CloudWatch writes it in notifications (botocore's endpoint data)."""
    import botocore.session

    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        described = partition["regions"].get(region)
        if described and described.get("description"):
            return str(described["description"])
    return region


def rule_of(alarm: Alarm) -> evaluator.AlarmRule | None:
    """The alarm's evaluation rule; None for what is not evaluated here (composite, metric math, unsupported)."""
    if alarm.rule is not None or alarm.metric_data_queries or not alarm.metric_name:
        return None
    try:
        periods = int(alarm.evaluation_periods)
        return evaluator.AlarmRule(
            period=int(alarm.period),
            threshold=float(alarm.threshold),
            comparison=str(alarm.comparison_operator),
            evaluation_periods=periods,
            datapoints_to_alarm=int(alarm.datapoints_to_alarm or periods),
            statistic=alarm.statistic,
            extended_statistic=alarm.extended_statistic,
            treat_missing_data=alarm.treat_missing_data or evaluator.DEFAULT_TREATMENT,
        )
    except (evaluator.UnsupportedAlarm, TypeError, ValueError) as exc:
        LOG.debug("alarm %s is not evaluated: %s", alarm.name, exc)
        return None


def _dimension_key(dimensions: Iterable[Any]) -> frozenset[tuple[str, str]]:
    return frozenset((str(d.name), str(d.value)) for d in dimensions)


def _metric_index(backend: CloudWatchBackend) -> dict[tuple[str, str], list[Any]]:
    """The backend's datapoints by (namespace, metric name), one pass per evaluation round; with the ones AWS
    publishes itself that alarms watch (the account's estimated charges, ``extensions.billing``)."""
    index: dict[tuple[str, str], list[Any]] = {}
    for datum in [*backend.metric_data, *billing.published(backend.account_id, backend.region_name)]:
        index.setdefault((datum.namespace, datum.name), []).append(datum)
    return index


def samples_for(alarm: Alarm, data: Iterable[Any]) -> list[evaluator.Sample]:
    """The alarm's metric's datapoints: same namespace and name, exactly its dimensions (and unit if set)."""
    wanted = _dimension_key(alarm.dimensions)
    samples = []
    for datum in data:
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        if _dimension_key(datum.dimensions) != wanted:
            continue
        if alarm.unit and (datum.unit or "None") != alarm.unit:
            continue
        stamp = _utc(datum.timestamp).timestamp()
        if isinstance(datum, MetricAggregatedDatum):
            samples.append(
                evaluator.Sample(stamp, float(datum.sum), float(datum.min), float(datum.max), float(datum.sample_count))
            )
        elif isinstance(datum, MetricDatum):
            samples.append(evaluator.Sample.value(stamp, float(datum.value)))
    return samples


def history(backend: CloudWatchBackend) -> list[dict[str, Any]]:
    """The backend's alarm history items (DescribeAlarmHistory's shape), oldest first."""
    return cast(list[dict[str, Any]], backend.__dict__.setdefault(_HISTORY, []))


def _record(
    backend: CloudWatchBackend,
    alarm: Alarm,
    kind: str,
    summary: str,
    data: dict[str, Any],
    at: datetime | None = None,
) -> None:
    history(backend).append(
        {
            "AlarmName": alarm.name,
            "AlarmType": "MetricAlarm" if alarm.rule is None else "CompositeAlarm",
            "Timestamp": _utc(at) if at is not None else datetime.now(UTC),
            "HistoryItemType": kind,
            "HistorySummary": summary,
            "HistoryData": json.dumps(data),
        }
    )


def alarm_message(alarm: Alarm, account_id: str, old_state: str) -> dict[str, Any]:
    """The JSON body CloudWatch publishes to an alarm's SNS actions on a state change."""
    trigger: dict[str, Any] = {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
        "Unit": alarm.unit,
        "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": float(alarm.threshold) if alarm.threshold is not None else None,
        # CloudWatch's own quirk: the value behind a label and padding, as its notifications carry it.
        "TreatMissingData": "- TreatMissingData:"
        + " " * 20
        + (alarm.treat_missing_data or evaluator.DEFAULT_TREATMENT),
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }
    if alarm.extended_statistic:
        trigger["ExtendedStatistic"] = alarm.extended_statistic
    else:
        trigger["Statistic"] = _STAT_IN_MESSAGE.get(str(alarm.statistic), str(alarm.statistic).upper())
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _iso_millis(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _iso_millis(alarm.state_updated_timestamp),
        "Region": region_title(alarm.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": trigger,
    }


def _actions_for(alarm: Alarm, state: str) -> list[str]:
    if state == evaluator.ALARM:
        return list(alarm.alarm_actions or [])
    if state == evaluator.OK:
        return list(alarm.ok_actions or [])
    return list(alarm.insufficient_data_actions or [])


def _publish(topic_arn: str, message: str, subject: str) -> None:
    """Publish to an SNS topic of this emulator (the ARN names its account and region)."""
    from moto.sns.models import sns_backends

    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        raise ValueError(f"{topic_arn} is not an SNS topic ARN (only SNS actions are run locally)")
    sns_backends[parts[4]][parts[3]].publish(message, arn=topic_arn, subject=subject)


def action_data(alarm: Alarm, action: str, published: str | None, error: str | None) -> dict[str, Any]:
    """An Action history item's HistoryData as CloudWatch writes it: ``actionState``, the change it ran for
    (``stateUpdateTimestamp``, epoch milliseconds: its message's StateChangeTime), ``notificationResource``,
    ``publishedMessage`` (what went to the topic, null when it failed) and ``error`` (null when it succeeded)."""
    changed = _utc(alarm.state_updated_timestamp)
    return {
        "actionState": "Failed" if error is not None else "Succeeded",
        "stateUpdateTimestamp": int(changed.timestamp() * 1000),
        "notificationResource": action,
        "publishedMessage": published,
        "error": error,
    }


def _run_actions(backend: CloudWatchBackend, alarm: Alarm, old_state: str) -> None:
    body = json.dumps(alarm_message(alarm, backend.account_id, old_state))
    subject = f'{alarm.state_value}: "{alarm.name}" in {region_title(alarm.region_name)}'
    if len(subject) > 100:  # SNS refuses a longer Subject; CloudWatch shortens it
        subject = subject[:97] + "..."
    for action in _actions_for(alarm, alarm.state_value):
        try:
            _publish(action, body, subject)
        except Exception as exc:  # a missing topic fails the action, not the evaluation
            _record(
                backend,
                alarm,
                "Action",
                f"Failed to execute action {action}",
                action_data(alarm, action, None, str(exc)),
            )
            LOG.warning("alarm %s: action %s failed: %s", alarm.name, action, exc)
        else:
            published = json.dumps({"default": body})
            _record(
                backend,
                alarm,
                "Action",
                f"Successfully executed action {action}",
                action_data(alarm, action, published, None),
            )


def _state(value: str, reason: str, reason_data: str | None) -> dict[str, Any]:
    """One side of a StateUpdate item: ``stateReasonData`` only when the state has one (an evaluation records the
    datapoints it evaluated; a SetAlarmState only the StateReasonData its caller passed, if any)."""
    state: dict[str, Any] = {"stateValue": value, "stateReason": reason}
    if reason_data:
        try:
            state["stateReasonData"] = json.loads(reason_data)
        except ValueError:
            state["stateReasonData"] = reason_data
    return state


def record_state_update(
    backend: CloudWatchBackend, alarm: Alarm, old_state: str, old_reason: str, old_reason_data: str | None = None
) -> None:
    """The StateUpdate history item of the change just made, stamped with the alarm's ``StateUpdatedTimestamp``.

    CloudWatch stamps the item, DescribeAlarms' StateUpdatedTimestamp and the notification's StateChangeTime with
    the one instant of the change (an Action item's ``stateUpdateTimestamp`` is its message's StateChangeTime), so
    a reader can tie a notification to the change it tells of (``lakehouse.chaos.provenance``). Its HistoryData is
    AWS's (aws-cli's describe-alarm-history example): ``stateReasonData`` on a side only when that state has one.
    """
    _record(
        backend,
        alarm,
        "StateUpdate",
        f"Alarm updated from {old_state} to {alarm.state_value}",
        {
            "version": "1.0",
            "oldState": _state(old_state, old_reason, old_reason_data),
            "newState": _state(alarm.state_value, alarm.state_reason, alarm.state_reason_data),
        },
        at=alarm.state_updated_timestamp,
    )


def after_transition(
    backend: CloudWatchBackend, alarm: Alarm, old_state: str, old_reason: str, old_reason_data: str | None = None
) -> None:
    """What follows a state change: its history item, its actions (if enabled), the listeners."""
    record_state_update(backend, alarm, old_state, old_reason, old_reason_data)
    if alarm.actions_enabled:
        _run_actions(backend, alarm, old_state)
    for listener in list(STATE_LISTENERS):
        try:
            listener(backend, alarm, old_state, alarm.state_value)
        except Exception:
            LOG.exception("alarm state listener failed for %s", alarm.name)


def evaluate_alarm(backend: CloudWatchBackend, alarm: Alarm, now: float, data: Iterable[Any] | None = None) -> None:
    """Evaluate one metric alarm at ``now`` and apply a state change, stamped with ``now``: the evaluation's
    instant (its ``queryDate``) is the change's, which its history item, StateUpdatedTimestamp and notification
    carry (CloudWatch's follows its queryDate by milliseconds)."""
    rule = rule_of(alarm)
    if rule is None:
        return
    if data is None:
        data = _metric_index(backend).get((alarm.namespace, alarm.metric_name), [])
    evaluation = evaluator.buckets(rule, samples_for(alarm, data), now)
    verdict = evaluator.evaluate(rule, evaluation, alarm.state_value, now)
    if verdict.state == alarm.state_value:
        return
    old_state, old_reason, old_data = alarm.state_value, alarm.state_reason, alarm.state_reason_data
    alarm.update_state(verdict.reason, json.dumps(verdict.reason_data), verdict.state)
    alarm.state_updated_timestamp = datetime.fromtimestamp(now, UTC).replace(tzinfo=None)  # moto's naive UTC
    after_transition(backend, alarm, old_state, old_reason, old_data)


def evaluate_backend(backend: CloudWatchBackend, now: float, metric: tuple[str, set[str]] | None = None) -> None:
    """Evaluate the backend's metric alarms (only those on ``(namespace, {names})`` when given)."""
    with LOCK:
        candidates = [a for a in list(backend.alarms.values()) if a.rule is None and a.metric_name]
        if metric is not None:
            candidates = [a for a in candidates if a.namespace == metric[0] and a.metric_name in metric[1]]
        if not candidates:
            return
        index = _metric_index(backend)
        for alarm in candidates:
            evaluate_alarm(backend, alarm, now, index.get((alarm.namespace, alarm.metric_name), []))


def evaluate_all(now: float | None = None) -> None:
    """One evaluation round over every account and region that has a CloudWatch backend."""
    moment = time.time() if now is None else now
    for regions in list(dict.values(cloudwatch_backends)):
        for backend in list(dict.values(regions)):
            evaluate_backend(backend, moment)


_ticker = Ticker("cloudwatch-alarms", lambda: evaluate_all(), TICK_S)


def start_ticker() -> None:
    """Start the background thread once per process (a daemon: it ends with the server)."""
    _ticker.start()


def as_stored(member: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A PutMetricData member as CloudWatch stores it: a standard-resolution datapoint (StorageResolution
    absent or 60) at the start of its minute, so a 10/20/30 s alarm period sees it only there (AWS: such an
    alarm "might often lapse into INSUFFICIENT_DATA"); a high-resolution one (1) at its second.

    ``now`` (moto's naive UTC clock) stands in for an absent Timestamp, as moto would use it.
    """
    if str(member.get("StorageResolution") or "60") == "1":
        return member
    stamp = member.get("Timestamp") or now
    return {**member, "Timestamp": stamp.replace(second=0, microsecond=0)}


def validate_metric_alarm(period: Any, evaluation_periods: Any, datapoints_to_alarm: Any) -> None:
    """What PutMetricAlarm refuses and moto stores: a Period other than 10, 20, 30 or a multiple of 60 s;
    DatapointsToAlarm outside 1..EvaluationPeriods.

    Not enforced: CloudWatch's cap on Period x EvaluationPeriods (a day, seven days from hour-long
    periods); exit check 7's tests store such an alarm to show the check names it.
    """
    if period is not None:
        seconds = int(period)
        if seconds not in HIGH_RESOLUTION_PERIODS and (seconds <= 0 or seconds % 60):
            raise ValidationError(f"The parameter Period ({seconds}) must be 10, 20, 30 or a multiple of 60.")
    if (
        evaluation_periods is not None
        and datapoints_to_alarm is not None
        and not 1 <= int(datapoints_to_alarm) <= int(evaluation_periods)
    ):
        raise ValidationError(
            f"DatapointsToAlarm ({datapoints_to_alarm}) must be between 1 and EvaluationPeriods ({evaluation_periods})."
        )


def listed_metrics(
    backend: CloudWatchBackend, metric_name: str, namespace: str, dimensions: list[dict[str, str]], now: datetime
) -> list[MetricDatumBase]:
    """ListMetrics' metrics: moto's filter (one datum per metric), over datapoints of the last two weeks only."""
    horizon = _utc(now) - timedelta(seconds=LIST_METRICS_LOOKBACK_S)
    listed: list[MetricDatumBase] = []
    for datum in backend.get_all_metrics():
        if _utc(datum.timestamp) < horizon:
            continue
        if datum.filter(namespace=namespace, name=metric_name, dimensions=dimensions, already_present_metrics=listed):
            listed.append(datum)
    return listed


def _patch_backend() -> None:
    original_put_alarm = CloudWatchBackend.put_metric_alarm
    original_put_data = CloudWatchBackend.put_metric_data
    original_set_state = CloudWatchBackend.set_alarm_state

    def put_metric_alarm(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Alarm:
        name = kwargs["name"] if "name" in kwargs else args[0]
        if kwargs.get("rule") is None:
            validate_metric_alarm(
                kwargs.get("period"), kwargs.get("evaluation_periods"), kwargs.get("datapoints_to_alarm")
            )
        with LOCK:
            previous = self.alarms.get(name)
            alarm = original_put_alarm(self, *args, **kwargs)
            if alarm.rule is not None:
                return alarm  # composite alarms are another module's
            if previous is not None:  # AWS: an update leaves the state unchanged
                alarm.state_value = previous.state_value
                alarm.state_reason = previous.state_reason
                alarm.state_reason_data = previous.state_reason_data
                alarm.state_updated_timestamp = previous.state_updated_timestamp
                alarm.history = previous.history
            else:
                alarm.state_value = evaluator.INSUFFICIENT_DATA
                alarm.state_reason = "Unchecked: Initial alarm creation"
            verb = "updated" if previous is not None else "created"
            _record(self, alarm, "ConfigurationUpdate", f'Alarm "{name}" {verb}', {"type": verb.capitalize()})
            evaluate_alarm(self, alarm, time.time())
            return alarm

    def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original_put_data(self, namespace, [as_stored(member, utcnow()) for member in metric_data])
        evaluate_backend(self, time.time(), (namespace, {str(m.get("MetricName")) for m in metric_data}))

    def set_alarm_state(
        self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str
    ) -> None:
        with LOCK:
            alarm = self.alarms.get(alarm_name)
            old_state = alarm.state_value if alarm is not None else None
            old_reason = alarm.state_reason if alarm is not None else ""
            old_data = alarm.state_reason_data if alarm is not None else None
            original_set_state(self, alarm_name, reason, reason_data, state_value)
            if alarm is not None and old_state is not None and old_state != state_value:
                after_transition(self, alarm, old_state, old_reason, old_data)

    def get_filtered_metrics(
        self: CloudWatchBackend, metric_name: str, namespace: str, dimensions: list[dict[str, str]]
    ) -> list[MetricDatumBase]:
        return listed_metrics(self, metric_name, namespace, dimensions, utcnow())

    CloudWatchBackend.get_filtered_metrics = get_filtered_metrics  # type: ignore[method-assign]
    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    CloudWatchBackend.put_metric_data = put_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.set_alarm_state = set_alarm_state  # type: ignore[method-assign]


def select_history(
    items: list[dict[str, Any]],
    alarm_name: str | None = None,
    alarm_types: list[str] | None = None,
    item_type: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    scan_by: str | None = None,
    max_records: int | None = None,
) -> list[dict[str, Any]]:
    """DescribeAlarmHistory's filters over the history items (newest first unless TimestampAscending)."""
    chosen = [
        item
        for item in items
        if (alarm_name is None or item["AlarmName"] == alarm_name)
        and (not alarm_types or item["AlarmType"] in alarm_types)
        and (item_type is None or item["HistoryItemType"] == item_type)
        and (start is None or item["Timestamp"] >= _utc(start))
        and (end is None or item["Timestamp"] <= _utc(end))
    ]
    if scan_by != "TimestampAscending":
        chosen.reverse()
    return chosen[:max_records] if max_records else chosen


#: moto's own GetMetricStatistics, which answers the standard statistics (kept before the extension replaces it).
_MOTO_GET_METRIC_STATISTICS = CloudWatchResponse.get_metric_statistics


def extended_point(stats: Statistics, statistics: list[str], extended: list[str]) -> dict[str, Any]:
    """One period of GetMetricStatistics with ``ExtendedStatistics`` (pNN of the period's single values, as the
    alarms' evaluation takes them: ``alarms.percentile``) beside the standard ``statistics`` moto computes."""
    point: dict[str, Any] = {"Timestamp": stats.timestamp}
    if stats.unit:
        point["Unit"] = stats.unit
    for stat in statistics:
        if (value := stats.get_statistics_for_type(stat)) is not None:
            point[stat] = float(value)
    values: dict[str, float] = {}
    for name in extended:
        try:
            value = evaluator.percentile(name, [float(v) for v in stats.metric_single_values_list])
        except evaluator.UnsupportedAlarm:
            continue  # trimmed means and the like are not computed locally
        if value is not None:
            values[name] = value
    point["ExtendedStatistics"] = values
    return point


class CloudWatchResponseExtension(CloudWatchResponse):
    """Wire format grafted onto moto's CloudWatchResponse."""

    def get_metric_statistics(self) -> ActionResult:
        """moto's GetMetricStatistics, with ``ExtendedStatistics`` answered (moto 5.2.5 accepts and ignores them):
        KPI-mttr reads a percentile alarm's period back to check the change's evaluated datapoints."""
        extended = [str(e) for e in self._get_param("ExtendedStatistics") or []]
        if not extended:
            return _MOTO_GET_METRIC_STATISTICS(self)
        statistics = [str(s) for s in self._get_param("Statistics") or []]
        periods = self.cloudwatch_backend.get_metric_statistics(
            self._get_param("Namespace"),
            self._get_param("MetricName"),
            self._get_param("StartTime"),
            self._get_param("EndTime"),
            self._get_int_param("Period"),
            statistics,
            dimensions=self._get_param("Dimensions", []),
            unit=self._get_param("Unit"),
        )
        points = [extended_point(p, statistics, extended) for p in periods]
        return ActionResult({"Label": self._get_param("MetricName"), "Datapoints": points})

    def describe_alarm_history(self) -> ActionResult:
        with LOCK:
            items = select_history(
                list(history(self.cloudwatch_backend)),
                alarm_name=self._get_param("AlarmName"),
                alarm_types=self._get_param("AlarmTypes", []),
                item_type=self._get_param("HistoryItemType"),
                start=self._get_param("StartDate"),
                end=self._get_param("EndDate"),
                scan_by=self._get_param("ScanBy"),
                max_records=self._get_param("MaxRecords"),
            )
        return ActionResult({"AlarmHistoryItems": items})


def install() -> None:
    """Patch moto's CloudWatch in place and start the evaluation thread; a second call does nothing."""
    if getattr(CloudWatchBackend, _INSTALLED_MARK, False):
        return
    _patch_backend()
    graft(CloudWatchResponseExtension, CloudWatchResponse)
    setattr(CloudWatchBackend, _INSTALLED_MARK, True)
    start_ticker()
