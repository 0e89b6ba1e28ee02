"""AWS publishing its own ``AWS/Billing EstimatedCharges`` metric, which moto 5.2.5 never does.

On AWS, an account with "Receive Billing Alerts" enabled (Billing preferences) gets its month-to-date
estimated charges published to CloudWatch in us-east-1 "several times daily", with the dimension
``Currency=USD`` (the account's total); an account without it has no such metric, and an alarm on it
never has data. Against moto 5.2.5 no account has it, so a billing alarm is an alarm on nothing.

Here every account has billing alerts enabled unless told otherwise (``lakehouse.emulator.billing_alerts``:
the start flag, the environment variable, the admin path): CloudWatch in us-east-1 holds the account's
``EstimatedCharges`` ``Currency=USD`` with a datapoint every :data:`PUBLISH_EVERY_S` over the last two
weeks (what ListMetrics looks back on), as moto's S3 provides its own storage metrics: computed when
asked (ListMetrics, GetMetricStatistics, GetMetricData) through moto's ``CloudWatchMetricProvider``, and
given to the alarm evaluator (``extensions.cloudwatch``). Computed from the clock at each read, the newest
datapoint is the last publication mark (under :data:`PUBLISH_EVERY_S` old) however long the emulator runs.
The value is 0 USD: the emulator bills nothing (its Budgets report ``ActualSpend`` 0 too). Per-service series
(``ServiceName``) are not published: the emulator meters no service, so which ones AWS would list is not known.

The admin path also builds an account whose publication stopped some hours ago (the series ends then, and
leaves the two-week window as time passes) or whose charges are not 0: a stale or overspent account.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from moto.cloudwatch.models import MetricDatum
from moto.core.common_models import CloudWatchMetricProvider

from lakehouse.emulator.billing_alerts import (
    ADMIN_PATH,
    BILLING_ALERTS_ENV,
    CHARGES_FIELD,
    FIELD,
    NEWEST_FIELD,
    OFF_WORDS,
    STOPPED_AT_FIELD,
    STOPPED_FIELD,
)

#: Where AWS publishes billing metrics (the aws partition's one region for them).
BILLING_REGION = "us-east-1"
NAMESPACE = "AWS/Billing"
METRIC = "EstimatedCharges"
DIMENSIONS = ({"Name": "Currency", "Value": "USD"},)
#: How often the emulator's AWS publishes (AWS: several times a day; datapoints at 00, 06, 12, 18 UTC).
PUBLISH_EVERY_S = 21_600
#: How far back datapoints exist: ListMetrics lists what had datapoints in the last two weeks.
LOOKBACK_S = 14 * 86_400
#: The month-to-date estimated charges the emulator publishes: it bills nothing.
ESTIMATED_CHARGES_USD = 0.0

_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class AccountBilling:
    """One account's billing metrics as the admin path set them (the defaults: AWS publishing 0 USD now)."""

    #: "Receive Billing Alerts" (None: the emulator's default, :func:`set_default`).
    enabled: bool | None = None
    #: When publication stopped (epoch seconds), None: it goes on.
    stopped_at: float | None = None
    estimated_charges_usd: float = ESTIMATED_CHARGES_USD


_default_enabled = True
_accounts: dict[str, AccountBilling] = {}
_installed = False


def set_default(enabled: bool) -> None:
    """Whether accounts not set one by one have billing alerts enabled (the start flag / environment)."""
    global _default_enabled
    _default_enabled = enabled


def state(account_id: str) -> AccountBilling:
    return _accounts.get(account_id, AccountBilling())


def set_state(account_id: str, **changes: Any) -> None:
    """Change the fields of :class:`AccountBilling` named, keep the others."""
    _accounts[account_id] = replace(state(account_id), **changes)


def set_enabled(account_id: str, enabled: bool) -> None:
    set_state(account_id, enabled=enabled)


def enabled(account_id: str) -> bool:
    """Whether the account has "Receive Billing Alerts" enabled (and so its estimated charges published)."""
    chosen = state(account_id).enabled
    return _default_enabled if chosen is None else chosen


