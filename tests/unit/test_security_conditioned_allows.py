"""Exit check 6: a bucket, access point or trust policy Allow under a Condition counts only where the condition may
hold for the analyst's request (``iam_access.condition_for`` on ``request_context``: its role's ARN, account, type,
the access point keys); a key not certain for it (source IP, VPC endpoint, tags) keeps the Allow counted, named.

Before, every conditioned Allow counted: a healthy stack allowing ``*`` the lake only under ``aws:PrincipalArn`` =
the pipeline role was red (the analyst, and anyone outside the account, counted as allowed). A Deny naming the account
(``arn:aws:iam::<account>:root`` or the bare id) now stops the analyst too: IAM matches any principal of an account
to the account principal (IAM User Guide, "AWS JSON policy elements: Principal", AWS account principals).
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.iam_access import (
    Principal,
    bucket_statement_match,
    outside_principals,
    principals_confined_to,
    request_context,
)
from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from tests.unit.test_security import ACCOUNT, ANALYST, BUCKETS, _grant_to, _with_statements, healthy, problems
from tests.unit.test_security_conditioned_denies import GOLD, PIPELINE, _through_point
from tests.unit.test_security_role_paths import PIPELINE_POLICY, ROOT, _trust, role_problems, stack
from tests.unit.test_security_role_paths import _allow as _iam_allow

SILVER = BUCKETS["silver"]
OTHER = "210987654321"


def _open_to_all(condition: dict[str, Any]) -> dict[str, Any]:
    """``*`` may read silver under ``condition`` (the common "grant by aws:PrincipalArn" pattern)."""
    return _grant_to("*", Condition=condition)


def _bucket(condition: dict[str, Any]) -> SecurityReadback:
    return _with_statements(healthy(), SILVER, _open_to_all(condition))


#: Conditions no request of the analyst (nor of anyone outside the account) meets: a healthy stack.
PIPELINE_ONLY = {
    "arn-equals": {"ArnEquals": {"aws:PrincipalArn": PIPELINE}},
    "string-equals-list": {"StringEquals": {"aws:PrincipalArn": [PIPELINE, f"arn:aws:iam::{ACCOUNT}:role/lh-admin"]}},
    "arn-like-pipeline": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/lh-pipe*"}},
    "if-exists-with-account": {
        "ArnEqualsIfExists": {"aws:PrincipalArn": PIPELINE},
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT},
    },
    "pipeline-and-tls": {"ArnEquals": {"aws:PrincipalArn": PIPELINE}, "Bool": {"aws:SecureTransport": "true"}},
    "users-only": {"StringEquals": {"aws:PrincipalType": "User", "aws:PrincipalAccount": ACCOUNT}},
}


@pytest.mark.parametrize("condition", PIPELINE_ONLY.values(), ids=PIPELINE_ONLY.keys())
def test_a_bucket_allow_conditioned_to_the_pipeline_passes(condition: dict[str, Any]) -> None:
    result = judge_security(_bucket(condition))
    assert result.passed, result.reason


def test_an_access_point_allow_conditioned_to_the_pipeline_passes() -> None:
    grant = {
        "Sid": "Pipeline",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:ap-northeast-1:123456789012:accesspoint/gold-share/object/*",
        "Condition": PIPELINE_ONLY["arn-equals"],
    }
    rb = _through_point()
    rb.routes.access_points[GOLD][0].policy = {"Version": "2012-10-17", "Statement": [grant]}
    result = judge_security(rb)
    assert result.passed, result.reason


#: Conditions the analyst's request meets (or may meet): the stack stays red, naming the statement.
ANALYST_MEETS = {
    "own-account": ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, "statement Share"),
    "pattern-matching-the-analyst": (
        {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/lh-*"}},
        "statement Share",
    ),
    "all-but-the-pipeline": ({"ArnNotEquals": {"aws:PrincipalArn": PIPELINE}}, "statement Share"),
    "role-sessions": ({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, "statement Share"),
    "source-ip": ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "Condition not evaluated: IpAddress aws:SourceIp"),
    "vpc-endpoint": (
        {"StringEquals": {"aws:SourceVpce": "vpce-1", "aws:PrincipalAccount": ACCOUNT}},
        "Condition not evaluated: StringEquals aws:SourceVpce",
    ),
    "principal-tag": (
        {"StringEquals": {"aws:PrincipalTag/team": "data"}},
        "Condition not evaluated: StringEquals aws:PrincipalTag/team",
    ),
}


@pytest.mark.parametrize(("condition", "named"), ANALYST_MEETS.values(), ids=ANALYST_MEETS.keys())
def test_a_bucket_allow_whose_condition_the_analyst_may_meet_fails(condition: dict[str, Any], named: str) -> None:
    rb = _bucket(condition)
    result = judge_security(rb)
    assert not result.passed
    found = [p for p in problems(rb, "bucket_policies") if "lets the analyst role read it" in p]
    assert any(named in p for p in found), found


def test_an_access_point_allow_the_analyst_meets_fails() -> None:
    grant = {
        "Sid": "Account",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:ap-northeast-1:123456789012:accesspoint/gold-share/object/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    }
    rb = _through_point()
    rb.routes.access_points[GOLD][0].policy = {"Version": "2012-10-17", "Statement": [grant]}
    result = judge_security(rb)
    assert not result.passed
    assert any(
        "the analyst role reads lake objects through access point gold-share" in p for p in problems(rb, "other_routes")
    )


#: Conditions that keep the analyst out but let someone outside the account in: red, naming the outsider.
OUTSIDERS_MEET = {
    "other-account": {"StringEquals": {"aws:PrincipalAccount": OTHER}},
    "any-account-pipeline": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/lh-pipeline"}},
    "if-exists": {"ArnEqualsIfExists": {"aws:PrincipalArn": PIPELINE}},  # an anonymous request lacks the key
    "not-equals": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
    "wildcard-before-account": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:*:{ACCOUNT}:role/lh-pipeline"}},
}


@pytest.mark.parametrize("condition", OUTSIDERS_MEET.values(), ids=OUTSIDERS_MEET.keys())
def test_a_conditioned_allow_outsiders_may_meet_still_fails(condition: dict[str, Any]) -> None:
    rb = _bucket(condition)
    assert not judge_security(rb).passed
    found = problems(rb, "other_routes")
    assert any(f"lets anyone (Principal *), outside account {ACCOUNT}" in p for p in found), found


def test_confinement_to_the_account_reads_only_positive_tests_of_the_principal() -> None:
    for condition in PIPELINE_ONLY.values():
        assert principals_confined_to({"Condition": condition}, ACCOUNT), condition
    for condition in OUTSIDERS_MEET.values():
        assert not principals_confined_to({"Condition": condition}, ACCOUNT), condition
    confined = _open_to_all(PIPELINE_ONLY["arn-equals"])
    assert outside_principals({**confined, "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}}, ACCOUNT) == []
    service = {**confined, "Principal": {"Service": "logging.s3.amazonaws.com"}}
    assert outside_principals(service, ACCOUNT), "a service principal is judged by aws:SourceAccount/SourceArn"


DENY_ACCOUNT = {
    "arn": {"AWS": ROOT},
    "bare-id": {"AWS": ACCOUNT},
    "list": {"AWS": [f"arn:aws:iam::{OTHER}:root", ROOT]},
}


@pytest.mark.parametrize("principal", DENY_ACCOUNT.values(), ids=DENY_ACCOUNT.keys())
def test_a_bucket_deny_naming_the_account_closes_a_grant_to_the_analyst(principal: dict[str, Any]) -> None:
    deny = {**_grant_to(principal), "Sid": "NoAccount", "Effect": "Deny"}
    result = judge_security(_with_statements(healthy(), SILVER, _grant_to({"AWS": ANALYST}), deny))
    assert result.passed, result.reason


def test_a_deny_naming_the_account_under_an_uncertain_key_or_another_account_leaves_the_grant() -> None:
    for deny in (
        {**_grant_to({"AWS": ROOT}), "Effect": "Deny", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {**_grant_to({"AWS": OTHER}), "Effect": "Deny"},
    ):
        rb = _with_statements(healthy(), SILVER, _grant_to({"AWS": ANALYST}), deny)
        assert not judge_security(rb).passed, deny


# -- trust policies (the roles the analyst can act as) ---------------------------------------------------------


def _trusting(condition: dict[str, Any], principal: dict[str, Any] | str = "*") -> SecurityReadback:
    """The pipeline role (reads the lake) trusting ``principal`` under ``condition``."""
    trust = _trust(principal if isinstance(principal, dict) else {"AWS": principal}, "Conditioned")
    trust["Statement"][0]["Condition"] = condition
    return stack(_iam_allow("sts:AssumeRole", "*"), extra={PIPELINE: RoleInfo(PIPELINE, trust, [PIPELINE_POLICY])})


@pytest.mark.parametrize("condition", [PIPELINE_ONLY["arn-equals"], PIPELINE_ONLY["arn-like-pipeline"]])
def test_a_trust_policy_conditioned_to_another_principal_keeps_the_analyst_out(condition: dict[str, Any]) -> None:
    assert not role_problems(_trusting(condition))
    assert not role_problems(_trusting(condition, ROOT))


def test_a_trust_policy_whose_condition_the_analyst_meets_or_may_meet_is_a_path() -> None:
    meets = _trusting(ANALYST_MEETS["pattern-matching-the-analyst"][0])
    assert any("statement Conditioned of the trust policy of lh-pipeline" in p for p in role_problems(meets))
    external = _trusting({"StringEquals": {"sts:ExternalId": "x"}})
    found = role_problems(external)
    assert any("Condition not evaluated: StringEquals sts:ExternalId" in p for p in found), found


def test_a_trust_deny_naming_the_account_closes_the_path() -> None:
    trust = _trust({"AWS": ROOT})
    trust["Statement"].append({"Effect": "Deny", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    rb = stack(_iam_allow("sts:AssumeRole", "*"), extra={PIPELINE: RoleInfo(PIPELINE, trust, [PIPELINE_POLICY])})
    assert not role_problems(rb)


def test_the_request_context_names_the_principal_type_of_users_and_roles() -> None:
    user = request_context(Principal(f"arn:aws:iam::{ACCOUNT}:user/ops", ""), f"arn:aws:s3:::{SILVER}/k")
    assert user["aws:principaltype"] == "User" and user["aws:principalaccount"] == ACCOUNT
    role = request_context(Principal(ANALYST, ACCOUNT), f"arn:aws:s3:::{SILVER}/k")
    assert role["aws:principaltype"] == "AssumedRole" and role["aws:principalarn"] == ANALYST
    session = request_context(Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/lh-analyst/s", ACCOUNT), "*")
    assert "aws:principalarn" not in session, "a session ARN hides its role's path: not evaluated"


def test_a_condition_is_matched_as_iam_matches_and_a_policy_variable_is_not_evaluated() -> None:
    who, resource = Principal(ANALYST, ACCOUNT), f"arn:aws:s3:::{SILVER}/users/data/00000.parquet"
    # ``[`` is literal in IAM: this Deny names no real role, so it leaves the analyst's grant open.
    bracket = {
        **_grant_to("*"),
        "Effect": "Deny",
        "Condition": {"StringLike": {"aws:PrincipalArn": f"{ANALYST[:-1]}[t]"}},
    }
    assert bucket_statement_match(bracket, SILVER, 0, who, "s3:GetObject", resource) is None
    # A variable takes the request's own value: this Allow may well hold for the analyst, so it counts, named.
    own = {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/role}}"}}
    match = bucket_statement_match(_open_to_all(own), SILVER, 0, who, "s3:GetObject", resource)
    assert match is not None and "a policy variable" in str(match.uncertain)
    rb = _with_statements(healthy(), SILVER, _grant_to({"AWS": ANALYST}), bracket)
    assert not judge_security(rb).passed


def test_a_deny_on_role_sessions_does_not_stop_a_user() -> None:
    user = Principal(f"arn:aws:iam::{ACCOUNT}:user/ops", ACCOUNT)
    resource = f"arn:aws:s3:::{SILVER}/k"
    roles_only = {
        **_grant_to("*"),
        "Effect": "Deny",
        "Condition": {"StringEquals": {"aws:PrincipalType": "AssumedRole"}},
    }
    assert bucket_statement_match(roles_only, SILVER, 0, user, "s3:GetObject", resource) is None
    analyst = Principal(ANALYST, ACCOUNT)
    assert bucket_statement_match(roles_only, SILVER, 0, analyst, "s3:GetObject", resource) is not None
