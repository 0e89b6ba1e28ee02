"""Exit check 7: a Lambda alert receiver's secrets readable by principals of its own account besides its role.

The hole closed here: the check read who outside the function's account may decrypt its environment variables,
and no more, so another role or user of the account, named by the key policy or a grant, or let in by its own IAM
policies where the key policy enables IAM for the account, read the paging token and the stack passed. Each
broken case is red naming the principal; the account root statement every default key policy carries lets nobody
in on its own, nor does a service-linked role (its service's), a Deny shown to apply, or a condition shown false.

Also: a condition key the request is known not to carry decides its test (IAM: a positive operator is false, a
negated one true, ...IfExists true, Null as it asks), where it read "cannot be evaluated" and leaned red.
Read back through moto (IAM roles, users, groups and their policies; KMS key policies and grants).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks.iam_access import Policy
from lakehouse.checks.key_readers import AccountPrincipal, iam_allows
from lakehouse.checks.resource_policy import condition
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_lambda_env_key import (
    ADMIN,
    _grant,
    _heard,
    _judged,
    _key,
    _lambda_grant,
    _receiver,
    account,
)

__all__ = ["account"]  # the moto account fixture of the receiver tests

#: The first statement of every default key policy: it hands kms:* on the key to the account's IAM policies.
ENABLE_IAM = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
AUDITOR = f"arn:aws:iam::{ACCOUNT}:role/auditor"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _decrypt(resource: str = "*", **more: Any) -> dict[str, Any]:
    return {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": resource, **more}


def _role(account: Target, name: str, *statements: dict[str, Any]) -> str:
    """A role of the account with one inline policy of ``statements`` (none: no policy)."""
    iam = account.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"])
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-kms", PolicyDocument=_document(*statements))
    return arn


def _exposed(account: Target, function: str) -> list[str]:
    """What the check finds of principals of the function's account other than its role decrypting its variables."""
    read, result = _judged(account, function)
    assert read.env_key_problems == [], read.env_key_problems
    inside = [p for p in result.details["problems"]["alert_receivers"] if f"of its account {ACCOUNT} other" in p]
    assert inside == [p for p in read.env_key_exposure if "outside its account" not in p]
    return inside


