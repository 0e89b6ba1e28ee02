"""CloudWatch metric alarms evaluated by the emulator, and SNS delivering their notifications.

moto 5.2.5 stored alarms and datapoints but never moved an alarm's state, ran no action on
SetAlarmState and POSTed to HTTP subscribers synchronously without SNS's headers or handshake.
Each test uses its own namespace, topic and queue (one emulator serves the session). CloudWatch
evaluates a period once it is over, so a test's datapoint is stamped in the last 10 s period over
(``_over``): the evaluation after PutMetricData and SetAlarmState is synchronous, and states are
asserted at once; what the background tick or an HTTP delivery does is awaited on a condition with
a deadline.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from lakehouse.emulator.extensions.cloudwatch import TICK_S

AwsClient = Callable[[str], Any]
DIMS = [{"Name": "Stack", "Value": "s1"}]
#: How long a test waits for something asynchronous (a tick, an HTTP delivery) before failing.
DEADLINE_S = 30.0


@pytest.fixture
def cw(aws_client: AwsClient) -> Any:
    return aws_client("cloudwatch")


@pytest.fixture
def sns(aws_client: AwsClient) -> Any:
    return aws_client("sns")


@pytest.fixture
def sqs(aws_client: AwsClient) -> Any:
    return aws_client("sqs")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _subscribed_queue(sns: Any, sqs: Any, **attributes: str) -> tuple[str, str]:
    """A new topic and a new queue subscribed to it: (topic ARN, queue URL)."""
    topic = sns.create_topic(Name=_name("alerts"))["TopicArn"]
    url = sqs.create_queue(QueueName=_name("inbox"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return topic, url


def _alarm(cw: Any, namespace: str, **overrides: Any) -> str:
    name = _name("alarm")
    spec: dict[str, Any] = {
        "AlarmName": name,
        "Namespace": namespace,
        "MetricName": "Failures",
        "Dimensions": DIMS,
        "Statistic": "Sum",
        "Period": 10,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cw.put_metric_alarm(**{**spec, **overrides})
    return name


def _state(cw: Any, name: str) -> str:
    return str(cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


def _over() -> datetime:
    """An instant in the last 10 s period that is over: a datapoint there is evaluated on its PutMetricData."""
    return datetime.fromtimestamp(math.floor(time.time() / 10) * 10 - 5, UTC)


def _put(cw: Any, namespace: str, value: float, dims: list[dict[str, str]] = DIMS, **extra: Any) -> None:
    """One high-resolution datapoint (as the pipeline publishes them: 10 s alarm periods see its second), stamped
    in the last period over unless ``extra`` gives its Timestamp."""
    datum = {
        "MetricName": "Failures",
        "Value": value,
        "Dimensions": dims,
        "StorageResolution": 1,
        "Timestamp": _over(),
        **extra,
    }
    cw.put_metric_data(Namespace=namespace, MetricData=[datum])


def _queued(sqs: Any, url: str) -> list[dict[str, Any]]:
    """What the queue holds now (SNS -> SQS delivery is done when Publish returns)."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def _notifications(sqs: Any, url: str) -> list[dict[str, Any]]:
    """The CloudWatch notifications in the queue, each the parsed ``Message`` of SNS's envelope."""
    return [json.loads(envelope["Message"]) for envelope in _queued(sqs, url)]


def _history(cw: Any, name: str, kind: str) -> list[dict[str, Any]]:
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType=kind, ScanBy="TimestampAscending")
    return list(items["AlarmHistoryItems"])


def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a condition the emulator reaches asynchronously; fail naming it past the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {DEADLINE_S} s: {what}")
        time.sleep(TICK_S / 4)  # poll interval of a condition wait, not a synchronisation


def test_a_new_alarm_without_data_has_insufficient_data(cw: Any) -> None:
    name = _alarm(cw, _name("ns"))
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert _history(cw, name, "ConfigurationUpdate")[0]["HistorySummary"] == f'Alarm "{name}" created'


