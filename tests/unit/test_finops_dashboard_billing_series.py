"""Exit check 7 counts an AWS/Billing EstimatedCharges tile as the stack's only if the stack's cost is in it.

The account's total (Currency=USD) holds the stack's cost, and so does this account's own
LinkedAccount series in a consolidated bill. Another linked account's series is published in a
payer account and passes every other rule, yet holds none of the stack's cost: three of them are
no guard of the stack.
"""

from __future__ import annotations

from lakehouse.outcome import Status
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_dashboard_billing_services import CHARGES, judged_billing


def test_other_linked_accounts_charges_are_not_the_stacks() -> None:
    """Broken dashboard: the charges of three other member accounts of the bill (published in the payer
    account, ListMetrics lists each), none of which runs the stack."""
    others = ("210987654321", "310987654321", "410987654321")
    result = judged_billing(*[[*CHARGES, "LinkedAccount", a] for a in others])
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0
    assert (
        "AWS/Billing EstimatedCharges Currency=USD LinkedAccount=210987654321 [us-east-1]: another account's "
        f"charges (LinkedAccount=210987654321, not {ACCOUNT}): none of stack lh-1's cost is in them"
    ) in str(result.reason)


def test_the_accounts_own_total_and_linked_series_hold_the_stacks_cost() -> None:
    """Healthy twin: the total, this account's LinkedAccount series and a per-service split of it count."""
    result = judged_billing(
        CHARGES,
        [*CHARGES, "LinkedAccount", ACCOUNT],
        [*CHARGES, "LinkedAccount", ACCOUNT, "ServiceName", "AmazonAthena"],
    )
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 3
