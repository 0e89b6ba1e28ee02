"""Is the account's estimated-charges metric still being published? Its newest datapoint, read and judged.

ListMetrics lists a metric that had a datapoint at any time in the last two weeks, so an account
whose AWS/Billing EstimatedCharges stopped arriving days ago is still "listed": a billing alarm on it
evaluates empty periods and never fires on today's spend. Exit check 7 therefore reads the newest
datapoint (GetMetricStatistics in us-east-1) and fails when it is older than :data:`MAX_AGE_S`.

The age is the moment of the read minus the datapoint's timestamp, both as the API and the clock
gave them: the verdict depends on what was published, never on how fast the harness runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: Where AWS publishes billing metrics, and the series the alarm watches (the account's total).
BILLING_REGION = "us-east-1"
BILLING_NAMESPACE = "AWS/Billing"
BILLING_METRIC = "EstimatedCharges"
BILLING_DIMENSIONS = [{"Name": "Currency", "Value": "USD"}]
#: How far back the newest datapoint is looked for: ListMetrics' own window (two weeks), so a metric it
#: lists always shows its newest datapoint here, however old.
READ_WINDOW_S = 14 * 86_400
#: GetMetricStatistics' period: an hour keeps 14 days within its 1440-datapoint cap (336) and states the
#: newest datapoint to the hour (its period's start, at most one period before the datapoint itself).
READ_PERIOD_S = 3_600
READ_STATISTIC = "Maximum"
#: The oldest the newest datapoint may be. AWS publishes EstimatedCharges "several times daily" (about
#: every 4-6 h), so a day is four missed updates at the slowest cadence, beyond ordinary lateness; and
#: exit check 7 accepts no billing alarm whose evaluation window (period x evaluation periods) is longer
#: than a day, so with no datapoint in the last day every alarm it accepts evaluates empty periods and
#: cannot fire on the current spend. Equal is still fresh.
MAX_AGE_S = 86_400

FRESHNESS_RULE = (
    f"The account's {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD is current when its newest datapoint "
    f"(GetMetricStatistics in {BILLING_REGION}, {READ_STATISTIC}, period {READ_PERIOD_S} s, over the "
    f"{READ_WINDOW_S // 86_400} days ListMetrics looks back on) is at most {MAX_AGE_S // 3600} h older than the "
    "moment of the read: AWS publishes it several times a day (about every 4-6 h), ListMetrics still lists it "
    "for two weeks after the last datapoint, and a billing alarm, whose window is at most a day, has no data "
    "to fire on once publication stops. The timestamp is its period's start, so the age errs toward red by "
    f"less than {READ_PERIOD_S // 3600} h."
)


@dataclass(frozen=True)
class NewestCharge:
    """What GetMetricStatistics answered for the account's total: its newest datapoint in the window, if any."""

    #: The moment of the read (the query's EndTime): the age is measured from here.
    asked_at: datetime
    #: The query's StartTime.
    window_start: datetime
    #: The newest datapoint's timestamp (its period's start), None: no datapoint in the window.
    timestamp: datetime | None = None
    #: Its Maximum, the month-to-date estimated charges in USD.
    maximum: float | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _timestamp(point: Mapping[str, Any]) -> datetime | None:
    stamp = point.get("Timestamp")
    return _utc(stamp) if isinstance(stamp, datetime) else None


def newest_charge(datapoints: list[Mapping[str, Any]], asked_at: datetime, window_start: datetime) -> NewestCharge:
    """The newest of GetMetricStatistics' datapoints (they come in no particular order)."""
    dated = [(stamp, point) for point in datapoints if (stamp := _timestamp(point)) is not None]
    if not dated:
        return NewestCharge(_utc(asked_at), _utc(window_start))
    stamp, point = max(dated, key=lambda pair: pair[0])
    value = point.get(READ_STATISTIC)
    return NewestCharge(
        _utc(asked_at), _utc(window_start), stamp, float(value) if isinstance(value, int | float) else None
    )


