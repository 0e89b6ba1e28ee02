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
none is left, the roles it reaches searched again after each round. A rewrite that may lower what its target can do
(``_lowers``: joining a group whose policies hold a Deny, removing a policy or leaving a group whose Allows go with
its Denies) is not always taken: once no other is left, the judgement explores both ways, taken and not, at most
``MAX_FORKS`` times a principal (past that it is named unjudged: a Deny never hides what not joining gives).
It is a reader once one of them decrypts through its IAM policies (``key_readers.iam_decrypts``) or it reaches a
role that decrypts. Only the rights of principals of the account count: the checker's own identity is one of
them on aws, and its reaping rights (iam:DeleteRolePolicy, DetachRolePolicy on ``*``) raise only a role whose Deny
of kms:Decrypt they may remove.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lakehouse.checks.alert_delivery import KmsKey
from lakehouse.checks.iam_access import Decision, Policy, action_matches, decide, memoised
from lakehouse.checks.key_readers import AccountPrincipal, becoming, iam_decrypts, role_infos
from lakehouse.checks.resource_policy import Context, strings
from lakehouse.checks.role_paths import RAISING, Actor, Rewrite, made_or_taken, path_text, reachable, rewrites

#: How many take-or-leave choices (``_lowers``) one principal's judgement explores both ways; past them it is
#: named unjudged (red), never passed.
MAX_FORKS = 32
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
    #: Rewrites (``_done``) applied, or declined on this branch of a choice.
    applied: set[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=set)
    #: Users whose credentials it may mint: it acts as them too.
    taken: list[str] = field(default_factory=list)

    def fork(self) -> _Raising:
        """A copy to explore the other way of a choice on."""
        return _Raising(dict(self.state), list(self.steps), set(self.applied), list(self.taken))


def _done(target: AccountPrincipal, rewrite: Rewrite) -> tuple[str, str, str, tuple[str, ...]]:
    """What names a rewrite of ``target`` once applied or declined (one removal per policy removed)."""
    return (target.arn, rewrite.action, rewrite.resource, rewrite.removes)


def _lowers(target: AccountPrincipal, rewrite: Rewrite) -> bool:
    """Whether ``rewrite`` may take from ``target`` what it could do: it adds a policy holding a Deny (a group
    joined), or removes one holding an Allow (a policy removed, a group left). Any policy of the caller's choosing
    (``adds`` None) lowers nothing: ``Allow *`` covers what it replaces."""
    if rewrite.adds is None:
        return False
    removed = [p for p in target.identity if p.source in rewrite.removes]
    return _holds(rewrite.adds, "Deny") or _holds(removed, "Allow")


def _holds(policies: Sequence[Policy], effect: str) -> bool:
    return any(statement.get("Effect") == effect for policy in policies for statement in policy.statements())


def _escalates(account: KeyAccount, principal: AccountPrincipal) -> str:
    """Why ``principal`` decrypts after raising what it is or becomes, or ``""``."""
    raising = _Raising({p.arn: p for p in [*account.principals, *account.more_roles]})
    return _explore(account, principal, raising, [MAX_FORKS])


def _explore(account: KeyAccount, principal: AccountPrincipal, raising: _Raising, forks: list[int]) -> str:
    """``_escalates`` from ``raising`` on: the rewrites that lower nothing applied round by round; then a choice
    that may lower (``_lowers``) explored declined, then taken (``forks``: how many more choices it may explore)."""
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
        if _round(account, on, raising) or len(raising.taken) != taken:
            continue
        choice = next(_allowed(account, on, raising, dict(raising.state), lowering=True), None)
        if choice is None:
            return ""
        if forks[0] <= 0:
            return (
                f"{who} may make more than {MAX_FORKS} choices that may lower what it can do (joining a group holding "
                f"a Deny, removing a policy or leaving a group holding an Allow), the next {choice[1].action} on "
                f"{choice[1].resource}: not judged, counted as a reader"
            )
        forks[0] -= 1
        declined = raising.fork()
        declined.applied.add(_done(*choice[:2]))
        if why := _explore(account, principal, declined, forks):
            return why
        _take(raising, *choice)


def _allowed(
    account: KeyAccount,
    on: Sequence[AccountPrincipal],
    raising: _Raising,
    before: Mapping[str, AccountPrincipal],
    lowering: bool,
) -> Iterator[tuple[AccountPrincipal, Rewrite, AccountPrincipal, Decision]]:
    """Each rewrite of one of ``on`` not applied (nor declined) yet that one of ``on`` may make as it is in
    ``before`` (target, rewrite, actor, decision): those that may lower what their target can do (``_lowers``), or
    those that may not."""
    for target in on:
        if target.arn in account.decrypting:
            continue
        for rewrite in rewrites(
            target.arn, target.kind, target.identity, target.boundary, account.groups, target.groups
        ):
            given = rewrite.adds is None and _given(raising.state[target.arn])
            if _done(target, rewrite) in raising.applied or (given and not rewrite.removes and not rewrite.unbounds):
                continue
            if _lowers(target, rewrite) != lowering:
                continue
            for current in on:
                actor = before[current.arn]
                decision = decide(actor.identity, actor.boundary, rewrite.action, rewrite.resource)
                if decision.allowed:
                    yield target, rewrite, actor, decision
                    break


def _round(account: KeyAccount, on: Sequence[AccountPrincipal], raising: _Raising) -> bool:
    """Apply every rewrite a principal of ``on`` may make on one of ``on`` not applied yet and that lowers nothing
    (so the order they are made in does not matter); whether one was."""
    new = False
    before = dict(raising.state)  # what each may do as the round starts: one rewrite's gains count next round
    for target, rewrite, actor, decision in _allowed(account, on, raising, before, lowering=False):
        _take(raising, target, rewrite, actor, decision)
        new = True
    return new


def _take(
    raising: _Raising, target: AccountPrincipal, rewrite: Rewrite, actor: AccountPrincipal, decision: Decision
) -> None:
    """Make ``rewrite`` of ``target`` as ``actor`` (``decision``: why it may), named in the steps."""
    raising.applied.add(_done(target, rewrite))
    raising.state[target.arn] = _apply(raising.state[target.arn], rewrite, actor.arn)
    because = "; ".join(m.describe() for m in decision.allows)
    gains = f": {rewrite.gains}" if rewrite.gains else ""
    raising.steps.append(f"{_short(actor.arn)} may call {rewrite.action} on {rewrite.resource} ({because}){gains}")


def _apply(target: AccountPrincipal, rewrite: Rewrite, actor: str) -> AccountPrincipal:
    """The principal once ``rewrite`` is made by ``actor``."""
    identity = [p for p in target.identity if p.source not in rewrite.removes]
    if rewrite.adds is None:
        identity.append(Policy.parse(f"a policy {_short(actor)} may give it ({rewrite.action})", GIVEN))
    else:
        identity += list(rewrite.adds)
    groups = (*target.groups, rewrite.joins) if rewrite.joins else target.groups
    groups = tuple(g for g in groups if g != rewrite.leaves)
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
