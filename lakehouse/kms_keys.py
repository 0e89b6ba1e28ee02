"""The stack's customer managed KMS keys: grants made outside Terraform, and a key policy the provider adopts.

A grant (``CreateGrant``) lets a principal use a key whatever the key policy says, and it is a Terraform resource of
its own (``aws_kms_grant``): one made by hand on a stack key lets someone decrypt outside the code, and no plan shows
it. So every grant on a stack key (a key of a stack alias, or tagged for the stack: the tagging sweep's, any region;
ListGrants, every page) must be in state, by its grant id. A grant whose grantee is an AWS service principal
(``<service>.amazonaws.com``) is one a service made for a resource encrypted with the key: ``CreateGrant`` takes
only account, user, role and session ARNs as grantee, so nobody can make one by hand (GrantListEntry: "when the
grantee principal in the grant is an AWS service, the GranteePrincipal field contains the service principal"). A
grant retired or revoked is no longer listed.

hashicorp/aws marks ``policy`` of ``aws_kms_key`` Optional+Computed: a root that sets none gets AWS's default key
policy, and a policy put by hand (``PutKeyPolicy``) later plans "No changes", yet it may let anyone decrypt. So each
stack key's policy (GetKeyPolicy ``default``) must mean what the state records: on the ``aws_kms_key_policy`` of that
key, else on the key. ``rotation_period_in_days`` is Optional+Computed too (hashicorp/aws 5.100.0's schema): a period
changed by hand (EnableKeyRotation ``RotationPeriodInDays``, up to 2560 days) plans no change when the root sets none,
so while rotation is on it must be what the state records (GetKeyRotationStatus). Rotation itself
(``enable_key_rotation``, Optional only) and an alias pointed at another key (``target_key_id``, required) are
attributes a refreshed plan shows when they drift; they need no read here.

A grant to a stack role on a key that is not the stack's (every other customer managed key of a region the inventory
reads: ListKeys) is the stack's as much as a policy attached to a stack role is: it gives the role the key's
operations, it is an ``aws_kms_grant`` the root could own, and no plan shows one made by hand. So is such a key
whose policy allows a stack role by its ARN (or a session of it): the key is then the stack's and must be an
``aws_kms_key`` of the state. A role named through a condition or a wildcard principal is not read; AWS managed keys
and keys pending deletion are not judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lakehouse.arns import arn_service
from lakehouse.inventory_kinds import LEAVING_KEY_STATES, TAGGED, USES_STACK

if TYPE_CHECKING:
    from lakehouse.inventory import _Search

KEY_GRANT = "aws_kms_grant"
#: How a grant on a stack key was found.
OF_STACK_KEY = f"{USES_STACK}: grant on a stack key"
#: What KMS answers for a key deleted since it was listed.
_GONE_KEY = "NotFoundException"
#: What GetKeyRotationStatus answers for a key that cannot rotate (asymmetric, HMAC, imported, custom key store).
_NO_ROTATION = "UnsupportedOperationException"
#: A service principal (``dynamodb.us-east-1.amazonaws.com``, ``rds.amazonaws.com.cn``): only services grant to one.
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")

#: How a state entry names a grant (``CloudResource.key``).
STATE_KEY = {KEY_GRANT: lambda v: str(v["grant_id"])}


def stack_keys(search: _Search) -> dict[str, str]:
    """Each stack key the search found so far (ARN -> its region): of a stack alias, or tagged for the stack."""
    keys = {r.key: r.region for r in search.inv.of_kind("aws_kms_key")}
    for res in search.inv.of_kind(TAGGED):
        if arn_service(res.key) == "kms" and res.key.split(":", 5)[-1].startswith("key/"):
            keys[res.key] = res.key.split(":")[3]
    return keys


def by_aws_service(grantee: str) -> bool:
    """Whether a grantee is an AWS service principal (a grant only the service itself can have made)."""
    return bool(_SERVICE_PRINCIPAL.match(grantee))


def key_grants(search: _Search) -> None:
    """Every grant on each stack key but an AWS service's, and each stack key's policy. Run after the tagging sweep:
    a stack key without a stack alias is known by its tag only (in any region it swept)."""
    for arn, region in sorted(stack_keys(search).items()):
        kms = search.target.client("kms", region=region)
        search.guarded(f"kms ListGrants/GetKeyPolicy of {arn}", region, _read_key, search, kms, arn, region)


def _read_key(search: _Search, kms: Any, arn: str, region: str) -> None:
    try:
        policy = kms.get_key_policy(KeyId=arn, PolicyName="default").get("Policy")
        grants = _grants(kms, arn)
        rotation = _rotation_days(kms, arn)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == _GONE_KEY:
            return  # deleted since it was listed: no grant, no policy
        raise
    search.inv.key_policies[arn] = str(policy or "")
    search.inv.key_rotations[arn] = rotation
    key_id = arn.rsplit("/", 1)[-1]
    for grant in grants:
        grantee = str(grant.get("GranteePrincipal") or "")
        if by_aws_service(grantee):
            continue
        grant_id = str(grant["GrantId"])
        operations = ", ".join(str(o) for o in grant.get("Operations") or [])
        named = f" {grant['Name']}" if grant.get("Name") else ""
        label = f"{grant_id}{named} on key {key_id}: {operations} to {grantee}"
        search.add(KEY_GRANT, grant_id, label, region, (OF_STACK_KEY,))


def _grants(kms: Any, arn: str) -> list[dict[str, Any]]:
    return [g for page in kms.get_paginator("list_grants").paginate(KeyId=arn) for g in page.get("Grants") or []]


def _rotation_days(kms: Any, arn: str) -> int | None:
    """A key's rotation period while rotation is on (None: off, or a key that cannot rotate)."""
    try:
        status = kms.get_key_rotation_status(KeyId=arn)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == _NO_ROTATION:
            return None
        raise
    days = status.get("RotationPeriodInDays")
    return int(days) if status.get("KeyRotationEnabled") and days is not None else None


