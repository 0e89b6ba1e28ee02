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
from dataclasses import dataclass
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
from lakehouse.checks.role_paths import read_role_policies, read_user_policies
from lakehouse.checks.schedule_role import applies
from lakehouse.target import Target

DECRYPT = "kms:Decrypt"
#: The IAM path of every service-linked role.
SERVICE_LINKED_PATH = "/aws-service-role/"


@dataclass(frozen=True)
class AccountPrincipal:
    """A role or user of the key's account (``kind``) with its IAM policies and permissions boundary."""

    arn: str
    kind: str
    identity: tuple[Policy, ...]
    boundary: Policy | None


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
            found.append(AccountPrincipal(arn, "role", tuple(identity), boundary))
    for page in iam.get_paginator("list_users").paginate():
        for user in page.get("Users") or []:
            if str(user["Arn"]) in skip:
                continue
            try:
                identity, boundary = read_user_policies(target, str(user["UserName"]))
            except ClientError as err:
                if not _gone(err, iam, "user", str(user["UserName"])):
                    raise
                continue
            found.append(AccountPrincipal(str(user["Arn"]), "user", tuple(identity), boundary))
    return found


def _may_hold(statement: Mapping[str, Any], contexts: Sequence[Context]) -> tuple[bool | None, list[str]]:
    """Whether the statement's condition holds for some way of asking: True, False, or None (cannot be evaluated,
    with the tests that could not)."""
    verdicts = [condition_doubts(statement, context) for context in contexts]
    if any(holds is True for holds, _ in verdicts):
        return True, []
    unknown = [doubts for holds, doubts in verdicts if holds is None]
    return (None, unknown[0]) if unknown else (False, [])


def _hedge(doubts: Sequence[str]) -> str:
    return f" (under a condition the check cannot evaluate: {'; '.join(doubts)})" if doubts else ""


def _with_principal(contexts: Sequence[Context], arn: str) -> list[Context]:
    return [{**context, "aws:principalarn": arn} for context in contexts]


def _key_denies(key: KmsKey, key_arn: str, principal: str, contexts: Sequence[Context]) -> bool:
    """Whether a key policy Deny of kms:Decrypt is shown to apply to ``principal`` (or its whole account) for every
    way it may ask."""
    parts = arn_parts(principal)
    root = f"arn:{parts[1]}:iam::{parts[4]}:root" if parts else principal
    return any(
        statement.get("Effect") == "Deny"
        and (principal_is(statement, principal) or principal_is(statement, root))
        and action_covered(statement, DECRYPT)
        and resource_covered(statement, key_arn)
        and all(condition(statement, context) is True for context in contexts)
        for statement in statements(key.policy)
    )


def iam_allows(principal: AccountPrincipal, resource: str, contexts: Sequence[Context]) -> list[str]:
    """The statements of the principal's IAM policies through which it may kms:Decrypt ``resource`` (empty: none,
    a Deny shown to apply, or a boundary that allows it under no statement)."""
    policies = [*principal.identity, *([principal.boundary] if principal.boundary is not None else [])]
    for policy in policies:
        for statement in policy.statements():
            if (
                statement.get("Effect") == "Deny"
                and applies(statement, DECRYPT, resource)
                and all(condition(statement, context) is True for context in contexts)
            ):
                return []

    def allowing(policy: Policy) -> list[str]:
        found = []
        for index, statement in enumerate(policy.statements()):
            if statement.get("Effect") == "Allow" and applies(statement, DECRYPT, resource):
                holds, doubts = _may_hold(statement, contexts)
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
    """Who of the account may decrypt: each named with the statement or grant that lets it (``found``), and what
    leaves it to the account's IAM policies (``delegating``: a key policy statement naming the account's root, with
    its condition to hold for the principal, or a grant to the root, None)."""

    found: list[str]
    delegating: list[tuple[str, Mapping[str, Any] | None]]


def key_policy_readers(
    key: KmsKey, key_arn: str, account: str, must: Collection[str], contexts: Sequence[Context]
) -> Readers:
    """The principals of ``account`` other than ``must`` (roles, their sessions too) the key policy and grants let
    kms:Decrypt a ciphertext asked for in ``contexts``, and what hands the decision to IAM."""
    readers = Readers([], [])
    for index, statement in enumerate(statements(key.policy)):
        if statement.get("Effect") != "Allow" or not (
            action_covered(statement, DECRYPT) and resource_covered(statement, key_arn)
        ):
            continue
        where = f"key policy {sid(statement, index)}"
        if "NotPrincipal" in statement or _everyone(statement):
            holds, doubts = _may_hold(statement, contexts)
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
            holds, doubts = _may_hold(statement, contexts if is_root else _with_principal(contexts, arn))
            if holds is False:
                continue
            if is_root:
                readers.delegating.append((where, statement))
            elif not _key_denies(key, key_arn, arn, _with_principal(contexts, arn)):
                readers.found.append(f"{where} allows {arn} kms:Decrypt{_hedge(doubts)}")
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
        elif not _key_denies(key, key_arn, grantee, _with_principal(contexts, grantee)):
            readers.found.append(f"{where} gives {grantee} Decrypt")
    return readers


def iam_readers(
    key: KmsKey,
    key_arn: str,
    principals: Sequence[AccountPrincipal],
    contexts: Sequence[Context],
    delegating: Sequence[tuple[str, Mapping[str, Any] | None]],
) -> list[str]:
    """The roles and users whose own IAM policies let them kms:Decrypt with the key where something ``delegating``
    (``Readers.delegating``) hands them the decision; one the key policy is shown to deny is left out."""
    found = []
    for principal in principals:
        asked = _with_principal(contexts, principal.arn)
        by = [
            where for where, statement in delegating if statement is None or _may_hold(statement, asked)[0] is not False
        ]
        allows = iam_allows(principal, key_arn, asked) if by else []
        if allows and not _key_denies(key, key_arn, principal.arn, asked):
            found.append(
                f"{principal.kind} {principal.arn} through its IAM policies ({', '.join(allows)}), which "
                f"{' and '.join(by)} leaves it to"
            )
    return found
