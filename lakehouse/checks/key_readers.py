"""Who of a KMS key's own account may decrypt what it encrypts, besides the principals that must.

A secret encrypted under a customer managed key (a Lambda receiver's paging token) is readable by whoever may
``kms:Decrypt`` the ciphertext. KMS lets a principal of the key's account do so through any of three
instruments (KMS developer guide, "Authentication and access control for AWS KMS", "Grants in AWS KMS"):

- the key policy naming it (a role or user ARN of the account, everyone under ``Principal: "*"``, everyone but a
  few under ``NotPrincipal``);
- a grant (ListGrants) to it whose encryption context constraint lets the secret's context through;
- its own IAM policies (and those of a user's groups, under its permissions boundary), but only when the key
  policy (or a grant) names the account's root: that is what "enables IAM policies" for the key. The statement
  itself lets nobody decrypt, so it alone makes nothing readable; the roles and users the account really has are
  read (ListRoles, ListUsers) and their policies judged.

Whoever may become a role that decrypts decrypts as it, so is a reader too (``becoming_readers``), by any of the
ways ``role_paths.reaching`` follows, through a chain of roles too: sts:AssumeRole; iam:UpdateAssumeRolePolicy on
the role (it then trusts the caller); iam:PassRole of it to a service it trusts with the power to make that service
run something as it (lambda:CreateFunction, ...: PassRole alone runs nothing); lambda:UpdateFunctionCode or
UpdateFunctionConfiguration of a function that runs as it (the receiver itself among them). Key administrators,
whom the key policy or their IAM policies allow kms:PutKeyPolicy or kms:CreateGrant, may give themselves Decrypt;
the console's default key policy gives them just that, so they are named (``self_granters``), not counted as
readers.

Conditions are evaluated (``resource_policy.condition_doubts``) for the request another principal of the
account would make: its ARN (``aws:PrincipalArn``, a role's for its sessions too), its account, the secret's
encryption context, and each way it may ask: straight to KMS (no ``kms:ViaService``) or through the service that
encrypted it (``kms:ViaService`` that service). A condition that may hold for one way counts; one that cannot be
evaluated counts too, and is named, since the question is whether the secret is safe. A Deny stops a principal
only when it is shown to apply. Service-linked roles (path ``/aws-service-role/``) are left out: only their
service may assume them and their policies are the service's, not the account's (IAM User Guide, "Service-linked
roles"). Principals outside the account are judged elsewhere (``iam_access.outside_principals``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from lakehouse.checks.alert_delivery import KmsKey, constraint_holds, encryption_context
from lakehouse.checks.iam_access import Policy, principal_account
from lakehouse.checks.resource_policy import (
    Context,
    action_covered,
    arn_parts,
    condition,
    condition_doubts,
    principal_is,
    resource_covered,
    sid,
    statements,
    strings,
)
from lakehouse.checks.role_paths import (
    Actor,
    Edge,
    RoleInfo,
    path_text,
    reaching,
    read_role_policies,
    read_user_policies,
)
from lakehouse.checks.schedule_role import applies
from lakehouse.target import Target

DECRYPT = "kms:Decrypt"
#: What lets a principal give itself kms:Decrypt without holding it: rewriting the key policy, or a grant to itself.
SELF_GRANTING = ("kms:PutKeyPolicy", "kms:CreateGrant")
#: The IAM path of every service-linked role.
SERVICE_LINKED_PATH = "/aws-service-role/"
#: The edges of ``role_paths`` by which a principal becomes a role, and so decrypts as it.
BECOMING = ("assumes", "retrusts", "passes", "runs")


@dataclass(frozen=True)
class AccountPrincipal:
    """A role or user of the key's account (``kind``) with its IAM policies and permissions boundary, and a role's
    trust policy (who may assume it)."""

    arn: str
    kind: str
    identity: tuple[Policy, ...]
    boundary: Policy | None
    trust: Mapping[str, Any] | None = None
    #: A user's groups (ARNs as IAM returns them, empty groups too): whose rewrite raises it.
    groups: tuple[str, ...] = ()


def _gone(err: ClientError, iam: Any, kind: str, name: str) -> bool:
    """Whether ``err`` (reading the policies of role or user ``name``) is that principal deleted meanwhile, not a
    policy it names that IAM does not have."""
    if str(err.response.get("Error", {}).get("Code", "")) != "NoSuchEntity":
        return False
    try:
        getattr(iam, f"get_{kind}")(**{f"{kind.capitalize()}Name": name})
    except ClientError:
        return True
    return False


def read_account_principals(target: Target, skip: Collection[str]) -> list[AccountPrincipal]:
    """Every role (but service-linked ones and ``skip``) and user of the account with its policies; one deleted
    while read is left out, other AWS errors raise."""
    iam = target.client("iam")
    found: list[AccountPrincipal] = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles") or []:
            arn = str(role["Arn"])
            if arn in skip or str(role.get("Path") or "").startswith(SERVICE_LINKED_PATH):
                continue
            try:
                identity, boundary = read_role_policies(target, arn)
            except ClientError as err:
                if not _gone(err, iam, "role", str(role["RoleName"])):
                    raise
                continue
            trust = Policy.parse("trust policy", role.get("AssumeRolePolicyDocument") or {}).document
            found.append(AccountPrincipal(arn, "role", tuple(identity), boundary, trust))
    for page in iam.get_paginator("list_users").paginate():
        for user in page.get("Users") or []:
            if str(user["Arn"]) in skip:
                continue
            try:
                identity, boundary, groups = read_user_policies(target, str(user["UserName"]))
            except ClientError as err:
                if not _gone(err, iam, "user", str(user["UserName"])):
                    raise
                continue
            found.append(AccountPrincipal(str(user["Arn"]), "user", tuple(identity), boundary, groups=tuple(groups)))
    return found


def may_hold(statement: Mapping[str, Any], contexts: Sequence[Context]) -> tuple[bool | None, list[str]]:
    """Whether the statement's condition holds for some way of asking: True, False, or None (cannot be evaluated,
    with the tests that could not)."""
    verdicts = [condition_doubts(statement, context) for context in contexts]
    if any(holds is True for holds, _ in verdicts):
        return True, []
    unknown = [doubts for holds, doubts in verdicts if holds is None]
    return (None, unknown[0]) if unknown else (False, [])


def _hedge(doubts: Sequence[str]) -> str:
    return f" (under a condition the check cannot evaluate: {'; '.join(doubts)})" if doubts else ""


def with_principal(contexts: Sequence[Context], arn: str) -> list[Context]:
    return [{**context, "aws:principalarn": arn} for context in contexts]


def key_denies(key: KmsKey, key_arn: str, principal: str, contexts: Sequence[Context], action: str = DECRYPT) -> bool:
    """Whether a key policy Deny of ``action`` (kms:Decrypt) is shown to apply to ``principal`` (or its whole
    account) for every way it may ask."""
    parts = arn_parts(principal)
    root = f"arn:{parts[1]}:iam::{parts[4]}:root" if parts else principal
    return any(
        statement.get("Effect") == "Deny"
        and (principal_is(statement, principal) or principal_is(statement, root))
        and action_covered(statement, action)
        and resource_covered(statement, key_arn)
        and all(condition(statement, context) is True for context in contexts)
        for statement in statements(key.policy)
    )


def iam_allows(
    principal: AccountPrincipal, resource: str, contexts: Sequence[Context], action: str = DECRYPT
) -> list[str]:
    """The statements of the principal's IAM policies through which it may ``action`` (kms:Decrypt) ``resource``
    (empty: none, a Deny shown to apply, or a boundary that allows it under no statement)."""
    policies = [*principal.identity, *([principal.boundary] if principal.boundary is not None else [])]
    for policy in policies:
        for statement in policy.statements():
            if (
                statement.get("Effect") == "Deny"
                and applies(statement, action, resource)
                and all(condition(statement, context) is True for context in contexts)
            ):
                return []

    def allowing(policy: Policy) -> list[str]:
        found = []
        for index, statement in enumerate(policy.statements()):
            if statement.get("Effect") == "Allow" and applies(statement, action, resource):
                holds, doubts = may_hold(statement, contexts)
                if holds is not False:
                    found.append(f"{sid(statement, index)} of {policy.source}{_hedge(doubts)}")
        return found

    allows = [found for policy in principal.identity for found in allowing(policy)]
    if principal.boundary is not None and not allowing(principal.boundary):
        return []
    return allows


def _everyone(statement: Mapping[str, Any]) -> bool:
    """Whether the statement's Principal is everyone (``"*"``, or ``{"AWS": "*"}``)."""
    principal = statement.get("Principal")
    return principal == "*" or (isinstance(principal, dict) and "*" in strings(principal.get("AWS")))


