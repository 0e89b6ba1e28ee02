"""Exit check 7: a Lambda receiver's secrets read by becoming a decrypting role other than by sts:AssumeRole.

The hole closed here: key readers followed sts:AssumeRole alone, so a principal of the account that may
iam:UpdateAssumeRolePolicy on the execution role (it then trusts itself), lambda:UpdateFunctionCode or
UpdateFunctionConfiguration the receiver or another function running as a decrypting role (its code runs as the role),
or iam:PassRole the role together with lambda:CreateFunction (a new function runs as it) read the paging token and the
stack passed. Each is now red, naming the principal and its path (``role_paths`` edges retrusts, runs, passes).
PassRole alone runs nothing and stays green, as does a Deny of the edge's action, rights on a function running as a
role that decrypts nothing, and the harness's own checker policies.
Read back through moto (IAM roles, users and policies; Lambda ListFunctions; KMS key policies and grants).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.iam_access import Policy
from lakehouse.checks.role_paths import Actor, RoleInfo, reaching
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_lambda_env_key import _zip, account
from tests.unit.test_finops_lambda_env_key_assumers import ROOT, _healthy_receiver, _role, _trust, _user
from tests.unit.test_finops_lambda_env_key_readers import ENABLE_IAM, _decrypt, _exposed

__all__ = ["account"]  # the moto account fixture of the receiver tests

FUNCTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/page-on-call"
#: The harness's own policies on aws (read-only checks, and what its write steps may do).
CHECKER_POLICIES = [
    Path(__file__).parents[2] / "docs" / name for name in ("checker-policy.json", "checker-policy-write.json")
]


def _allow(action: str | list[str], resource: str | list[str], sid: str = "Edge") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def _deny(action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": "Closed", "Effect": "Deny", "Action": action, "Resource": resource}


# -- broken: each edge onto the execution role ------------------------------------------------------------------


def test_a_user_who_may_rewrite_the_execution_roles_trust_reads_the_secrets(account: Target) -> None:
    """Broken: the key policy names nobody else and leaves nothing to IAM; user dev may UpdateAssumeRolePolicy on
    page-on-call, make it trust dev, assume it and decrypt."""
    _, function, role = _healthy_receiver(account)
    dev = _user(account, "dev", _allow("iam:UpdateAssumeRolePolicy", role))
    (problem,) = _exposed(account, function)
    assert (
        f"user {dev} may become role {role}, which may decrypt (user dev -> role page-on-call (may rewrite its trust "
        f"policy to trust itself: statement Edge of inline policy dev-policy allows iam:UpdateAssumeRolePolicy on "
        f"{role}))"
    ) in problem


@pytest.mark.parametrize("action", ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"])
def test_a_role_that_may_rewrite_the_receiver_reads_the_secrets(account: Target, action: str) -> None:
    """Broken: role deployer may replace the receiver's code (or its layers and handler): the new code runs as
    page-on-call and reads its variables; no PassRole needed."""
    _, function, role = _healthy_receiver(account)
    deployer = _role(account, "deployer", _trust(ROOT), _allow(action, function))
    (problem,) = _exposed(account, function)
    assert (
        f"role {deployer} may become role {role}, which may decrypt (role deployer -> role page-on-call (may replace "
        f"the code of a function that runs as it: statement Edge of inline policy deployer-policy allows {action} on "
        f"{function}; function {function} runs as it))"
    ) in problem


def test_rewriting_another_function_running_as_the_execution_role_reads_the_secrets(account: Target) -> None:
    """Broken: function page-backup runs as page-on-call too (ListFunctions); user dev may replace its code only."""
    _, function, role = _healthy_receiver(account)
    backup = _second_function(account, "page-backup", role)
    dev = _user(account, "dev", _allow("lambda:UpdateFunctionCode", backup))
    (problem,) = _exposed(account, function)
    assert (
        f"user {dev} may become role {role}, which may decrypt (user dev -> role page-on-call (may replace " in problem
    )
    assert f"on {backup}; function {backup} runs as it))" in problem


def test_passing_the_execution_role_to_a_function_one_may_create_reads_the_secrets(account: Target) -> None:
    """Broken: user dev may PassRole page-on-call and CreateFunction, under a name pattern only: a new function runs as
    the role."""
    _, function, role = _healthy_receiver(account)
    scratch = f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:scratch-*"
    dev = _user(account, "dev", _allow("iam:PassRole", role, "Pass"), _allow("lambda:CreateFunction", scratch, "New"))
    (problem,) = _exposed(account, function)
    assert (
        f"user {dev} may become role {role}, which may decrypt (user dev -> role page-on-call (may pass it to a "
        f"service that runs as it: statement Pass of inline policy dev-policy allows iam:PassRole on {role}; it trusts "
        "lambda.amazonaws.com; statement New of inline policy dev-policy allows lambda:CreateFunction on "
        f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:scratch-lakehouse-escalation-probe))"
    ) in problem


def test_a_chain_through_a_role_that_may_retrust_reads_the_secrets(account: Target) -> None:
    """Broken: user dev may assume role hop (trusted by name), and hop may rewrite page-on-call's trust."""
    _, function, role = _healthy_receiver(account)
    dev = f"arn:aws:iam::{ACCOUNT}:user/dev"
    hop = _role(account, "hop", _trust(dev), _allow("iam:UpdateAssumeRolePolicy", role))
    _user(account, "dev")
    (problem,) = _exposed(account, function)
    assert (
        f"role {hop} may become role {role}, which may decrypt (role hop -> role page-on-call (may rewrite" in problem
    )
    assert f"user {dev} may become role {role}, which may decrypt (user dev -> role hop (assumes it: " in problem
    assert " -> role page-on-call (may rewrite its trust policy to trust itself: " in problem


