"""SNS deliveries: what a topic subscription costs for each notification it receives, by its protocol.

SNS bills a standard topic's publishes and, apart from them, every delivery to a subscription: HTTP/S, e-mail,
Firehose and mobile push per notification at the subscription region's price, SMS per message part at the price of
the destination's country; deliveries to SQS queues and Lambda functions cost nothing (aws.amazon.com/sns/pricing,
the Price List rows ``fixtures/cost/prices.yml`` cites). Pricing only the publishes let a plan subscribe a phone to
a chatty topic at 0 USD. Every subscription is taken to receive all of usage.yml's publishes (the stack's, whatever
its topic): a subscription to a quieter topic is priced high, never one to a chatty topic low. As a publish, a
delivery is billed per 64 KB chunk of its message (Infracost's ``request_size_kb``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lakehouse.kpi.datafile import DataFile

SUBSCRIPTION = "aws_sns_topic_subscription"
#: Protocols SNS delivers to at no charge (the subscription is then listed free, with prices.yml's source).
FREE_PROTOCOLS = frozenset({"sqs", "lambda"})
#: Protocol -> (price key of a region in prices.yml, notifications the price is for, what is delivered).
PER_NOTIFICATION = {
    "http": ("sns_http_usd_per_1m_notifications", 1_000_000, "HTTP/S notifications"),
    "https": ("sns_http_usd_per_1m_notifications", 1_000_000, "HTTP/S notifications"),
    "email": ("sns_email_usd_per_100k_notifications", 100_000, "email notifications"),
    "email-json": ("sns_email_usd_per_100k_notifications", 100_000, "email notifications"),
    "firehose": ("sns_firehose_usd_per_1m_notifications", 1_000_000, "Firehose notifications"),
    "application": ("sns_mobile_push_usd_per_1m_notifications", 1_000_000, "mobile push notifications"),
}
#: The region price keys deliveries need (``lakehouse.kpi.cost.PRICE_KEYS`` requires them in every region).
PRICE_KEYS = tuple(sorted({key for key, _, _ in PER_NOTIFICATION.values()}))
#: SNS bills a message per 64 KB chunk, a publish as a delivery (aws.amazon.com/sns/pricing).
CHUNK_KB = 64
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


@dataclass(frozen=True)
class SmsPrice:
    """What one SMS message part to a country costs, where that was read, and when."""

    country: str
    usd_per_message_part: float
    source: str
    as_of: str


@dataclass(frozen=True)
class Delivery:
    """One priced part of a subscription's month: ``quantity`` / ``per`` x ``unit_price_usd``."""

    name: str
    quantity: float
    unit: str
    unit_price_usd: float
    per: float = 1.0


def load_sms_prices(doc: DataFile, zero_price: str) -> dict[str, SmsPrice]:
    """prices.yml's ``sms_destinations``: E.164 country calling code -> price per message part (> 0)."""
    section = doc.section("sms_destinations")
    prices: dict[str, SmsPrice] = {}
    for code in section:
        where = f"sms_destinations.{code}"
        if not str(code).isdigit():
            raise doc.error(where, f"must be a country calling code (digits, no +), got {code!r}")
        prices[str(code)] = SmsPrice(
            doc.text(f"{where}.country"),
            doc.positive(f"{where}.usd_per_message_part", zero_price),
            doc.text(f"{where}.source"),
            doc.text(f"{where}.as_of"),
        )
    return prices


def chunks(request_size_kb: float) -> int:
    """How many billed requests one message of ``request_size_kb`` is (each started 64 KB chunk is one)."""
    return max(1, math.ceil(request_size_kb / CHUNK_KB))


def sms_destination(endpoint: Any, sms: dict[str, SmsPrice]) -> tuple[str, SmsPrice] | str:
    """The country code and price of an SMS subscription's number, or why it has none (the longest code wins)."""
    if not isinstance(endpoint, str) or not endpoint:
        return (
            "its phone number is not known at plan time: the destination's country sets the SMS price (over "
            "0.50 USD a message part in some), so it cannot be priced"
        )
    if not _E164.match(endpoint):
        return f"its endpoint {endpoint!r} is not an E.164 phone number (+ and the country code): no country to price"
    digits = endpoint[1:]
    codes = [code for code in sms if digits.startswith(code)]
    if not codes:
        known = ", ".join(f"+{c} {sms[c].country}" for c in sorted(sms))
        return (
            f"its number {endpoint} is in a country fixtures/cost/prices.yml has no SMS price for "
            f"(sms_destinations: {known}); SMS prices differ by country (over 0.50 USD a message part in some)"
        )
    code = max(codes, key=len)
    return code, sms[code]


def why_unpriced(values: dict[str, Any], sms: dict[str, SmsPrice]) -> str | None:
    """Why the table cannot price a subscription's deliveries (None: it can, or they are free)."""
    protocol = values.get("protocol")
    if not isinstance(protocol, str) or not protocol:
        return "its protocol is not known at plan time: what each delivery costs (0 to SMS prices) cannot be told"
    if protocol in FREE_PROTOCOLS or protocol in PER_NOTIFICATION:
        return None
    if protocol == "sms":
        found = sms_destination(values.get("endpoint"), sms)
        return found if isinstance(found, str) else None
    return f"fixtures/cost/prices.yml has no price for SNS deliveries over protocol {protocol!r}"


def deliveries(
    values: dict[str, Any], prices: dict[str, float], sns: dict[str, float], sms: dict[str, SmsPrice]
) -> list[Delivery] | None:
    """A subscription's month of deliveries (None: its protocol is delivered free, or the table cannot price it).

    ``prices``: its region's; ``sns``: usage.yml's sns section (publishes, request_size_kb, sms_parts_per_notification).
    """
    protocol = str(values.get("protocol") or "")
    if protocol in PER_NOTIFICATION:
        key, per, what = PER_NOTIFICATION[protocol]
        n = sns["publishes"] * chunks(sns["request_size_kb"])
        return [Delivery(f"{what} (every publish)", n, "notifications", prices[key], per)]
    if protocol == "sms":
        found = sms_destination(values.get("endpoint"), sms)
        if isinstance(found, str):
            return None
        code, price = found
        parts = sns["publishes"] * sns["sms_parts_per_notification"]
        name = f"SMS to +{code} ({price.country}, every publish)"
        return [Delivery(name, parts, "message parts", price.usd_per_message_part)]
    return None