def outside_keys(search: _Search, region: str) -> None:
    """Grants to a stack role on every other customer managed key of ``region``, and such a key whose policy allows
    a stack role. Run after ``key_grants``: stack keys are read there."""
    roles = {r.name for r in search.inv.of_kind("aws_iam_role")}
    if not roles:
        return
    ours = set(stack_keys(search))
    kms = search.target.client("kms", region=region)
    for page in kms.get_paginator("list_keys").paginate():
        for arn in (str(k["KeyArn"]) for k in page.get("Keys") or []):
            if arn not in ours:
                what = f"kms DescribeKey/ListGrants/GetKeyPolicy of {arn}"
                search.guarded(what, region, _read_outside_key, search, kms, arn, region, roles)


def stack_role_of(principal: str, account: str, roles: set[str]) -> str | None:
    """The stack role a principal ARN is, or a session of (``arn:aws:iam::<account>:role/<path>/<name>``,
    ``arn:aws:sts::<account>:assumed-role/<name>/<session>``); None for anything else."""
    parts = principal.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or parts[4] != account:
        return None
    if parts[2] == "iam" and parts[5].startswith("role/"):
        name = parts[5].rsplit("/", 1)[-1]
    elif parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
    else:
        return None
    return name if name in roles else None


def _policy_roles(text: str, account: str, roles: set[str]) -> set[str]:
    """The stack roles a key policy's Allow statements name as principal."""
    try:
        policy = json.loads(text)
    except ValueError:
        return set()
    found = policy.get("Statement") if isinstance(policy, Mapping) else None
    named = set()
    for statement in found if isinstance(found, list) else [found]:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, Mapping) else None
        for value in aws if isinstance(aws, list) else [aws]:
            if isinstance(value, str) and (role := stack_role_of(value, account, roles)):
                named.add(role)
    return named


