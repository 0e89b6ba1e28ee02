"""Does an SMS alert receiver get the text SNS sends? The account's SMS sandbox, spend limit and the number's opt-out.

SNS confirms an ``sms`` subscription the moment it is made, whatever the number, and keeps it so. Yet an
account starts in the SMS sandbox, per region: while it is there, SNS sends SMS messages only to destination
numbers verified in that sandbox (GetSMSSandboxAccountStatus, ListSMSSandboxPhoneNumbers: "Verified", not
"Pending"); and a number that replied STOP is opted out (CheckIfPhoneNumberIsOptedOut) and gets nothing.
And the account's monthly SMS spend limit (GetSMSAttributes ``MonthlySpendLimit``) caps every text: "When Amazon
SNS determines that sending an SMS message would incur a cost that exceeds this limit, it stops sending SMS
messages within minutes" (SetSMSAttributes API reference), and the charges accrued since the month began are the
``AWS/SNS`` metric ``SMSMonthToDateSpentUSD`` (no dimensions, statistic Maximum; SNS's CloudWatch metrics page).
A month whose spend already reached the limit texts nothing more until the next month begins. An account that
never set the attribute has SNS's default ("By default, the spend limit is set to the maximum allowed by Amazon
SNS", SetSMSAttributes), its account quota, 1.00 USD until a quota increase is granted; the docs corpus did not
confirm the figure, so it is judged only once the month's spend reaches it, never from the unset limit alone.
Any of these, and exit check 7's alert reaches nobody on that subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

#: The sandbox status of a verified destination number (ListSMSSandboxPhoneNumbers).
VERIFIED = "Verified"
#: The monthly SMS spend limit of an account that never set MonthlySpendLimit: the quota every account starts with.
DEFAULT_SPEND_LIMIT_USD = Decimal("1")
#: Where SNS publishes what the account spent on SMS since the month began (namespace, metric; no dimensions).
SPEND_METRIC = ("AWS/SNS", "SMSMonthToDateSpentUSD")
#: The period the month's spend is read at: 31 days of hours stay under GetMetricStatistics' 1,440 datapoints.
SPEND_PERIOD_S = 3600

SMS_RULE = (
    "An SMS endpoint receives only if SNS may text it from the topic's region: the account is out of the SMS "
    "sandbox there (GetSMSSandboxAccountStatus), or the number is a Verified destination of that sandbox "
    "(ListSMSSandboxPhoneNumbers; Pending does not count), and the number has not opted out "
    "(CheckIfPhoneNumberIsOptedOut); and the month's SMS spend in that region (AWS/SNS SMSMonthToDateSpentUSD, "
    "Maximum since the month began; no datapoint: nothing spent) is below the account's monthly spend limit "
    f"(GetSMSAttributes MonthlySpendLimit; unset: the {DEFAULT_SPEND_LIMIT_USD} USD default), or SNS stops texting."
)


@dataclass
class SmsSpend:
    """The account's SMS spend limit and what it spent this month, in one region."""

    #: GetSMSAttributes' MonthlySpendLimit as given (None: not set, the account's default).
    limit_usd: str | None
    #: The largest SMSMonthToDateSpentUSD since the month began (None: no datapoint, nothing texted this month).
    spent_usd: float | None


@dataclass
class PhoneReadback:
    """What SNS says of one SMS endpoint, in the region of the topic that texts it."""

    number: str
    region: str
    in_sandbox: bool
    #: Whether the number is a Verified destination of the region's SMS sandbox (only read in the sandbox).
    verified: bool
    opted_out: bool
    #: The account's SMS spend limit and this month's spend in ``region`` (None: not read).
    spend: SmsSpend | None = None


