"""Exit check 7: a Lambda receiver's secrets read by a user that raises itself through an IAM group.

The holes closed here: a user's groups were known only through the sources of the policies they hold, so a group
with no policy yet was never seen; a user in it (or that may join it) and may iam:PutGroupPolicy or
AttachGroupPolicy on it gave itself kms:Decrypt where the key policy enables IAM, and the stack passed. A group ARN
was also built from its name (``group/NAME``) where IAM has it under its path (``group/team/NAME``), so a right
on the path ARN was never matched. Groups are now read for every user (ListGroupsForUser), empty ones too, and
judged on the ARN IAM returns. A boundary without kms:Decrypt the user cannot change keeps it green; so does a
right on another group, or on the path-less ARN of the user's. Read back through moto (IAM users, groups, group
paths and boundaries; KMS key policies and grants).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from lakehouse.checks.alert_delivery import KmsKey
from lakehouse.checks.iam_access import Policy, decide, memoised
from lakehouse.checks.key_escalation import KeyAccount, escalating_readers
from lakehouse.checks.key_readers import AccountPrincipal, read_account_principals
from lakehouse.checks.lambda_env_key import reader_contexts
from lakehouse.checks.role_paths import Rewrite, rewrites
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_lambda_env_key import REGION, account
from tests.unit.test_finops_lambda_env_key_assumers import FUNCTION_ROLE, _healthy_receiver, _user
from tests.unit.test_finops_lambda_env_key_readers import ENABLE_IAM, _document, _exposed

__all__ = ["account"]  # the moto account fixture of the receiver tests

REWRITES = ["iam:PutGroupPolicy", "iam:AttachGroupPolicy"]
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:page-on-call"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b0e3c2a-1111-4222-8333-944455556666"


def _allow(action: str | list[str], resource: str | list[str], sid: str = "Raise") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def _group(account: Target, name: str, path: str = "/", *members: str) -> str:
    """A group of the account with no policy, ``members`` in it: its ARN as IAM returns it."""
    iam = account.client("iam")
    arn = str(iam.create_group(GroupName=name, Path=path)["Group"]["Arn"])
    for member in members:
        iam.add_user_to_group(GroupName=name, UserName=member)
    return arn


# -- broken ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", REWRITES)
def test_a_user_that_may_rewrite_its_empty_group_reads_the_secrets(account: Target, action: str) -> None:
    """Broken: user dev's only group ops has no policy; dev may put or attach one on it, so kms:Decrypt."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    dev = _user(account, "dev")
    group = _group(account, "ops", "/", "dev")
    account.client("iam").put_user_policy(
        UserName="dev", PolicyName="dev-policy", PolicyDocument=_document(_allow(action, group))
    )
    (problem,) = _exposed(account, function)
    assert (
        f"user {dev} may raise its permissions (dev may call {action} on {group} (statement Raise of inline policy "
        f"dev-policy)), then decrypts as user {dev} through its IAM policies (statement Given of a policy dev may "
        f"give it ({action}))"
    ) in problem


@pytest.mark.parametrize("policies", [False, True], ids=["empty", "with-a-policy"])
def test_a_right_on_the_path_arn_of_its_group_reads_the_secrets(account: Target, policies: bool) -> None:
    """Broken: dev's group ops is under path /team/ (ARN group/team/ops); dev may PutGroupPolicy on that ARN."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    group = f"arn:aws:iam::{ACCOUNT}:group/team/ops"
    dev = _user(account, "dev", _allow("iam:PutGroupPolicy", group))
    assert _group(account, "ops", "/team/", "dev") == group
    if policies:
        s3 = _document(_allow("s3:GetObject", "*", "Read"))
        account.client("iam").put_group_policy(GroupName="ops", PolicyName="s3", PolicyDocument=s3)
    (problem,) = _exposed(account, function)
    assert f"user {dev} may raise its permissions (dev may call iam:PutGroupPolicy on {group} (" in problem


def test_a_user_that_may_join_an_empty_group_and_rewrite_it_reads_the_secrets(account: Target) -> None:
    """Broken: group ops (path /team/) has no policy and no member; dev may AddUserToGroup and PutGroupPolicy on it:
    it joins, then gives the group kms:Decrypt."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    group = f"arn:aws:iam::{ACCOUNT}:group/team/ops"
    dev = _user(account, "dev", _allow(["iam:AddUserToGroup", "iam:PutGroupPolicy"], group))
    _group(account, "ops", "/team/")
    (problem,) = _exposed(account, function)
    assert f"dev may call iam:AddUserToGroup on {group} (" in problem and f"it can join group {group}" in problem
    assert f"dev may call iam:PutGroupPolicy on {group} (" in problem
    assert f"then decrypts as user {dev} through its IAM policies" in problem


# -- healthy twins --------------------------------------------------------------------------------------------------