def test_rewriting_the_function_of_another_decrypting_role_reads_the_secrets(account: Target) -> None:
    """Broken: role nightly decrypts through its IAM policies (the key policy enables IAM) and runs function
    nightly; user dev may only replace that function's code, which then decrypts as nightly."""
    key, function, _ = _healthy_receiver(account, ENABLE_IAM)
    nightly = _role(account, "nightly", _lambda_trust(), {**_decrypt(key), "Sid": "Nightly"})
    job = _second_function(account, "nightly", nightly)
    dev = _user(account, "dev", _allow("lambda:UpdateFunctionCode", job))
    (problem,) = _exposed(account, function)
    assert f"role {nightly} through its IAM policies" in problem
    assert f"user {dev} may become role {nightly}, which may decrypt (user dev -> role nightly (may replace" in problem


# -- healthy twins ------------------------------------------------------------------------------------------------


def test_rights_on_a_function_of_a_role_that_reads_nothing_keep_the_secrets_the_roles(account: Target) -> None:
    """Healthy twin: role builder may do anything to function reports (whose role decrypts nothing) and pass its
    role to new functions; nothing of page-on-call."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    reports = _role(account, "reports", _lambda_trust())
    other = _second_function(account, "reports", reports)
    _role(account, "builder", _trust(ROOT), _allow("lambda:*", other), _allow("iam:PassRole", reports, "Pass"))
    assert _exposed(account, function) == []


@pytest.mark.parametrize(
    "statements",
    [
        [_allow("iam:PassRole", FUNCTION_ROLE)],  # PassRole alone runs nothing
        [
            _allow("iam:PassRole", FUNCTION_ROLE),
            _allow("lambda:Create*", "*", "New"),
            _deny("lambda:CreateFunction", "*"),
        ],
        [_allow("iam:PassRole", FUNCTION_ROLE), _allow("glue:CreateJob", "*", "Glue")],  # the role trusts Lambda only
        [_allow("lambda:*", "*"), _deny(["lambda:UpdateFunction*", "lambda:CreateFunction"], "*")],
        [
            _allow(["iam:UpdateAssumeRolePolicy", "iam:PassRole", "lambda:CreateFunction"], "*"),
            _deny("iam:*", FUNCTION_ROLE),
        ],
    ],
    ids=["pass-alone", "create-denied", "other-service", "update-denied", "retrust-denied"],
)
def test_an_edge_its_policies_deny_keeps_the_secrets_the_roles(account: Target, statements: list[Any]) -> None:
    """Healthy twins: each edge's action missing, or denied (role page-on-call trusts Lambda alone)."""
    _, function, _ = _healthy_receiver(account)
    _user(account, "dev", *statements)
    assert _exposed(account, function) == []


