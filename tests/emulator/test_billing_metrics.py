"""The emulator publishes each account's AWS/Billing EstimatedCharges, as AWS does with billing alerts on.

A fresh emulator is an account with "Receive Billing Alerts" enabled: ListMetrics in us-east-1 lists
EstimatedCharges Currency=USD with datapoints up to the last 6-hour mark, and a billing alarm is evaluated
on them. The knob (``lakehouse.emulator.billing_alerts``) builds the account without it: no metric, and
exit check 7's reader and judge fail the stack, naming the setting; and the account whose publication
stopped days ago: still listed, its newest datapoint stale, and the check fails it on that.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.billing_alerts import (
    ADMIN_PATH,
    billing_alerts_enabled,
    billing_state,
    resume_publishing,
    set_billing_alerts,
    set_estimated_charges,
    stop_publishing,
)
from lakehouse.emulator.process import EmulatorHandle, start_emulator, stop_emulator
from lakehouse.target import local_target
from tests.emulator.conftest import REGION, AwsClientFactory
from tests.emulator.test_finops_topic_policy import ACCOUNT, BILLING_REGION, _guards

TOTAL = {"Namespace": "AWS/Billing", "MetricName": "EstimatedCharges"}
USD = [{"Name": "Currency", "Value": "USD"}]
BILLING_TILE = "AWS/Billing EstimatedCharges Currency=USD [us-east-1]"


def _billing_listing(cloudwatch: Any) -> list[dict[str, Any]]:
    pages = cloudwatch.get_paginator("list_metrics").paginate(**TOTAL, Dimensions=USD)
    return [m for page in pages for m in page["Metrics"]]


@pytest.fixture
def no_billing_alerts(emulator: EmulatorHandle) -> Iterator[None]:
    """The account without Receive Billing Alerts for one test; the emulator's default restored after."""
    set_billing_alerts(emulator.endpoint, ACCOUNT, False)
    try:
        yield
    finally:
        set_billing_alerts(emulator.endpoint, ACCOUNT, True)


@pytest.fixture
def restored(emulator: EmulatorHandle) -> Iterator[None]:
    """The account's billing state back to the emulator's default after the test (published now, 0 USD)."""
    try:
        yield
    finally:
        resume_publishing(emulator.endpoint, ACCOUNT)
        set_estimated_charges(emulator.endpoint, ACCOUNT, 0.0)


def _newest(cloudwatch: Any, days: float = 14) -> tuple[datetime, float] | None:
    """The newest datapoint of the total GetMetricStatistics gives hourly over the last ``days``, and its Maximum."""
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        **TOTAL, Dimensions=USD, StartTime=now - timedelta(days=days), EndTime=now, Period=3600, Statistics=["Maximum"]
    )["Datapoints"]
    if not points:
        return None
    newest = max(points, key=lambda p: p["Timestamp"])
    return newest["Timestamp"], newest["Maximum"]


def _use1(emulator: EmulatorHandle) -> Any:
    return local_target(emulator.endpoint, REGION).client("cloudwatch", region=BILLING_REGION)


def test_a_fresh_account_publishes_its_estimated_charges_in_us_east_1(
    emulator: EmulatorHandle, aws_client: AwsClientFactory
) -> None:
    assert billing_alerts_enabled(emulator.endpoint, ACCOUNT) is True
    use1 = _use1(emulator)
    assert _billing_listing(use1) == [{**TOTAL, "Dimensions": USD}]
    now = datetime.now(UTC)
    stats = use1.get_metric_statistics(
        **TOTAL, Dimensions=USD, StartTime=now - timedelta(days=1), EndTime=now, Period=21600, Statistics=["Maximum"]
    )["Datapoints"]
    assert stats and {p["Maximum"] for p in stats} == {0.0}  # the emulator bills nothing (Budgets: ActualSpend 0)
    assert len(stats) == 4  # published every 6 h, as AWS does several times a day
    newest = _newest(use1)
    assert newest is not None and timedelta(0) <= now - newest[0] < timedelta(hours=6)  # computed at each read
    stated = billing_state(emulator.endpoint, ACCOUNT)
    assert stated["NewestDatapoint"] == newest[0].isoformat()
    assert stated["PublishingStoppedAt"] is None and stated["EstimatedChargesUSD"] == 0.0
    assert _billing_listing(aws_client("cloudwatch")) == []  # only in us-east-1