def _of_role(arn: str, roles: Collection[str]) -> bool:
    """Whether ``arn`` is one of ``roles`` or a session of one (``arn:aws:sts::<account>:assumed-role/<name>/*``)."""
    parts = arn_parts(arn)
    if arn in roles or not parts or not parts[5].startswith("assumed-role/"):
        return arn in roles
    name = parts[5].removeprefix("assumed-role/").split("/", 1)[0]
    return any(role.rsplit("/", 1)[-1] == name and arn_parts(role)[4:5] == parts[4:5] for role in roles)


@dataclass
class Readers:
    """Who of the account may decrypt: each named with the statement or grant that lets it (``found``; ``arns``:
    the roles and users among them, whom assuming them reads too), and what leaves it to the account's IAM policies
    (``delegating``: a key policy statement naming the account's root, with its condition to hold for the principal,
    or a grant to the root, None)."""

    found: list[str]
    delegating: list[tuple[str, Mapping[str, Any] | None]]
    arns: list[str] = field(default_factory=list)


def key_policy_readers(
    key: KmsKey, key_arn: str, account: str, must: Collection[str], contexts: Sequence[Context]
) -> Readers:
    """The principals of ``account`` other than ``must`` (roles, their sessions too) the key policy and grants let
    kms:Decrypt a ciphertext asked for in ``contexts``, and what hands the decision to IAM."""
    readers = Readers([], [], [])
    for index, statement in enumerate(statements(key.policy)):
        if statement.get("Effect") != "Allow" or not (
            action_covered(statement, DECRYPT) and resource_covered(statement, key_arn)
        ):
            continue
        where = f"key policy {sid(statement, index)}"
        if "NotPrincipal" in statement or _everyone(statement):
            holds, doubts = may_hold(statement, contexts)
            named = "NotPrincipal" if "NotPrincipal" in statement else "Principal *"
            if holds is not False:
                readers.found.append(
                    f"{where} allows every principal of the account ({named}) kms:Decrypt{_hedge(doubts)}"
                )
            continue
        principal = statement.get("Principal")
        for arn in strings(principal.get("AWS")) if isinstance(principal, dict) else []:
            if principal_account(arn) != account or _of_role(arn, must):
                continue
            is_root = arn == account or arn.endswith(f":iam::{account}:root")
            holds, doubts = may_hold(statement, contexts if is_root else with_principal(contexts, arn))
            if holds is False:
                continue
            if is_root:
                readers.delegating.append((where, statement))
            elif not key_denies(key, key_arn, arn, with_principal(contexts, arn)):
                readers.found.append(f"{where} allows {arn} kms:Decrypt{_hedge(doubts)}")
                readers.arns.append(arn)
    known = encryption_context(contexts[0]) if contexts else None
    for grant in key.grants or []:
        grantee = str(grant.get("GranteePrincipal") or "")
        if (
            principal_account(grantee) != account
            or _of_role(grantee, must)
            or "Decrypt" not in strings(grant.get("Operations"))
            or constraint_holds(grant.get("Constraints") or {}, known) is False
        ):
            continue
        where = f"grant {grant.get('GrantId') or '?'} (ListGrants)"
        if grantee.endswith(":root"):
            readers.delegating.append((where, None))
        elif not key_denies(key, key_arn, grantee, with_principal(contexts, grantee)):
            readers.found.append(f"{where} gives {grantee} Decrypt")
            readers.arns.append(grantee)
    return readers


