"""The alarm evaluator's pure functions, each CloudWatch behaviour pinned with a chosen ``now``.

The missing-data rows are the user guide's table ("Configuring how CloudWatch alarms treat
missing data", 3 of 3 alarm, evaluation range of 5; ``X`` breaching, ``0`` not, ``-`` missing).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.emulator.alarms import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmRule,
    Bucket,
    Sample,
    UnsupportedAlarm,
    aggregate,
    buckets,
    evaluate,
    evaluation_range,
    percentile,
)

NOW = 1_800_000_005.0  # 5 s into a 10 s period (1_800_000_000 is a multiple of 10 and of 60)
PERIOD_START = 1_800_000_000.0


def rule(**overrides: Any) -> AlarmRule:
    spec: dict[str, Any] = {
        "period": 10,
        "threshold": 1.0,
        "comparison": "GreaterThanThreshold",
        "evaluation_periods": 3,
        "datapoints_to_alarm": 3,
        "statistic": "Sum",
    }
    return AlarmRule(**{**spec, **overrides})


def row(pattern: str) -> list[Bucket]:
    """An evaluation range from the user guide's notation, oldest first (X = 5.0, 0 = 0.0, - = missing)."""
    values = {"X": 5.0, "0": 0.0, "-": None}
    return [
        Bucket(PERIOD_START - 10 * (len(pattern.split()) - 1 - i), values[c]) for i, c in enumerate(pattern.split())
    ]


# --- statistics --------------------------------------------------------------------------------

SAMPLES = [Sample.value(NOW, 1.0), Sample.value(NOW, 4.0), Sample(NOW, total=10.0, minimum=0.5, maximum=6.0, count=4.0)]


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("Sum", 15.0), ("Average", 2.5), ("Minimum", 0.5), ("Maximum", 6.0), ("SampleCount", 6.0)],
)
def test_each_statistic_over_single_values_and_statistic_sets(statistic: str, expected: float) -> None:
    assert aggregate(rule(statistic=statistic), SAMPLES) == expected


def test_a_period_without_samples_has_no_value() -> None:
    assert aggregate(rule(), []) is None


def test_percentile_is_the_nearest_rank_of_raw_values() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile("p90", values) == 90.0
    assert percentile("p99.5", values) == 100.0
    assert percentile("p0", values) == 1.0
    assert aggregate(rule(statistic=None, extended_statistic="p50"), [Sample.value(NOW, v) for v in values]) == 50.0


def test_a_percentile_of_statistic_sets_only_is_missing() -> None:
    assert aggregate(rule(statistic=None, extended_statistic="p90"), [SAMPLES[2]]) is None


# --- comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "at", "above", "below"),
    [
        ("GreaterThanThreshold", False, True, False),
        ("GreaterThanOrEqualToThreshold", True, True, False),
        ("LessThanThreshold", False, False, True),
        ("LessThanOrEqualToThreshold", True, False, True),
    ],
)
def test_each_comparison_at_above_and_below_the_threshold(comparison: str, at: bool, above: bool, below: bool) -> None:
    judged = rule(comparison=comparison, threshold=1.0)
    assert (judged.breaches(1.0), judged.breaches(1.5), judged.breaches(0.5)) == (at, above, below)


@pytest.mark.parametrize(
    "bad",
    [
        {"comparison": "LessThanLowerOrGreaterThanUpperThreshold"},
        {"statistic": "Median"},
        {"statistic": None, "extended_statistic": "tm99"},
        {"treat_missing_data": "zero"},
        {"datapoints_to_alarm": 4},
        {"datapoints_to_alarm": 0},
        {"period": 0},
    ],
)
def test_what_is_not_evaluated_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedAlarm):
        rule(**bad)


# --- periods -----------------------------------------------------------------------------------


def test_the_range_is_more_periods_than_evaluated() -> None:
    assert evaluation_range(3) == 5  # the user guide's example
    assert evaluation_range(1) == 3
    assert evaluation_range(12) == 16


