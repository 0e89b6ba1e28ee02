"""Exit check 7: a rewrite that may lower what a principal can do is a choice, not a step always taken.

The hole closed here: the escalation in place applied every rewrite a principal was allowed, joining a group whose
policies hold a Deny too, and removing a policy that holds a Deny along with the Allows beside it. A user that may
join group G (Deny kms:*) and PutUserPolicy on itself joined G in the judgement, and G's Deny hid the kms:Decrypt
it gives itself by simply not joining: the stack passed. Such rewrites (``key_escalation._lowers``) are now
explored both ways (taken and not), bounded (``MAX_FORKS``; past it the principal is named unjudged, red).
Leaving a group (RemoveUserFromGroup) drops all of the group's policies, not only those holding a Deny. A user
that may only join a group with a Deny, or whose joining gives a right that group's Deny still stops, stays green;
a principal without a boundary that may only put one raises nothing (a boundary is a restriction).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks import key_escalation
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.key_readers import AccountPrincipal
from lakehouse.checks.role_paths import rewrites
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT
from tests.unit.test_finops_lambda_env_key import account
from tests.unit.test_finops_lambda_env_key_assumers import _healthy_receiver, _user
from tests.unit.test_finops_lambda_env_key_groups import _group, _judged
from tests.unit.test_finops_lambda_env_key_readers import ENABLE_IAM, _document, _exposed

__all__ = ["account"]  # the moto account fixture of the receiver tests

DEV = f"arn:aws:iam::{ACCOUNT}:user/dev"
DENIED = f"arn:aws:iam::{ACCOUNT}:group/denied"
HELPS = f"arn:aws:iam::{ACCOUNT}:group/helps"


def _statement(effect: str, action: str | list[str], resource: str | list[str], sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": effect, "Action": action, "Resource": resource}


def _policy(source: str, *statements: dict[str, Any]) -> Policy:
    return Policy.parse(source, json.loads(_document(*statements)))


def _dev(*statements: dict[str, Any], groups: tuple[str, ...] = (), more: tuple[Policy, ...] = ()) -> AccountPrincipal:
    """User dev with one inline policy of ``statements`` (and ``more``), in ``groups``."""
    return AccountPrincipal(DEV, "user", (_policy("inline policy dev-policy", *statements), *more), None, groups=groups)


def _of(group: str, *statements: dict[str, Any]) -> list[Policy]:
    """A group's one inline policy as a member holds it."""
    return [
        _policy(f"inline policy {group.rsplit('/', 1)[-1]}-policy of group {group.rsplit('/', 1)[-1]}", *statements)
    ]


DENY_KMS = _statement("Deny", "kms:*", "*", "NoKeys")
DENY_ALL = _statement("Deny", "*", "*", "Quarantine")
DENY_PUT = _statement("Deny", "iam:PutUserPolicy", "*", "NoSelfGrant")


# -- broken ---------------------------------------------------------------------------------------------------------


def test_a_user_that_may_grant_itself_is_red_though_it_may_also_join_a_group_denying_all(account: Target) -> None:
    """Broken (moto): dev may AddUserToGroup denied (a quarantine group: Deny *) and PutUserPolicy on itself; not
    joining, it gives itself kms:Decrypt."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    group = _group(account, "denied")
    account.client("iam").put_group_policy(
        GroupName="denied", PolicyName="deny-all", PolicyDocument=_document(DENY_ALL)
    )
    dev = _user(
        account,
        "dev",
        _statement("Allow", "iam:AddUserToGroup", group, "Join"),
        _statement("Allow", "iam:PutUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/dev", "Raise"),
    )
    (problem,) = _exposed(account, function)
    assert f"user {dev} may raise its permissions (dev may call iam:PutUserPolicy on {dev} (" in problem
    assert "AddUserToGroup" not in problem and f"then decrypts as user {dev} through its IAM policies" in problem


def test_a_user_joins_the_group_that_grants_and_not_the_one_that_denies_the_grant() -> None:
    """Broken: dev may join helps (Allow PutUserPolicy on dev) and denied (Deny PutUserPolicy); joining helps
    alone, it then gives itself kms:Decrypt."""
    dev = _dev(_statement("Allow", "iam:AddUserToGroup", [HELPS, DENIED], "Join"))
    groups = {HELPS: _of(HELPS, _statement("Allow", "iam:PutUserPolicy", DEV, "Grant")), DENIED: _of(DENIED, DENY_PUT)}
    (problem,) = _judged(dev, groups=groups)
    assert f"dev may call iam:AddUserToGroup on {HELPS} (" in problem
    assert f"dev may call iam:PutUserPolicy on {DEV} (statement Grant of inline policy helps-policy" in problem
    assert f"iam:AddUserToGroup on {DENIED}" not in problem


def test_a_user_keeps_the_policy_whose_allows_it_needs_though_it_may_remove_it() -> None:
    """Broken: dev's policy (Deny s3:GetObject) lets it DeleteUserPolicy on itself, join the empty group helps and
    PutGroupPolicy on it; removing that policy would take those rights, keeping it, dev joins and grants."""
    dev = _dev(
        _statement("Allow", "iam:DeleteUserPolicy", DEV, "Drop"),
        _statement("Allow", ["iam:AddUserToGroup", "iam:PutGroupPolicy"], HELPS, "Join"),
        _statement("Deny", "s3:GetObject", "*", "NoReads"),
    )
    (problem,) = _judged(dev, groups={HELPS: []})
    assert f"dev may call iam:PutGroupPolicy on {HELPS} (statement Join of inline policy dev-policy)" in problem
    assert "iam:DeleteUserPolicy" not in problem


def test_a_user_leaves_a_group_whose_deny_stops_its_grant() -> None:
    """Broken: dev is in denied (Deny PutUserPolicy, no Allow) and may RemoveUserFromGroup it and PutUserPolicy on
    itself: leaving first, it grants itself."""
    dev = _dev(
        _statement("Allow", "iam:RemoveUserFromGroup", DENIED, "Leave"),
        _statement("Allow", "iam:PutUserPolicy", DEV, "Raise"),
        groups=(DENIED,),
        more=tuple(_of(DENIED, DENY_PUT)),
    )
    (problem,) = _judged(dev, groups={DENIED: _of(DENIED, DENY_PUT)})
    assert f"dev may call iam:RemoveUserFromGroup on {DENIED} (" in problem
    assert f"dev may call iam:PutUserPolicy on {DEV} (" in problem


def test_a_user_joins_a_group_whose_deny_is_beside_the_point() -> None:
    """Broken: dev may only join denied, which denies s3:GetObject and allows PutUserPolicy on dev: the choice is
    taken too, and dev grants itself kms:Decrypt."""
    dev = _dev(_statement("Allow", "iam:AddUserToGroup", DENIED, "Join"))
    grant = _statement("Allow", "iam:PutUserPolicy", DEV, "Grant")
    (problem,) = _judged(dev, groups={DENIED: _of(DENIED, grant, _statement("Deny", "s3:GetObject", "*", "NoReads"))})
    assert f"dev may call iam:AddUserToGroup on {DENIED} (" in problem and f"iam:PutUserPolicy on {DEV} (" in problem


def test_past_its_choices_a_principal_is_named_unjudged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken or not, a principal with more choices than ``MAX_FORKS`` is not passed unjudged: it is named."""
    monkeypatch.setattr(key_escalation, "MAX_FORKS", 1)
    names = [f"arn:aws:iam::{ACCOUNT}:group/g{i}" for i in range(3)]
    dev = _dev(_statement("Allow", "iam:AddUserToGroup", names, "Join"))
    (problem,) = _judged(dev, groups={g: _of(g, DENY_KMS) for g in names})
    assert f"user {DEV} may make more than 1 choices" in problem and "not judged" in problem