def month_start(now: datetime) -> datetime:
    """Midnight UTC on the first of ``now``'s month, when SNS's month-to-date SMS spend starts again from zero."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def read_spend(sns: Any, cloudwatch: Any, now: datetime) -> SmsSpend:
    """GetSMSAttributes' MonthlySpendLimit and the month's largest SMSMonthToDateSpentUSD (both clients in the
    region that texts); failures raise as the clients raise them."""
    attributes = sns.get_sms_attributes(attributes=["MonthlySpendLimit"]).get("attributes") or {}
    limit = attributes.get("MonthlySpendLimit")
    namespace, metric = SPEND_METRIC
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        StartTime=month_start(now),
        EndTime=now,
        Period=SPEND_PERIOD_S,
        Statistics=["Maximum"],
    ).get("Datapoints")
    spent = max((float(p["Maximum"]) for p in points or [] if "Maximum" in p), default=None)
    return SmsSpend(str(limit) if limit not in (None, "") else None, spent)


def spend_problems(spend: SmsSpend, region: str) -> list[str]:
    """Why SNS texts nothing more this month in ``region``: the month's spend reached the limit (empty: it did not).

    An unset limit is taken as SNS's default, the ``DEFAULT_SPEND_LIMIT_USD`` quota an account starts with, and the
    reason says so; a limit that is not a finite number (``"5 USD"``, ``"NaN"``) is named rather than compared.
    """
    shown = (
        "MonthlySpendLimit"
        if spend.limit_usd is not None
        else f"MonthlySpendLimit unset: taken as SNS's default, the {DEFAULT_SPEND_LIMIT_USD} USD quota an account "
        "starts with"
    )
    try:
        limit = Decimal(spend.limit_usd) if spend.limit_usd is not None else DEFAULT_SPEND_LIMIT_USD
    except InvalidOperation:
        limit = Decimal("NaN")
    if not limit.is_finite():  # Decimal reads "NaN" and "Infinity", and refuses to order a NaN
        return [f"the account's SMS MonthlySpendLimit in {region} is not a number of USD ({spend.limit_usd!r})"]
    spent = Decimal(str(spend.spent_usd or 0))
    if spent < limit:
        return []
    return [
        f"the account has spent {spent} USD on SMS in {region} this month (SMSMonthToDateSpentUSD), which reaches "
        f"its monthly SMS spend limit of {limit} USD ({shown}): SNS stops sending SMS once a message would exceed "
        "it, so the alert is not texted before next month"
    ]


def read_phone(
    sns: Any, number: str, region: str, cloudwatch: Any = None, now: datetime | None = None
) -> PhoneReadback:
    """The account's SMS sandbox status in ``sns``'s region, the number's place in it and its opt-out, and (with
    ``cloudwatch``, a client of the same region) the account's SMS spend limit and this month's spend there.

    Failures (access, throttling, an emulator without the call) raise as the client raises them; the caller
    names the read.
    """
    in_sandbox = bool(sns.get_sms_sandbox_account_status().get("IsInSandbox"))
    verified = False
    if in_sandbox:
        for page in sns.get_paginator("list_sms_sandbox_phone_numbers").paginate():
            verified = verified or any(
                p.get("PhoneNumber") == number and p.get("Status") == VERIFIED for p in page.get("PhoneNumbers") or []
            )
    opted_out = bool(sns.check_if_phone_number_is_opted_out(phoneNumber=number).get("isOptedOut"))
    phone = PhoneReadback(number, region, in_sandbox, verified, opted_out)
    if cloudwatch is not None:
        phone.spend = read_spend(sns, cloudwatch, now or datetime.now(UTC))
    return phone


def phone_problems(phone: PhoneReadback | None) -> list[str]:
    """Why SNS texts nothing to ``phone`` (empty: it does)."""
    if phone is None:
        return ["the phone number was not read (SMS sandbox, opt-out)"]
    problems = []
    if phone.in_sandbox and not phone.verified:
        problems.append(
            f"the account is in the SMS sandbox in {phone.region} and {phone.number} is not a verified destination "
            "there (ListSMSSandboxPhoneNumbers): SNS texts only verified numbers from the sandbox"
        )
    if phone.opted_out:
        problems.append(f"{phone.number} has opted out of SMS (CheckIfPhoneNumberIsOptedOut): SNS texts it nothing")
    if phone.spend is None:
        problems.append(f"the account's SMS spend limit and this month's SMS spend in {phone.region} were not read")
    else:
        problems += spend_problems(phone.spend, phone.region)
    return problems
