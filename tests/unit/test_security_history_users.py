"""Exit check 6: an IAM user whose credentials the analyst can make (``iam:CreateAccessKey``, ``CreateLoginProfile``,
``UpdateLoginProfile``) is a principal it can act as: what the user's own, attached and groups' policies (within its
boundary) let it read of a workgroup's history, of the lake's objects and of Lake Formation is named with the path."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lakehouse.checks.role_paths import UserInfo, read_reached_users, users_reached
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback, analyst_actor
from lakehouse.outcome import Status
from tests.unit.test_security import ACCOUNT, BUCKETS, DB, grant
from tests.unit.test_security_history_readers import (
    EXPORT,
    LOOKUP,
    PRIMARY,
    READER,
    _assumable,
    _judged,
    _no_values,
)
from tests.unit.test_security_role_paths import _allow, _doc, _policy, stack

OPS = f"arn:aws:iam::{ACCOUNT}:user/ops"
KEYS = _allow("iam:CreateAccessKey", OPS, sid="Keys")
#: The lookup's own result holds no value (its text does).
ANSWERS: dict[str, Any] = {"lookup": (["user_id"], [["1"]])}
READ_PRIMARY = _allow(["athena:GetQueryExecution", "athena:GetQueryResults"], PRIMARY, sid="ReadPrimary")


def _with_user(rb: SecurityReadback, *statements: dict[str, Any], source: str = "inline policy ops-athena") -> None:
    """The account's user ``ops`` holding ``statements`` (read as the read side reads a reached user)."""
    rb.users = [*rb.users, OPS]
    rb.user_infos = {OPS: UserInfo(OPS, [_policy(source, *statements)])}


def _kinds(rb: SecurityReadback) -> dict[str, list[str]]:
    return {k: v for k, v in judge_security(rb).details["problems"].items() if v}


# -- broken stacks ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mint", ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"])
def test_a_user_whose_credentials_the_analyst_makes_reading_primarys_history_fails_naming_the_path(mint: str) -> None:
    rb = stack(_allow(mint, OPS, sid="Mint"))
    _with_user(rb, READ_PRIMARY)
    problems, details, _ = _judged(rb, [LOOKUP], ANSWERS)
    (problem,) = problems
    assert problem.startswith(
        "the analyst role can act as user ops (analyst lh-analyst -> user ops (may make credentials of it: "
        f"statement Mint of inline policy escalate allows {mint} on {OPS})), and user ops may call "
        f"athena:GetQueryExecution on workgroup primary ({PRIMARY}; statement ReadPrimary of inline policy ops-athena"
    ), problem
    assert "query lookup of workgroup primary" in problem and "in its query text" in problem
    assert details["workgroup_histories"]["role_reads"] == [
        {
            "user": OPS,
            "work_group": "primary",
            "action": "athena:GetQueryExecution",
            "allowed_by": ["statement ReadPrimary of inline policy ops-athena"],
            "executions": ["lookup"],
        }
    ]
    _no_values(details)


def test_a_users_result_fetch_is_searched_and_fails() -> None:
    """Only a user may fetch primary's results: the read side searches them for the user (a managed result)."""
    rb = stack(KEYS)
    _with_user(rb, _allow("athena:GetQueryResults", PRIMARY, sid="Results"))
    problems, details, athena = _judged(rb, [EXPORT], {"export": (["id", "tax_id"], [["1", "987-65-4321"]])})
    assert athena.calls == 1
    (problem,) = problems
    assert "user ops may call athena:GetQueryResults on workgroup primary" in problem and "in its result" in problem
    _no_values(details)


def test_a_users_group_policy_counts() -> None:
    rb = stack(KEYS)
    _with_user(rb, _allow("athena:*", "*"), source="inline policy analysts-athena of group analysts")
    (problem,) = _judged(rb, [LOOKUP], ANSWERS)[0]
    assert "of inline policy analysts-athena of group analysts" in problem


def test_a_role_the_analyst_reaches_making_the_users_keys_fails_naming_both_steps() -> None:
    rb = stack(extra=_assumable(KEYS))
    _with_user(rb, READ_PRIMARY)
    (problem,) = _judged(rb, [LOOKUP], ANSWERS)[0]
    assert "analyst lh-analyst -> role lh-athena-reader (assumes it: " in problem
    assert "-> user ops (may make credentials of it: statement Keys of inline policy athena" in problem


