"""Exit check 7: a Lambda receiver's secrets read by a principal that raises its own permissions in place.

The hole closed here: key readers followed every ``role_paths`` edge onto a role that decrypts, but not escalation
in place, so a role or user that may rewrite its own permissions (iam:PutRolePolicy, AttachRolePolicy, a new version
of its customer managed policy, PutUserPolicy, joining a group that decrypts, removing its own Deny), or those of a
role it may become, gave itself kms:Decrypt where the key policy enables IAM, and the stack passed. Each is now red,
naming who, which action on what, and how it then decrypts. A permissions boundary it cannot change and that allows
no kms:Decrypt keeps it green; so does a key policy that enables no IAM while the boundary lets it reach no
decrypting role; and the checker's own reaping rights raise nothing. Read back through moto (IAM roles, users,
groups, managed policy versions and boundaries; KMS key policies and grants).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks.iam_access import Policy
from lakehouse.checks.role_paths import Rewrite, rewrites
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_lambda_env_key import account
from tests.unit.test_finops_lambda_env_key_assumers import ROOT, _assume, _healthy_receiver, _role, _trust, _user
from tests.unit.test_finops_lambda_env_key_edges import CHECKER_POLICIES
from tests.unit.test_finops_lambda_env_key_readers import ENABLE_IAM, _decrypt, _document, _exposed

__all__ = ["account"]  # the moto account fixture of the receiver tests


def _allow(action: str | list[str], resource: str | list[str], sid: str = "Raise") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def _boundary(account: Target, role: str, *statements: dict[str, Any]) -> str:
    """Give role ``role`` a customer managed boundary of ``statements``: its ARN."""
    iam = account.client("iam")
    arn = str(iam.create_policy(PolicyName=f"{role}-boundary", PolicyDocument=_document(*statements))["Policy"]["Arn"])
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)
    return arn


# -- broken: rewriting itself ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["iam:PutRolePolicy", "iam:AttachRolePolicy"])
def test_a_role_that_may_rewrite_its_own_policies_reads_the_secrets(account: Target, action: str) -> None:
    """Broken: the key policy enables IAM; role ops may put or attach any policy on itself, so kms:Decrypt."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    ops = _role(account, "ops", _trust(ROOT), _allow(action, _arn("role", "ops")))
    (problem,) = _exposed(account, function)
    assert (
        f"role {ops} may raise its permissions (ops may call {action} on {ops} (statement Raise of inline policy "
        f"ops-policy)), then decrypts as role {ops} through its IAM policies (statement Given of a policy ops may "
        f"give it ({action})), which key policy statement Enable IAM User Permissions leaves it to"
    ) in problem


def test_a_role_that_may_version_its_own_managed_policy_reads_the_secrets(account: Target) -> None:
    """Broken: role ops's customer managed policy lets it CreatePolicyVersion of that very policy."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    iam = account.client("iam")
    ops = _role(account, "ops", _trust(ROOT))
    policy = f"arn:aws:iam::{ACCOUNT}:policy/ops-managed"
    iam.create_policy(PolicyName="ops-managed", PolicyDocument=_document(_allow("iam:CreatePolicyVersion", policy)))
    iam.attach_role_policy(RoleName="ops", PolicyArn=policy)
    (problem,) = _exposed(account, function)
    assert (
        f"role {ops} may raise its permissions (ops may call iam:CreatePolicyVersion on {policy} (statement Raise "
        f"of attached policy {policy})), then decrypts as role {ops}"
    ) in problem


def test_a_user_that_may_put_its_own_policy_reads_the_secrets(account: Target) -> None:
    """Broken: user dev may PutUserPolicy on itself."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    dev = _user(account, "dev", _allow("iam:PutUserPolicy", _arn("user", "dev")))
    (problem,) = _exposed(account, function)
    assert f"user {dev} may raise its permissions (dev may call iam:PutUserPolicy on {dev} (" in problem
    assert f"then decrypts as user {dev} through its IAM policies" in problem