def test_the_root_statement_alone_and_roles_that_may_not_decrypt_keep_the_secrets_the_roles(account: Target) -> None:
    """The healthy twin: the default key policy (root enables IAM), the role decrypting through Lambda's grant, and
    other roles of the account whose policies give them no kms:Decrypt with it: one has none, one only for another
    key, one only for another function's variables (its condition shown false), one is denied by its own policy."""
    key = _key(account, ENABLE_IAM)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    _role(account, "etl")
    _role(account, "other-key", _decrypt(f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/another"))
    other_function = {"StringEquals": {"kms:EncryptionContext:aws:lambda:FunctionArn": f"{function}-other"}}
    _role(account, "other-receiver", _decrypt(Condition=other_function))
    _role(
        account,
        "through-s3",
        _decrypt(Condition={"StringEquals": {"kms:ViaService": "s3.ap-northeast-1.amazonaws.com"}}),
    )
    _role(account, "denied", _decrypt(), {"Effect": "Deny", "Action": "kms:*", "Resource": "*"})
    assert _exposed(account, function) == []
    assert _heard(_judged(account, function)[1])


def test_a_service_linked_role_that_may_decrypt_is_its_services(account: Target) -> None:
    """Healthy twin: only its service assumes a service-linked role, and its policies are the service's."""
    key = _key(account, ENABLE_IAM)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    iam = account.client("iam")
    linked = iam.create_service_linked_role(AWSServiceName="elasticmapreduce.amazonaws.com")["Role"]
    iam.put_role_policy(RoleName=linked["RoleName"], PolicyName="service", PolicyDocument=_document(_decrypt()))
    assert _exposed(account, function) == []


def test_another_role_whose_iam_policy_may_decrypt_reads_the_secrets_where_the_key_policy_enables_iam(
    account: Target,
) -> None:
    """Broken: the key policy leaves kms:Decrypt to the account's IAM policies, and a role's allows it."""
    key = _key(account, ENABLE_IAM)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    reader = _role(account, "reader", _decrypt(key))
    (problem,) = _exposed(account, function)
    assert (
        f"Lambda function page-on-call's environment variables are encrypted with KMS key {key}, which principals of "
        f"its account {ACCOUNT} other than its execution role {role} may decrypt: role {reader} through its IAM "
        "policies (statement ReadSecrets of inline policy reader-kms), which key policy statement Enable IAM User "
        "Permissions leaves it to (its secrets are readable beyond the role that must read them)"
    ) == problem


def test_a_user_whose_groups_policy_may_decrypt_reads_the_secrets(account: Target) -> None:
    """Broken: a user of an admins group (a customer managed policy attached to the group) may decrypt."""
    key = _key(account, ENABLE_IAM)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    iam = account.client("iam")
    policy = iam.create_policy(PolicyName="kms-admin", PolicyDocument=_document({**_decrypt(), "Action": "kms:*"}))
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=policy["Policy"]["Arn"])
    user = iam.create_user(UserName="ops")["User"]["Arn"]
    iam.add_user_to_group(GroupName="admins", UserName="ops")
    (problem,) = _exposed(account, function)
    assert (
        f"user {user} through its IAM policies (statement ReadSecrets of attached policy {policy['Policy']['Arn']} "
        "of group admins)"
    ) in problem
    # A Deny of kms:Decrypt in the user's own policy, under no condition, takes the group's Allow away.
    deny = {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": key}
    iam.put_user_policy(UserName="ops", PolicyName="no-secrets", PolicyDocument=_document(deny))
    assert _exposed(account, function) == []


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": {"AWS": AUDITOR}},
        {
            "Principal": {"AWS": AUDITOR},
            "Condition": {"StringEquals": {"kms:ViaService": "lambda.ap-northeast-1.amazonaws.com"}},
        },
    ],
    ids=["named", "through-lambda"],
)
def test_a_key_policy_naming_another_role_of_the_account_hands_it_the_secrets(
    account: Target, statement: dict[str, Any]
) -> None:
    """Broken: the key policy names another role of the account (even only through Lambda: GetFunctionConfiguration
    decrypts the variables for it)."""
    key = _key(account, _decrypt(**statement))
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    (problem,) = _exposed(account, function)
    assert f"may decrypt: key policy statement ReadSecrets allows {AUDITOR} kms:Decrypt (its secrets" in problem