def test_a_user_reading_golds_files_or_holding_a_grant_on_ssn_fails_naming_the_user() -> None:
    rb = stack(KEYS)
    _with_user(rb, _allow("s3:GetObject", f"arn:aws:s3:::{BUCKETS['gold']}/*", sid="ReadGold"))
    rb.grants = [*rb.grants, grant(OPS, {"Table": {"DatabaseName": DB, "Name": "users"}}, "SELECT")]
    found = [p for p in _kinds(rb)["role_paths"] if p.startswith("the analyst role can act as user ops")]
    assert any(f"user {OPS} reads lake bucket {BUCKETS['gold']} directly from S3" in p for p in found), found
    assert any(f"user {OPS} holds SELECT on ssn of {DB}.users" in p for p in found), found
    evidence = judge_security(rb).details["role_paths"]["users_reached"]
    assert [e["user"] for e in evidence] == [OPS] and len(evidence[0]["opens"]) == len(found)


# -- healthy twins ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statements",
    [
        [_allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/someone-else")],
        [KEYS, _allow("iam:CreateAccessKey", OPS, sid="NoKeys", effect="Deny")],
        [_allow("iam:ListAccessKeys", OPS)],
    ],
    ids=["keys-of-another-user", "keys-denied", "listing-only"],
)
def test_a_user_reading_primary_whose_credentials_the_analyst_cannot_make_passes(
    statements: list[dict[str, Any]],
) -> None:
    rb = stack(*statements)
    _with_user(rb, _allow("athena:*", "*"), _allow("s3:GetObject", "*"))
    problems, _, athena = _judged(rb, [LOOKUP, EXPORT], {"export": (["tax_id"], [["987-65-4321"]])})
    assert problems == [] and athena.calls == 0  # no principal the analyst can act as fetches primary's results
    result = judge_security(rb)
    assert result.passed, result.reason


@pytest.mark.parametrize(
    "statements",
    [
        [_allow("athena:ListWorkGroups", "*")],
        [_allow("athena:*", f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/analysts")],
        [_allow("athena:*", "*"), _allow("athena:*", PRIMARY, sid="NotPrimary", effect="Deny")],
    ],
    ids=["no-athena", "own-workgroup-only", "primary-denied"],
)
def test_a_user_the_analyst_can_act_as_without_athena_on_primary_reads_no_history(
    statements: list[dict[str, Any]],
) -> None:
    """No history problem; acting as any user stays an escalation of its own (its other edges are not followed)."""
    rb = stack(KEYS)
    _with_user(rb, *statements)
    problems, details, _ = _judged(rb, [LOOKUP], ANSWERS)
    assert problems == [] and details["workgroup_histories"]["role_reads"] == []
    assert list(_kinds(rb)) == ["role_paths"]
    assert all("iam:CreateAccessKey" in p for p in _kinds(rb)["role_paths"])


def test_a_users_boundary_keeps_athena_out() -> None:
    rb = stack(KEYS)
    _with_user(rb, _allow("athena:*", "*"))
    rb.user_infos[OPS].boundary = _policy("permissions boundary lh-no-athena", _allow("s3:ListBucket", "*"))
    assert _judged(rb, [LOOKUP], ANSWERS)[0] == []


def test_the_users_of_a_path_are_found_once_shortest_first() -> None:
    rb = stack(KEYS, extra=_assumable(KEYS))
    (edge,) = users_reached(analyst_actor(rb), rb.roles, {READER: []}, [OPS, OPS])[OPS]
    assert edge.source == rb.analyst_role_arn and edge.kind == "mints"


def test_a_reached_users_policies_are_read_through_iam_with_its_groups() -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        arn = iam.create_user(UserName="ops")["User"]["Arn"]
        iam.put_user_policy(UserName="ops", PolicyName="own", PolicyDocument=json.dumps(_doc(READ_PRIMARY)))
        iam.create_group(GroupName="analysts")
        iam.add_user_to_group(GroupName="analysts", UserName="ops")
        iam.put_group_policy(
            GroupName="analysts", PolicyName="shared", PolicyDocument=json.dumps(_doc(_allow("athena:*", "*")))
        )
        errors: list[str] = []
        target: Any = SimpleNamespace(client=lambda service: boto3.client(service, region_name="us-east-1"))
        found = read_reached_users(target, [arn, f"arn:aws:iam::{ACCOUNT}:user/gone"], errors)
    assert sorted(p.source for p in found[arn].identity or []) == [
        "inline policy own",
        "inline policy shared of group analysts",
    ]
    assert found[f"arn:aws:iam::{ACCOUNT}:user/gone"].identity == []
    assert len(errors) == 1 and "user arn:aws:iam::" in errors[0] and "gone" in errors[0]


def test_a_user_whose_policies_could_not_be_read_opens_nothing_but_the_check_errs_or_fails() -> None:
    rb = stack(KEYS)
    rb.users = [OPS]
    rb.user_infos = {OPS: UserInfo(OPS, [])}
    rb.read_errors.append(f"could not read the IAM policies of user {OPS}, which the analyst can act as: boom")
    assert judge_security(rb).status is Status.FAILED  # acting as the user is an escalation of its own
