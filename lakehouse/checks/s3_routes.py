"""Routes to the lake's objects other than the analyst's own IAM policies and the bucket policy (exit check 6).

S3 serves an object to whoever one of these lets in, and Lake Formation sees none of them:

- an **access point** on a lake bucket: a request through it is allowed when the access point's
  policy (or, for a principal of the account, its identity policy on the access point's ARN) allows
  it *and* the bucket allows it; AWS's documented way to let access points decide is a bucket
  policy statement conditioned on ``s3:DataAccessPointAccount`` (or ``s3:DataAccessPointArn``).
  Without such a delegation an access point grants nothing the bucket policy does not (already
  judged); with it, every access point of the delegated account is read back (s3control
  ListAccessPoints, GetAccessPointPolicy) and its policy judged for the analyst and for principals
  outside the account. A Multi-Region Access Point over a lake bucket is one more access point of it
  (ListMultiRegionAccessPoints, GetMultiRegionAccessPointPolicy, asked in us-west-2 where AWS answers for
  them; its ARN has no region). A delegation to another account's access points cannot be read from here:
  it fails as such;
- **ACLs**: an object ACL granting READ, FULL_CONTROL or WRITE_ACP (which rewrites the ACL) to
  another account's canonical user, an e-mail grantee, or the AllUsers/AuthenticatedUsers groups,
  and a bucket ACL granting anything to them. S3 applies no ACL when the bucket's Object Ownership
  is ``BucketOwnerEnforced``, and ignores the public groups' grants under ``IgnorePublicAcls``
  (bucket or account Block Public Access), so those are read too and a healthy stack (ACLs
  disabled) stays green. A grant to the bucket owner's
  own canonical id hands the account's principals nothing their IAM policies do not;
- a **bucket policy** Allow naming a principal outside the account (another account, any account
  by wildcard, a service, a federated or canonical user): the plan lets only the stack's own
  principals read ``ssn`` data.

``read_routes`` talks to S3 and S3 Control; the ``*_problems`` functions are pure over what it read.
A read that fails is recorded, so the check cannot pass without it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.iam_access import (
    ANYONE,
    READ_ACTIONS,
    Policy,
    Principal,
    access_point_condition,
    action_matches,
    bucket_policy_statements,
    bucket_statement_match,
    decide,
    object_arn,
    outside_principals,
    principal_account,
    resource_matches,
)
from lakehouse.target import Target

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
PUBLIC_GROUPS = {ALL_USERS: "AllUsers (anyone)", AUTHENTICATED_USERS: "AuthenticatedUsers (any AWS account)"}
#: ACL permissions that read an object's bytes, or rewrite its ACL (PutObjectAcl) to grant that.
OBJECT_READS = frozenset({"READ", "FULL_CONTROL", "WRITE_ACP"})
ACLS_DISABLED = "BucketOwnerEnforced"
#: Where S3 Control answers for Multi-Region Access Points, by partition: AWS routes every such control-plane call
#: to US West (Oregon), whatever the stack's region.
MRAP_CONTROL_REGIONS = {"aws": "us-west-2"}
MULTI_REGION = "Multi-Region Access Point"


@dataclass
class AccessPoint:
    """One access point of a lake bucket and its policy (None: it has none): a regional one, or a Multi-Region
    Access Point (``kind``) over the bucket among others, judged the same way (its policy and the bucket's)."""

    name: str
    bucket: str
    arn: str
    policy: dict[str, Any] | None = None
    kind: str = "access point"
    #: Its own Block Public Access keeps a public policy (``*``) to the account (RestrictPublicBuckets).
    restrict_public: bool = False

    @property
    def label(self) -> str:
        """How a reason names it (``access point ap1``, ``Multi-Region Access Point m1``)."""
        return f"{self.kind} {self.name}"


@dataclass
class BucketAcls:
    """What decides whether a bucket's ACLs count, and the ACLs themselves (read only when they count)."""

    ownership: str | None  # ObjectOwnership; None when the bucket has no ownership controls (ACLs apply)
    public_access_block: dict[str, Any] | None
    owner_id: str | None = None
    bucket_grants: list[dict[str, Any]] = field(default_factory=list)
    object_grants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class AccessGrants:
    """S3 Access Grants of the account in the region: ``status`` read, or unreadable (and why)."""

    status: str = "not read"  # "read" or "unreadable"
    instances: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None


@dataclass
class RoutesReadback:
    """Access points, ACLs, Block Public Access and Access Grants of the lake, and what could not be read."""

    access_points: dict[str, list[AccessPoint]] = field(default_factory=dict)
    acls: dict[str, BucketAcls] = field(default_factory=dict)
    account_public_access_block: dict[str, Any] | None = None
    access_grants: AccessGrants = field(default_factory=AccessGrants)
    #: GetBucketReplication of each lake bucket (None: it replicates nothing).
    replication: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_points": {b: [ap.__dict__ for ap in aps] for b, aps in self.access_points.items()},
            "acls": {b: a.__dict__ for b, a in self.acls.items()},
            "account_public_access_block": self.account_public_access_block,
            "access_grants": self.access_grants.__dict__,
            "replication": self.replication,
        }