def test_an_edge_outside_the_permissions_boundary_keeps_the_secrets_the_roles(account: Target) -> None:
    """Healthy twin: role dev's policy allows lambda:* but its boundary allows no Lambda action; without the
    boundary dev is red (the same stack)."""
    _, function, _ = _healthy_receiver(account)
    iam = account.client("iam")
    dev = _role(account, "dev", _trust(ROOT), _allow("lambda:*", "*"))
    boundary = iam.create_policy(PolicyName="no-lambda", PolicyDocument=json.dumps(_doc(_allow("glue:*", "*"))))
    iam.put_role_permissions_boundary(RoleName="dev", PermissionsBoundary=boundary["Policy"]["Arn"])
    assert _exposed(account, function) == []
    iam.delete_role_permissions_boundary(RoleName="dev")
    (problem,) = _exposed(account, function)
    assert f"role {dev} may become role {FUNCTION_ROLE}" in problem


def test_the_harness_checker_policies_read_no_secrets(account: Target) -> None:
    """Healthy twin (no false red on aws): a role with the checker's read and write policies (sts:AssumeRole on *,
    reaping IAM, ...) trusted by the account becomes no decrypting role."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    iam = account.client("iam")
    iam.create_role(RoleName="lakehouse-checker", AssumeRolePolicyDocument=json.dumps(_trust(ROOT)))
    for path in CHECKER_POLICIES:
        iam.put_role_policy(RoleName="lakehouse-checker", PolicyName=path.stem, PolicyDocument=path.read_text())
    assert _exposed(account, function) == []


# -- role_paths: passing needs a launch where asked ---------------------------------------------------------------


def test_passing_needs_a_launch_only_where_asked_and_an_unknown_service_counts() -> None:
    """Exit check 6 counts PassRole alone; exit check 7 (``launch``) asks for the service's launch action too, and
    counts a service whose launch actions it does not know."""
    glue = f"arn:aws:iam::{ACCOUNT}:role/glue-job"
    batch = f"arn:aws:iam::{ACCOUNT}:role/batch-job"
    roles = {
        glue: RoleInfo(glue, _service_trust("glue.amazonaws.com"), [], None),
        batch: RoleInfo(batch, _service_trust("batch.example.amazonaws.com"), [], None),
    }
    passer = Actor(
        f"arn:aws:iam::{ACCOUNT}:user/dev", [Policy.parse("inline policy p", _doc(_allow("iam:PassRole", "*")))], None
    )
    assert sorted(reaching([glue], [passer], ACCOUNT, roles, kinds=("passes",))) == [passer.arn]
    assert reaching([glue], [passer], ACCOUNT, roles, kinds=("passes",), launch=True) == {}
    (edge,) = reaching([batch], [passer], ACCOUNT, roles, kinds=("passes",), launch=True)[passer.arn]
    assert (
        edge.via[-1]
        == "no action of batch.example.amazonaws.com is known to the check: PassRole to it counted on its own"
    )


# -- helpers ------------------------------------------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _service_trust(service: str) -> dict[str, Any]:
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def _lambda_trust() -> dict[str, Any]:
    return _service_trust("lambda.amazonaws.com")


def _second_function(account: Target, name: str, role: str) -> str:
    """Another function of the region running as ``role`` (no variables, no key): its ARN."""
    made = account.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler", Code={"ZipFile": _zip()}
    )
    return str(made["FunctionArn"])
