"""Exit check 6 judges S3 Object Lambda Access Points whose GetObject/HeadObject function reads as its own role.

The broken stack main passed: the analyst may call ``s3-object-lambda:GetObject`` on an Object Lambda Access Point
(its IAM, or the point's policy) whose ``GetObject`` transformation runs a function as a role that may
``s3:GetObject`` the Silver bucket's files (or, by Gold's bucket policy, Gold's). The function's code is not read: it
may fetch any object its role may read and answer with the bytes, so the analyst reads ssn; the analyst itself
reads nothing of the lake. The healthy twins: the function's role reads nothing of the lake; the analyst may not
call the point (no Allow, a Deny, a policy naming only the pipeline); the function is gone; the point transforms
listings only (an object read goes through as the caller).
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.key_lambdas import ObjectLambdaPoint, PointFunction
from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback

from .test_security import ACCOUNT, ANALYST, BUCKETS, OTHER, healthy
from .test_security_key_names import CLEAN, _lake, _policy

OLAP_ARN = f"arn:aws:s3-object-lambda:ap-northeast-1:{ACCOUNT}:accesspoint/gold-redact"
SUPPORTING = f"arn:aws:s3:ap-northeast-1:{ACCOUNT}:accesspoint/gold-share"
FUNCTION = f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:redact"
READER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lh-redact"
SILVER = BUCKETS["silver"]


def _get(principal: Any = None, sid: str = "Redacted", **more: Any) -> dict[str, Any]:
    """An Allow of ``s3-object-lambda:GetObject`` on the Object Lambda Access Point."""
    found = {"Sid": sid, "Effect": "Allow", "Action": "s3-object-lambda:GetObject", "Resource": OLAP_ARN, **more}
    return found | ({"Principal": principal} if principal is not None else {})


def _read(resource: str = f"arn:aws:s3:::{SILVER}/*", sid: str = "FunctionReads") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}


def _with_point(
    *analyst: dict[str, Any],
    policy: list[dict[str, Any]] | None = None,
    role: list[dict[str, Any]] | None = None,
    actions: tuple[str, ...] = ("GetObject",),
    keys: list[str] | None = None,
    **function: Any,
) -> SecurityReadback:
    """The healthy lake (Gold's keys ``keys``: clean by default), the analyst's extra ``analyst`` statements, and
    Object Lambda Access Point gold-redact (``policy``) whose ``actions`` function runs as a role allowed ``role``
    (default: read Silver's files)."""
    rb = _lake(CLEAN if keys is None else keys, *analyst)
    document = {"Version": "2012-10-17", "Statement": policy} if policy else None
    statements = [_read()] if role is None else role
    runs = PointFunction(
        FUNCTION,
        actions,
        READER_ROLE,
        [_policy(*statements, source="inline policy redact")] if statements else [],
        None,
    )
    for key, value in function.items():
        setattr(runs, key, value)
    rb.object_lambdas = [ObjectLambdaPoint("gold-redact", OLAP_ARN, SUPPORTING, document, [runs])]
    return rb


def _problems(rb: SecurityReadback) -> list[str]:
    return [p for p in judge_security(rb).details["problems"]["other_routes"] if "Object Lambda" in p]


# -- the broken stacks ---------------------------------------------------------------------------------


def test_an_analyst_getting_through_a_point_whose_function_role_reads_silver_fails() -> None:
    result = judge_security(_with_point(_get()))
    assert not result.passed
    problems = _problems(_with_point(_get()))
    assert problems and problems[0].startswith(
        "the analyst role may call s3-object-lambda:GetObject on Object Lambda Access Point gold-redact (statement "
        f"Redacted of inline policy browse-lake allows it), whose GetObject transformation runs function {FUNCTION} "
        f"and answers with what it reads: its role {READER_ROLE} "
    ), problems
    assert all(SILVER in p for p in problems), problems
    assert str(result.reason).startswith("the analyst role may call s3-object-lambda:GetObject")
    evidence = result.details["object_lambda_reads"]
    assert evidence and evidence[0]["role"] == READER_ROLE and evidence[0]["callers"] == ["the analyst role"]


def test_a_head_object_transformation_counts_too() -> None:
    problems = _problems(_with_point(_get(), actions=("HeadObject",)))
    assert problems and "whose HeadObject transformation runs function" in problems[0], problems


def test_a_bucket_policy_naming_the_function_role_opens_gold_to_it() -> None:
    rb = _with_point(_get(), role=[])
    gold = BUCKETS["gold"]
    named = {**_read(f"arn:aws:s3:::{gold}/*", "RedactReads"), "Principal": {"AWS": READER_ROLE}}
    document = rb.bucket_policies[gold] or {}
    rb.bucket_policies[gold] = {**document, "Statement": [*document["Statement"], named]}
    problems = _problems(rb)
    assert problems and f"its role {READER_ROLE}" in problems[0] and gold in problems[0], problems


@pytest.mark.parametrize(
    "statement",
    [
        _get(principal={"AWS": ANALYST}),
        _get(principal={"AWS": ANALYST}, Resource=f"{OLAP_ARN}/object/*"),
        _get(principal="*", Action="s3-object-lambda:*"),
    ],
    ids=["analyst", "object-resource", "everyone"],
)
def test_the_point_policy_naming_the_analyst_lets_it_get_through(statement: dict[str, Any]) -> None:
    problems = [p for p in _problems(_with_point(policy=[statement])) if "outside account" not in p]
    assert problems and problems[0].startswith("the analyst role may call s3-object-lambda:GetObject"), problems
    assert "statement Redacted of the policy of Object Lambda Access Point gold-redact" in problems[0]


def test_another_account_named_by_the_point_policy_gets_through_it() -> None:
    problems = _problems(_with_point(policy=[_get(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})]))
    assert problems and problems[0].startswith(
        f"AWS arn:aws:iam::{OTHER}:root, outside account {ACCOUNT}, may call s3-object-lambda:GetObject"
    ), problems


def test_a_role_the_analyst_can_act_as_calling_the_point_fails() -> None:
    rb = _with_point()
    viewer = f"arn:aws:iam::{ACCOUNT}:role/lh-viewer"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "*"}]}
    rb.roles = {viewer: RoleInfo(viewer, trust, [_policy(_get(), source="inline policy view")])}
    problems = [p for p in judge_security(rb).details["problems"]["other_routes"] if "Object Lambda" in p]
    assert problems and problems[0].startswith("role lh-viewer, which the analyst role can act as"), problems