def test_buckets_align_on_the_period_and_end_with_the_last_one_over() -> None:
    """CloudWatch evaluates only periods that are over: the one holding ``now`` counts once it ends."""
    samples = [Sample.value(NOW - 1, 2.0), Sample.value(NOW - 12, 3.0), Sample.value(NOW - 13, 4.0)]
    evaluated = rule(evaluation_periods=1, datapoints_to_alarm=1)
    assert [(b.start, b.value) for b in buckets(evaluated, samples, NOW)] == [
        (PERIOD_START - 30, None),
        (PERIOD_START - 20, None),
        (PERIOD_START - 10, 7.0),
    ]
    ended = PERIOD_START + 10  # the instant the period holding ``NOW - 1`` is over
    assert [(b.start, b.value) for b in buckets(evaluated, samples, ended)][-1] == (PERIOD_START, 2.0)
    assert evaluate(evaluated, buckets(evaluated, samples, ended), OK, ended).state == ALARM


def test_an_empty_current_period_is_not_yet_missing() -> None:
    got = buckets(rule(evaluation_periods=1, datapoints_to_alarm=1), [Sample.value(NOW - 10, 2.0)], NOW)
    assert [b.start for b in got][-1] == PERIOD_START - 10
    assert got[-1].value == 2.0


def test_a_datapoint_stamped_in_a_later_period_does_not_count_yet() -> None:
    got = buckets(rule(evaluation_periods=1, datapoints_to_alarm=1), [Sample.value(NOW + 10, 2.0)], NOW)
    assert all(b.value is None for b in got)


def test_a_high_resolution_and_a_minute_period() -> None:
    samples = [Sample.value(NOW - 30, 1.0), Sample.value(NOW - 35, 1.0)]
    half_minute = buckets(rule(period=30, evaluation_periods=1, datapoints_to_alarm=1), samples, NOW)
    assert [(b.start, b.value) for b in half_minute] == [
        (PERIOD_START - 90, None),
        (PERIOD_START - 60, None),
        (PERIOD_START - 30, 2.0),  # the current half minute holds nothing yet: the range ends before it
    ]
    minute = buckets(rule(period=60, evaluation_periods=1, datapoints_to_alarm=1), samples, NOW)
    assert [(b.start, b.value) for b in minute] == [
        (PERIOD_START - 180, None),
        (PERIOD_START - 120, None),
        (PERIOD_START - 60, 2.0),  # both fall in the minute before NOW's
    ]


# --- M of N ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("0 0 X 0 X", ALARM), ("0 0 X 0 0", OK), ("X X 0 0 X", OK), ("0 0 X X 0", ALARM)],
)
def test_two_of_three(pattern: str, expected: str) -> None:
    assert evaluate(rule(datapoints_to_alarm=2), row(pattern), OK, NOW).state == expected


def test_the_most_recent_real_points_decide_when_enough_exist() -> None:
    # 3 real points in the range of 5: the missing ones are not filled whatever the treatment.
    for treatment in ("missing", "ignore", "breaching", "notBreaching"):
        assert evaluate(rule(treat_missing_data=treatment), row("X X - X -"), OK, NOW).state == ALARM
        assert evaluate(rule(treat_missing_data=treatment), row("0 - X - X"), ALARM, NOW).state == OK


# --- missing data: the user guide's table ------------------------------------------------------

TABLE = [
    # pattern,     missing,            ignore,  breaching, notBreaching   (None: the state stays)
    ("0 - X - X", OK, OK, OK, OK),
    ("0 - - - -", OK, OK, OK, OK),
    ("- - - - -", INSUFFICIENT_DATA, None, ALARM, OK),
    ("0 X X - X", ALARM, ALARM, ALARM, ALARM),
    ("- - X - -", ALARM, None, ALARM, OK),
]


@pytest.mark.parametrize(("pattern", "missing", "ignore", "breaching", "not_breaching"), TABLE)
@pytest.mark.parametrize("current", [OK, ALARM, INSUFFICIENT_DATA])
def test_missing_data_treatments_as_the_user_guide_tabulates(
    pattern: str, missing: str, ignore: str | None, breaching: str, not_breaching: str, current: str
) -> None:
    expected = {"missing": missing, "ignore": ignore, "breaching": breaching, "notBreaching": not_breaching}
    for treatment, state in expected.items():
        verdict = evaluate(rule(treat_missing_data=treatment), row(pattern), current, NOW)
        assert verdict.state == (state or current), (pattern, treatment, current)