def _read_outside_key(search: _Search, kms: Any, arn: str, region: str, roles: set[str]) -> None:
    try:
        meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
        if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in LEAVING_KEY_STATES:
            return
        grants = _grants(kms, arn)
        policy = str(kms.get_key_policy(KeyId=arn, PolicyName="default").get("Policy") or "")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == _GONE_KEY:
            return  # deleted since it was listed
        raise
    key_id, account = arn.rsplit("/", 1)[-1], search.inv.account
    for grant in grants:
        grantee = str(grant.get("GranteePrincipal") or "")
        role = stack_role_of(grantee, account, roles)
        if role is None:
            continue
        operations = ", ".join(str(o) for o in grant.get("Operations") or [])
        named = f" {grant['Name']}" if grant.get("Name") else ""
        label = f"{grant['GrantId']}{named} on key {key_id} (not the stack's): {operations} to {grantee}"
        search.add(KEY_GRANT, str(grant["GrantId"]), label, region, (f"{USES_STACK}: grant to stack role {role}",))
    if named_roles := sorted(_policy_roles(policy, account, roles)):
        how = tuple(f"{USES_STACK}: key policy allows stack role {r}" for r in named_roles)
        search.add("aws_kms_key", arn, f"{key_id} (its policy allows {', '.join(named_roles)})", region, how)


def key_rotation_drift(state: list[dict[str, Any]], rotations: Mapping[str, int | None]) -> list[str]:
    """``aws_kms_key <arn>: rotation_period_in_days is N but Terraform state records M`` for every key in state
    with rotation on in both whose period differs (``rotations``: by ARN, as the inventory read them). Rotation
    turned off or on by hand is ``enable_key_rotation`` drift, which the plan shows."""
    found = []
    for values in (r.get("values", {}) for r in state if r.get("type") == "aws_kms_key"):
        arn = str(values.get("arn"))
        now, then = rotations.get(arn), values.get("rotation_period_in_days")
        if not values.get("enable_key_rotation") or now is None or not isinstance(then, int | float) or then <= 0:
            continue
        if now != int(then):
            found.append(f"aws_kms_key {arn}: rotation_period_in_days is {now} but Terraform state records {then}")
    return found


def _meaning(value: Any) -> Any:
    """A policy element by meaning: a one-item list is its item, a list's order does not count (IAM reads
    ``"Action": "kms:*"`` and ``["kms:*"]`` alike), keys in any order."""
    if isinstance(value, Mapping):
        return {str(k): _meaning(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_meaning(v) for v in value]
        return items[0] if len(items) == 1 else sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    return value


def _policy(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return _meaning(json.loads(text))
    except ValueError:
        return text


def key_policy_drift(state: list[dict[str, Any]], policies: Mapping[str, str]) -> list[str]:
    """``aws_kms_key <arn>: policy is ... but Terraform state records ...`` for every key in state (``policies``:
    by ARN, as the inventory read them) whose policy means something else than the state's."""
    apart = {
        str(r.get("values", {}).get("key_id")): str(r.get("values", {}).get("policy") or "")
        for r in state
        if r.get("type") == "aws_kms_key_policy"
    }
    found = []
    for values in (r.get("values", {}) for r in state if r.get("type") == "aws_kms_key"):
        arn = str(values.get("arn"))
        now = policies.get(arn)
        if now is None:
            continue
        kept = [apart[k] for k in (arn, str(values.get("key_id")), str(values.get("id"))) if k in apart]
        if kept:
            then = kept[0]
        elif "policy" in values:
            then = str(values["policy"] or "")
        else:
            continue  # real state holds every attribute of the schema; a made-up one may not
        if _policy(now) != _policy(then):
            found.append(
                f"aws_kms_key {arn}: policy is {now or '(none)'} but Terraform state records {then or '(none)'}"
            )
    return found