def _mark(moment: float) -> int:
    """The last publication mark (epoch seconds, 00/06/12/18 UTC) at or before ``moment``."""
    return int(moment // PUBLISH_EVERY_S * PUBLISH_EVERY_S)


@lru_cache(maxsize=8)
def _series(first: int, last: int, usd: float) -> tuple[MetricDatum, ...]:
    """The datapoints published at the marks ``first``..``last`` (epoch seconds), oldest first."""
    return tuple(
        MetricDatum(
            namespace=NAMESPACE,
            name=METRIC,
            value=usd,
            dimensions=[dict(d) for d in DIMENSIONS],
            timestamp=datetime.fromtimestamp(mark, UTC).replace(tzinfo=None),  # moto keeps naive UTC
        )
        for mark in range(first, last + 1, PUBLISH_EVERY_S)
    )


def published(account_id: str, region: str, now: float | None = None) -> list[MetricDatum]:
    """The account's EstimatedCharges datapoints CloudWatch holds in ``region`` (none outside us-east-1 or
    without billing alerts): the last two weeks' marks up to now, or up to when publication stopped."""
    if not _installed or region != BILLING_REGION or not enabled(account_id):
        return []
    moment = time.time() if now is None else now
    account = state(account_id)
    latest = _mark(moment)
    last = latest if account.stopped_at is None else min(latest, _mark(account.stopped_at))
    return list(_series(latest - LOOKBACK_S + PUBLISH_EVERY_S, last, account.estimated_charges_usd))


class BillingMetrics(CloudWatchMetricProvider):
    """moto asks every ``CloudWatchMetricProvider`` for the metrics AWS itself publishes."""

    @staticmethod
    def get_cloudwatch_metrics(account_id: str, region: str) -> list[MetricDatum]:
        return published(account_id, region)


def _answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _amount(value: Any) -> float | None:
    """A finite number >= 0 from JSON (not a boolean), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def changes_asked(body: Any, now: float) -> dict[str, Any] | str:
    """The :class:`AccountBilling` changes a PUT body asks for, or why it cannot be done (nothing is changed)."""
    usage = (
        f'send a JSON object with one or more of "{FIELD}": true|false, "{STOPPED_FIELD}": hours >= 0 or null, '
        f'"{CHARGES_FIELD}": USD >= 0'
    )
    if not isinstance(body, dict) or not body or set(body) - {FIELD, STOPPED_FIELD, CHARGES_FIELD}:
        return usage
    changes: dict[str, Any] = {}
    if FIELD in body:
        if not isinstance(body[FIELD], bool):
            return usage
        changes["enabled"] = body[FIELD]
    if STOPPED_FIELD in body:
        hours = None if body[STOPPED_FIELD] is None else _amount(body[STOPPED_FIELD])
        if hours is None and body[STOPPED_FIELD] is not None:
            return usage
        changes["stopped_at"] = None if hours is None else now - hours * 3600
    if CHARGES_FIELD in body:
        usd = _amount(body[CHARGES_FIELD])
        if usd is None:
            return usage
        changes["estimated_charges_usd"] = usd
    return changes


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def described(account_id: str) -> dict[str, Any]:
    """The admin path's answer: every field of the account's billing state, and its newest datapoint."""
    account = state(account_id)
    series = published(account_id, BILLING_REGION)
    return {
        "AccountId": account_id,
        FIELD: enabled(account_id),
        STOPPED_AT_FIELD: _iso(account.stopped_at),
        CHARGES_FIELD: account.estimated_charges_usd,
        NEWEST_FIELD: series[-1].timestamp.replace(tzinfo=UTC).isoformat() if series else None,
    }


def serve_admin(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI answer to ``/_lakehouse/billing-alerts/{account}``: GET reads the state, PUT changes it."""
    account = environ.get("PATH_INFO", "")[len(ADMIN_PATH) :]
    if not _ACCOUNT.match(account):
        return _answer(start_response, "400 Bad Request", {"message": f"not a 12-digit account id: {account!r}"})
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "PUT":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        except (ValueError, AttributeError):
            body = None
        changes = changes_asked(body, time.time())
        if isinstance(changes, str):
            return _answer(start_response, "400 Bad Request", {"message": changes})
        set_state(account, **changes)
    elif method != "GET":
        return _answer(start_response, "405 Method Not Allowed", {"message": "GET or PUT"})
    return _answer(start_response, "200 OK", described(account))


def install() -> None:
    """Publish every account's estimated charges (unless the environment starts them without)."""
    global _installed
    if _installed:
        return
    if os.environ.get(BILLING_ALERTS_ENV, "").strip().lower() in OFF_WORDS:
        set_default(False)
    _installed = True