def _judged(*principals: AccountPrincipal, groups: dict[str, list[Policy]] | None = None) -> list[str]:
    """Exit 7's escalation judgement of ``principals`` where the key policy enables IAM (moto has no user
    permissions boundary: GetUser shows none, PutUserPermissionsBoundary is not implemented)."""
    key = KmsKey({"Arn": KEY, "KeyManager": "CUSTOMER"}, {"Version": "2012-10-17", "Statement": [ENABLE_IAM]})
    delegating = [("key policy statement Enable IAM User Permissions", ENABLE_IAM)]
    contexts = reader_contexts(FUNCTION)
    judged = KeyAccount(key, KEY, ACCOUNT, contexts, delegating, [FUNCTION_ROLE], principals, groups=groups or {})
    return escalating_readers(judged, [FUNCTION_ROLE])


@pytest.mark.parametrize("action", REWRITES)
def test_a_boundary_without_decrypt_it_cannot_change_keeps_a_group_rewriter_out(action: str) -> None:
    """Healthy twin: dev may rewrite its empty group ops (path /team/), but its customer managed boundary allows
    that alone (no kms:Decrypt, no boundary change, no new version of it); the same user unbounded is red."""
    group = f"arn:aws:iam::{ACCOUNT}:group/team/ops"
    raise_ = Policy.parse("inline policy dev-policy", json.loads(_document(_allow(action, group))))
    bound = Policy.parse(f"permissions boundary arn:aws:iam::{ACCOUNT}:policy/dev-boundary", raise_.document)
    dev = AccountPrincipal(f"arn:aws:iam::{ACCOUNT}:user/dev", "user", (raise_,), bound, groups=(group,))
    assert _judged(dev, groups={group: []}) == []
    (problem,) = _judged(replace(dev, boundary=None), groups={group: []})
    assert f"user {dev.arn} may raise its permissions (dev may call {action} on {group} (" in problem


@pytest.mark.parametrize("named", ["group/team/other", "group/ops", "group/other/ops"])
def test_a_right_on_another_group_arn_keeps_the_secrets_the_roles(account: Target, named: str) -> None:
    """Healthy twin: dev is in group ops under /team/ and may PutGroupPolicy on another group's ARN, or on ARNs
    that name ops under no or another path (not its ARN); only group team/other exists beside it."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    _user(account, "dev", _allow("iam:PutGroupPolicy", f"arn:aws:iam::{ACCOUNT}:{named}"))
    _group(account, "ops", "/team/", "dev")
    _group(account, "other", "/team/")
    assert _exposed(account, function) == []


# -- reading and rewrites -------------------------------------------------------------------------------------------


def test_every_user_is_read_with_its_groups_empty_ones_too(account: Target) -> None:
    """ListGroupsForUser is read for every user: a group with no policy is still named, by the ARN IAM returns."""
    _user(account, "dev")
    _user(account, "ops")
    group = _group(account, "ops", "/team/", "dev")
    read = {p.arn.rsplit("/", 1)[-1]: p for p in read_account_principals(account, skip=[])}
    assert read["dev"].groups == (group,) and read["dev"].identity == ()
    assert read["ops"].groups == ()


def test_rewrites_judge_a_users_groups_on_their_arns() -> None:
    """A group the user is in (``member_of``) is rewritten on its path ARN, empty or not; one it is not in is
    joined, empty or not; a policy naming a group the user is not in is bad input."""
    dev = f"arn:aws:iam::{ACCOUNT}:user/dev"
    ops = f"arn:aws:iam::{ACCOUNT}:group/team/ops"
    audit = f"arn:aws:iam::{ACCOUNT}:group/audit"
    found = rewrites(dev, "user", [], None, {ops: [], audit: []}, member_of=[ops])
    assert {(r.action, r.resource) for r in found if "Group" in r.action} == {
        ("iam:PutGroupPolicy", ops),
        ("iam:AttachGroupPolicy", ops),
        ("iam:AddUserToGroup", audit),
    }
    assert Rewrite("iam:AddUserToGroup", audit, (), gains=f"it can join group {audit}", joins=audit) in found
    stray = Policy.parse("inline policy p of group admins", {"Statement": []})
    with pytest.raises(ValueError, match=f"user {dev}: policy 'inline policy p of group admins' names group admins"):
        rewrites(dev, "user", [stray], None, {}, member_of=[ops])


def test_a_memoised_decision_is_that_of_the_very_same_policies() -> None:
    """``iam_access.memoised`` (the escalation judgement's memo) answers a request again only for the very same
    policy objects: a policy of the same source and another document is decided afresh, and the memo ends with
    its block."""
    resource = f"arn:aws:iam::{ACCOUNT}:group/team/ops"
    allow = Policy.parse("inline policy p", json.loads(_document(_allow("iam:PutGroupPolicy", "*"))))
    deny = Policy.parse("inline policy p", {**allow.document, "Statement": [{**_allow("*", "*"), "Effect": "Deny"}]})
    with memoised():
        first = decide([allow], None, "iam:PutGroupPolicy", resource)
        assert first.allowed and decide((allow,), None, "iam:PutGroupPolicy", resource) is first
        assert not decide([allow, deny], None, "iam:PutGroupPolicy", resource).allowed
        assert not decide([allow], deny, "iam:PutGroupPolicy", resource).allowed
    assert decide([allow], None, "iam:PutGroupPolicy", resource) is not first