@pytest.mark.parametrize(
    "bad",
    [
        {"Period": 15},
        {"Period": 90},
        {"EvaluationPeriods": 2, "DatapointsToAlarm": 3},
    ],
)
def test_what_cloudwatch_refuses_in_an_alarm_is_refused(cw: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(cw.exceptions.ClientError) as refused:
        _alarm(cw, _name("ns"), **bad)
    assert refused.value.response["Error"]["Code"] == "ValidationError"


@pytest.mark.parametrize(
    "good", [{"Period": 20}, {"Period": 30}, {"Period": 21600}, {"Period": 3600, "EvaluationPeriods": 168}]
)
def test_what_cloudwatch_accepts_in_an_alarm_is_accepted(cw: Any, good: dict[str, Any]) -> None:
    assert _state(cw, _alarm(cw, _name("ns"), **good)) == "INSUFFICIENT_DATA"


def test_ok_alarm_ok_publishes_to_alarm_actions_then_ok_actions(cw: Any, sns: Any, sqs: Any) -> None:
    namespace = _name("ns")
    alarm_topic, alarm_queue = _subscribed_queue(sns, sqs)
    ok_topic, ok_queue = _subscribed_queue(sns, sqs)
    name = _alarm(
        cw,
        namespace,
        Statistic="Average",
        Threshold=1.0,
        TreatMissingData="notBreaching",
        AlarmActions=[alarm_topic],
        OKActions=[ok_topic],
    )
    assert _state(cw, name) == "OK"  # no datapoint, treated as not breaching
    assert [(m["OldStateValue"], m["NewStateValue"]) for m in _notifications(sqs, ok_queue)] == [
        ("INSUFFICIENT_DATA", "OK")
    ]

    _put(cw, namespace, 5.0)
    assert _state(cw, name) == "ALARM"
    (alarmed,) = _notifications(sqs, alarm_queue)
    assert (alarmed["OldStateValue"], alarmed["NewStateValue"]) == ("OK", "ALARM")

    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Failures",
                "Dimensions": DIMS,
                "Values": [0.0],
                "Counts": [99.0],
                "StorageResolution": 1,
                "Timestamp": _over(),
            }
        ],
    )
    assert _state(cw, name) == "OK"  # the period's average is now 0.05 (or a later period's 0)
    (recovered,) = _notifications(sqs, ok_queue)
    assert (recovered["OldStateValue"], recovered["NewStateValue"]) == ("ALARM", "OK")
    assert _notifications(sqs, alarm_queue) == []
    updates = [i["HistorySummary"] for i in _history(cw, name, "StateUpdate")]
    assert updates == [
        "Alarm updated from INSUFFICIENT_DATA to OK",
        "Alarm updated from OK to ALARM",
        "Alarm updated from ALARM to OK",
    ]
    # CloudWatch stamps the change, its history item and its notification with one instant (to the millisecond).
    stamps = [
        i["Timestamp"].astimezone(UTC).isoformat(timespec="milliseconds") for i in _history(cw, name, "StateUpdate")
    ]
    told = [
        datetime.fromisoformat(m["StateChangeTime"]).isoformat(timespec="milliseconds") for m in (alarmed, recovered)
    ]
    assert stamps[1:] == told, (stamps, told)


