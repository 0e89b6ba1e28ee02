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
given to the alarm evaluator (``extensions.cloudwatch``). The value is 0 USD: the emulator bills nothing
(its Budgets report ``ActualSpend`` 0 too). Per-service series (``ServiceName``) are not published: the
emulator meters no service, so which ones AWS would list is not known.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from moto.cloudwatch.models import MetricDatum
from moto.core.common_models import CloudWatchMetricProvider

from lakehouse.emulator.billing_alerts import ADMIN_PATH, BILLING_ALERTS_ENV, FIELD, OFF_WORDS

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
_default_enabled = True
_accounts: dict[str, bool] = {}
_installed = False


def set_default(enabled: bool) -> None:
    """Whether accounts not set one by one have billing alerts enabled (the start flag / environment)."""
    global _default_enabled
    _default_enabled = enabled


def set_enabled(account_id: str, enabled: bool) -> None:
    _accounts[account_id] = enabled


def enabled(account_id: str) -> bool:
    """Whether the account has "Receive Billing Alerts" enabled (and so its estimated charges published)."""
    return _accounts.get(account_id, _default_enabled)


@lru_cache(maxsize=4)
def _series(latest: int) -> tuple[MetricDatum, ...]:
    """The datapoints published up to the mark ``latest`` (epoch seconds), oldest first."""
    marks = range(latest - LOOKBACK_S + PUBLISH_EVERY_S, latest + 1, PUBLISH_EVERY_S)
    return tuple(
        MetricDatum(
            namespace=NAMESPACE,
            name=METRIC,
            value=ESTIMATED_CHARGES_USD,
            dimensions=[dict(d) for d in DIMENSIONS],
            timestamp=datetime.fromtimestamp(mark, UTC).replace(tzinfo=None),  # moto keeps naive UTC
        )
        for mark in marks
    )


def published(account_id: str, region: str, now: float | None = None) -> list[MetricDatum]:
    """The account's EstimatedCharges datapoints CloudWatch holds in ``region`` (none outside us-east-1 or
    without billing alerts)."""
    if not _installed or region != BILLING_REGION or not enabled(account_id):
        return []
    moment = time.time() if now is None else now
    return list(_series(int(moment // PUBLISH_EVERY_S * PUBLISH_EVERY_S)))


class BillingMetrics(CloudWatchMetricProvider):
    """moto asks every ``CloudWatchMetricProvider`` for the metrics AWS itself publishes."""

    @staticmethod
    def get_cloudwatch_metrics(account_id: str, region: str) -> list[MetricDatum]:
        return published(account_id, region)


def _answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def serve_admin(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI answer to ``/_lakehouse/billing-alerts/{account}``: GET reads the setting, PUT sets it."""
    account = environ.get("PATH_INFO", "")[len(ADMIN_PATH) :]
    if not _ACCOUNT.match(account):
        return _answer(start_response, "400 Bad Request", {"message": f"not a 12-digit account id: {account!r}"})
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "PUT":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            wanted = json.loads(environ["wsgi.input"].read(length) or b"{}").get(FIELD)
        except (ValueError, AttributeError):
            wanted = None
        if not isinstance(wanted, bool):
            return _answer(start_response, "400 Bad Request", {"message": f'send {{"{FIELD}": true|false}}'})
        set_enabled(account, wanted)
    elif method != "GET":
        return _answer(start_response, "405 Method Not Allowed", {"message": "GET or PUT"})
    return _answer(start_response, "200 OK", {"AccountId": account, FIELD: enabled(account)})


def install() -> None:
    """Publish every account's estimated charges (unless the environment starts them without)."""
    global _installed
    if _installed:
        return
    if os.environ.get(BILLING_ALERTS_ENV, "").strip().lower() in OFF_WORDS:
        set_default(False)
    _installed = True
