"""The emulator's "Receive Billing Alerts" setting, per account: where it lives and how to turn it.

On AWS an account publishes ``AWS/Billing EstimatedCharges`` (us-east-1) only once "Receive Billing
Alerts" is enabled in its Billing preferences, a console setting without an API. The emulator's
accounts have it enabled (``extensions.billing`` publishes the metric); these are the ways to build an
account without it, for a test of the stack that breaks:

- at start: ``--no-billing-alerts`` or ``LAKEHOUSE_EMULATOR_BILLING_ALERTS=off`` (every account starts
  without);
- on a running emulator, per account: ``PUT {endpoint}/_lakehouse/billing-alerts/{account}`` with
  ``{"BillingAlertsEnabled": false}`` (:func:`set_billing_alerts`; ``GET`` reads it). Not an AWS API:
  an emulator admin path, like moto's ``/moto-api/``, answering on loopback only.

The same path builds an account whose charges are published but *stale* (the series ends in the past,
while ListMetrics still lists it for two weeks) or not zero: ``{"PublishingStoppedHoursAgo": 72}``
(:func:`stop_publishing`; ``null`` resumes: :func:`resume_publishing`) and ``{"EstimatedChargesUSD": 25.0}``
(:func:`set_estimated_charges`). Fields may be combined; each PUT changes only the fields it names, and
the answer (also ``GET``'s) carries every field, with ``PublishingStoppedAt`` and ``NewestDatapoint``.

Kept free of moto, so tests and tools can call it without importing the emulator.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

#: The admin path (followed by the 12-digit account id).
ADMIN_PATH = "/_lakehouse/billing-alerts/"
#: Environment variable read at start: ``off`` (or false, 0, no) starts every account without billing alerts.
BILLING_ALERTS_ENV = "LAKEHOUSE_EMULATOR_BILLING_ALERTS"
#: The JSON field of the admin path's request and answer.
FIELD = "BillingAlertsEnabled"
#: Hours ago the account's estimated charges stopped being published (a number >= 0; null: still published).
STOPPED_FIELD = "PublishingStoppedHoursAgo"
#: The month-to-date estimated charges (USD, >= 0) the account's datapoints carry.
CHARGES_FIELD = "EstimatedChargesUSD"
#: In the answer only: when publication stopped (ISO 8601 UTC, null: it has not) and the newest datapoint.
STOPPED_AT_FIELD = "PublishingStoppedAt"
NEWEST_FIELD = "NewestDatapoint"
OFF_WORDS = frozenset({"off", "false", "0", "no", "disabled"})


def _call(endpoint: str, account_id: str, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The admin path's answer (every field of the account's billing state)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{endpoint.rstrip('/')}{ADMIN_PATH}{account_id}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        state = json.loads(answer.read())
    if not isinstance(state, dict):
        raise RuntimeError(f"the emulator at {endpoint} answered {state!r} for {account_id}'s billing state")
    return state


def billing_alerts_enabled(endpoint: str, account_id: str) -> bool:
    """Whether the emulator at ``endpoint`` publishes ``account_id``'s estimated charges."""
    return bool(_call(endpoint, account_id, "GET")[FIELD])


def billing_state(endpoint: str, account_id: str) -> dict[str, Any]:
    """Every field of ``account_id``'s billing state in the emulator at ``endpoint`` (the admin path's answer)."""
    return _call(endpoint, account_id, "GET")


def set_billing_alerts(endpoint: str, account_id: str, enabled: bool) -> None:
    """Turn "Receive Billing Alerts" on or off for ``account_id`` in the emulator at ``endpoint``.

    Off, the account publishes no EstimatedCharges at all, as one that never enabled it (AWS
    itself cannot turn data collection off once it is on: this builds the never-enabled account).
    """
    if _call(endpoint, account_id, "PUT", {FIELD: enabled})[FIELD] is not enabled:
        raise RuntimeError(f"the emulator at {endpoint} did not set {FIELD}={enabled} for {account_id}")


def stop_publishing(endpoint: str, account_id: str, hours_ago: float) -> dict[str, Any]:
    """Make ``account_id``'s estimated charges stop ``hours_ago`` hours before now: the stale account.

    Its series ends at the last publication at or before that moment, and falls out of the two weeks
    ListMetrics looks back on as time passes, as on AWS once publication stops. Returns the state.
    """
    state = _call(endpoint, account_id, "PUT", {STOPPED_FIELD: hours_ago})
    if state.get(STOPPED_AT_FIELD) is None:
        raise RuntimeError(f"the emulator at {endpoint} did not stop {account_id}'s billing publication")
    return state


def resume_publishing(endpoint: str, account_id: str) -> dict[str, Any]:
    """Publish ``account_id``'s estimated charges up to now again (the emulator's default)."""
    return _call(endpoint, account_id, "PUT", {STOPPED_FIELD: None})


def set_estimated_charges(endpoint: str, account_id: str, usd: float) -> dict[str, Any]:
    """The month-to-date estimated charges (USD) ``account_id``'s datapoints carry (the default: 0)."""
    return _call(endpoint, account_id, "PUT", {CHARGES_FIELD: usd})
