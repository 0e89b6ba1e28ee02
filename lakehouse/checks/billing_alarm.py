"""Can a CloudWatch alarm on the account's estimated charges fire? A pure judge of one alarm.

Exit check 7 must prove the billing alarm *can fire*, not that an alarm by the right name
exists: an alarm in the wrong region, on the wrong dimensions, with a less-than operator,
an evaluation window of months or an action on a deleted (or FIFO) topic is accepted by CloudWatch
and never notifies anyone; one with a threshold far below the cap (``> 0``: the first cent) is in ALARM
long before the cap and sends nothing when it is crossed. ``BILLING_ALARM_RULE`` states what "can fire" is measured as.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lakehouse.arns import arn_region

# AWS publishes AWS/Billing metrics only in us-east-1 (reference section 4.3); the account's total is the one
# dimension set Currency=USD (ServiceName/LinkedAccount split it up). Defined beside the freshness judge.
from lakehouse.checks.billing_freshness import (
    BILLING_DIMENSIONS,
    BILLING_METRIC,
    BILLING_NAMESPACE,
    BILLING_REGION,
    MAX_AGE_S,
    NewestCharge,
    freshness_problems,
)
from lakehouse.checks.metric_statistics import COUNTING_KINDS, statistic_kind, statistic_problem

#: Operators under which a rising month-to-date total crosses the threshold.
RISING_OPERATORS = ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold")
#: CloudWatch's shortest period for a standard-resolution metric (billing is one).
MIN_PERIOD_S = 60
#: The longest evaluation window (period x evaluation periods) that still answers in time.
MAX_WINDOW_S = 86_400
#: How often AWS publishes EstimatedCharges, roughly ("several times daily").
BILLING_UPDATE_S = 21_600
#: How long an alarm may sit in INSUFFICIENT_DATA on a published metric before the evidence notes it.
STALE_STATE_S = 86_400
#: The lowest threshold, as a share of the cap, a billing alarm may fire at. EstimatedCharges is the month's running
#: total: it only rises until the month ends, so the alarm enters ALARM at most once a month and stays there until
#: the total resets. Its one notification is all it says of the cap: below half the cap it comes in months that
#: end far within it (GreaterThanThreshold 0: at the first cent, every month) and crossing the cap sends nothing
#: new. From half the cap on, ALARM means at least half the month's allowance is spent: a warning about the cap,
#: sent while it can still be kept. (The budget's notifications are the earlier warnings.)
MIN_CAP_SHARE = Decimal("0.5")
#: What to do when the account publishes no EstimatedCharges (there is no API for the setting).
ENABLE_BILLING_ALERTS = (
    "enable 'Receive Billing Alerts' in the Billing console's preferences (Billing preferences > Alert "
    "preferences, as the root user or a principal with billing access; for a member account of a consolidated "
    "bill, the payer account's preference decides); AWS starts publishing "
    f"{BILLING_NAMESPACE} {BILLING_METRIC} in {BILLING_REGION} within minutes to hours (it cannot be turned off "
    "again), then read the check again"
)

BILLING_ALARM_RULE = (
    f"The billing alarm can fire when: it is in {BILLING_REGION} (the only region with {BILLING_NAMESPACE} "
    f"metrics) on {BILLING_NAMESPACE} {BILLING_METRIC} with exactly the dimension Currency=USD (the account's "
    "total; other dimension sets are other series); its operator is GreaterThanThreshold or "
    "GreaterThanOrEqualToThreshold (a month-to-date total rises; any other operator never trips on overspend); "
    "its threshold is within the monthly cost cap and not breached at 0 USD (below 0, or 0 with "
    "GreaterThanOrEqualToThreshold: such an alarm is in ALARM whatever the spend and never changes state when "
    f"the cap is crossed), and at least {MIN_CAP_SHARE:.0%} of the cap: the metric is the month's running total, "
    "so the alarm enters ALARM at most once a month and stays there; one set lower (GreaterThanThreshold 0: at the "
    "first cent) fires in months that end far within the cap and sends nothing new when the cap is crossed, while "
    "from half the cap on its ALARM says at least half the month's allowance is spent (a Sum or trimmed sum over a "
    f"period of n billing updates, about one per {BILLING_UPDATE_S // 3600} h, adds n datapoints of the total, so "
    "its threshold is reached at threshold / n and judged so); its statistic is not "
    "SampleCount, its extended statistic (if any) is one CloudWatch "
    "computes and not a trimmed count (tcNN, TC(a:b): a number of datapoints) or a percentile rank (PR(a:b): a "
    "percentage of datapoints), and it names no unit but "
    "None (each of these makes it compare something other than dollars with its threshold); its period is "
    f"{MIN_PERIOD_S}-{MAX_WINDOW_S} s "
    f"and period x evaluation periods <= {MAX_WINDOW_S} s, with no more datapoints to alarm than billing "
    f"updates (about one per {BILLING_UPDATE_S // 3600} h) can put in that window: a longer window answers a day "
    "or more after the cap is crossed, and 1000 periods of 6 h outlast the month whose total the metric "
    "holds, so it never fires; its actions are enabled and at least one is an SNS topic that exists (checked "
    "with GetTopicAttributes), is a standard topic (SNS refuses CloudWatch's publish to a FIFO one: it carries no "
    "MessageGroupId), with at least one confirmed subscription (ListSubscriptionsByTopic; "
    "PendingConfirmation does not count) that receives its ALARM notification (the delivery rule: a topic policy "
    "Deny, queue policy, KMS keys, filter policy; an alert nobody receives is no alert), with no action on a "
    "topic that is gone; and the account publishes the metric it watches: CloudWatch ListMetrics in "
    f"{BILLING_REGION} (all pages) lists {BILLING_NAMESPACE} {BILLING_METRIC} with exactly the dimension set "
    "Currency=USD (AWS publishes it several times a day, and only once 'Receive Billing Alerts' is enabled in the "
    "Billing preferences, a setting with no API: without it the alarm never has data and never fires, "
    "INSUFFICIENT_DATA forever or OK when missing data is treated as not breaching, so its state proves nothing; "
    "per-service or per-account series are not the total it watches), and still publishes it: ListMetrics lists "
    "what had a datapoint at any time in the last two weeks, so the newest datapoint (GetMetricStatistics in "
    f"{BILLING_REGION}, Maximum, hourly over those two weeks) must be at most {MAX_AGE_S // 3600} h older than the "
    "read (a day is four missed updates, and no window accepted here is longer: an older one leaves the alarm "
    "nothing to fire on). TreatMissingData is recorded but not "
    "judged: within these bounds an overspend arrives as a real datapoint above the threshold whatever "
    "missing periods count as ('breaching' only fires sooner). The alarm's state is recorded, not judged: "
    f"INSUFFICIENT_DATA for more than {STALE_STATE_S // 3600} h on a published metric is noted in the evidence "
    "(billing data can arrive late; the rules above already reject every setting that makes a published metric "
    "miss the alarm)."
)


def amount(text: Any) -> Decimal | None:
    """A finite number from the API's string or float, or None."""
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def is_sns_topic(arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "sns"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _breaches_at_zero(operator: str, threshold: Decimal) -> bool:
    """Whether a month with no spend yet (0 USD, the lowest EstimatedCharges can be) already breaches."""
    return threshold < 0 or (threshold == 0 and operator == "GreaterThanOrEqualToThreshold")


def dimension_label(dimensions: Sequence[Mapping[str, Any]] | None) -> str:
    """A metric's dimension set as people read it: ``Currency=USD ServiceName=AmazonS3`` (sorted), or ``none``."""
    pairs = sorted(f"{d.get('Name')}={d.get('Value')}" for d in dimensions or [])
    return " ".join(pairs) or "none"


def is_account_total(metric: Mapping[str, Any]) -> bool:
    """Whether a ListMetrics entry is the series the alarm must watch: EstimatedCharges with only Currency=USD."""
    watched = (metric.get("Namespace"), metric.get("MetricName"))
    found = sorted((str(d.get("Name")), str(d.get("Value"))) for d in metric.get("Dimensions") or [])
    return watched == (BILLING_NAMESPACE, BILLING_METRIC) and found == [("Currency", "USD")]


def publication_problems(listed: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Why the account's total EstimatedCharges is not published (empty: ListMetrics lists it).

    ``listed``: every metric ListMetrics in us-east-1 answered for AWS/Billing EstimatedCharges
    Currency=USD (all pages; it also lists series with more dimensions); None: it was not read.
    """
    if listed is None:
        return [
            f"cannot be shown to have data: whether the account publishes {BILLING_NAMESPACE} {BILLING_METRIC} "
            f"Currency=USD was not read (ListMetrics in {BILLING_REGION})"
        ]
    if any(is_account_total(m) for m in listed):
        return []
    others = sorted({dimension_label(m.get("Dimensions")) for m in listed})
    if others:  # something of it is published, just not the total: the setting may be on, the cause elsewhere
        seen = f"only other series of it ({', '.join(others)}), not the account's total"
        why = "check that 'Receive Billing Alerts' is enabled in the Billing console's preferences and read again"
    else:
        seen = f"no {BILLING_METRIC} series at all"
        why = f"'Receive Billing Alerts' is not enabled for this account; {ENABLE_BILLING_ALERTS}"
    return [
        f"watches {BILLING_NAMESPACE} {BILLING_METRIC} Currency=USD, which the account does not publish: "
        f"ListMetrics in {BILLING_REGION} lists {seen}, so the alarm never has data and never fires "
        f"(INSUFFICIENT_DATA forever, or OK when missing data is treated as not breaching): {why}"
    ]


def state_note(alarm: Mapping[str, Any], published: bool, now: datetime) -> str | None:
    """A note on an alarm stuck in INSUFFICIENT_DATA for over a day on a published metric (recorded, not judged)."""
    since = alarm.get("StateUpdatedTimestamp")
    if alarm.get("StateValue") != "INSUFFICIENT_DATA" or not published or not isinstance(since, datetime):
        return None
    if since.tzinfo is None or now.tzinfo is None:
        return None
    hours = (now - since).total_seconds() / 3600
    if hours <= STALE_STATE_S / 3600:
        return None
    return (
        f"in INSUFFICIENT_DATA for {hours:.0f} h (since {since.isoformat()}) although ListMetrics lists the metric: "
        "billing data may be late, or the alarm's query matches no datapoint; recorded, not judged: look at its "
        "StateReason and at GetMetricStatistics on the metric"
    )


def _extended_statistic(extended: Any) -> list[str]:
    """Why the alarm's ExtendedStatistic is no amount in dollars (empty: none, or a percentile, trimmed or
    winsorized mean, IQM or trimmed sum of the charges).

    PutMetricAlarm accepts trimmed counts (``tc90``, ``TC(10%:90%)``) and percentile ranks (``PR(n:m)``): the
    first counts datapoints (billing data arrive about every 6 h, so a handful per period), the second is a
    percentage (0-100) of them. Compared with a threshold of dollars, ``tc90 > 20`` never fires, and ``PR(:20) > 20``
    fires while the spend is under the cap, not when it crosses it.
    """
    if not extended:
        return []
    stat = str(extended)
    if (unknown := statistic_problem(stat)) is not None:
        return [f"uses the extended statistic {stat}, which CloudWatch does not compute ({unknown})"]
    kind = statistic_kind(stat)
    if kind in COUNTING_KINDS:
        return [
            f"compares the extended statistic {stat} ({COUNTING_KINDS[kind]}, not dollars) with its threshold in "
            "dollars: the threshold says nothing of the cap, and the alarm does not fire when the month's estimated "
            "charges cross it"
        ]
    return []


def _periods(alarm: Mapping[str, Any]) -> list[str]:
    """Problems with the alarm's period, evaluation window and datapoints to alarm."""
    period, evaluations = _int(alarm.get("Period")), _int(alarm.get("EvaluationPeriods"))
    if period is None or evaluations is None or evaluations < 1:
        return [f"has no usable period ({alarm.get('Period')} s x {alarm.get('EvaluationPeriods')} evaluation periods)"]
    problems = []
    if not MIN_PERIOD_S <= period <= MAX_WINDOW_S:
        problems.append(f"period {period} s is outside {MIN_PERIOD_S}-{MAX_WINDOW_S} s")
    window = period * evaluations
    if window > MAX_WINDOW_S:
        problems.append(
            f"evaluates {evaluations} periods of {period} s = {window / 3600:g} h, longer than "
            f"{MAX_WINDOW_S // 3600} h: it answers too late (or never, past the month its total covers)"
        )
    needed = _int(alarm.get("DatapointsToAlarm")) or evaluations
    available = max(1, min(window, MAX_WINDOW_S) // BILLING_UPDATE_S)
    if needed > available:
        problems.append(
            f"needs {needed} breaching datapoints in a {window / 3600:g} h window, but billing data arrive about "
            f"every {BILLING_UPDATE_S // 3600} h (at most {available} in that window)"
        )
    return problems


def _actions(
    alarm: Mapping[str, Any], topics: Mapping[str, bool], deaf: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """(problems, live actions): SNS actions must exist; at least one must reach a confirmed subscriber."""
    deaf = deaf or {}
    actions = [str(a) for a in alarm.get("AlarmActions") or []]
    if not actions:
        return ["has no alarm action"], []
    gone = [a for a in actions if is_sns_topic(a) and topics.get(a) is False]
    existing = [a for a in actions if is_sns_topic(a) and topics.get(a) is True]
    live = [a for a in existing if a not in deaf]
    problems = [f"has an action on SNS topic {a}, which does not exist" for a in gone]
    if existing and not live:
        why = "; ".join(f"topic {a} {deaf[a]}" for a in existing)
        problems.append(f"notifies nobody: no action topic has a subscription that receives its alert ({why})")
    if not existing and not gone:
        problems.append(f"has no action on an SNS topic that exists (actions: {', '.join(actions)})")
    if alarm.get("ActionsEnabled") is False:
        problems.append("has its actions disabled (ActionsEnabled false)")
        live = []
    return problems, live


def _summed(alarm: Mapping[str, Any]) -> int:
    """About how many datapoints the alarm's statistic adds up per period: 1 unless it is a sum (Sum, tsNN, TS(..))
    over a period that holds more than one billing update (about one per ``BILLING_UPDATE_S``)."""
    stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic")
    if not stat or statistic_kind(str(stat)) not in ("sum", "ts"):
        return 1
    period = _int(alarm.get("Period")) or 0
    return max(1, min(period, MAX_WINDOW_S) // BILLING_UPDATE_S)


def _threshold(alarm: Mapping[str, Any], cap: Decimal) -> list[str]:
    """Problems with the threshold: none, above the cap, breached at 0 USD, or reached below ``MIN_CAP_SHARE`` of
    the cap (by itself, or because the statistic sums several datapoints of the running total)."""
    operator, shown = alarm.get("ComparisonOperator"), alarm.get("Threshold")
    threshold = amount(shown)
    if threshold is None:
        return [f"has no threshold ({shown})"]
    if threshold > cap:
        return [f"threshold {shown} is above the {cap} USD cap"]
    if operator not in RISING_OPERATORS:
        return []  # the operator's own problem says it
    if _breaches_at_zero(str(operator), threshold):
        return [
            f"breaches at 0 USD ({operator} {shown}; {BILLING_METRIC} is never below 0): it is in ALARM whatever the "
            "spend, so it never changes state when the cap is crossed and its alert says nothing of the cap"
        ]
    floor, summed = cap * MIN_CAP_SHARE, _summed(alarm)
    if threshold / summed >= floor:
        return []
    what = f"threshold {shown} is"
    if summed > 1:
        stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic")
        what = (
            f"threshold {shown} on {stat}, which adds up about {summed} datapoints of the running total per "
            f"{alarm.get('Period')} s period (billing data arrive about every {BILLING_UPDATE_S // 3600} h), is "
            f"reached at a total of about {(threshold / summed).quantize(Decimal('0.01'))} USD,"
        )
    return [
        f"{what} below {MIN_CAP_SHARE:.0%} of the {cap} USD cap ({floor.normalize():f} USD): {BILLING_METRIC} is "
        "the month's running total, so the alarm enters ALARM once a month at most and stays there; it does so in "
        "months that end far within the cap, and sends nothing new when the cap is crossed"
    ]


def judge_billing_alarm(
    alarm: Mapping[str, Any],
    region: str,
    topics: Mapping[str, bool],
    cap: Decimal,
    deaf: Mapping[str, str] | None = None,
    *,
    published: Sequence[Mapping[str, Any]] | None,
    newest: NewestCharge | None,
) -> tuple[list[str], list[str]]:
    """(problems, live actions) of one alarm read in ``region``; no problems means it can fire.

    ``topics`` maps each SNS topic ARN to whether GetTopicAttributes found it; ``deaf`` each topic
    nobody receives from (no confirmed subscription) to why: an alert nobody receives is no alert.
    ``published``: what ListMetrics in us-east-1 listed for the account's EstimatedCharges (None: not
    read): an alarm on a metric the account does not publish never fires, however it is set up.
    ``newest``: the total's newest datapoint (None: not read): listed but no longer published is no better.
    """
    problems = []
    regions = {region, arn_region(str(alarm.get("AlarmArn") or "")) or region}
    if regions != {BILLING_REGION}:
        problems.append(
            f"is in {', '.join(sorted(regions - {BILLING_REGION}))}, but {BILLING_NAMESPACE} metrics exist only in "
            f"{BILLING_REGION}"
        )
    watched = (alarm.get("Namespace"), alarm.get("MetricName"))
    if watched != (BILLING_NAMESPACE, BILLING_METRIC):
        problems.append(f"watches {watched[0]} {watched[1]}, not {BILLING_NAMESPACE} {BILLING_METRIC}")
    dimensions = list(alarm.get("Dimensions") or [])
    if dimensions != BILLING_DIMENSIONS:
        shown = ", ".join(f"{d.get('Name')}={d.get('Value')}" for d in dimensions) or "none"
        problems.append(f"has dimensions {shown}, not exactly Currency=USD")
    operator = alarm.get("ComparisonOperator")
    if operator not in RISING_OPERATORS:
        problems.append(f"compares with {operator}, not {' or '.join(RISING_OPERATORS)}")
    problems += _threshold(alarm, cap)
    if alarm.get("Statistic") == "SampleCount":
        problems.append("uses the statistic SampleCount, which counts datapoints instead of dollars")
    problems += _extended_statistic(alarm.get("ExtendedStatistic"))
    if alarm.get("Unit") not in (None, "None"):
        problems.append(f"names the unit {alarm.get('Unit')}; EstimatedCharges has none, so no datapoint matches")
    problems += _periods(alarm)
    unpublished = publication_problems(published)
    problems += unpublished or freshness_problems(newest)  # a metric not listed has no newest datapoint to judge
    action_problems, live = _actions(alarm, topics, deaf)
    return problems + action_problems, live


def billing_alarm_summary(
    alarm: Mapping[str, Any],
    region: str,
    topics: Mapping[str, bool],
    cap: Decimal,
    deaf: Mapping[str, str] | None = None,
    *,
    published: Sequence[Mapping[str, Any]] | None,
    newest: NewestCharge | None,
) -> dict[str, Any]:
    """One line of evidence about an alarm on estimated charges: can it fire, and if not why."""
    problems, _ = judge_billing_alarm(alarm, region, topics, cap, deaf, published=published, newest=newest)
    return {
        "name": alarm.get("AlarmName"),
        "arn": alarm.get("AlarmArn"),
        "can_fire": not problems,
        "problems": problems,
    }
