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

Kept free of moto, so tests and tools can call it without importing the emulator.
"""

from __future__ import annotations

import json
import urllib.request

#: The admin path (followed by the 12-digit account id).
ADMIN_PATH = "/_lakehouse/billing-alerts/"
#: Environment variable read at start: ``off`` (or false, 0, no) starts every account without billing alerts.
BILLING_ALERTS_ENV = "LAKEHOUSE_EMULATOR_BILLING_ALERTS"
#: The JSON field of the admin path's request and answer.
FIELD = "BillingAlertsEnabled"
OFF_WORDS = frozenset({"off", "false", "0", "no", "disabled"})


def _call(endpoint: str, account_id: str, method: str, body: dict[str, bool] | None = None) -> bool:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{endpoint.rstrip('/')}{ADMIN_PATH}{account_id}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return bool(json.loads(answer.read())[FIELD])


def billing_alerts_enabled(endpoint: str, account_id: str) -> bool:
    """Whether the emulator at ``endpoint`` publishes ``account_id``'s estimated charges."""
    return _call(endpoint, account_id, "GET")


def set_billing_alerts(endpoint: str, account_id: str, enabled: bool) -> None:
    """Turn "Receive Billing Alerts" on or off for ``account_id`` in the emulator at ``endpoint``.

    Off, the account publishes no EstimatedCharges at all, as one that never enabled it (AWS
    itself cannot turn data collection off once it is on: this builds the never-enabled account).
    """
    if _call(endpoint, account_id, "PUT", {FIELD: enabled}) is not enabled:
        raise RuntimeError(f"the emulator at {endpoint} did not set {FIELD}={enabled} for {account_id}")