def test_sqs_subscriber_receives_cloudwatchs_message_in_snss_envelope(cw: Any, sns: Any, sqs: Any) -> None:
    namespace = _name("ns")
    topic, inbox = _subscribed_queue(sns, sqs)
    name = _alarm(cw, namespace, AlarmActions=[topic], AlarmDescription="pipeline failed")
    _put(cw, namespace, 2.0)
    (envelope,) = _queued(sqs, inbox)
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == f'ALARM: "{name}" in Asia Pacific (Tokyo)'
    message = json.loads(envelope["Message"])
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert message["AlarmName"] == name
    assert message["AlarmDescription"] == "pipeline failed"
    assert message["AlarmArn"] == alarm["AlarmArn"]
    assert (message["OldStateValue"], message["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert message["NewStateReason"] == alarm["StateReason"]
    assert message["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [2.0 (")
    assert message["Region"] == "Asia Pacific (Tokyo)"
    assert datetime.strptime(message["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z") <= datetime.now(UTC)
    assert message["Trigger"] == {
        "MetricName": "Failures",
        "Namespace": namespace,
        "StatisticType": "Statistic",
        "Statistic": "SUM",
        "Unit": None,
        "Dimensions": [{"value": "s1", "name": "Stack"}],
        "Period": 10,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.0,
        "TreatMissingData": "- TreatMissingData:                    missing",  # sic: as CloudWatch sends it
        "EvaluateLowSampleCountPercentile": "",
    }


def test_raw_message_delivery_to_sqs_follows_the_attribute(cw: Any, sns: Any, sqs: Any) -> None:
    enveloped_topic, enveloped = _subscribed_queue(sns, sqs, RawMessageDelivery="false")
    raw_topic, raw = _subscribed_queue(sns, sqs, RawMessageDelivery="true")
    sns.publish(TopicArn=enveloped_topic, Message='{"a": 1}')
    sns.publish(TopicArn=raw_topic, Message='{"a": 1}')
    assert [m["Type"] for m in _queued(sqs, enveloped)] == ["Notification"]
    assert _queued(sqs, raw) == [{"a": 1}]


def test_datapoints_with_other_dimensions_do_not_move_the_alarm(cw: Any, sns: Any, sqs: Any) -> None:
    namespace = _name("ns")
    topic, inbox = _subscribed_queue(sns, sqs)
    name = _alarm(cw, namespace, AlarmActions=[topic])
    _put(cw, namespace, 5.0, dims=[*DIMS, {"Name": "Table", "Value": "gold"}])  # a superset
    _put(cw, namespace, 5.0, dims=[{"Name": "Stack", "Value": "s2"}])  # another value
    _put(cw, namespace, 5.0, dims=[])  # none
    assert _state(cw, name) == "INSUFFICIENT_DATA"
    assert _queued(sqs, inbox) == []
    _put(cw, namespace, 5.0)
    assert _state(cw, name) == "ALARM"


def test_disabled_actions_move_the_state_but_publish_nothing(cw: Any, sns: Any, sqs: Any) -> None:
    namespace = _name("ns")
    topic, inbox = _subscribed_queue(sns, sqs)
    name = _alarm(cw, namespace, AlarmActions=[topic], ActionsEnabled=False)
    _put(cw, namespace, 5.0)
    assert _state(cw, name) == "ALARM"
    assert _queued(sqs, inbox) == []
    assert _history(cw, name, "Action") == []


def test_disable_and_enable_alarm_actions(cw: Any, sns: Any, sqs: Any) -> None:
    # "ignore" with no data: evaluation keeps whatever state SetAlarmState sets, so no tick interferes.
    topic, inbox = _subscribed_queue(sns, sqs)
    name = _alarm(cw, _name("ns"), AlarmActions=[topic], OKActions=[topic], TreatMissingData="ignore")
    cw.disable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="silent")
    assert _queued(sqs, inbox) == []
    cw.enable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="heard")
    assert [m["NewStateReason"] for m in _notifications(sqs, inbox)] == ["heard"]


def test_set_alarm_state_runs_the_new_states_actions(cw: Any, sns: Any, sqs: Any) -> None:
    namespace = _name("ns")
    topic, inbox = _subscribed_queue(sns, sqs)
    # "ignore" with no data: evaluation keeps whatever state SetAlarmState sets, so no tick interferes.
    name = _alarm(cw, namespace, AlarmActions=[topic], InsufficientDataActions=[topic], TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="drill")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="drill again")  # no change: no action
    (message,) = _notifications(sqs, inbox)
    assert (message["OldStateValue"], message["NewStateValue"], message["NewStateReason"]) == (
        "INSUFFICIENT_DATA",
        "ALARM",
        "drill",
    )


def test_an_update_keeps_the_alarms_state(cw: Any) -> None:
    namespace = _name("ns")
    name = _alarm(cw, namespace)
    _put(cw, namespace, 5.0)
    _alarm(cw, namespace, AlarmName=name, AlarmDescription="changed")
    assert _state(cw, name) == "ALARM"
    summaries = [i["HistorySummary"] for i in _history(cw, name, "ConfigurationUpdate")]
    assert summaries == [f'Alarm "{name}" created', f'Alarm "{name}" updated']


def test_an_action_on_a_missing_topic_fails_in_the_history(cw: Any) -> None:
    namespace = _name("ns")
    missing = "arn:aws:sns:ap-northeast-1:123456789012:" + _name("gone")
    name = _alarm(cw, namespace, AlarmActions=[missing])
    _put(cw, namespace, 5.0)
    assert _state(cw, name) == "ALARM"
    assert [i["HistorySummary"] for i in _history(cw, name, "Action")] == [f"Failed to execute action {missing}"]


