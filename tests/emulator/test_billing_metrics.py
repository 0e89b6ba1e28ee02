"""The emulator publishes each account's AWS/Billing EstimatedCharges, as AWS does with billing alerts on.

A fresh emulator is an account with "Receive Billing Alerts" enabled: ListMetrics in us-east-1 lists
EstimatedCharges Currency=USD with datapoints, and a billing alarm is evaluated on them. The knob
(``lakehouse.emulator.billing_alerts``) builds the account without it: no metric, and exit check 7's
reader and judge fail the stack, naming the setting.
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
from lakehouse.emulator.billing_alerts import ADMIN_PATH, billing_alerts_enabled, set_billing_alerts
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
