"""Exit check 6 judges S3 Object Lambda Access Points whose listing transformation lists as the function's role.

The broken stack main passed: the analyst may call ``s3-object-lambda:ListBucket`` on an Object Lambda Access Point
(its IAM, or the point's policy) whose ``ListObjectsV2`` transformation runs a function as a role that may list the
Gold bucket, where a table partitioned by ``ssn`` sits. The analyst itself may list nothing, so every route main
judged (the bucket, its access points) was closed. The healthy twins: the point transforms ``GetObject`` only (a
listing goes through as the caller); the function's role may list nothing of the lake; the analyst may not call the
point (no Allow, or a Deny); the function is gone.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lakehouse.checks.hidden_values import MASK
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.key_lambdas import (
    ObjectLambdaPoint,
    PointFunction,
    listing_functions,
    read_point_functions,
)
from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback

from .test_security import ACCOUNT, ANALYST, OTHER
from .test_security_key_names import CLEAN, GOLD, PARTITIONED, _lake, _list, _policy

OLAP_ARN = f"arn:aws:s3-object-lambda:ap-northeast-1:{ACCOUNT}:accesspoint/gold-view"
SUPPORTING = f"arn:aws:s3:ap-northeast-1:{ACCOUNT}:accesspoint/gold-share"
FUNCTION = f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:list-view"
LISTER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lh-list-view"


def _call(principal: Any = None, sid: str = "View", **more: Any) -> dict[str, Any]:
    """An Allow of ``s3-object-lambda:ListBucket`` on the Object Lambda Access Point."""
    found = {"Sid": sid, "Effect": "Allow", "Action": "s3-object-lambda:ListBucket", "Resource": OLAP_ARN, **more}
    return found | ({"Principal": principal} if principal is not None else {})


def _with_point(
    keys: list[str],
    *analyst: dict[str, Any],
    policy: list[dict[str, Any]] | None = None,
    role: list[dict[str, Any]] | None = None,
    **function: Any,
) -> SecurityReadback:
    """The lake with ``keys`` in Gold, the analyst's extra ``analyst`` statements, and Object Lambda Access Point
    gold-view (``policy``) whose ListObjectsV2 function runs as a role allowed ``role`` (default: list Gold)."""
    rb = _lake(keys, *analyst)
    document = {"Version": "2012-10-17", "Statement": policy} if policy else None
    statements = [_list(sid="FunctionLists")] if role is None else role
    runs = PointFunction(
        FUNCTION,
        ("ListObjectsV2",),
        LISTER_ROLE,
        [_policy(*statements, source="inline policy list-view")] if statements else [],
        None,
    )
    for key, value in function.items():
        setattr(runs, key, value)
    rb.object_lambdas = [ObjectLambdaPoint("gold-view", OLAP_ARN, SUPPORTING, document, [runs])]
    return rb


def _problems(rb: SecurityReadback) -> list[str]:
    return list(judge_security(rb).details["problems"]["key_names"])


# -- the broken stacks ---------------------------------------------------------------------------------


def test_an_analyst_calling_a_listing_object_lambda_point_whose_role_lists_ssn_folders_fails() -> None:
    result = judge_security(_with_point(PARTITIONED, _call()))
    assert not result.passed
    problems = result.details["problems"]["key_names"]
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        "the analyst role may call s3-object-lambda:ListBucket on Object Lambda Access Point gold-view (statement "
        f"View of inline policy browse-lake allows it), whose ListObjectsV2 transformation runs function {FUNCTION} "
        f"and answers with what it lists: its role {LISTER_ROLE} may list lake bucket {GOLD}: statement FunctionLists "
        "of inline policy list-view allows s3:ListBucket"
    ), problems
    assert f"s3://{GOLD}/users_by_ssn/data/{MASK}/" in problems[0] and "123-45" not in json.dumps(result.details)
    listed = [
        e for e in result.details["key_names"]["statements_allowing_listing"] if "object_lambda_access_point" in e
    ]
    assert listed and listed[0]["role"] == LISTER_ROLE and listed[0]["callers"] == ["the analyst role"]


@pytest.mark.parametrize(
    "statement",
    [_call(principal={"AWS": ANALYST}), _call(principal="*"), _call(principal={"AWS": ANALYST}, Action="*")],
    ids=["analyst", "everyone", "every-action"],
)
def test_the_point_policy_naming_the_analyst_lets_it_list_through(statement: dict[str, Any]) -> None:
    problems = [p for p in _problems(_with_point(PARTITIONED, policy=[statement])) if "outside account" not in p]
    assert len(problems) == 1 and problems[0].startswith("the analyst role may call s3-object-lambda:ListBucket")
    assert "statement View of the policy of Object Lambda Access Point gold-view" in problems[0]


def test_another_account_named_by_the_point_policy_lists_through_it() -> None:
    problems = _problems(_with_point(PARTITIONED, policy=[_call(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})]))
    assert len(problems) == 1 and problems[0].startswith(
        f"AWS arn:aws:iam::{OTHER}:root, outside account {ACCOUNT}, may call s3-object-lambda:ListBucket"
    ), problems


def test_a_role_the_analyst_can_act_as_calling_the_point_fails() -> None:
    rb = _with_point(PARTITIONED)
    browser = f"arn:aws:iam::{ACCOUNT}:role/lh-browser"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "*"}]}
    rb.roles = {browser: RoleInfo(browser, trust, [_policy(_call(), source="inline policy view")])}
    problems = _problems(rb)
    assert len(problems) == 1 and problems[0].startswith("role lh-browser, which the analyst role can act as"), problems


def test_a_function_whose_role_cannot_be_read_errs() -> None:
    rb = _with_point(PARTITIONED, _call(), identity=None, error="it belongs to account 210987654321")
    result = judge_security(rb)
    assert result.status.value == "error"
    assert "Object Lambda Access Point gold-view" in str(result.reason) and "was not judged" in str(result.reason)


# -- the healthy twins ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "analyst", "policy", "role", "function"),
    [
        (CLEAN, [_call()], None, None, {}),  # the function lists, the keys are clean
        (PARTITIONED, [_call()], None, [], {}),  # its role may list nothing
        (PARTITIONED, [_call()], None, [_list(sid="Orders", Condition={"StringLike": {"s3:prefix": "orders/*"}})], {}),
        (PARTITIONED, [], None, None, {}),  # the analyst may not call the point
        (PARTITIONED, [], [_call(principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"})], None, {}),
        (PARTITIONED, [_call()], [_call(principal="*", sid="No", Effect="Deny")], None, {}),
        (PARTITIONED, [_call()], None, None, {"gone": True, "identity": None}),
    ],
    ids=["clean-keys", "role-lists-nothing", "role-lists-orders", "no-call", "pipeline-only", "deny", "gone"],
)
def test_a_listing_object_lambda_point_that_shows_no_value_passes(
    keys: list[str],
    analyst: list[dict[str, Any]],
    policy: list[dict[str, Any]] | None,
    role: list[dict[str, Any]] | None,
    function: dict[str, Any],
) -> None:
    result = judge_security(_with_point(keys, *analyst, policy=policy, role=role, **function))
    assert result.passed, result.reason


def test_a_point_transforming_get_object_only_has_no_listing_function() -> None:
    configuration = {
        "SupportingAccessPoint": SUPPORTING,
        "TransformationConfigurations": [
            {"Actions": ["GetObject", "HeadObject"], "ContentTransformation": {"AwsLambda": {"FunctionArn": FUNCTION}}}
        ],
    }
    assert listing_functions(configuration) == []
    configuration["TransformationConfigurations"].append(
        {"Actions": ["ListObjects", "ListObjectsV2"], "ContentTransformation": {"AwsLambda": {"FunctionArn": FUNCTION}}}
    )
    assert listing_functions(configuration) == [PointFunction(FUNCTION, ("ListObjects", "ListObjectsV2"))]


# -- reading -------------------------------------------------------------------------------------------


@mock_aws
def test_reading_functions_finds_their_roles_and_keeps_what_cannot_be_read() -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="lh-list-view", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    account = role.split(":")[4]
    client = boto3.client("lambda", region_name="us-east-1")
    mine = client.create_function(
        FunctionName="list-view",
        Role=role,
        Runtime="python3.12",
        Handler="x.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )["FunctionArn"]
    gone = mine.replace("list-view", "gone-view")
    foreign = mine.replace(account, OTHER)
    point = ObjectLambdaPoint(
        "p", OLAP_ARN, SUPPORTING, None, [PointFunction(a, ("ListObjectsV2",)) for a in (mine, gone, foreign)]
    )
    policy = Policy.parse("inline policy x", {"Version": "2012-10-17", "Statement": []})
    read_point_functions(client, [point], account, lambda arn: ([policy], None))
    runs, missing, other = point.functions
    assert (runs.role, runs.identity, runs.error) == (role, [policy], None)
    assert missing.gone and missing.error is None
    assert other.error is not None and f"account {OTHER}" in other.error