def test_history_items_have_cloudwatchs_shape(cw: Any, sns: Any, sqs: Any) -> None:
    """What KPI-mttr reads to tell CloudWatch's own notification from a copy (``lakehouse.chaos.provenance``), in
    AWS's shape (aws-cli's describe-alarm-history example; the Action item's HistoryData as the console shows it):
    an evaluated change's ``newState`` carries ``stateReasonData`` with the datapoints evaluated; a SetAlarmState's
    carries none unless its caller passed StateReasonData; each Action item names the topic, its ``actionState``,
    the change it ran for (``stateUpdateTimestamp``, the message's StateChangeTime in epoch ms) and what it
    published."""
    namespace = _name("ns")
    topic, inbox = _subscribed_queue(sns, sqs)
    name = _alarm(cw, namespace, AlarmActions=[topic], TreatMissingData="ignore")
    _put(cw, namespace, 5.0)
    (message,) = _notifications(sqs, inbox)
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="drill over")
    evaluated, drilled = (json.loads(i["HistoryData"]) for i in _history(cw, name, "StateUpdate"))
    reason_data = evaluated["newState"]["stateReasonData"]
    assert reason_data["period"] == 10 and reason_data["statistic"] == "Sum" and reason_data["threshold"] == 0.0
    assert [p["value"] for p in reason_data["evaluatedDatapoints"]] == [5.0]
    assert drilled["newState"] == {"stateValue": "OK", "stateReason": "drill over"}
    assert drilled["oldState"]["stateReasonData"] == reason_data
    (action,) = (json.loads(i["HistoryData"]) for i in _history(cw, name, "Action"))
    changed = datetime.fromisoformat(message["StateChangeTime"])
    assert action["actionState"] == "Succeeded" and action["notificationResource"] == topic and action["error"] is None
    assert action["stateUpdateTimestamp"] == int(changed.timestamp() * 1000)
    assert json.loads(json.loads(action["publishedMessage"])["default"]) == message


def test_a_period_is_evaluated_once_it_is_over_and_the_change_follows_it(cw: Any) -> None:
    """CloudWatch evaluates only periods that are over: each period a change's ``stateReasonData`` lists ends by its
    ``queryDate``, which the StateUpdate item's Timestamp follows (``lakehouse.emulator.alarms`` cites AWS's
    examples). KPI-mttr tells a SetAlarmState from an evaluation by it (``provenance.not_over``)."""
    namespace = _name("ns")
    name = _alarm(cw, namespace)
    now = time.time()
    _put(cw, namespace, 5.0, Timestamp=datetime.fromtimestamp(now, UTC))
    if time.time() < math.floor(now / 10) * 10 + 10:
        assert _state(cw, name) == "INSUFFICIENT_DATA"  # its period still fills
    _until(lambda: _state(cw, name) == "ALARM", f"{name} in ALARM once the datapoint's period is over")
    (item,) = [i for i in _history(cw, name, "StateUpdate") if i["HistorySummary"].endswith("to ALARM")]
    data = json.loads(item["HistoryData"])["newState"]["stateReasonData"]
    stamp = "%Y-%m-%dT%H:%M:%S.%f%z"
    query = datetime.strptime(data["queryDate"], stamp)
    ends = [datetime.strptime(p["timestamp"], stamp) + timedelta(seconds=10) for p in data["evaluatedDatapoints"]]
    assert ends and all(end <= query for end in ends), (ends, query)
    assert query <= item["Timestamp"], (query, item["Timestamp"])


def test_get_metric_statistics_answers_a_percentile(cw: Any) -> None:
    """ExtendedStatistics (pNN) of a period beside a standard statistic, as CloudWatch answers them (moto ignored them:
    KPI-mttr reads a percentile alarm's period back)."""
    namespace = _name("ns")
    for value in (1.0, 2.0, 3.0, 4.0):
        _put(cw, namespace, value)
    now = datetime.now(UTC)
    answer = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName="Failures",
        Dimensions=DIMS,
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=["Maximum"],
        ExtendedStatistics=["p50", "p100"],
    )
    (point,) = answer["Datapoints"]
    assert point["Maximum"] == 4.0 and point["ExtendedStatistics"] == {"p50": 2.0, "p100": 4.0}, point


def test_a_standard_resolution_datapoint_is_stored_at_its_minute(cw: Any) -> None:
    """AWS keeps standard-resolution data per minute: a 10 s alarm period sees it only at the minute's start."""
    namespace = _name("ns")
    minute = datetime.fromtimestamp((math.floor(time.time() / 60) - 2) * 60, UTC)
    at = minute + timedelta(seconds=37)
    _put(cw, namespace, 1.0, Timestamp=at, StorageResolution=60)
    _put(cw, namespace, 2.0, Timestamp=at, dims=[{"Name": "Stack", "Value": "hi-res"}])
    stamps = {}
    for value, dims in ((1.0, DIMS), (2.0, [{"Name": "Stack", "Value": "hi-res"}])):
        answer = cw.get_metric_statistics(
            Namespace=namespace,
            MetricName="Failures",
            Dimensions=dims,
            StartTime=minute - timedelta(minutes=1),
            EndTime=minute + timedelta(minutes=1),
            Period=10,
            Statistics=["Sum"],
        )
        (point,) = answer["Datapoints"]
        assert point["Sum"] == value
        stamps[value] = point["Timestamp"]
    assert stamps == {1.0: minute, 2.0: at}