def test_a_function_whose_role_cannot_be_read_errs() -> None:
    result = judge_security(_with_point(_get(), identity=None, error="it belongs to account 210987654321"))
    assert result.status.value == "error"
    assert "Object Lambda Access Point gold-redact" in str(result.reason)
    assert "what that function may read was not judged" in str(result.reason)


# -- the healthy twins ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("analyst", "policy", "role", "actions", "function"),
    [
        ([_get()], None, [], ("GetObject",), {}),  # its role reads nothing
        ([_get()], None, [_read("arn:aws:s3:::lh-images-1/*")], ("GetObject",), {}),  # only a bucket out of the lake
        ([], None, None, ("GetObject",), {}),  # the analyst may not call the point
        ([], [_get(principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"})], None, ("GetObject",), {}),
        ([_get()], [_get(principal="*", sid="No", Effect="Deny")], None, ("GetObject",), {}),
        ([_get()], None, None, ("GetObject",), {"gone": True, "identity": None}),
        ([_get()], None, None, ("ListObjectsV2",), {}),  # the function answers listings of clean keys only
    ],
    ids=["role-reads-nothing", "role-reads-images", "no-call", "pipeline-only", "deny", "gone", "listing-only"],
)
def test_an_object_lambda_point_whose_function_reads_nothing_hidden_passes(
    analyst: list[dict[str, Any]],
    policy: list[dict[str, Any]] | None,
    role: list[dict[str, Any]] | None,
    actions: tuple[str, ...],
    function: dict[str, Any],
) -> None:
    result = judge_security(_with_point(*analyst, policy=policy, role=role, actions=actions, **function))
    assert result.passed, result.reason


def test_the_healthy_lake_still_passes() -> None:
    assert judge_security(healthy()).passed