def test_a_billing_alarm_is_evaluated_on_the_published_metric(emulator: EmulatorHandle) -> None:
    """With data the alarm leaves INSUFFICIENT_DATA at once (0 USD is under the threshold); without, it stays."""
    use1 = _use1(emulator)
    name = f"estimated-charges-{uuid.uuid4().hex[:6]}"
    alarm = {
        "AlarmName": name, **TOTAL, "Dimensions": USD, "Statistic": "Maximum", "Period": 21600,
        "EvaluationPeriods": 1, "Threshold": 20.0, "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    try:
        use1.put_metric_alarm(**alarm)
        (state,) = use1.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        assert state["StateValue"] == "OK", state["StateReason"]
        set_billing_alerts(emulator.endpoint, ACCOUNT, False)
        try:
            use1.put_metric_alarm(**{**alarm, "AlarmName": f"{name}-off"})
            (state,) = use1.describe_alarms(AlarmNames=[f"{name}-off"])["MetricAlarms"]
            assert state["StateValue"] == "INSUFFICIENT_DATA"
        finally:
            set_billing_alerts(emulator.endpoint, ACCOUNT, True)
    finally:
        use1.delete_alarms(AlarmNames=[name, f"{name}-off"])


@pytest.mark.usefixtures("no_billing_alerts")
def test_the_knob_builds_an_account_without_billing_alerts(emulator: EmulatorHandle) -> None:
    assert billing_alerts_enabled(emulator.endpoint, ACCOUNT) is False
    assert _billing_listing(_use1(emulator)) == []
    assert billing_alerts_enabled(emulator.endpoint, "210987654321") is True  # per account


def test_exit_check_7_fails_an_account_without_billing_alerts(emulator: EmulatorHandle) -> None:
    """The same guards pass with billing alerts on and fail without, naming the setting and what to do."""
    target = local_target(emulator.endpoint, REGION)
    outputs, _alerts, _billing = _guards(target, f"lh-nobill-{uuid.uuid4().hex[:6]}")
    tile = {
        "type": "metric",
        "properties": {"region": BILLING_REGION, "metrics": [[*TOTAL.values(), "Currency", "USD"]]},
    }
    body = json.dumps({"widgets": [tile]})
    target.client("cloudwatch").put_dashboard(DashboardName=outputs["dashboard_name"], DashboardBody=body)
    healthy = judge_finops(read_finops(target, outputs))
    assert healthy.details["problems"]["billing_alarm"] == []
    assert 0 <= healthy.details["billing_metric_age_h"] < 6  # the last 6-hour mark: current
    assert healthy.details["billing_metric"]["listed"] == ["Currency=USD"]
    assert healthy.details["metric_series"] == [BILLING_TILE]  # the dashboard's billing tile is live too

    set_billing_alerts(emulator.endpoint, ACCOUNT, False)
    try:
        result = judge_finops(read_finops(target, outputs))
    finally:
        set_billing_alerts(emulator.endpoint, ACCOUNT, True)
    (problem,) = result.details["problems"]["billing_alarm"]
    assert (
        f"billing alarm {outputs['billing_alarm_name']} watches AWS/Billing EstimatedCharges Currency=USD, which the "
        "account does not publish: ListMetrics in us-east-1 lists no EstimatedCharges series at all"
    ) in problem
    assert "enable 'Receive Billing Alerts' in the Billing console's preferences" in problem
    unpublished = {"listed": [], "account_total_published": False}
    assert result.details["billing_metric"] == {**healthy.details["billing_metric"], **unpublished}
    assert result.details["metric_series_not_published"] == [BILLING_TILE]
    # notBreaching: without data the alarm sits in OK, so its state proves nothing; ListMetrics does.
    assert result.details["billing_alarm_state"]["StateValue"] == "OK"


def test_the_admin_path_refuses_what_it_cannot_set(emulator: EmulatorHandle) -> None:
    for path, body in (("not-an-account", None), (ACCOUNT, b'{"BillingAlertsEnabled": "no"}')):
        request = urllib.request.Request(f"{emulator.endpoint}{ADMIN_PATH}{path}", data=body, method="PUT")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
    assert billing_alerts_enabled(emulator.endpoint, ACCOUNT) is True


def test_an_emulator_started_without_billing_alerts_publishes_nothing() -> None:
    handle = start_emulator(billing_alerts=False)
    try:
        cloudwatch = boto3.client(
            "cloudwatch",
            endpoint_url=handle.endpoint,
            region_name=BILLING_REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        assert _billing_listing(cloudwatch) == []
        assert billing_alerts_enabled(handle.endpoint, ACCOUNT) is False
        set_billing_alerts(handle.endpoint, ACCOUNT, True)  # the setting turned on later: published from then on
        assert _billing_listing(cloudwatch) == [{**TOTAL, "Dimensions": USD}]
    finally:
        stop_emulator(handle)


@pytest.mark.usefixtures("restored")
def test_the_admin_path_builds_an_account_whose_charges_stopped_days_ago(emulator: EmulatorHandle) -> None:
    """Still listed (ListMetrics looks back two weeks), newest datapoint at the last mark before the stop."""
    before = datetime.now(UTC)
    stated = stop_publishing(emulator.endpoint, ACCOUNT, 72)
    stopped = datetime.fromisoformat(stated["PublishingStoppedAt"])
    assert timedelta(hours=71, minutes=59) < before - stopped < timedelta(hours=72, minutes=1)
    use1 = _use1(emulator)
    assert _billing_listing(use1) == [{**TOTAL, "Dimensions": USD}]
    newest = _newest(use1)
    assert newest is not None
    assert stopped - timedelta(hours=6) < newest[0] <= stopped  # the last publication mark at or before the stop
    assert stated["NewestDatapoint"] == newest[0].isoformat()
    assert billing_alerts_enabled(emulator.endpoint, ACCOUNT) is True  # the setting is untouched

    resumed = resume_publishing(emulator.endpoint, ACCOUNT)
    assert resumed["PublishingStoppedAt"] is None
    newest = _newest(use1)
    assert newest is not None and datetime.now(UTC) - newest[0] < timedelta(hours=6)


@pytest.mark.usefixtures("restored")
def test_charges_stopped_beyond_two_weeks_are_no_longer_listed(emulator: EmulatorHandle) -> None:
    stop_publishing(emulator.endpoint, ACCOUNT, 15 * 24)
    use1 = _use1(emulator)
    assert _billing_listing(use1) == []
    assert _newest(use1) is None
    assert billing_state(emulator.endpoint, ACCOUNT)["NewestDatapoint"] is None


@pytest.mark.usefixtures("restored")
def test_exit_check_7_fails_an_account_whose_charges_stopped_and_passes_it_resumed(emulator: EmulatorHandle) -> None:
    """The hole: ListMetrics lists the stale metric; the newest datapoint, three days old, fails the check."""
    target = local_target(emulator.endpoint, REGION)
    outputs, _alerts, _billing = _guards(target, f"lh-stale-{uuid.uuid4().hex[:6]}")
    stop_publishing(emulator.endpoint, ACCOUNT, 72)
    stale = judge_finops(read_finops(target, outputs))
    assert stale.details["billing_metric"]["account_total_published"] is True
    (problem,) = stale.details["problems"]["billing_alarm"]
    assert (
        f"billing alarm {outputs['billing_alarm_name']} watches AWS/Billing EstimatedCharges Currency=USD, whose "
        "newest datapoint is "
    ) in problem
    assert "more than the 24 h allowed" in problem
    assert 72 <= stale.details["billing_metric_age_h"] < 79  # 72 h, plus up to a 6-hour mark and an hour's period
    assert stale.details["billing_metric_newest"] is not None

    resume_publishing(emulator.endpoint, ACCOUNT)
    resumed = judge_finops(read_finops(target, outputs))
    assert resumed.details["problems"]["billing_alarm"] == []
    assert resumed.details["billing_metric_freshness"]["current"] is True


@pytest.mark.usefixtures("restored")
def test_the_admin_path_sets_the_charges_an_alarm_fires_on(emulator: EmulatorHandle) -> None:
    """25 USD against a 20 USD threshold: the alarm on the metric goes to ALARM, as on an overspent account."""
    use1 = _use1(emulator)
    assert set_estimated_charges(emulator.endpoint, ACCOUNT, 25.0)["EstimatedChargesUSD"] == 25.0
    newest = _newest(use1)
    assert newest is not None and newest[1] == 25.0
    name = f"estimated-charges-{uuid.uuid4().hex[:6]}"
    try:
        use1.put_metric_alarm(
            AlarmName=name, **TOTAL, Dimensions=USD, Statistic="Maximum", Period=21600, EvaluationPeriods=1,
            Threshold=20.0, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
        (state,) = use1.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        assert state["StateValue"] == "ALARM", state["StateReason"]
    finally:
        use1.delete_alarms(AlarmNames=[name])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"PublishingStoppedHoursAgo": -1},
        {"PublishingStoppedHoursAgo": True},
        {"PublishingStoppedHoursAgo": "72"},
        {"EstimatedChargesUSD": -0.01},
        {"EstimatedChargesUSD": None},
        {"BillingAlertsEnabled": True, "StoppedHoursAgo": 3},  # a misspelt field refuses the whole request
        [72],
    ],
    ids=["empty", "negative-hours", "bool-hours", "text-hours", "negative-usd", "null-usd", "unknown-field", "list"],
)
def test_the_admin_path_refuses_a_billing_state_it_cannot_set(emulator: EmulatorHandle, body: Any) -> None:
    before = billing_state(emulator.endpoint, ACCOUNT)
    request = urllib.request.Request(
        f"{emulator.endpoint}{ADMIN_PATH}{ACCOUNT}", data=json.dumps(body).encode(), method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert "PublishingStoppedHoursAgo" in json.loads(refused.value.read())["message"]
    after = billing_state(emulator.endpoint, ACCOUNT)
    assert {k: v for k, v in after.items() if k != "NewestDatapoint"} == {
        k: v for k, v in before.items() if k != "NewestDatapoint"
    }