# -- healthy twins --------------------------------------------------------------------------------------------------


def test_a_user_that_may_only_join_a_group_with_a_deny_keeps_the_secrets_the_roles(account: Target) -> None:
    """Healthy twin (moto): dev may only AddUserToGroup denied (Deny kms:*); nothing grants it anything."""
    _, function, _ = _healthy_receiver(account, ENABLE_IAM)
    group = _group(account, "denied")
    account.client("iam").put_group_policy(GroupName="denied", PolicyName="no-keys", PolicyDocument=_document(DENY_KMS))
    _user(account, "dev", _statement("Allow", "iam:AddUserToGroup", group, "Join"))
    assert _exposed(account, function) == []


def test_a_grant_a_groups_deny_still_stops_keeps_the_secrets_the_roles() -> None:
    """Healthy twin: joining denied allows dev PutUserPolicy on itself, but denied also denies every action, and
    dev may neither leave it nor remove that Deny; not joining, dev may grant nothing. The Deny is never dropped
    (a judgement keeping a joined group's Allows without its Denies would find kms:Decrypt)."""
    grant = _statement("Allow", "iam:PutUserPolicy", DEV, "Grant")
    dev = _dev(_statement("Allow", "iam:AddUserToGroup", DENIED, "Join"))
    assert _judged(dev, groups={DENIED: _of(DENIED, grant, DENY_ALL)}) == []


def test_leaving_a_group_drops_its_allows_with_its_denies() -> None:
    """Healthy twin: dev's group keys holds Allow kms:* (one policy) and Deny kms:Decrypt (another); dev may
    RemoveUserFromGroup it, which drops both: it decrypts neither way."""
    keys = f"arn:aws:iam::{ACCOUNT}:group/keys"
    held = [
        _policy("inline policy any-key of group keys", _statement("Allow", "kms:*", "*", "AnyKey")),
        _policy("inline policy no-decrypt of group keys", _statement("Deny", "kms:Decrypt", "*", "NoDecrypt")),
    ]
    dev = _dev(_statement("Allow", "iam:RemoveUserFromGroup", keys, "Leave"), groups=(keys,), more=tuple(held))
    assert _judged(dev, groups={keys: held}) == []
    (leave,) = [r for r in rewrites(DEV, "user", dev.identity, None, {keys: held}, [keys]) if r.leaves]
    assert leave.removes == tuple(p.source for p in held) and leave.leaves == keys


def test_a_boundary_put_on_an_unbounded_user_raises_nothing() -> None:
    """Healthy twin: dev has no boundary and may only PutUserPermissionsBoundary on itself: a boundary restricts,
    it is never a step up (with a boundary, replacing it is one, unbounded)."""
    dev = _dev(_statement("Allow", "iam:PutUserPermissionsBoundary", DEV, "Bound"))
    assert _judged(dev) == []
    assert not [r for r in rewrites(DEV, "user", dev.identity, None) if "Boundary" in r.action]