def test_a_key_policy_naming_another_role_under_a_condition_shown_false_or_denied_lets_it_read_nothing(
    account: Target,
) -> None:
    """Healthy twins: the statement naming the auditor holds for another function's variables only; a Deny
    naming the auditor applies to every way it may ask."""
    elsewhere = {"StringEquals": {"kms:EncryptionContext:aws:lambda:FunctionArn": "arn:aws:lambda:x:1:function:y"}}
    key = _key(
        account,
        _decrypt(Principal={"AWS": AUDITOR}, Condition=elsewhere),
        {**_decrypt(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"}), "Sid": "Ops"},
        {"Sid": "NoOps", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"}, "Action": "kms:*"},
    )
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    assert _exposed(account, function) == []


def test_a_grant_to_another_role_of_the_account_hands_it_the_secrets(account: Target) -> None:
    """Broken: a grant of Decrypt to the auditor (Lambda's own grant is the role's); one constrained to another
    function's context opens nothing."""
    key = _key(account)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    _grant(account, key, AUDITOR, EncryptionContextEquals={"aws:lambda:FunctionArn": f"{function}-other"})
    assert _exposed(account, function) == []
    grant = _grant(account, key, AUDITOR)
    (problem,) = _exposed(account, function)
    assert f"may decrypt: grant {grant} (ListGrants) gives {AUDITOR} Decrypt (its secrets" in problem


def test_a_key_policy_letting_every_principal_but_some_decrypt_hands_out_the_secrets(account: Target) -> None:
    key = _key(account, _decrypt(NotPrincipal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/page-on-call"}))
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    (problem,) = _exposed(account, function)
    assert (
        "key policy statement ReadSecrets allows every principal of the account (NotPrincipal) kms:Decrypt" in problem
    )


# -- a condition key the request is known not to carry ----------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "holds"),
    [
        ("StringEquals", "vpce-1", False),
        ("StringLike", "vpce-*", False),
        ("StringNotEquals", "vpce-1", True),
        ("StringEqualsIfExists", "vpce-1", True),
        ("Null", "true", True),
        ("Null", "false", False),
    ],
)
def test_a_test_on_a_key_the_request_lacks_is_decided_as_aws_decides_it(operator: str, value: str, holds: bool) -> None:
    """IAM User Guide, "Condition operators": a key not in the request context does not match (false), a negated
    operator is true, ...IfExists and Null test its presence."""
    lacks = {"aws:sourcevpce": None}
    assert condition({"Condition": {operator: {"aws:SourceVpce": value}}}, lacks) is holds
    carries = {"aws:sourcevpce": "vpce-1"}
    if operator == "Null":
        assert condition({"Condition": {operator: {"aws:SourceVpce": value}}}, carries) is (not holds)
    assert condition({"Condition": {operator: {"aws:SourceVpce": value}}}, {}) is None  # not known: the request's


def test_a_receivers_role_allowed_only_through_a_vpc_endpoint_is_shown_not_allowed(account: Target) -> None:
    """Broken: the key policy lets the role decrypt only from a VPC endpoint, and Lambda's request comes through
    none: the Allow is false (it read "cannot be evaluated")."""
    only_vpce = _decrypt(
        Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/page-on-call"},
        Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}},
    )
    key = _key(account, only_vpce)
    function, role = _receiver(account, "page-on-call", key)
    read, _ = _judged(account, function)
    (problem,) = read.env_key_problems
    assert f"whose key policy allows neither {role} nor its account kms:Decrypt, nor does a grant" in problem
    assert "cannot be evaluated" not in problem


def test_a_deny_from_a_vpc_endpoint_does_not_stop_lambdas_decryption(account: Target) -> None:
    """Healthy twin (it was red): a Deny that holds only for requests through an endpoint does not apply to
    Lambda's; its negated twin (deny unless through the endpoint) does, and is named with no hedge."""
    deny = {"Sid": "NotFromVpce", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    key = _key(account, {**deny, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}})
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    read, result = _judged(account, function)
    assert read.env_key_problems == [] and _heard(result), result.reason
    account.client("kms").put_key_policy(
        KeyId=key,
        PolicyName="default",
        Policy=_document(ADMIN, {**deny, "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}),
    )
    read, _ = _judged(account, function)
    (problem,) = read.env_key_problems
    assert f"whose key policy: statement NotFromVpce denies {role} kms:Decrypt (Lambda cannot" in problem


def test_a_boundary_allowing_no_kms_takes_a_principals_iam_allow_away() -> None:
    """IAM's effective permissions are the identity policies' within the boundary (moto keeps no user boundary:
    judged on the read principal as it would be read)."""
    key = f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/k"
    grants = Policy.parse("inline policy kms", _document(_decrypt()))
    s3_only = Policy.parse("permissions boundary s3", _document({**_decrypt(), "Action": "s3:*"}))
    asked = [{"aws:principalaccount": ACCOUNT}]
    assert iam_allows(AccountPrincipal(f"arn:aws:iam::{ACCOUNT}:user/ops", "user", (grants,), None), key, asked) == [
        "statement ReadSecrets of inline policy kms"
    ]
    assert (
        iam_allows(AccountPrincipal(f"arn:aws:iam::{ACCOUNT}:user/ops", "user", (grants,), s3_only), key, asked) == []
    )


def test_a_root_statement_enabling_iam_for_the_role_alone_lets_no_other_role_in(account: Target) -> None:
    """Healthy twin: the root statement holds only for the receiver's role (aws:PrincipalArn), so another role's
    IAM Allow is handed nothing; the same statement for the other role hands it the secrets."""
    function_role = f"arn:aws:iam::{ACCOUNT}:role/page-on-call"
    only = {**ENABLE_IAM, "Condition": {"ArnEquals": {"aws:PrincipalArn": function_role}}}
    key = _key(account, only)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    reader = _role(account, "reader", _decrypt(key))
    assert _exposed(account, function) == []
    widened = {**only, "Condition": {"ArnEquals": {"aws:PrincipalArn": [function_role, reader]}}}
    account.client("kms").put_key_policy(KeyId=key, PolicyName="default", Policy=_document(ADMIN, widened))
    (problem,) = _exposed(account, function)
    assert f"role {reader} through its IAM policies (statement ReadSecrets of inline policy reader-kms)" in problem