def test_missing_stays_when_the_only_breach_is_too_recent_to_decide() -> None:
    # One breaching point, the latest: 3 of 3 might still be reached, and it is not M periods old.
    assert evaluate(rule(), row("- - - - X"), OK, NOW).state == OK
    assert evaluate(rule(), row("- - - - X"), INSUFFICIENT_DATA, NOW).state == INSUFFICIENT_DATA


def test_breaching_fills_only_the_periods_missing_to_reach_n() -> None:
    # 2 real points (one not breaching) + 1 filled breaching = 2 of 3: short of 3, OK.
    assert evaluate(rule(treat_missing_data="breaching"), row("- - 0 X -"), ALARM, NOW).state == OK
    assert (
        evaluate(rule(treat_missing_data="breaching", datapoints_to_alarm=2), row("- - 0 X -"), OK, NOW).state == ALARM
    )


# --- reasons -----------------------------------------------------------------------------------


def test_reasons_are_worded_as_cloudwatch_words_them() -> None:
    one = rule(evaluation_periods=1, datapoints_to_alarm=1, threshold=0.0)
    stamp = datetime.fromtimestamp(PERIOD_START, UTC).strftime("%d/%m/%y %H:%M:%S")
    fired = evaluate(
        one, [Bucket(PERIOD_START - 20, None), Bucket(PERIOD_START - 10, None), Bucket(PERIOD_START, 2.0)], OK, NOW
    )
    assert fired.reason == (
        f"Threshold Crossed: 1 out of the last 1 datapoints [2.0 ({stamp})] was greater than the threshold (0.0) "
        "(minimum 1 datapoint for OK -> ALARM transition)."
    )
    assert fired.reason_data["recentDatapoints"] == [2.0]
    assert fired.reason_data["statistic"] == "Sum"
    json.dumps(fired.reason_data)  # it is stored as StateReasonData, a JSON string
    unknown = evaluate(rule(), row("- - - - -"), OK, NOW)
    assert unknown.reason == "Insufficient Data: 3 datapoints were unknown."
    filled = evaluate(rule(treat_missing_data="breaching"), row("- - - - -"), OK, NOW)
    assert filled.reason == (
        "Threshold Crossed: no datapoints were received for 3 periods "
        "and 3 missing datapoints were treated as [Breaching]."
    )
    # CloudWatch lists the periods it found empty by their timestamp alone, newest first, no value
    assert filled.reason_data["recentDatapoints"] == []
    assert filled.reason_data["evaluatedDatapoints"] == [
        {"timestamp": datetime.fromtimestamp(PERIOD_START - 10 * i, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
        for i in range(3)
    ]


# --- what the CloudWatch extension builds from moto's alarm -----------------------------------


def moto_alarm(**overrides: Any) -> Any:
    from moto.cloudwatch.models import Alarm

    spec: dict[str, Any] = {
        "account_id": "123456789012",
        "region_name": "ap-northeast-1",
        "name": "lh-failures",
        "namespace": "Lakehouse/Pipeline",
        "metric_name": "Failures",
        "metric_data_queries": None,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "evaluation_periods": 2,
        "datapoints_to_alarm": None,
        "period": 10,
        "threshold": 1.0,
        "statistic": "SampleCount",
        "extended_statistic": None,
        "description": "a run failed",
        "dimensions": [{"Name": "StackId", "Value": "s1"}],
        "alarm_actions": ["arn:aws:sns:ap-northeast-1:123456789012:alerts"],
        "ok_actions": None,
        "insufficient_data_actions": None,
        "unit": None,
        "actions_enabled": True,
        "treat_missing_data": None,
        "evaluate_low_sample_count_percentile": None,
        "threshold_metric_id": None,
        "rule": None,
    }
    return Alarm(**{**spec, **overrides})


def test_the_rule_of_a_moto_alarm_defaults_m_to_n_and_missing_data_to_missing() -> None:
    from lakehouse.emulator.extensions.cloudwatch import rule_of

    got = rule_of(moto_alarm())
    assert got is not None
    assert (got.evaluation_periods, got.datapoints_to_alarm, got.treat_missing_data) == (2, 2, "missing")
    assert rule_of(moto_alarm(rule="ALARM(x)")) is None  # composite: not this evaluator's
    assert rule_of(moto_alarm(comparison_operator="LessThanLowerOrGreaterThanUpperThreshold")) is None


def test_the_notification_carries_what_cloudwatch_sends() -> None:
    from lakehouse.emulator.extensions.cloudwatch import alarm_message

    alarm = moto_alarm()
    alarm.update_state("Threshold Crossed: test", "{}", "ALARM")
    message = alarm_message(alarm, "123456789012", "OK")
    assert {k: message[k] for k in ("AlarmName", "NewStateValue", "OldStateValue", "NewStateReason", "Region")} == {
        "AlarmName": "lh-failures",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: test",
        "Region": "Asia Pacific (Tokyo)",
    }
    assert message["AlarmArn"] == "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:lh-failures"
    assert datetime.strptime(message["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z").tzinfo is not None
    trigger = message["Trigger"]
    assert (trigger["Statistic"], trigger["StatisticType"], trigger["DatapointsToAlarm"]) == (
        "SAMPLE_COUNT",
        "Statistic",
        2,
    )
    assert trigger["Dimensions"] == [{"value": "s1", "name": "StackId"}]
    percentile_alarm = alarm_message(moto_alarm(statistic=None, extended_statistic="p99"), "123456789012", "OK")
    assert percentile_alarm["Trigger"]["StatisticType"] == "ExtendedStatistic"
    assert percentile_alarm["Trigger"]["ExtendedStatistic"] == "p99"


def test_history_is_filtered_and_newest_first_unless_asked() -> None:
    from lakehouse.emulator.extensions.cloudwatch import select_history

    def item(name: str, kind: str, second: int) -> dict[str, Any]:
        return {
            "AlarmName": name,
            "AlarmType": "MetricAlarm",
            "HistoryItemType": kind,
            "Timestamp": datetime.fromtimestamp(second, UTC),
        }

    items = [
        item("a", "StateUpdate", 1),
        item("b", "StateUpdate", 2),
        item("a", "Action", 3),
        item("a", "StateUpdate", 4),
    ]
    assert [i["Timestamp"].second for i in select_history(items, alarm_name="a", item_type="StateUpdate")] == [4, 1]
    assert [i["Timestamp"].second for i in select_history(items, scan_by="TimestampAscending", max_records=2)] == [1, 2]
    assert select_history(items, start=datetime.fromtimestamp(3, UTC), alarm_types=["CompositeAlarm"]) == []


def test_sns_reads_subscription_attributes_as_aws_does() -> None:
    from lakehouse.emulator.extensions.sns import headers_for, is_true

    assert [is_true(v) for v in ("true", "True", True, "false", False, None, "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    headers = headers_for("Notification", "m-1", "arn:topic", "arn:sub", raw=False)
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-subscription-arn"] == "arn:sub"
    assert "x-amz-sns-rawdelivery" not in headers


def test_standard_resolution_datapoints_are_stored_at_their_minute() -> None:
    from lakehouse.emulator.extensions.cloudwatch import as_stored

    at = datetime(2026, 12, 3, 11, 21, 37, 250000, tzinfo=UTC)
    now = datetime(2026, 12, 3, 11, 22, 5, 1)
    assert as_stored({"Value": 1.0, "Timestamp": at}, now)["Timestamp"] == datetime(2026, 12, 3, 11, 21, tzinfo=UTC)
    assert as_stored({"Value": 1.0, "StorageResolution": 60}, now)["Timestamp"] == datetime(2026, 12, 3, 11, 22)
    assert as_stored({"Value": 1.0, "Timestamp": at, "StorageResolution": 1}, now)["Timestamp"] == at
    assert "Timestamp" not in as_stored({"Value": 1.0, "StorageResolution": "1"}, now)
