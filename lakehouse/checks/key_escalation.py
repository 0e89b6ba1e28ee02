"""Who of a KMS key's account may raise its own permissions in place until it decrypts (exit check 7).

A role or user that may rewrite its own permissions, or those of a role it may become, by any of the ways exit
check 6 follows for the analyst (``role_paths.rewrites``: iam:PutRolePolicy, AttachRolePolicy, a new default
version of a customer managed policy attached to it, its permissions boundary replaced, dropped or rewritten, a
policy holding a Deny removed; PutUserPolicy, AttachUserPolicy, rewriting or leaving a group it is in, joining
another, iam:AddUserToGroup), may give itself kms:Decrypt where the key policy leaves the decision to IAM, or give
itself the power to become a role that decrypts (iam:UpdateAssumeRolePolicy, lambda:UpdateFunctionCode of the
receiver) whatever the key policy says. It may also make a role or user of its own with any permission, or mint an
existing user's credentials (``role_paths.made_or_taken``).

So each principal that may raise anyone (``RAISING`` in its policies, or a role of its reach that may) is followed
in place: every rewrite the principals it is or becomes may make on one another is applied (what a rewrite gives
is any policy, ``Allow *``, but a boundary still limits it unless one of them may change that boundary too), until
none is left, the roles it reaches searched again after each round. It is a reader once one of them decrypts
through its IAM policies (``key_readers.iam_decrypts``) or it reaches a role that decrypts. Only the rights of
principals of the account count: the checker's own identity is one of them on aws, and its reaping rights
(iam:DeleteRolePolicy, DetachRolePolicy on ``*``) raise only a role whose Deny of kms:Decrypt they may remove.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lakehouse.checks.alert_delivery import KmsKey
from lakehouse.checks.iam_access import Policy, action_matches, decide, memoised
from lakehouse.checks.key_readers import AccountPrincipal, becoming, iam_decrypts, role_infos
from lakehouse.checks.resource_policy import Context, strings
from lakehouse.checks.role_paths import RAISING, Actor, Rewrite, made_or_taken, path_text, reachable, rewrites

#: What a principal that may rewrite another's policies may give it: anything.
GIVEN = {"Version": "2012-10-17", "Statement": [{"Sid": "Given", "Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class KeyAccount:
    """The key, its account's principals and what already decrypts: what every principal is judged against."""

    key: KmsKey
    key_arn: str
    account: str
    contexts: Sequence[Context]
    #: ``Readers.delegating``: what hands the decision to the account's IAM policies.
    delegating: Sequence[tuple[str, Mapping[str, Any] | None]]
    #: Roles and users that decrypt as they are (the execution role, those named by the key or their policies).
    decrypting: Collection[str]
    principals: Sequence[AccountPrincipal]
    more_roles: Sequence[AccountPrincipal] = ()
    functions: Mapping[str, Sequence[str]] | None = None
    #: Group ARN -> its policies (whom a user may join).
    groups: Mapping[str, Sequence[Policy]] = field(default_factory=dict)


def may_raise(principal: AccountPrincipal) -> bool:
    """Whether an Allow of the principal's own policies names an action that raises anyone (``RAISING``): a cheap
    filter, resources and boundary not read (a NotAction counts)."""
    for policy in principal.identity:
        for statement in policy.statements():
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or any(action_matches(strings(statement.get("Action")), a) for a in RAISING):
                return True
    return False


def escalating_readers(account: KeyAccount, named: Collection[str]) -> list[str]:
    """The roles and users not in ``named`` (already readers) that may raise themselves, or a role they may become,
    in place until they decrypt: each with the rewrites and the path."""
    raisers = [p for p in account.principals if may_raise(p)]
    if not raisers:
        return []
    reach = becoming(
        [p.arn for p in raisers if p.kind == "role"],
        account.principals,
        account.account,
        account.more_roles,
        account.functions,
    )
    candidates = {p.arn for p in raisers} | set(reach)
    found = []
    with memoised():  # every candidate asks the same principals the same requests: each policy matched once
        for principal in account.principals:
            if principal.arn in candidates and principal.arn not in named and (why := _escalates(account, principal)):
                found.append(why)
    return found


@dataclass
class _Raising:
    """The principals as one principal may rewrite them (``state``), and what it did (``steps``)."""

    state: dict[str, AccountPrincipal]
    steps: list[str] = field(default_factory=list)
    applied: set[tuple[str, str, str]] = field(default_factory=set)
    #: Users whose credentials it may mint: it acts as them too.
    taken: list[str] = field(default_factory=list)