def test_a_user_that_may_join_a_group_that_decrypts_reads_the_secrets(account: Target) -> None:
    """Broken: group auditors decrypts (its inline policy) and has no member; user dev may AddUserToGroup it."""
    key, function, _ = _healthy_receiver(account, ENABLE_IAM)
    iam = account.client("iam")
    group = str(iam.create_group(GroupName="auditors")["Group"]["Arn"])
    iam.put_group_policy(GroupName="auditors", PolicyName="read", PolicyDocument=_document(_decrypt(key)))
    dev = _user(account, "dev", _allow("iam:AddUserToGroup", group))
    (problem,) = _exposed(account, function)
    assert f"dev may call iam:AddUserToGroup on {group} (" in problem and f"it can join group {group}" in problem
    assert f"then decrypts as user {dev} through its IAM policies (statement ReadSecrets of inline policy read of " in (
        problem
    )


def test_a_role_that_may_delete_its_own_deny_reads_the_secrets(account: Target) -> None:
    """Broken: role ops may decrypt but for a Deny in its inline policy guard, which it may DeleteRolePolicy."""
    key, function, _ = _healthy_receiver(account, ENABLE_IAM)
    iam = account.client("iam")
    ops = _role(account, "ops", _trust(ROOT), _decrypt(key), _allow("iam:DeleteRolePolicy", _arn("role", "ops")))
    deny = {"Sid": "NoSecrets", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
    iam.put_role_policy(RoleName="ops", PolicyName="guard", PolicyDocument=_document(deny))
    (problem,) = _exposed(account, function)
    assert f"ops may call iam:DeleteRolePolicy on {ops} (" in problem
    assert "it can remove statement NoSecrets of inline policy guard, and what it denies opens" in problem
    assert f"then decrypts as role {ops} through its IAM policies (statement ReadSecrets of inline policy" in problem


def test_a_chain_into_a_role_that_may_rewrite_itself_reads_the_secrets(account: Target) -> None:
    """Broken: user dev may assume role hop (trusted by name), and hop may put any policy on itself."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    dev = _arn("user", "dev")
    hop = _role(account, "hop", _trust(dev), _allow("iam:PutRolePolicy", _arn("role", "hop")))
    _user(account, "dev")
    (problem,) = _exposed(account, function)
    assert f"role {hop} may raise its permissions (hop may call iam:PutRolePolicy on {hop} (" in problem
    assert (
        f"user {dev} may raise its permissions (hop may call iam:PutRolePolicy on {hop} (statement Raise of inline "
        f"policy hop-policy)), then decrypts as role {hop} through its IAM policies"
    ) in problem
    assert "(which it may become or act as)" in problem


def test_a_self_rewriter_without_a_boundary_reads_even_where_the_key_enables_no_iam(account: Target) -> None:
    """Broken: the key policy names the execution role alone, but role ops may give itself anything, so
    iam:UpdateAssumeRolePolicy on page-on-call too: it becomes the role that decrypts."""
    _, function, role = _healthy_receiver(account)
    ops = _role(account, "ops", _trust(ROOT), _allow("iam:PutRolePolicy", _arn("role", "ops")))
    (problem,) = _exposed(account, function)
    assert f"role {ops} may raise its permissions (ops may call iam:PutRolePolicy on {ops} (" in problem
    assert (
        f"then become role {role}, which may decrypt (role ops -> role page-on-call (may rewrite its trust" in problem
    )


def test_a_boundary_the_role_may_drop_does_not_stop_it(account: Target) -> None:
    """Broken: role ops's boundary allows no kms:Decrypt, but lets it delete that boundary (and put a policy)."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    ops = _arn("role", "ops")
    raise_ = _allow(["iam:PutRolePolicy", "iam:DeleteRolePermissionsBoundary"], ops)
    _role(account, "ops", _trust(ROOT), raise_)
    _boundary(account, "ops", raise_)
    (problem,) = _exposed(account, function)
    assert f"ops may call iam:DeleteRolePermissionsBoundary on {ops} (" in problem


# -- healthy twins --------------------------------------------------------------------------------------------------


def test_a_boundary_without_decrypt_it_cannot_change_keeps_the_secrets_the_roles(account: Target) -> None:
    """Healthy twin: role ops may put any policy on itself, but its boundary allows iam:PutRolePolicy alone; the
    same stack without the boundary is red."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    ops = _arn("role", "ops")
    _role(account, "ops", _trust(ROOT), _allow("iam:PutRolePolicy", ops))
    _boundary(account, "ops", _allow("iam:PutRolePolicy", ops))
    assert _exposed(account, function) == []
    account.client("iam").delete_role_permissions_boundary(RoleName="ops")
    (problem,) = _exposed(account, function)
    assert f"role {ops} may raise its permissions" in problem


def test_a_key_policy_that_enables_no_iam_keeps_a_bounded_self_rewriter_out(account: Target) -> None:
    """Healthy twin: ops's boundary allows kms:Decrypt and PutRolePolicy on itself, nothing that becomes a role; the
    key policy names the execution role alone, so the Decrypt it may give itself opens nothing. The same role where
    the key policy enables IAM is red."""
    key, function, _ = _healthy_receiver(account)
    ops = _arn("role", "ops")
    _role(account, "ops", _trust(ROOT), _allow("iam:PutRolePolicy", ops))
    _boundary(account, "ops", _allow("iam:PutRolePolicy", ops), _decrypt())
    assert _exposed(account, function) == []
    policy = {"Version": "2012-10-17", "Statement": [ENABLE_IAM]}
    account.client("kms").put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    (problem,) = _exposed(account, function)
    assert f"then decrypts as role {ops} through its IAM policies" in problem


def test_joining_a_group_that_reads_nothing_and_the_checkers_reaping_keep_the_secrets_the_roles(
    account: Target,
) -> None:
    """Healthy twin: user dev may join group readers (no Decrypt) and assume role guarded, whose inline Deny the
    checker's reaping rights (DeleteRolePolicy on *) may remove: guarded allows no Decrypt behind it."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    iam = account.client("iam")
    group = str(iam.create_group(GroupName="readers")["Group"]["Arn"])
    iam.put_group_policy(GroupName="readers", PolicyName="s3", PolicyDocument=_document(_allow("s3:GetObject", "*")))
    _user(account, "dev", _allow("iam:AddUserToGroup", group), _assume())
    deny = {"Sid": "NoSecrets", "Effect": "Deny", "Action": "kms:*", "Resource": "*"}
    _role(account, "guarded", _trust(ROOT), _allow("s3:GetObject", "*"), deny)
    iam.create_role(RoleName="lakehouse-checker", AssumeRolePolicyDocument=json.dumps(_trust(ROOT)))
    for path in CHECKER_POLICIES:
        iam.put_role_policy(RoleName="lakehouse-checker", PolicyName=path.stem, PolicyDocument=path.read_text())
    assert _exposed(account, function) == []


# -- role_paths.rewrites: one machinery for exit checks 6 and 7 -----------------------------------------------------


def test_rewrites_name_a_customer_managed_boundary_and_lift_only_denies() -> None:
    """A customer managed boundary may be rewritten by a new version (an AWS managed one not); a Put of an inline
    policy replaces only what holds a Deny; a user's group is rewritten on the group's ARN."""
    role = _arn("role", "ops")
    boundary = Policy.parse(f"permissions boundary arn:aws:iam::{ACCOUNT}:policy/b", {"Statement": []})
    allow = Policy.parse("inline policy open", _json(_allow("s3:*", "*")))
    guard = Policy.parse("inline policy guard", _json({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    found = rewrites(role, "role", [allow, guard], boundary)
    assert Rewrite("iam:PutRolePolicy", role, None, ("inline policy guard",)) in found
    assert Rewrite("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/b", unbounds=True) in found
    aws_managed = Policy.parse("permissions boundary arn:aws:iam::aws:policy/ReadOnlyAccess", {"Statement": []})
    assert not [r for r in rewrites(role, "role", [], aws_managed) if r.action == "iam:CreatePolicyVersion"]
    member = Policy.parse("inline policy p of group admins", _json(_allow("s3:*", "*")))
    found = rewrites(_arn("user", "dev"), "user", [member], None, member_of=[_arn("group", "admins")])
    actions = {(r.action, r.resource) for r in found}
    assert ("iam:PutGroupPolicy", _arn("group", "admins")) in actions
    assert ("iam:PutUserPolicy", _arn("user", "dev")) in actions


def _json(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}