def query(asked_at: datetime) -> dict[str, Any]:
    """GetMetricStatistics' request for the account's total over the window ending at ``asked_at``.

    The start is on the hour, so hour-long periods are the clock's hours on AWS too.
    """
    end = _utc(asked_at).replace(microsecond=0)
    start = end.replace(minute=0, second=0) - timedelta(seconds=READ_WINDOW_S)
    return {
        "Namespace": BILLING_NAMESPACE,
        "MetricName": BILLING_METRIC,
        "Dimensions": BILLING_DIMENSIONS,
        "StartTime": start,
        "EndTime": end,
        "Period": READ_PERIOD_S,
        "Statistics": [READ_STATISTIC],
    }


def read_newest_charge(cloudwatch: Any, asked_at: datetime | None = None) -> NewestCharge:
    """Read the account's newest EstimatedCharges Currency=USD datapoint with ``cloudwatch`` (us-east-1's client).

    Failures (access, throttling) raise as the client raises them; the caller names the read.
    """
    request = query(asked_at or datetime.now(UTC))
    answer = cloudwatch.get_metric_statistics(**request)
    return newest_charge(list(answer.get("Datapoints") or []), request["EndTime"], request["StartTime"])


def age_s(newest: NewestCharge) -> float | None:
    """Seconds from the newest datapoint to the read (None: there is none)."""
    if newest.timestamp is None:
        return None
    return (newest.asked_at - newest.timestamp).total_seconds()


def freshness_problems(newest: NewestCharge | None) -> list[str]:
    """Why the account's estimated charges are not current (empty: the newest datapoint is recent enough)."""
    read = f"GetMetricStatistics in {BILLING_REGION}, {READ_STATISTIC}, period {READ_PERIOD_S // 3600} h"
    if newest is None:
        return [
            f"cannot be shown to have current data: the newest {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD "
            f"datapoint was not read ({read})"
        ]
    age = age_s(newest)
    stopped = (
        "find why the account's billing metrics stopped ('Receive Billing Alerts' in the Billing preferences; for a "
        "member account of a consolidated bill, the payer account's) and read again"
    )
    if age is None or newest.timestamp is None:
        return [
            f"watches {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD, which ListMetrics lists but which has no "
            f"datapoint from {newest.window_start.isoformat()} to {newest.asked_at.isoformat()} ({read}), so the "
            f"alarm has no data and never fires: {stopped}"
        ]
    if age <= MAX_AGE_S:
        return []
    return [
        f"watches {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD, whose newest datapoint is {age / 3600:.2f} h "
        f"old ({newest.timestamp.isoformat()}, read at {newest.asked_at.isoformat()}; {read}), more than the "
        f"{MAX_AGE_S // 3600} h allowed: AWS publishes it several times a day, so it is no longer being published "
        "(ListMetrics still lists it for two weeks after its last datapoint) and the alarm, whose window is at "
        f"most a day, has no data and never fires on the current spend: {stopped}"
    ]


def freshness_evidence(newest: NewestCharge | None) -> dict[str, Any]:
    """What was asked and answered, the age and the bound it was held to."""
    age = age_s(newest) if newest is not None else None
    return {
        "read": newest is not None,
        "asked": {
            "region": BILLING_REGION,
            "Namespace": BILLING_NAMESPACE,
            "MetricName": BILLING_METRIC,
            "Dimensions": BILLING_DIMENSIONS,
            "StartTime": newest.window_start.isoformat() if newest else None,
            "EndTime": newest.asked_at.isoformat() if newest else None,
            "Period": READ_PERIOD_S,
            "Statistics": [READ_STATISTIC],
        },
        "newest": newest.timestamp.isoformat() if newest and newest.timestamp else None,
        "newest_maximum_usd": newest.maximum if newest else None,
        "age_h": round(age / 3600, 2) if age is not None else None,
        "max_age_h": MAX_AGE_S / 3600,
        "current": not freshness_problems(newest),
        "rule": FRESHNESS_RULE,
    }
