"""Exit check 7: who else may read a Lambda receiver's secrets, by assuming a role that decrypts or as key admin.

Holes closed here:
- a role or user that may assume (sts:AssumeRole, through a chain of roles too) a role that decrypts the receiver's
  environment variables, the execution role itself included, reads them as that role, and the stack passed: each
  such case is now red, naming the principal and its path; a trust policy that does not let it in, or an IAM policy
  of the caller that does not allow AssumeRole where the trust names the account, keeps it out;
- key administrators (kms:PutKeyPolicy, kms:CreateGrant) may give themselves Decrypt: named in the evidence, with no
  verdict change (the console's default key policy gives its administrators just that: failing on them would make
  every console-made key red);
- ForAllValues:/ForAnyValue: on a key the request is known not to carry read "cannot be evaluated": they are decided
  as IAM decides them (ForAllValues true, ForAnyValue false).
Read back through moto (IAM roles, users, trust policies; KMS key policies and grants).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks.alert_delivery import read_function
from lakehouse.checks.lambda_env_key import judge_env_key
from lakehouse.checks.resource_policy import condition
from lakehouse.checks.role_paths import Actor, RoleInfo, reaching
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_lambda_env_key import ADMIN, _key, _lambda_grant, _receiver, account
from tests.unit.test_finops_lambda_env_key_readers import ENABLE_IAM, _decrypt, _document, _exposed

__all__ = ["account"]  # the moto account fixture of the receiver tests

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
FUNCTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/page-on-call"
#: The console's default key policy for key users: use of the key, and grants only for AWS resources.
KEY_USERS = [
    {
        "Sid": "Allow use of the key",
        "Effect": "Allow",
        "Principal": {"AWS": FUNCTION_ROLE},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
    },
    {
        "Sid": "Allow attachment of persistent resources",
        "Effect": "Allow",
        "Principal": {"AWS": FUNCTION_ROLE},
        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    },
]


def _trust(*principals: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def _role(account: Target, name: str, trust: dict[str, Any], *statements: dict[str, Any]) -> str:
    """A role of the account trusting as ``trust`` says, with one inline policy of ``statements`` (none: none)."""
    iam = account.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=_document(*statements))
    return arn


def _user(account: Target, name: str, *statements: dict[str, Any]) -> str:
    iam = account.client("iam")
    arn = str(iam.create_user(UserName=name)["User"]["Arn"])
    if statements:
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=_document(*statements))
    return arn


def _assume(resource: str = "*") -> dict[str, Any]:
    return {"Sid": "Assume", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}


def _healthy_receiver(account: Target, *statements: dict[str, Any]) -> tuple[str, str, str]:
    """A receiver whose key policy is ``statements`` (with the admins') and whose role decrypts through Lambda's
    grant: (key, function, role)."""
    key = _key(account, *statements)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    return key, function, role


# -- assuming a role that decrypts ------------------------------------------------------------------------------


def test_the_function_role_alone_and_roles_that_read_nothing_keep_the_secrets_the_roles(account: Target) -> None:
    """Healthy twin: the execution role trusts Lambda alone and decrypts through Lambda's grant; role worker may
    assume any role, but the one trusting the account (idle) reads nothing; user dev has no policy."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    lambda_only = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    _role(account, "worker", lambda_only, _assume())
    _role(account, "idle", _trust(ROOT))
    _user(account, "dev")
    assert _exposed(account, function) == []


def test_a_user_who_may_assume_a_role_that_decrypts_reads_the_secrets(account: Target) -> None:
    """Broken: role nightly decrypts through its IAM policies; its trust names the account and user dev's IAM
    policy allows AssumeRole on it, so dev reads the paging token as nightly."""
    key, function, role = _healthy_receiver(account, ENABLE_IAM)
    nightly = _role(account, "nightly", _trust(ROOT), {**_decrypt(key), "Sid": "Nightly"})
    dev = _user(account, "dev", _assume(nightly))
    (problem,) = _exposed(account, function)
    assert (
        f"user {dev} may become role {nightly}, which may decrypt (user dev -> role nightly (assumes it: statement #1 "
        f"of the trust policy of nightly (Principal {ROOT} (the account: the role's identity policies decide)); "
        f"statement Assume of inline policy dev-policy allows sts:AssumeRole on {nightly}))"
    ) in problem
    # A Deny of AssumeRole on nightly in dev's own policy keeps dev out; nightly itself still reads.
    deny = {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": nightly}
    account.client("iam").put_user_policy(UserName="dev", PolicyName="no-nightly", PolicyDocument=_document(deny))
    (problem,) = _exposed(account, function)
    assert f"role {nightly} through its IAM policies" in problem and "user dev" not in problem


def test_a_chain_of_roles_to_a_role_the_key_policy_names_reads_the_secrets(account: Target) -> None:
    """Broken: the key policy names role auditor (no IAM delegation at all); role hop may assume auditor (trusted by
    name) and user dev may assume hop: dev reads through two roles."""
    auditor = f"arn:aws:iam::{ACCOUNT}:role/auditor"
    hop = f"arn:aws:iam::{ACCOUNT}:role/hop"
    _, function, _ = _healthy_receiver(account, _decrypt(Principal={"AWS": auditor}))
    dev = _user(account, "dev")
    _role(account, "auditor", _trust(hop))
    _role(account, "hop", _trust(dev))
    problems = _exposed(account, function)
    assert len(problems) == 1
    assert (
        f"role {hop} may become role {auditor}, which may decrypt (role hop -> role auditor (assumes it" in problems[0]
    )
    assert f"user {dev} may become role {auditor}, which may decrypt (user dev -> role hop (assumes it" in problems[0]
    assert "-> role auditor (assumes it: statement #1 of the trust policy of auditor (Principal" in problems[0]


def test_a_role_that_may_assume_the_execution_role_reads_the_secrets(account: Target) -> None:
    """Broken: the receiver's own role trusts role debugger besides Lambda; the key policy leaves nothing to IAM
    and names nobody else, so only the assume path lets debugger read the paging token."""
    _, function, role = _healthy_receiver(account)
    debugger = _role(account, "debugger", _trust(ROOT))
    trust = _trust(debugger)
    trust["Statement"].append(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    account.client("iam").update_assume_role_policy(RoleName="page-on-call", PolicyDocument=json.dumps(trust))
    (problem,) = _exposed(account, function)
    assert f"role {debugger} may become role {role}, which may decrypt (role debugger -> role page-on-call" in problem


def test_reaching_stops_at_its_hop_bound() -> None:
    """A chain longer than ``max_hops`` roles is not followed (the search is bounded), a shorter one is."""
    arns = [f"arn:aws:iam::{ACCOUNT}:role/r{i}" for i in range(4)]
    roles = {arn: RoleInfo(arn, _trust(arns[i + 1]) if i < 3 else {}, [], None) for i, arn in enumerate(arns)}
    actors = [Actor(arn, [], None) for arn in arns]
    assert sorted(reaching([arns[0]], actors, ACCOUNT, roles, max_hops=3)) == arns[1:]
    assert sorted(reaching([arns[0]], actors, ACCOUNT, roles, max_hops=2)) == arns[1:3]


# -- key administrators -----------------------------------------------------------------------------------------


def _administrators(account: Target, function: str) -> list[str]:
    read = read_function(account.client("lambda"), function)
    judge_env_key(account, read)
    return read.env_key_administrators


def test_a_console_default_key_policy_names_its_administrators_and_fails_on_none(account: Target) -> None:
    """Healthy twin: the console's default key policy (root enables IAM, key administrators, the function role as
    key user with grants for AWS resources only): nobody else reads; the administrators, by the key policy or by
    IAM where the root statement leaves it to IAM, are named in the evidence as able to grant themselves Decrypt."""
    key, function, _ = _healthy_receiver(account, ENABLE_IAM, *KEY_USERS)
    admin = _role(account, "admin", _trust(ROOT))
    keeper = _role(account, "keeper", _trust(ROOT), {"Effect": "Allow", "Action": "kms:PutKeyPolicy", "Resource": key})
    assert _exposed(account, function) == []
    assert _administrators(account, function) == [
        f"KMS key {key} of Lambda function page-on-call's environment variables: may grant themselves Decrypt: "
        f"{admin} via kms:PutKeyPolicy, kms:CreateGrant (key policy statement Admins)",
        f"KMS key {key} of Lambda function page-on-call's environment variables: may grant themselves Decrypt: "
        f"role {keeper} via kms:PutKeyPolicy (statement #0 of inline policy keeper-policy, which key policy "
        "statement Enable IAM User Permissions leaves to it)",
    ]


def test_create_grant_limited_to_other_operations_or_aws_resources_grants_no_decrypt(account: Target) -> None:
    """Healthy twin: CreateGrant only for Encrypt grants (ForAllValues on kms:GrantOperations) or only for AWS
    resources (kms:GrantIsForAWSResource) lets no principal give itself Decrypt; for Decrypt it does."""
    granter = f"arn:aws:iam::{ACCOUNT}:role/granter"
    encrypt_only = {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "GenerateDataKey"]}}
    statement = {"Sid": "Grants", "Effect": "Allow", "Principal": {"AWS": granter}, "Action": "kms:CreateGrant"}
    key, function, _ = _healthy_receiver(account, {**statement, "Condition": encrypt_only}, {**KEY_USERS[1]})
    without_admin = [a for a in _administrators(account, function) if "role/admin" not in a]
    assert without_admin == []
    decrypt_too = {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt"]}}
    policy = _document(ADMIN, {**statement, "Condition": decrypt_too})
    account.client("kms").put_key_policy(KeyId=key, PolicyName="default", Policy=policy)
    (named,) = [a for a in _administrators(account, function) if "role/admin" not in a]
    assert named.endswith(f"may grant themselves Decrypt: {granter} via kms:CreateGrant (key policy statement Grants)")


# -- set operators on a key the request lacks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "holds"),
    [
        ("ForAllValues:StringEquals", True),
        ("ForAllValues:StringNotLike", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotEquals", False),
        ("ForAnyValue:StringEqualsIfExists", True),
    ],
)
def test_a_set_operator_on_a_key_the_request_lacks_is_decided_as_iam_decides_it(operator: str, holds: bool) -> None:
    """IAM User Guide, "Single-valued vs. multivalued context keys" (Set operators): ForAllValues is true when the
    request has no value for the key, ForAnyValue false; ...IfExists is true on a missing key whatever the set."""
    statement = {"Condition": {operator: {"aws:SourceVpce": ["vpce-1"]}}}
    assert condition(statement, {"aws:sourcevpce": None}) is holds
    assert condition(statement, {}) is None  # not known: the request's own
    carried = condition(statement, {"aws:sourcevpce": "vpce-1"})
    assert carried is ("Not" not in operator)  # one value: the plain operator's answer


def test_a_key_policy_statement_under_for_any_value_on_a_missing_key_lets_nobody_read(account: Target) -> None:
    """Healthy twin (was a false red, "cannot be evaluated"): the auditor may decrypt only under ForAnyValue on
    kms:ViaService S3, which neither a direct call nor one through Lambda carries; under ForAllValues the direct
    call (no kms:ViaService) holds it, and the auditor reads, named with no hedge."""
    auditor = f"arn:aws:iam::{ACCOUNT}:role/auditor"
    via_s3 = {"kms:ViaService": "s3.ap-northeast-1.amazonaws.com"}
    key, function, _ = _healthy_receiver(
        account, _decrypt(Principal={"AWS": auditor}, Condition={"ForAnyValue:StringEquals": via_s3})
    )
    assert _exposed(account, function) == []
    policy = _document(ADMIN, _decrypt(Principal={"AWS": auditor}, Condition={"ForAllValues:StringEquals": via_s3}))
    account.client("kms").put_key_policy(KeyId=key, PolicyName="default", Policy=policy)
    (problem,) = _exposed(account, function)
    assert f"key policy statement ReadSecrets allows {auditor} kms:Decrypt (its secrets" in problem
