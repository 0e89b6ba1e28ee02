"""``detection.not_this_faults``: which ALARM message tells of the fault injected at a given instant, and why not.

Fixed instants, no clock: the injection at ``INJECTED`` (ours), the alarm's last change before it at ``SINCE``
(CloudWatch's, read back just before the injection).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lakehouse.chaos.alerts import AlarmMessage, parse_message
from lakehouse.chaos.detection import (
    CLOCK_SKEW_S,
    AlarmBefore,
    change_time,
    loud_before,
    not_this_faults,
)

NAME = "lakehouse-lh-1-input-empty"
INJECTED_AT = datetime(2026, 12, 6, 10, 0, 0, tzinfo=UTC)
INJECTED = INJECTED_AT.timestamp()
SINCE = INJECTED_AT - timedelta(seconds=20)  # the previous recovery took the alarm back to OK
BEFORE = {NAME: AlarmBefore("OK", SINCE)}
CROSSED = "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (06/12/26 10:00:00)] was greater than or equal to"


def message(changed: datetime | str, old: str = "OK", reason: str = CROSSED, state: str = "ALARM") -> AlarmMessage:
    stamp = changed if isinstance(changed, str) else changed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    return AlarmMessage(NAME, state, reason, "arn:aws:sns:us-east-1:1:alerts", INJECTED + 30, stamp, old)


@pytest.mark.parametrize(
    "changed",
    [
        INJECTED_AT + timedelta(seconds=12),
        INJECTED_AT - timedelta(seconds=CLOCK_SKEW_S),  # CloudWatch's clock behind ours, within the tolerance
    ],
)
@pytest.mark.parametrize("old", ["OK", "INSUFFICIENT_DATA"])
def test_a_change_to_alarm_after_the_injection_is_its_detection(changed: datetime, old: str) -> None:
    assert not_this_faults(message(changed, old), BEFORE, INJECTED) is None


def test_an_anomaly_detection_bands_reason_is_cloudwatchs_evaluation_too() -> None:
    """An anomaly detection alarm's reason says "Thresholds Crossed" (the band's two thresholds)."""
    band = "Thresholds Crossed: 1 out of the last 1 datapoints [9.0 (06/12/26 10:00:00)] was greater than the upper"
    assert not_this_faults(message(INJECTED_AT + timedelta(seconds=12), reason=band), BEFORE, INJECTED) is None


def test_a_change_to_alarm_long_before_the_injection_is_stale_naming_alarm_and_times() -> None:
    why = not_this_faults(message(INJECTED_AT - timedelta(minutes=5)), BEFORE, INJECTED)
    assert why == (
        f"alarm {NAME}'s ALARM message (StateChangeTime 2026-12-06T09:55:00.000+0000): the alarm changed to ALARM at "
        "2026-12-06T09:55:00.000+00:00, 300.0 s before the fault was injected at 2026-12-06T10:00:00.000+00:00 "
        f"(more than the {CLOCK_SKEW_S:g} s clock tolerance): a stale or late message, not this fault's"
    )


def test_a_change_before_the_alarms_last_change_read_back_is_late_though_within_the_tolerance() -> None:
    """The previous fault's ALARM, then its recovery's OK, both seconds before the injection on CloudWatch's clock."""
    since = INJECTED_AT - timedelta(seconds=1)
    changed = since - timedelta(milliseconds=300)
    why = not_this_faults(message(changed), {NAME: AlarmBefore("OK", since)}, INJECTED)
    assert why is not None and "not after its last state change (OK since 2026-12-06T09:59:59.000+00:00)" in why
    assert "a late message of an earlier change, not this fault's" in why
    # The same change stamped after that read (CloudWatch's clock a little behind ours) is the fault's.
    assert (
        not_this_faults(message(changed), {NAME: AlarmBefore("OK", changed - timedelta(seconds=1))}, INJECTED) is None
    )


def test_the_same_millisecond_as_the_last_change_is_not_after_it() -> None:
    since = INJECTED_AT + timedelta(microseconds=123_456)
    at_since = message(since.replace(microsecond=123_000))
    assert not_this_faults(at_since, {NAME: AlarmBefore("OK", since)}, INJECTED) is not None
    later = message(since.replace(microsecond=124_000))
    assert not_this_faults(later, {NAME: AlarmBefore("OK", since)}, INJECTED) is None


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        (message(INJECTED_AT, old="ALARM"), "says the alarm was ALARM before, not OK or INSUFFICIENT_DATA"),
        (message(INJECTED_AT, old=""), "says the alarm was (OldStateValue absent) before"),
        (message(""), "(StateChangeTime absent) carries no time of its state change"),
        (message("yesterday"), "carries no time of its state change"),
        (message("2026-12-06T10:00:00"), "carries no time of its state change"),  # no zone: no instant
        (message(INJECTED_AT, state="OK"), "OK message (StateChangeTime 2026-12-06T10:00:00.000+0000) is no ALARM"),
        (
            message(INJECTED_AT, reason="forced by the on-call drill"),
            "its reason 'forced by the on-call drill' is not CloudWatch's evaluation of the metric",
        ),
        (
            message(
                INJECTED_AT,
                reason="Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                "treated as [Breaching].",
            ),
            "says missing data raised it, not the faulty run's datapoint",
        ),
    ],
)
def test_a_message_that_is_no_change_to_alarm_computed_after_the_injection_is_refused(
    bad: AlarmMessage, shown: str
) -> None:
    why = not_this_faults(bad, BEFORE, INJECTED)
    assert why is not None and why.startswith(f"alarm {NAME}'s ") and shown in why, why


def test_an_alarm_not_read_back_before_the_fault_cannot_be_its_detection() -> None:
    why = not_this_faults(message(INJECTED_AT), {}, INJECTED)
    assert why is not None and "was not read back before the fault" in why


def test_an_alarm_in_alarm_before_the_injection_is_named_with_its_time() -> None:
    assert loud_before(BEFORE) is None
    assert loud_before({NAME: AlarmBefore("INSUFFICIENT_DATA", None)}) is None
    why = loud_before({**BEFORE, "lakehouse-lh-1-rows-refused": AlarmBefore("ALARM", SINCE)})
    assert why is not None and why.startswith(
        "alarm lakehouse-lh-1-rows-refused (since 2026-12-06T09:59:40.000+00:00) is in ALARM just before the fault"
    )


def test_cloudwatchs_time_format_and_old_state_are_read_from_the_message() -> None:
    assert change_time("2026-12-03T11:21:05.123+0000") == datetime(2026, 12, 3, 11, 21, 5, 123_000, tzinfo=UTC)
    body = {"AlarmName": NAME, "NewStateValue": "ALARM", "OldStateValue": "INSUFFICIENT_DATA", "StateChangeTime": "x"}
    parsed = parse_message(json.dumps({"Type": "Notification", "Message": json.dumps(body)}), 1.0)
    assert (
        parsed is not None
        and parsed.old_state == "INSUFFICIENT_DATA"
        and parsed.to_dict()["old_state"] == parsed.old_state
    )
