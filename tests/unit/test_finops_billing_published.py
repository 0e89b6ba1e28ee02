"""Exit check 7's billing alarm can fire only if the account publishes the metric it watches.

AWS publishes AWS/Billing EstimatedCharges (us-east-1) only once "Receive Billing Alerts" is
enabled in the Billing preferences, a setting with no API: without it the alarm has no data and
never fires, however well it is set up. ListMetrics in us-east-1 shows whether the account's
total (exactly Currency=USD) is published; the check fails naming the setting when it is not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lakehouse.checks.billing_alarm import BILLING_ALARM_RULE, publication_problems, state_note
from lakehouse.checks.finops import check_finops, judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import ALARM, ALARM_NAME, BILLING_TOTAL, OUTPUTS, READ_AT, healthy, stubbed_stack


def series(**dimensions: str) -> dict[str, Any]:
    """One ListMetrics entry of EstimatedCharges with these dimensions."""
    return {**BILLING_TOTAL, "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]}


PER_SERVICE = [series(Currency="USD", ServiceName="AmazonS3"), series(Currency="USD", ServiceName="AmazonAthena")]


def test_an_account_that_publishes_its_estimated_charges_stays_green_with_the_listing_in_the_evidence() -> None:
    result = judge_finops(healthy(billing_metrics=[*PER_SERVICE, dict(BILLING_TOTAL)]))
    assert result.passed, result.reason
    assert result.details["billing_metric"] == {
        "region": "us-east-1",
        "asked": {
            "Namespace": "AWS/Billing",
            "MetricName": "EstimatedCharges",
            "Dimensions": [{"Name": "Currency", "Value": "USD"}],
        },
        "listed": ["Currency=USD ServiceName=AmazonS3", "Currency=USD ServiceName=AmazonAthena", "Currency=USD"],
        "account_total_published": True,
    }
    assert "Receive Billing Alerts" in BILLING_ALARM_RULE


def test_an_account_without_billing_alerts_fails_naming_the_setting_and_what_to_do() -> None:
    result = judge_finops(healthy(billing_metrics=[]))
    assert result.status is Status.FAILED
    assert result.measured["billing_alarm_actions"] == 1  # the alarm's actions still deliver; it never trips
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(
        f"billing alarm {ALARM_NAME} watches AWS/Billing EstimatedCharges Currency=USD, which the account does not "
        "publish: ListMetrics in us-east-1 lists no EstimatedCharges series at all, so the alarm never has data"
    )
    assert "'Receive Billing Alerts' is not enabled for this account" in problem
    assert "enable 'Receive Billing Alerts' in the Billing console's preferences" in problem
    assert "within minutes to hours" in problem and "the payer account" in problem
    assert result.details["billing_metric"]["listed"] == []
    assert result.details["billing_metric"]["account_total_published"] is False
    assert result.details["billing_alarms_in_us_east_1"][0]["can_fire"] is False
    assert result.details["problems"]["budget"] == [] and result.details["problems"]["dashboard"] == []


def test_only_per_service_series_are_not_the_account_total_the_alarm_watches() -> None:
    result = judge_finops(healthy(billing_metrics=PER_SERVICE))
    assert result.status is Status.FAILED
    (problem,) = result.details["problems"]["billing_alarm"]
    assert (
        "ListMetrics in us-east-1 lists only other series of it (Currency=USD ServiceName=AmazonAthena, "
        "Currency=USD ServiceName=AmazonS3), not the account's total, so the alarm never has data" in problem
    )
    assert problem.endswith(
        "check that 'Receive Billing Alerts' is enabled in the Billing console's preferences and read again"
    )


@pytest.mark.parametrize(
    "listed",
    [
        [series(Currency="EUR")],
        [series(Currency="USD", LinkedAccount="210987654321")],
        [{**BILLING_TOTAL, "MetricName": "EstimatedCharge"}],
        [{**BILLING_TOTAL, "Namespace": "Custom/Billing"}],
    ],
    ids=["another-currency", "a-linked-account", "another-metric", "another-namespace"],
)
def test_no_other_series_stands_in_for_the_account_total(listed: list[dict[str, Any]]) -> None:
    assert publication_problems(listed), listed
    assert judge_finops(healthy(billing_metrics=listed)).status is Status.FAILED


def test_a_listing_that_was_not_read_is_not_taken_as_published() -> None:
    result = judge_finops(healthy(billing_metrics=None))
    assert result.status is Status.FAILED
    assert "was not read (ListMetrics in us-east-1)" in str(result.reason)
    assert result.details["billing_metric"]["listed"] is None


def test_the_reader_asks_us_east_1_for_the_total_and_reads_every_page() -> None:
    """Page one holds only per-service series; the total comes on page two: no false red."""
    pages = [{"metrics": PER_SERVICE, "next": "page-2"}, {"metrics": [BILLING_TOTAL], "token": "page-2"}]
    target = stubbed_stack(None, billing_pages=pages)
    result = check_finops(target, OUTPUTS)
    assert result.passed, result.reason
    assert result.details["billing_metric"]["listed"] == [
        "Currency=USD ServiceName=AmazonS3",
        "Currency=USD ServiceName=AmazonAthena",
        "Currency=USD",
    ]
    target.stub("cloudwatch", "us-east-1").assert_no_pending_responses()


def test_the_reader_fails_the_check_on_an_account_that_lists_nothing() -> None:
    result = check_finops(stubbed_stack(None, billing_pages=[{"metrics": []}]), OUTPUTS)
    assert result.status is Status.FAILED
    assert f"billing alarm {ALARM_NAME} watches AWS/Billing EstimatedCharges Currency=USD, which the account" in str(
        result.reason
    )


def test_a_listing_denied_is_an_error_naming_the_read() -> None:
    result = check_finops(stubbed_stack(None, billing_pages=[], billing_error="AccessDenied"), OUTPUTS)
    assert result.status is Status.ERROR
    assert (
        "could not read whether the account publishes AWS/Billing EstimatedCharges Currency=USD (ListMetrics in "
        "us-east-1)" in str(result.reason)
    )


def test_insufficient_data_for_over_a_day_on_a_published_metric_is_noted_not_judged() -> None:
    stuck = {
        **ALARM,
        "StateValue": "INSUFFICIENT_DATA",
        "StateReason": "Insufficient Data: 1 datapoint was unknown.",
        "StateUpdatedTimestamp": READ_AT - timedelta(hours=30),
    }
    result = judge_finops(healthy(alarm=stuck, billing_alarms=[stuck]))
    assert result.passed, result.reason
    state = result.details["billing_alarm_state"]
    assert state["StateValue"] == "INSUFFICIENT_DATA"
    assert state["StateReason"] == "Insufficient Data: 1 datapoint was unknown."
    assert state["StateUpdatedTimestamp"] == (READ_AT - timedelta(hours=30)).isoformat()
    assert str(state["note"]).startswith("in INSUFFICIENT_DATA for 30 h")
    assert "recorded, not judged" in str(state["note"])

    recent = {**stuck, "StateUpdatedTimestamp": READ_AT - timedelta(hours=5)}
    assert judge_finops(healthy(alarm=recent)).details["billing_alarm_state"]["note"] is None
    ok = {**stuck, "StateValue": "OK"}
    assert state_note(ok, True, READ_AT) is None
    assert state_note(stuck, False, READ_AT) is None  # unpublished: the failure says why, not a note