# -- reading ---------------------------------------------------------------------------------------


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _without_account_host(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in front of the host; an endpoint at an IP (or localhost) has no such names."""
    parts = urlsplit(request.url)
    first, _, rest = parts.netloc.partition(".")
    host = rest.rsplit(":", 1)[0].strip("[]")
    if rest and first.isdigit() and len(first) == 12 and (host == "localhost" or _is_ip(host)):
        request.url = urlunsplit(parts._replace(netloc=rest))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def s3control(target: Target, region: str | None = None) -> Any:
    """S3 Control as the target configures it (in ``region``, else the target's): the local emulator, or an
    endpoint the aws target's settings name."""
    client = target.client("s3control", region=region)
    if target.is_local or target.configured_endpoint("s3control") is not None:
        client.meta.events.register("before-sign.s3-control", _without_account_host)
    return client


def next_token_pages(call: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a NextToken-paged list that boto3 has no paginator for (ListAccessPoints, ListPermissions)."""
    items: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        items += page.get(key) or []
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


def _json(text: str, what: str) -> dict[str, Any]:
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError(f"{what} is not a JSON object")
    return document


def read_access_points(control: Any, account: str, region: str, partition: str, bucket: str) -> list[AccessPoint]:
    """Every access point of ``bucket`` in ``account`` and its policy."""
    found = []
    for ap in next_token_pages(control.list_access_points, "AccessPointList", AccountId=account, Bucket=bucket):
        name = str(ap["Name"])
        # The ARN as AWS forms it for this region (what an access point policy's Resource names).
        point = AccessPoint(name, bucket, f"arn:{partition}:s3:{region}:{account}:accesspoint/{name}")
        try:
            text = control.get_access_point_policy(AccountId=account, Name=name)["Policy"]
            point.policy = _json(text, f"the policy of access point {name}")
        except ClientError as err:
            if _code(err) not in ("NoSuchAccessPointPolicy",):
                raise
        found.append(point)
    return found


def read_multi_region_access_points(
    control: Any, account: str, partition: str, buckets: Collection[str]
) -> dict[str, list[AccessPoint]]:
    """The account's Multi-Region Access Points over ``buckets`` (bucket -> points), with their policies.

    A request through one reaches whichever of its buckets S3 routes it to, so it is an access point of each of
    them. The established policy is in force; a proposed one (still being applied) is judged as well, as a point of
    its own: either may decide who lists the lake."""
    found: dict[str, list[AccessPoint]] = {}
    for mrap in next_token_pages(control.list_multi_region_access_points, "AccessPoints", AccountId=account):
        name, alias = str(mrap["Name"]), str(mrap.get("Alias") or mrap["Name"])
        mine = [
            str(r["Bucket"])
            for r in mrap.get("Regions") or []
            if r.get("Bucket") in buckets and r.get("BucketAccountId") in (None, "", account)
        ]
        if not mine:
            continue
        try:
            answer = control.get_multi_region_access_point_policy(AccountId=account, Name=name)["Policy"]
        except ClientError as err:
            if _code(err) != "NoSuchMultiRegionAccessPointPolicy":
                raise
            answer = {}
        texts = {"": (answer.get("Established") or {}).get("Policy")}
        proposed = (answer.get("Proposed") or {}).get("Policy")
        if proposed and proposed != texts[""]:
            texts[" (proposed policy)"] = proposed
        restrict = bool((mrap.get("PublicAccessBlock") or {}).get("RestrictPublicBuckets"))
        arn = f"arn:{partition}:s3::{account}:accesspoint/{alias}"
        for suffix, text in texts.items():
            policy = _json(text, f"the policy of Multi-Region Access Point {name}") if text else None
            for bucket in mine:
                point = AccessPoint(name + suffix, bucket, arn, policy, MULTI_REGION, restrict)
                found.setdefault(bucket, []).append(point)
    return found


def _optional(call: Any, missing: tuple[str, ...], **params: Any) -> Any:
    """The answer, or None when S3 says the configuration does not exist."""
    try:
        return call(**params)
    except ClientError as err:
        if _code(err) in missing:
            return None
        raise


def read_acls(s3: Any, bucket: str, keys: Sequence[str]) -> BucketAcls:
    """Ownership controls and Block Public Access of a bucket; its ACLs and its objects' when ACLs apply."""
    controls = _optional(s3.get_bucket_ownership_controls, ("OwnershipControlsNotFoundError",), Bucket=bucket)
    rules = ((controls or {}).get("OwnershipControls") or {}).get("Rules") or []
    ownership = str(rules[0].get("ObjectOwnership")) if rules else None
    block = _optional(s3.get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",), Bucket=bucket)
    acls = BucketAcls(ownership, (block or {}).get("PublicAccessBlockConfiguration"))
    if ownership == ACLS_DISABLED:
        return acls  # S3 applies no ACL: nothing to read
    answer = s3.get_bucket_acl(Bucket=bucket)
    acls.owner_id = (answer.get("Owner") or {}).get("ID")
    acls.bucket_grants = list(answer.get("Grants") or [])
    for key in keys:
        try:
            acls.object_grants[key] = list(s3.get_object_acl(Bucket=bucket, Key=key).get("Grants") or [])
        except ClientError as err:
            if _code(err) not in ("NoSuchKey", "404"):
                raise
    return acls


def _without_dates(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k != "CreatedAt"} for item in items]


def read_access_grants(control: Any, account: str) -> AccessGrants:
    """The account's S3 Access Grants instances and every grant of its own (all pages).

    No instance: nothing is granted (AWS lists none). A failure is returned ``unreadable`` with S3
    Control's answer; the caller decides what that means on its target.
    """
    try:
        listed = next_token_pages(control.list_access_grants_instances, "AccessGrantsInstancesList", AccountId=account)
        found = AccessGrants("read", _without_dates(listed))
        if found.instances:
            grants = next_token_pages(control.list_access_grants, "AccessGrantsList", AccountId=account)
            found.grants = _without_dates(grants)
        return found
    except (ClientError, BotoCoreError) as err:
        return AccessGrants("unreadable", reason=f"S3 Control ListAccessGrantsInstances/ListAccessGrants: {err}")


def read_routes(
    target: Target, account: str, partition: str, objects: Mapping[str, Sequence[str]], probe_suffix: str
) -> RoutesReadback:
    """Access points, ACLs (of the real objects, not the probe keys), Block Public Access and Access Grants.

    Access Grants that cannot be read are an error on AWS; the local emulator has no such API
    (moto answers 404), so there they stay recorded ``unreadable`` in the evidence.
    """
    rb = RoutesReadback()
    s3 = target.client("s3")
    control = s3control(target)
    rb.access_grants = read_access_grants(control, account)
    if rb.access_grants.status == "unreadable":
        if target.is_local:
            rb.access_grants.reason = f"the local emulator has no S3 Access Grants API ({rb.access_grants.reason})"
        else:
            rb.errors.append(f"could not read the account's S3 Access Grants ({rb.access_grants.reason})")
    try:
        answer = _optional(
            control.get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",), AccountId=account
        )
        rb.account_public_access_block = (answer or {}).get("PublicAccessBlockConfiguration")
    except (ClientError, BotoCoreError) as err:
        rb.errors.append(f"could not read the account's Block Public Access settings (S3 Control): {err}")
    multi_region: dict[str, list[AccessPoint]] = {}
    try:
        if objects:
            oregon = s3control(target, MRAP_CONTROL_REGIONS.get(partition, target.region))
            multi_region = read_multi_region_access_points(oregon, account, partition, list(objects))
    except (ClientError, BotoCoreError, ValueError) as err:
        rb.errors.append(
            "could not read the account's Multi-Region Access Points (S3 Control ListMultiRegionAccessPoints, "
            f"GetMultiRegionAccessPointPolicy): {err}"
        )
    for bucket, keys in sorted(objects.items()):
        try:
            rb.access_points[bucket] = read_access_points(control, account, target.region, partition, bucket)
        except (ClientError, BotoCoreError, ValueError) as err:
            rb.errors.append(f"could not read the access points of {bucket} (S3 Control ListAccessPoints): {err}")
        if bucket in multi_region:
            rb.access_points.setdefault(bucket, []).extend(multi_region[bucket])
        try:
            answer = _optional(s3.get_bucket_replication, ("ReplicationConfigurationNotFoundError",), Bucket=bucket)
            rb.replication[bucket] = None if answer is None else answer.get("ReplicationConfiguration")
        except ClientError as err:
            if _code(err) != "NoSuchBucket":
                rb.errors.append(f"could not read the replication configuration of {bucket}: {err}")
        except BotoCoreError as err:
            rb.errors.append(f"could not read the replication configuration of {bucket}: {err}")
        real = [k for k in keys if not k.endswith(probe_suffix)]
        try:
            rb.acls[bucket] = read_acls(s3, bucket, real)
        except ClientError as err:
            if _code(err) == "NoSuchBucket":
                continue  # a workgroup naming a results bucket that is gone: nothing to open
            rb.errors.append(f"could not read the ACLs or ownership controls of {bucket}: {err}")
        except BotoCoreError as err:
            rb.errors.append(f"could not read the ACLs or ownership controls of {bucket}: {err}")
    return rb


# -- judging ---------------------------------------------------------------------------------------


def _grantee(grantee: Mapping[str, Any]) -> str:
    kind = grantee.get("Type")
    if kind == "Group":
        uri = str(grantee.get("URI"))
        return f"group {PUBLIC_GROUPS.get(uri, uri)}"
    if kind == "AmazonCustomerByEmail":
        return f"e-mail grantee {grantee.get('EmailAddress')}"
    return f"canonical user {grantee.get('ID')}"


def _outsider(grantee: Mapping[str, Any], owner_id: str | None, public_ignored: bool) -> bool:
    """A grantee outside the bucket owner's account (public groups count unless S3 ignores their grants)."""
    if grantee.get("Type") == "CanonicalUser":
        return bool(owner_id) and grantee.get("ID") != owner_id
    if grantee.get("Type") == "Group" and grantee.get("URI") in PUBLIC_GROUPS:
        return not public_ignored
    return True


def acl_problems(rb: RoutesReadback) -> list[str]:
    """ACL grants that let someone outside the account read (or list) a lake bucket's objects."""
    problems: list[str] = []
    account_block = rb.account_public_access_block or {}
    for bucket, acls in sorted(rb.acls.items()):
        if acls.ownership == ACLS_DISABLED:
            continue
        block = acls.public_access_block or {}
        ignored = bool(block.get("IgnorePublicAcls") or account_block.get("IgnorePublicAcls"))
        ownership = acls.ownership or "no ownership controls (ObjectWriter)"

        for grant in acls.bucket_grants:
            grantee = grant.get("Grantee") or {}
            if _outsider(grantee, acls.owner_id, ignored):
                problems.append(
                    f"the bucket ACL of lake bucket {bucket} grants {grant.get('Permission')} to {_grantee(grantee)} "
                    f"(Object Ownership: {ownership}; IgnorePublicAcls {'on' if ignored else 'off'}): they list "
                    "the keys of the lake's files, ssn tables included"
                )
        for key, grants in sorted(acls.object_grants.items()):
            for grant in grants:
                grantee = grant.get("Grantee") or {}
                if grant.get("Permission") in OBJECT_READS and _outsider(grantee, acls.owner_id, ignored):
                    how = "they can grant themselves READ, and " if grant.get("Permission") == "WRITE_ACP" else ""
                    problems.append(
                        f"the object ACL of s3://{bucket}/{key} grants {grant.get('Permission')} to "
                        f"{_grantee(grantee)} (Object Ownership: {ownership}; IgnorePublicAcls "
                        f"{'on' if ignored else 'off'}): {how}S3 serves the file to them, around Lake Formation"
                    )
    return problems


def denied_to(statements: Sequence[Mapping[str, Any]], principal: str, action: str, resource: str) -> bool:
    """An unconditional Deny naming ``*`` or the principal that matches the request."""
    for s in statements:
        if s.get("Effect") != "Deny" or s.get("Condition") or "NotPrincipal" in s or "NotAction" in s:
            continue
        value = s.get("Principal")
        names = value.get("AWS") if isinstance(value, Mapping) else value
        listed = [names] if isinstance(names, str) else list(names or [])
        if (
            ("*" in listed or principal.removeprefix("AWS ") in listed)
            and action_matches(_strs(s.get("Action")), action)
            and resource_matches(_strs(s.get("Resource")), resource)
        ):
            return True
    return False


def _strs(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def statement_allows(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether an Allow's action and resource elements name the request (its principal and Condition aside)."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        if action_matches(_strs(statement["NotAction"]), action):
            return False
    elif not action_matches(_strs(statement.get("Action")), action):
        return False
    if "NotResource" in statement:
        return not resource_matches(_strs(statement["NotResource"]), resource)
    return resource_matches(_strs(statement.get("Resource")), resource)


def outsider_problems(
    policies: Mapping[str, Mapping[str, Any] | None],
    objects: Mapping[str, Sequence[str]],
    account_id: str,
    policy_of: str = "the bucket policy of lake bucket",
    resource_of: Any = object_arn,
    restricted: Collection[str] = (),
) -> list[str]:
    """Allow statements of a bucket (or access point) policy letting principals outside the account read objects.

    ``restricted``: buckets under RestrictPublicBuckets, where S3 keeps an unconditional ``*`` (a public
    policy) to the account's own principals; a conditional one may not count as public, so it still counts.
    """
    problems: dict[tuple[str, str, str], str] = {}
    for owner, document in sorted(policies.items()):
        if not document:
            continue
        statements = bucket_policy_statements(document)
        for index, statement in enumerate(statements):
            if access_point_condition(statement) and policy_of.startswith("the bucket"):
                continue  # judged with the access points it delegates to
            outside = outside_principals(statement, account_id)
            if not outside:
                continue
            sid = str(statement.get("Sid") or f"#{index + 1}")
            for key in objects.get(owner, []):
                for action in READ_ACTIONS:
                    resource = resource_of(owner, key)
                    if not statement_allows(statement, action, resource):
                        continue
                    for who in outside:
                        if who == ANYONE and owner in restricted and not statement.get("Condition"):
                            continue
                        if denied_to(statements, who, action, resource):
                            continue
                        hedge = " (Condition not evaluated)" if statement.get("Condition") else ""
                        problems.setdefault(
                            (owner, sid, who),
                            f"statement {sid} of {policy_of} {owner} lets {who}, outside account {account_id}, "
                            f"read lake objects{hedge}: it allows {action} on {resource}",
                        )
    return list(problems.values())


@dataclass(frozen=True)
class Delegation:
    """A bucket policy statement handing reads of the bucket's objects to access points."""

    bucket: str
    sid: str
    accounts: tuple[str, ...]
    arns: tuple[str, ...]

    def covers(self, point: AccessPoint, account_id: str) -> bool:
        return account_id in self.accounts or any(fnmatchcase(point.arn, p) for p in self.arns)


def delegations(bucket: str, document: Mapping[str, Any] | None, keys: Sequence[str]) -> list[Delegation]:
    """The bucket policy's Allow statements, conditioned on access-point keys, that allow reading ``keys``."""
    return delegations_for(bucket, document, [(a, object_arn(bucket, k)) for k in keys for a in READ_ACTIONS])


def delegations_for(
    bucket: str, document: Mapping[str, Any] | None, requests: Sequence[tuple[str, str]]
) -> list[Delegation]:
    """The bucket policy's Allow statements, conditioned on access-point keys, that allow any of ``requests``
    (action, resource): reads of objects, or a listing of the bucket (``key_names``)."""
    found = []
    for index, statement in enumerate(bucket_policy_statements(document or {})):
        keys_required = access_point_condition(statement)
        if not keys_required or statement.get("Effect") != "Allow":
            continue
        if not any(statement_allows(statement, action, resource) for action, resource in requests):
            continue
        found.append(
            Delegation(
                bucket,
                str(statement.get("Sid") or f"#{index + 1}"),
                tuple(keys_required.get("s3:dataaccesspointaccount", [])),
                tuple(keys_required.get("s3:dataaccesspointarn", [])),
            )
        )
    return found


def point_object_arn(point_arn: str, key: str) -> str:
    return f"{point_arn}/object/{key}"


def access_point_problems(
    rb: RoutesReadback,
    bucket_policies: Mapping[str, Mapping[str, Any] | None],
    identity: Sequence[Policy],
    boundary: Policy | None,
    who: Principal,
    objects: Mapping[str, Sequence[str]],
    name: str = "the analyst role",
    outsiders: bool = True,
) -> list[str]:
    """Access points through which the analyst (or ``name``), or anyone outside the account, reads lake objects.

    ``outsiders=False`` judges ``who`` alone (a role the analyst reaches: the outsiders are judged once).
    """
    problems: list[str] = []
    account = who.account_id
    for bucket, keys in sorted(objects.items()):
        handed = delegations(bucket, bucket_policies.get(bucket), keys)
        for d in handed if outsiders else []:
            foreign = [a for a in d.accounts if a != account]
            foreign += [p for p in d.arns if p.split(":")[4:5] != [account]]
            if foreign:
                problems.append(
                    f"statement {d.sid} of the bucket policy of lake bucket {bucket} delegates reads of its objects "
                    f"to access points of another account ({', '.join(foreign)}): their policies, out of this "
                    "account's sight, decide who reads ssn"
                )
        for point in rb.access_points.get(bucket, []):
            through = next((d for d in handed if d.covers(point, account)), None)
            if through is None:
                continue  # without a delegation the bucket policy (judged already) must allow the read too
            where = f"{point.label} of lake bucket {bucket} (delegated by bucket policy {through.sid})"
            problems += _point_problems(point, where, keys, identity, boundary, who, name)
            if not outsiders:
                continue
            problems += outsider_problems(
                {point.name: point.policy},
                {point.name: keys},
                account,
                policy_of=f"the policy of {point.kind}",
                resource_of=lambda _name, key, arn=point.arn: point_object_arn(arn, key),
                restricted=[point.name] if point.restrict_public else (),
            )
    return problems


def _point_problems(
    point: AccessPoint,
    where: str,
    keys: Sequence[str],
    identity: Sequence[Policy],
    boundary: Policy | None,
    who: Principal,
    name: str = "the analyst role",
) -> list[str]:
    """The analyst reading through one delegated access point: by its policy, or by its own IAM policies."""
    statements = bucket_policy_statements(point.policy or {})
    found: dict[str, str] = {}
    for key in keys:
        for action in READ_ACTIONS:
            resource = point_object_arn(point.arn, key)
            matches = [
                replace(m, policy_of=f"the policy of {point.kind}")
                for i, s in enumerate(statements)
                if (m := bucket_statement_match(s, point.name, i, who, action, resource)) is not None
            ]
            iam = decide(identity, boundary, action, resource)
            if any(m.effect == "Deny" for m in matches) or iam.denies or iam.boundary_denies:
                continue
            for m in matches:
                if m.effect == "Allow" and (m.reach == "direct" or iam.allowed):
                    found.setdefault(
                        m.describe(),
                        f"{name} reads lake objects through {where}, around Lake Formation: "
                        f"{m.describe()} allows {action} on {resource}",
                    )
            if iam.allowed:
                first = iam.allows[0].describe()
                found.setdefault(
                    first,
                    f"{name} reads lake objects through {where}, around Lake Formation: "
                    f"{first} allows {action} on {resource}",
                )
    return list(found.values())


# -- S3 Access Grants ------------------------------------------------------------------------------
#
# An access grant hands an IAM principal (or an Identity Center user or group) temporary S3
# credentials for a location scope (``s3://bucket/prefix*``): S3 serves the objects there to it, and
# Lake Formation never sees the read. READ and READWRITE grants read objects. Whether the grantee
# also holds ``s3:GetDataAccess`` is not asked: a grant on ssn files is the culprit either way.

GRANT_READS = frozenset({"READ", "READWRITE"})


def grant_covers(scope: str, bucket: str, key: str) -> bool:
    """Whether an access grant's scope (``s3://b/prefix``, a trailing ``*`` or none) covers the object."""
    uri = f"s3://{bucket}/{key}"
    if scope.endswith("*"):
        return fnmatchcase(uri, scope.replace("[", "[[]"))
    return uri == scope or uri.startswith(scope.rstrip("/") + "/") or scope in (f"s3://{bucket}", "s3://")


def access_grant_problems(
    grants: AccessGrants, principals: Mapping[str, str], objects: Mapping[str, Sequence[str]], account_id: str
) -> list[str]:
    """Access grants letting ``principals`` (ARN -> how to name it) or another account read lake objects."""
    problems: list[str] = []
    for grant in grants.grants:
        grantee = grant.get("Grantee") or {}
        identifier = str(grantee.get("GranteeIdentifier", ""))
        if grantee.get("GranteeType") != "IAM" or grant.get("Permission") not in GRANT_READS:
            continue
        owner = principal_account(identifier)
        name = principals.get(identifier)
        if name is None and owner is not None and owner != account_id:
            name = f"{identifier}, outside account {account_id},"
        if name is None:
            continue
        scope = str(grant.get("GrantScope", ""))
        hit = next(
            (f"s3://{b}/{k}" for b, keys in sorted(objects.items()) for k in keys if grant_covers(scope, b, k)), None
        )
        if hit is not None:
            problems.append(
                f"S3 Access Grant {grant.get('AccessGrantId')} gives {name} {grant.get('Permission')} on {scope}, "
                f"which holds lake object {hit}: S3 serves it around Lake Formation"
            )
    return problems


# -- replication -----------------------------------------------------------------------------------


def _rule_prefix(rule: Mapping[str, Any]) -> str:
    """The key prefix a replication rule copies (V2 ``Filter``, its ``And``, or the legacy ``Prefix``); tags
    in the filter are not known per object here, so a tag filter counts as matching."""
    found = rule.get("Filter")
    if isinstance(found, Mapping):
        both = found.get("And")
        inner: Mapping[str, Any] = both if isinstance(both, Mapping) else found
        return str(inner.get("Prefix") or "")
    return str(rule.get("Prefix") or "")


def replication_problems(
    routes: RoutesReadback, objects: Mapping[str, Sequence[str]], lake_buckets: Iterable[str], account: str
) -> list[str]:
    """Enabled replication rules copying lake objects out of the lake: to a bucket that is not a lake bucket,
    or into another account. The copies are ssn files in a bucket this check governs nothing of (its policy,
    its ACLs, who may read it there)."""
    lake = set(lake_buckets)
    problems: list[str] = []
    for bucket, config in sorted(routes.replication.items()):
        for index, rule in enumerate((config or {}).get("Rules") or []):
            if rule.get("Status") != "Enabled":
                continue
            prefix = _rule_prefix(rule)
            copied = next((k for k in objects.get(bucket, []) if k.startswith(prefix)), None)
            if copied is None:
                continue
            destination = rule.get("Destination") or {}
            target = str(destination.get("Bucket") or "").removeprefix("arn:aws:s3:::").split(":::")[-1]
            other = str(destination.get("Account") or "")
            if target in lake and other in ("", account):
                continue
            where = f"bucket {target}" + (f" of account {other}" if other and other != account else "")
            problems.append(
                f"replication rule {rule.get('ID') or f'#{index + 1}'} of lake bucket {bucket} copies "
                f"s3://{bucket}/{copied} (prefix {prefix or '(all)'}) to {where}, outside the lake this check "
                "governs: whoever may read there reads the copies"
            )
    return problems