def iam_decrypts(
    key: KmsKey,
    key_arn: str,
    principal: AccountPrincipal,
    contexts: Sequence[Context],
    delegating: Sequence[tuple[str, Mapping[str, Any] | None]],
) -> str:
    """Why the principal's own IAM policies let it kms:Decrypt with the key where something ``delegating``
    (``Readers.delegating``) hands them the decision, or ``""``: they do not, or the key policy is shown to deny it."""
    asked = with_principal(contexts, principal.arn)
    by = [where for where, statement in delegating if statement is None or may_hold(statement, asked)[0] is not False]
    allows = iam_allows(principal, key_arn, asked) if by else []
    if not allows or key_denies(key, key_arn, principal.arn, asked):
        return ""
    return (
        f"{principal.kind} {principal.arn} through its IAM policies ({', '.join(allows)}), which "
        f"{' and '.join(by)} leaves it to"
    )


def iam_readers(
    key: KmsKey,
    key_arn: str,
    principals: Sequence[AccountPrincipal],
    contexts: Sequence[Context],
    delegating: Sequence[tuple[str, Mapping[str, Any] | None]],
) -> list[tuple[str, str]]:
    """The roles and users (ARN, why) whose own IAM policies let them kms:Decrypt with the key where something
    ``delegating`` (``Readers.delegating``) hands them the decision; one the key policy is shown to deny is left
    out."""
    found = []
    for principal in principals:
        if why := iam_decrypts(key, key_arn, principal, contexts, delegating):
            found.append((principal.arn, why))
    return found


