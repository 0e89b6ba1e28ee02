"""Exit check 6: a bucket or access point policy Deny under a Condition stops the analyst when the condition is shown
to hold for its request (``iam_access.request_context``: its role's ARN, account, type, the access point keys).

Before, every conditioned Deny was ignored: a healthy stack whose access point grants the account and denies the
analyst by ``aws:PrincipalArn`` was red. A Deny the check cannot show to apply (another role's ARN, a source IP the
analyst chooses) still stops nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.iam_access import Principal, bucket_statement_match, request_context
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from tests.unit.test_security import (
    ACCOUNT,
    ANALYST,
    BUCKETS,
    POINT_ARN,
    _delegating,
    _point,
    _point_grant,
    _with_statements,
    healthy,
    routes,
)

PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"
GOLD = BUCKETS["gold"]


def _deny(condition: dict[str, Any], resource: str = f"{POINT_ARN}/object/*") -> dict[str, Any]:
    return {
        "Sid": "NoAnalyst",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": resource,
        "Condition": condition,
    }


def _through_point(*statements: dict[str, Any]) -> SecurityReadback:
    """The gold bucket delegating to its access point, whose policy grants the analyst and adds ``statements``."""
    rb = _with_statements(healthy(), GOLD, _delegating())
    rb.routes.access_points[GOLD] = [_point(_point_grant({"AWS": ANALYST}), *statements)]
    return rb


DENYING = {
    "analyst-by-arn": {"ArnEquals": {"aws:PrincipalArn": ANALYST}},
    "analyst-by-pattern": {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/lh-analy*"}},
    "all-but-the-pipeline": {"StringNotEquals": {"aws:PrincipalArn": [PIPELINE]}},
    "role-sessions": {"StringEquals": {"aws:PrincipalType": "AssumedRole", "aws:PrincipalAccount": ACCOUNT}},
    "this-access-point": {"ArnEquals": {"s3:DataAccessPointArn": POINT_ARN}},
}


@pytest.mark.parametrize("condition", DENYING.values(), ids=DENYING.keys())
def test_an_access_point_deny_conditioned_to_the_analyst_passes(condition: dict[str, Any]) -> None:
    rb = _through_point(_deny(condition))
    assert not [p for p in routes(rb) if "gold-share" in p], routes(rb)
    result = judge_security(rb)
    assert result.passed, result.reason


NOT_SHOWN = {
    "another-role": {"ArnEquals": {"aws:PrincipalArn": PIPELINE}},
    "source-ip": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    "insecure-transport": {"Bool": {"aws:SecureTransport": "false"}},
    "analyst-or-unknown": {"ArnEquals": {"aws:PrincipalArn": ANALYST}, "StringEquals": {"aws:userid": "AROA:x"}},
    "another-access-point": {"ArnEquals": {"s3:DataAccessPointArn": f"{POINT_ARN}-other"}},
}


@pytest.mark.parametrize("condition", NOT_SHOWN.values(), ids=NOT_SHOWN.keys())
def test_an_access_point_deny_not_shown_to_apply_to_the_analyst_still_fails(condition: dict[str, Any]) -> None:
    rb = _through_point(_deny(condition))
    found = [p for p in routes(rb) if "through access point gold-share" in p]
    assert found, routes(rb)
    assert not judge_security(rb).passed


def test_a_bucket_policy_deny_conditioned_to_the_analyst_passes_and_its_twin_fails() -> None:
    grant = {
        "Sid": "Analyst",
        "Effect": "Allow",
        "Principal": {"AWS": ANALYST},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{GOLD}/*",
    }
    denied = _with_statements(healthy(), GOLD, grant, _deny(DENYING["analyst-by-arn"], f"arn:aws:s3:::{GOLD}/*"))
    result = judge_security(denied)
    assert result.passed, result.reason
    twin = _with_statements(healthy(), GOLD, grant, _deny(NOT_SHOWN["another-role"], f"arn:aws:s3:::{GOLD}/*"))
    assert not judge_security(twin).passed


def test_the_request_context_carries_the_access_point_keys_only_through_one() -> None:
    who = Principal(ANALYST, ACCOUNT)
    direct = request_context(who, f"arn:aws:s3:::{GOLD}/users/x.parquet")
    through = request_context(who, f"{POINT_ARN}/object/users/x.parquet")
    assert direct["s3:dataaccesspointarn"] is None and direct["aws:principalarn"] == ANALYST
    assert through["s3:dataaccesspointarn"] == POINT_ARN and through["s3:dataaccesspointaccount"] == ACCOUNT
    # A Deny on reads not made through this account's access points applies to a direct read, not to one through.
    outside = _deny({"StringNotEquals": {"s3:DataAccessPointAccount": ACCOUNT}}, "*")
    assert bucket_statement_match(outside, GOLD, 0, who, "s3:GetObject", f"arn:aws:s3:::{GOLD}/k") is not None
    assert bucket_statement_match(outside, GOLD, 0, who, "s3:GetObject", f"{POINT_ARN}/object/k") is None