def test_the_tick_evaluates_without_a_request(cw: Any) -> None:
    """A datapoint stamped in the next period counts only once that period is over (CloudWatch evaluates a period
    once it ends): the tick evaluates it then, with no request."""
    namespace = _name("ns")
    name = _alarm(cw, namespace)
    next_period = (math.floor(time.time() / 10) + 1) * 10
    _put(cw, namespace, 5.0, Timestamp=datetime.fromtimestamp(next_period, UTC))
    if time.time() < next_period + 10:
        assert _state(cw, name) == "INSUFFICIENT_DATA"
    _until(lambda: _state(cw, name) == "ALARM", f"{name} in ALARM by the background tick")


class _Endpoint(ThreadingHTTPServer):
    """An HTTP subscriber: records each POST (headers, body); answers 500 to the next ``failures`` POSTs."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.received: queue.Queue[tuple[dict[str, str], str]] = queue.Queue()
        self.failures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sns"

    def next_post(self) -> tuple[dict[str, str], str]:
        return self.received.get(timeout=DEADLINE_S)


class _Recorder(BaseHTTPRequestHandler):
    server: _Endpoint

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        self.server.received.put((dict(self.headers), body))
        failing = self.server.failures > 0
        self.server.failures -= int(failing)
        self.send_response(500 if failing else 200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[_Endpoint]:
    """A tiny HTTP subscriber on 127.0.0.1 (kernel-chosen port), stopped by the test's teardown."""
    server = _Endpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _confirmed(sns: Any, topic: str, endpoint: _Endpoint) -> str:
    """Subscribe the endpoint to the topic and answer the confirmation as a subscriber does: its ARN."""
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    _, body = endpoint.next_post()
    return str(sns.confirm_subscription(TopicArn=topic, Token=json.loads(body)["Token"])["SubscriptionArn"])


def test_http_subscriber_confirms_then_receives_the_alarm(cw: Any, sns: Any, endpoint: _Endpoint) -> None:
    topic = sns.create_topic(Name=_name("alerts"))["TopicArn"]
    answer = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    assert answer["SubscriptionArn"] == "pending confirmation"
    headers, body = endpoint.next_post()
    confirmation = json.loads(body)
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert confirmation["Type"] == "SubscriptionConfirmation"
    sns.publish(TopicArn=topic, Message="before confirmation")  # not delivered: still pending

    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    namespace = _name("ns")
    name = _alarm(cw, namespace, AlarmActions=[topic])
    _put(cw, namespace, 5.0)

    headers, body = endpoint.next_post()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    envelope = json.loads(body)
    assert envelope["MessageId"] == headers["x-amz-sns-message-id"]
    message = json.loads(envelope["Message"])
    assert (message["AlarmName"], message["NewStateValue"]) == (name, "ALARM")


def test_a_wrong_token_confirms_nothing(sns: Any, endpoint: _Endpoint) -> None:
    topic = sns.create_topic(Name=_name("alerts"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.confirm_subscription(TopicArn=topic, Token="not-the-token")


def test_http_delivery_is_retried_after_server_errors(sns: Any, endpoint: _Endpoint) -> None:
    topic = sns.create_topic(Name=_name("alerts"))["TopicArn"]
    _confirmed(sns, topic, endpoint)
    endpoint.failures = 2
    message_id = sns.publish(TopicArn=topic, Message="retried")["MessageId"]
    attempts = [endpoint.next_post() for _ in range(3)]  # two refused, the third taken
    assert {headers["x-amz-sns-message-id"] for headers, _ in attempts} == {message_id}
    assert json.loads(attempts[-1][1])["Message"] == "retried"


def test_raw_http_delivery_posts_the_bare_message(sns: Any, endpoint: _Endpoint) -> None:
    topic = sns.create_topic(Name=_name("alerts"))["TopicArn"]
    arn = _confirmed(sns, topic, endpoint)
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="bare")
    headers, body = endpoint.next_post()
    assert (body, headers["x-amz-sns-rawdelivery"]) == ("bare", "true")


def test_a_subscriber_that_is_down_does_not_fail_the_publisher(sns: Any) -> None:
    gone = _Endpoint()
    thread = threading.Thread(target=gone.serve_forever, daemon=True)
    thread.start()
    topic = sns.create_topic(Name=_name("alerts"))["TopicArn"]
    _confirmed(sns, topic, gone)
    gone.shutdown()
    gone.server_close()
    thread.join()
    assert sns.publish(TopicArn=topic, Message="nobody listens")["MessageId"]
