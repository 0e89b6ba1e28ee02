"""A schedule's key used by its execution role through a KMS grant, and a Deny in the role's own policies.

KMS weighs grants along with the key policy and IAM policies: a grant to the role lets it decrypt whatever the key
policy names (the false red closed here: ListGrants was not read on the role's path). An explicit Deny in any of
them wins, also a Deny in the role's IAM policies over a key policy naming the role (the hole closed here: the key
policy's Allow passed a role its own policy forbids to decrypt). Moto's KMS keeps the grants it is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lakehouse.target import Target
from tests.unit.test_catalog_pause import ADMIN_ONLY, ROOT, SERVICE, _allow_decrypt, _key, _pause, _role, _schedule

FAILS = "(EventBridge Scheduler cannot decrypt it, so every pause fails)"


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    yield Target(name="aws", region="us-east-1")


def _grant(account: Target, key: str, grantee: str, *operations: str, **constraints: dict[str, str]) -> str:
    made = account.client("kms").create_grant(
        KeyId=key,
        GranteePrincipal=grantee,
        Operations=list(operations or ("Decrypt",)),
        **({"Constraints": constraints} if constraints else {}),
    )
    return str(made["GrantId"])


def _deny_decrypt(account: Target, role: str, key: str, condition: dict[str, object] | None = None) -> None:
    statement: dict[str, object] = {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": key}
    if condition:
        statement["Condition"] = condition
    account.client("iam").put_role_policy(
        RoleName=role,
        PolicyName="no-decrypt",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


def test_a_grant_to_the_role_lets_it_decrypt_with_a_key_whose_policy_does_not_name_it(account: Target) -> None:
    """The healthy stack that was red: the key policy names only an admin, a grant gives the role kms:Decrypt."""
    key = _key(account, ADMIN_ONLY)
    role = _role(account, "granted", SERVICE)
    _grant(account, key, role, "Decrypt", "DescribeKey")
    _schedule(account, "granted", role, SERVICE, KmsKeyArn=key)
    assert _pause(account, "granted").key_problems == ()


def test_a_grant_to_the_account_root_still_needs_the_role_allowed_by_iam(account: Target) -> None:
    """A grant to the account, like a key policy naming its root, leaves the decision to the account's IAM policies."""
    key = _key(account, ADMIN_ONLY)
    role = _role(account, "via-account", SERVICE)
    grant = _grant(account, key, ROOT)
    _schedule(account, "via-account", role, SERVICE, KmsKeyArn=key)
    [problem] = _pause(account, "via-account").key_problems
    assert f"leaves kms:Decrypt to the IAM policies of its account (grant {grant} allows {ROOT})" in problem
    _allow_decrypt(account, "via-account", key)
    assert _pause(account, "via-account").key_problems == ()


def test_a_grant_for_another_operation_another_principal_or_under_a_context_does_not_count(account: Target) -> None:
    key = _key(account, ADMIN_ONLY)
    role = _role(account, "ungranted", SERVICE)
    _grant(account, key, role, "Encrypt", "GenerateDataKey")
    _grant(account, key, role.replace("ungranted", "other"))
    constrained = _grant(account, key, role, EncryptionContextSubset={"purpose": "something-else"})
    _schedule(account, "ungranted", role, SERVICE, KmsKeyArn=key)
    assert _pause(account, "ungranted").key_problems == (
        f"its target input is encrypted with KMS key {key}, whose key policy allows neither {role} nor its account "
        f"kms:Decrypt, nor does a grant (ListGrants: none to {role} for Decrypt but {constrained} under an "
        f"encryption context constraint that cannot be evaluated) {FAILS}",
    )


def test_a_deny_in_the_roles_own_policy_wins_over_the_key_policy_and_a_grant(account: Target) -> None:
    """The broken stack that passed: the key policy names the role, but the role's inline policy denies kms:Decrypt."""
    role = _role(account, "forbidden", SERVICE)
    direct = {
        "Sid": "PauseRole",
        "Effect": "Allow",
        "Principal": {"AWS": role},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    named = _key(account, {**ADMIN_ONLY, "Statement": [*ADMIN_ONLY["Statement"], direct]})
    granted = _key(account, ADMIN_ONLY)
    _grant(account, granted, role)
    _deny_decrypt(account, "forbidden", "*", {"Bool": {"aws:ViaAWSService": "false"}})
    for name, key in {"named": named, "granted": granted}.items():
        _schedule(account, name, role, SERVICE, KmsKeyArn=key)
        assert _pause(account, name).key_problems == (
            f"its target input is encrypted with KMS key {key}, which the role's IAM policies deny: statement "
            f"NoDecrypt of inline policy no-decrypt denies it (under a Condition the check does not evaluate) {FAILS}",
        )
    # The healthy twin: the same role without the Deny decrypts with either key.
    account.client("iam").delete_role_policy(RoleName="forbidden", PolicyName="no-decrypt")
    assert (_pause(account, "named").key_problems, _pause(account, "granted").key_problems) == ((), ())