def role_infos(
    principals: Sequence[AccountPrincipal], functions: Mapping[str, Sequence[str]] | None = None
) -> dict[str, RoleInfo]:
    """The roles of ``principals`` as ``role_paths`` follows them (``functions``: role ARN -> the Lambda functions
    running as it)."""
    return {
        p.arn: RoleInfo(p.arn, p.trust or {}, list(p.identity), p.boundary, list((functions or {}).get(p.arn, ())))
        for p in principals
        if p.kind == "role"
    }


def becoming(
    decrypting: Collection[str],
    principals: Sequence[AccountPrincipal],
    account: str,
    more_roles: Sequence[AccountPrincipal] = (),
    functions: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[Edge]]:
    """Principal ARN -> its path onto a role of ``decrypting`` (``becoming_readers``)."""
    roles = role_infos([*principals, *more_roles], functions)
    actors = [Actor(p.arn, p.identity, p.boundary) for p in principals]
    return reaching(decrypting, actors, account, roles, kinds=BECOMING, launch=True)


def becoming_readers(
    decrypting: Collection[str],
    principals: Sequence[AccountPrincipal],
    account: str,
    more_roles: Sequence[AccountPrincipal] = (),
    functions: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The roles and users of ``principals`` that may become a role of ``decrypting``, through a chain of roles too
    (``role_paths.reaching`` over ``BECOMING``, passing a role only with the power to launch it): a role's sessions
    and code decrypt as it. ``more_roles``: roles to go through that are no candidate readers (the function's own
    role); ``functions``: role ARN -> the Lambda functions running as it (whose code or configuration a principal
    may replace)."""
    kinds = {p.arn: p.kind for p in principals}
    found = becoming(decrypting, principals, account, more_roles, functions)
    return [
        f"{kinds[arn]} {arn} may become role {path[-1].target}, which may decrypt ({path_text(arn, path, kinds[arn])})"
        for arn, path in sorted(found.items())
    ]


def self_grant_context(account: str, principal: str | None) -> Context:
    """The condition keys of ``principal`` (None: any of the account) calling KMS directly to give itself Decrypt:
    PutKeyPolicy, or CreateGrant with itself as grantee for Decrypt (a direct call, not one an integrated service
    makes on its behalf: ``kms:GrantIsForAWSResource`` false, KMS developer guide, "Controlling access to
    grants")."""
    context: dict[str, str | None] = {
        "aws:principalaccount": account,
        "kms:calleraccount": account,
        "aws:principalisawsservice": "false",
        "kms:viaservice": None,
        "kms:grantisforawsresource": "false",
        "kms:grantoperations": "Decrypt",
    }
    if principal is not None:
        context |= {"aws:principalarn": principal, "kms:granteeprincipal": principal}
    return context


def self_granters(
    key: KmsKey, key_arn: str, account: str, must: Collection[str], principals: Sequence[AccountPrincipal]
) -> list[str]:
    """Who of ``account`` (other than ``must``) may give itself kms:Decrypt with the key without holding it: the
    key policy (or, where it names the account's root, its own IAM policies) allows it kms:PutKeyPolicy or
    kms:CreateGrant. Evidence, not a failure: the console's default key policy gives its key administrators exactly
    these (KMS developer guide, "Default key policy": their statement allows kms:Create* and kms:Put*)."""
    found: dict[str, list[str]] = {}
    for index, statement in enumerate(statements(key.policy)):
        actions = [a for a in SELF_GRANTING if action_covered(statement, a)]
        if statement.get("Effect") != "Allow" or not actions or not resource_covered(statement, key_arn):
            continue
        where = f"key policy {sid(statement, index)}"
        if "NotPrincipal" in statement or _everyone(statement):
            holds, doubts = may_hold(statement, [self_grant_context(account, None)])
            if holds is not False:
                found.setdefault(f"every principal of the account{_hedge(doubts)}", []).append(
                    f"{', '.join(actions)} ({where})"
                )
            continue
        principal = statement.get("Principal")
        for arn in strings(principal.get("AWS")) if isinstance(principal, dict) else []:
            if principal_account(arn) != account or _of_role(arn, must):
                continue
            if arn == account or arn.endswith(f":iam::{account}:root"):
                for who, how in _iam_self_granters(key, key_arn, account, principals, statement, actions, where):
                    found.setdefault(who, []).extend(how)
                continue
            holds, doubts = may_hold(statement, [self_grant_context(account, arn)])
            if holds is not False:
                found.setdefault(arn, []).append(f"{', '.join(actions)} ({where}{_hedge(doubts)})")
    return [f"may grant themselves Decrypt: {who} via {'; '.join(how)}" for who, how in found.items()]


def _iam_self_granters(
    key: KmsKey,
    key_arn: str,
    account: str,
    principals: Sequence[AccountPrincipal],
    statement: Mapping[str, Any],
    actions: Sequence[str],
    where: str,
) -> list[tuple[str, list[str]]]:
    """The principals whose IAM policies allow them ``actions`` on the key where the key policy ``statement``
    (``where``) names the account's root: each with the actions and the statements allowing them."""
    found = []
    for member in principals:
        asked = [self_grant_context(account, member.arn)]
        if may_hold(statement, asked)[0] is False:
            continue
        how = []
        for action in actions:
            allows = iam_allows(member, key_arn, asked, action)
            if allows and not key_denies(key, key_arn, member.arn, asked, action):
                how.append(f"{action} ({', '.join(allows)}, which {where} leaves to it)")
        if how:
            found.append((f"{member.kind} {member.arn}", how))
    return found