def _escalates(account: KeyAccount, principal: AccountPrincipal) -> str:
    """Why ``principal`` decrypts after raising what it is or becomes, or ``""``."""
    raising = _Raising({p.arn: p for p in [*account.principals, *account.more_roles]})
    who = f"{principal.kind} {principal.arn}"
    while True:
        me = raising.state[principal.arn]
        roles = role_infos(list(raising.state.values()), account.functions)
        paths = reachable(Actor(me.arn, me.identity, me.boundary), account.account, roles, launch=True)
        on = [me, *(raising.state[a] for a in sorted(paths) if a in raising.state)]
        on += [raising.state[u] for u in raising.taken if u in raising.state]
        if raising.steps:
            for target in on:
                if why := iam_decrypts(account.key, account.key_arn, target, account.contexts, account.delegating):
                    via = "" if target.arn == principal.arn else " (which it may become or act as)"
                    return f"{who} may raise its permissions ({'; '.join(raising.steps)}), then decrypts as {why}{via}"
        if raising.steps and (hit := next((a for a in sorted(paths) if a in account.decrypting), None)):
            route = path_text(principal.arn, paths[hit], principal.kind)
            steps = "; ".join(raising.steps)
            return f"{who} may raise its permissions ({steps}), then become role {hit}, which may decrypt ({route})"
        taken = len(raising.taken)
        if made := _made(account, on, raising):
            return f"{who} may raise its permissions: {made}"
        if not _round(account, on, raising) and len(raising.taken) == taken:
            return ""


def _round(account: KeyAccount, on: Sequence[AccountPrincipal], raising: _Raising) -> bool:
    """Apply every rewrite a principal of ``on`` may make on one of ``on`` not applied yet; whether one was."""
    new = False
    before = dict(raising.state)  # what each may do as the round starts: one rewrite's gains count next round
    for target in on:
        if target.arn in account.decrypting:
            continue
        for rewrite in rewrites(
            target.arn, target.kind, target.identity, target.boundary, account.groups, target.groups
        ):
            done = (target.arn, rewrite.action, rewrite.resource)
            given = rewrite.adds is None and _given(raising.state[target.arn])
            if done in raising.applied or (given and not rewrite.removes and not rewrite.unbounds):
                continue
            for current in on:
                actor = before[current.arn]
                decision = decide(actor.identity, actor.boundary, rewrite.action, rewrite.resource)
                if decision.allowed:
                    raising.applied.add(done)
                    raising.state[target.arn] = _apply(raising.state[target.arn], rewrite, actor.arn)
                    because = "; ".join(m.describe() for m in decision.allows)
                    gains = f": {rewrite.gains}" if rewrite.gains else ""
                    raising.steps.append(
                        f"{_short(actor.arn)} may call {rewrite.action} on {rewrite.resource} ({because}){gains}"
                    )
                    new = True
                    break
    return new


def _apply(target: AccountPrincipal, rewrite: Rewrite, actor: str) -> AccountPrincipal:
    """The principal once ``rewrite`` is made by ``actor``."""
    identity = [p for p in target.identity if p.source not in rewrite.removes]
    if rewrite.adds is None:
        identity.append(Policy.parse(f"a policy {_short(actor)} may give it ({rewrite.action})", GIVEN))
    else:
        identity += list(rewrite.adds)
    groups = (*target.groups, rewrite.joins) if rewrite.joins else target.groups
    boundary = None if rewrite.unbounds else target.boundary
    return replace(target, identity=tuple(identity), boundary=boundary, groups=groups)


def _given(principal: AccountPrincipal) -> bool:
    """Whether a rewrite already gave the principal any policy (another one gives nothing more)."""
    return any(p.document is GIVEN for p in principal.identity)


def _made(account: KeyAccount, on: Sequence[AccountPrincipal], raising: _Raising) -> str:
    """A role or user one of ``on`` may make with any permission (it decrypts, or becomes a role that does), or a
    user that decrypts whose credentials it may mint; a minted user is acted as from then on."""
    users = [p.arn for p in raising.state.values() if p.kind == "user"]
    for actor in on:
        for found in made_or_taken(Actor(actor.arn, actor.identity, actor.boundary), users):
            via = "; ".join(found.via)
            how = f"{_short(actor.arn)} may call {found.action} on {found.resource} ({via}): {found.gains}"
            if found.action.startswith("iam:Create") and "+" in found.action:
                kind = "role" if "CreateRole" in found.action else "user"
                made = AccountPrincipal(found.resource, kind, (Policy.parse("any policy it gives it", GIVEN),), None)
                if iam_decrypts(account.key, account.key_arn, made, account.contexts, account.delegating) or _reaches(
                    account, made, raising
                ):
                    return f"{how}, and that {kind} may decrypt"
            elif found.resource in account.decrypting:
                return f"{how}, and user {found.resource} may decrypt"
            elif found.resource not in raising.taken:
                raising.taken.append(found.resource)
                raising.steps.append(how)
    return ""


def _reaches(account: KeyAccount, made: AccountPrincipal, raising: _Raising) -> bool:
    """Whether a principal made with any permission becomes a role that decrypts."""
    roles = role_infos(list(raising.state.values()), account.functions)
    paths = reachable(Actor(made.arn, made.identity, None), account.account, roles, launch=True)
    return any(arn in account.decrypting for arn in paths)


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
