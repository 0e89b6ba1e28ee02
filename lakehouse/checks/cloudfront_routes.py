"""CloudFront distributions serving the lake's objects to the internet (exit check 6).

A lake bucket policy may let ``cloudfront.amazonaws.com`` read objects: AWS's origin access control
(OAC) pattern, kept to one distribution by an ``aws:SourceArn`` condition (or to the account's
distributions by ``aws:SourceAccount``). Without such a condition any account's distribution reads
them, which ``iam_access.outside_principals`` already fails. With it the distribution is the
account's own, yet a distribution serves what its origin returns to anyone on the internet unless the
cache behaviour a request falls under requires signed URLs or signed cookies, which CloudFront does
when the behaviour has trusted key groups (``TrustedKeyGroups``) or trusted signers
(``TrustedSigners``) (CloudFront API reference, CacheBehavior). So:

- every distribution such a statement names is read: a SourceArn without wildcard through
  GetDistribution; a pattern, or SourceAccount alone, through ListDistributions (every distribution
  of the account the condition lets in);
- every cache behaviour, the default one and each ordered one, is judged on its own (the order in
  which CloudFront tries them is not relied on: a behaviour no request reaches still counts) when its
  origin (or an origin of the origin group it targets) is the lake bucket's S3 REST endpoint
  (``<bucket>.s3[.<region>].amazonaws.com``; a website endpoint, which CloudFront reaches unsigned, is counted
  too) or an S3 access point alias (it may front any bucket),
  and its path pattern, behind the origin's ``OriginPath``, matches a key the statement lets
  CloudFront read (probe keys included: files still to come). Such a behaviour must require signed
  requests, by key groups or by signers of this account alone (``self`` or its id): another
  account's trusted signers sign URLs for whomever they like.

Path patterns compare as CloudFront documents them: ``*`` any characters, ``?`` one, case-sensitive,
a leading ``/`` optional; the object key is the origin path (without its leading ``/``) followed by
the request path (CloudFront developer guide, "Origin path" and "Path pattern"). A distribution that
cannot be read is unknown, never safe: the check ends ``error`` naming it.

``read_cloudfront`` talks to CloudFront; ``cloudfront_grants`` and ``cloudfront_problems`` are pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.iam_access import (
    READ_ACTIONS,
    access_point_condition,
    bucket_policy_statements,
    confined_to,
    object_arn,
    source_arns,
)
from lakehouse.checks.s3_routes import denied_to, statement_allows

CLOUDFRONT = "cloudfront.amazonaws.com"
#: A distribution's ARN (the id is what GetDistribution takes).
DISTRIBUTION_ARN = re.compile(r"^arn:aws[a-z-]*:cloudfront::(?P<account>\d{12}):distribution/(?P<id>[A-Za-z0-9]+)$")
#: An S3 REST endpoint as an origin's DomainName: virtual-hosted, global, regional, legacy or dual-stack.
S3_ORIGIN = re.compile(r"^(?P<bucket>.+)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")
#: What an S3 access point alias ends with (its bucket cannot be told from the name).
ACCESS_POINT_ALIAS = "-s3alias"
#: Where an unreadable ListDistributions is recorded in ``CloudFrontReadback.unreadable``.
LISTING = "ListDistributions"


def _wild(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def _glob(pattern: str) -> str:
    """A CloudFront path pattern or a policy ARN pattern as an fnmatch pattern (``[`` is literal)."""
    return pattern.replace("[", "[[]")


def distribution_id(arn: str) -> str | None:
    """The id of a distribution ARN; None for any other ARN (CloudFront never sends it as a distribution's)."""
    m = DISTRIBUTION_ARN.match(arn)
    return m.group("id") if m else None


@dataclass(frozen=True)
class CloudFrontGrant:
    """A lake bucket policy statement letting CloudFront read lake objects for this account's distributions."""

    bucket: str
    sid: str
    #: The ``aws:SourceArn`` patterns it requires; empty: ``aws:SourceAccount`` alone (any distribution of it).
    sources: tuple[str, ...]
    #: The lake keys it lets CloudFront read.
    keys: tuple[str, ...]

    @property
    def named(self) -> tuple[str, ...]:
        """Distribution ARNs named without a wildcard: each is read on its own (GetDistribution)."""
        return tuple(a for a in self.sources if not _wild(a) and distribution_id(a) is not None)

    @property
    def needs_listing(self) -> bool:
        """Whether it reaches distributions that only the account's list shows (a pattern, or no SourceArn)."""
        return not self.sources or any(_wild(a) for a in self.sources)

    def covers(self, arn: str, account_id: str) -> bool:
        """Whether CloudFront reads for the distribution ``arn`` under this statement."""
        if not self.sources:
            return arn.split(":")[4:5] == [account_id]
        return any(fnmatchcase(arn, _glob(p)) for p in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "sid": self.sid, "source_arns": list(self.sources), "keys": list(self.keys)}


def _services(statement: Mapping[str, Any]) -> list[str]:
    value = statement.get("Principal")
    names = value.get("Service") if isinstance(value, Mapping) else None
    return [names] if isinstance(names, str) else [str(n) for n in names or []]


def cloudfront_grants(
    policies: Mapping[str, Mapping[str, Any] | None],
    objects: Mapping[str, Sequence[str]],
    account_id: str,
    probe_suffix: str = "",
) -> list[CloudFrontGrant]:
    """The lake bucket policies' Allows letting CloudFront read lake objects for this account's distributions.

    One not confined to the account is left out: any account's distribution reads under it, and
    ``outsider_problems`` already names it. An unconditional Deny to everyone on a key takes it out.
    Keys ending in ``probe_suffix`` (files still to come) come after the real ones: a reason names a real file.
    """
    found: list[CloudFrontGrant] = []
    for bucket, document in sorted(policies.items()):
        statements = bucket_policy_statements(document or {})
        for index, statement in enumerate(statements):
            if statement.get("Effect") != "Allow" or CLOUDFRONT not in _services(statement):
                continue
            if access_point_condition(statement) or not confined_to(statement, account_id):
                continue
            ordered = sorted(objects.get(bucket, []), key=lambda k: bool(probe_suffix) and k.endswith(probe_suffix))
            keys = tuple(
                key
                for key in ordered
                if any(
                    statement_allows(statement, action, object_arn(bucket, key))
                    and not denied_to(statements, f"Service {CLOUDFRONT}", action, object_arn(bucket, key))
                    for action in READ_ACTIONS
                )
            )
            if keys:
                sid = str(statement.get("Sid") or f"#{index + 1}")
                found.append(CloudFrontGrant(bucket, sid, tuple(source_arns(statement)), keys))
    return found


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class Distribution:
    """One distribution as CloudFront answers it: what decides which requests reach which origin, signed or not."""

    id: str
    arn: str
    domain: str
    enabled: bool | None
    #: ``Origins``, ``OriginGroups``, ``DefaultCacheBehavior`` and ``CacheBehaviors`` of its configuration.
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        behaviours = [_summary("default", self.config.get("DefaultCacheBehavior") or {})] + [
            _summary(str(b.get("PathPattern")), b) for b in _items(self.config.get("CacheBehaviors"))
        ]
        return {
            "id": self.id,
            "arn": self.arn,
            "domain": self.domain,
            "enabled": self.enabled,
            "origins": [
                {"id": o.get("Id"), "domain": o.get("DomainName"), "path": o.get("OriginPath") or ""}
                for o in _items(self.config.get("Origins"))
            ],
            "origin_groups": {g: members for g, members in _groups(self.config).items()},
            "cache_behaviours": behaviours,
        }


def _summary(pattern: str, behaviour: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "path_pattern": pattern,
        "target_origin": behaviour.get("TargetOriginId"),
        "trusted_key_groups": behaviour.get("TrustedKeyGroups"),
        "trusted_signers": behaviour.get("TrustedSigners"),
    }


@dataclass
class CloudFrontReadback:
    """The distributions the lake's CloudFront grants reach, and which could not be read (and why)."""

    distributions: dict[str, Distribution] = field(default_factory=dict)  # by ARN
    #: ListDistributions was read whole: ``distributions`` holds every distribution of the account.
    listed: bool = False
    #: Distribution ARN (or ``LISTING``) -> why it could not be read.
    unreadable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "distributions": {arn: d.to_dict() for arn, d in sorted(self.distributions.items())},
            "listed": self.listed,
            "unreadable": self.unreadable,
        }


_CONFIG_KEYS = ("Origins", "OriginGroups", "DefaultCacheBehavior", "CacheBehaviors")


def _distribution(summary: Mapping[str, Any], config: Mapping[str, Any]) -> Distribution:
    """From GetDistribution (``config``: its DistributionConfig) or a ListDistributions item (the item itself)."""
    enabled = config.get("Enabled")
    return Distribution(
        str(summary.get("Id")),
        str(summary.get("ARN")),
        str(summary.get("DomainName")),
        bool(enabled) if enabled is not None else None,
        {k: config[k] for k in _CONFIG_KEYS if k in config},
    )


def read_cloudfront(client: Any, grants: Sequence[CloudFrontGrant]) -> CloudFrontReadback:
    """Each distribution a grant names (GetDistribution), and every one of the account when a grant needs it."""
    rb = CloudFrontReadback()
    for arn in sorted({a for g in grants for a in g.named}):
        ident = distribution_id(arn)
        try:
            answer = client.get_distribution(Id=ident)["Distribution"]
            rb.distributions[arn] = _distribution(answer, answer.get("DistributionConfig") or {})
        except (ClientError, BotoCoreError) as err:
            rb.unreadable[arn] = f"GetDistribution {ident}: {err}"
    if any(g.needs_listing for g in grants):
        try:
            for page in client.get_paginator("list_distributions").paginate():
                for item in (page.get("DistributionList") or {}).get("Items") or []:
                    found = _distribution(item, item)
                    rb.distributions.setdefault(found.arn, found)
            rb.listed = True
        except (ClientError, BotoCoreError) as err:
            rb.unreadable[LISTING] = f"ListDistributions: {err}"
    return rb


# -- judging ---------------------------------------------------------------------------------------


def _items(block: Any) -> list[dict[str, Any]]:
    """The ``Items`` of a CloudFront ``{Quantity, Items}`` block."""
    items = block.get("Items") if isinstance(block, Mapping) else None
    return [dict(i) for i in items or [] if isinstance(i, Mapping)]


def _groups(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """Origin group id -> its member origins' ids (a failover group fetches from either)."""
    return {
        str(g.get("Id")): [str(m.get("OriginId")) for m in _items(g.get("Members"))]
        for g in _items(config.get("OriginGroups"))
    }


def origin_reaches(domain: str, bucket: str) -> bool:
    """Whether an origin's DomainName fetches from ``bucket`` (an access point alias may: counted)."""
    m = S3_ORIGIN.match(domain.lower())
    if m is None:
        return False
    return m.group("bucket") == bucket or m.group("bucket").endswith(ACCESS_POINT_ALIAS)


def reached_key(keys: Sequence[str], origin_path: str, pattern: str) -> tuple[str, str] | None:
    """The first (key, request path) a behaviour's path pattern reaches behind ``origin_path``; None: none."""
    prefix = origin_path.strip("/")
    wanted = _glob(pattern.removeprefix("/"))
    for key in keys:
        if prefix and not key.startswith(prefix + "/"):
            continue
        path = key[len(prefix) + 1 :] if prefix else key
        if fnmatchcase(path, wanted):
            return key, path
    return None


def _enabled(block: Any) -> list[str]:
    """The items of an enabled TrustedKeyGroups/TrustedSigners block (empty: it signs nothing)."""
    if not isinstance(block, Mapping) or not block.get("Enabled"):
        return []
    return [str(i) for i in block.get("Items") or []]


def signing_problem(behaviour: Mapping[str, Any], account_id: str) -> str | None:
    """Why a cache behaviour does not keep its files to signed requests this account signs (None: it does)."""
    groups = _enabled(behaviour.get("TrustedKeyGroups"))
    signers = _enabled(behaviour.get("TrustedSigners"))
    if not groups and not signers:
        return "requires no signed URL or cookie (no trusted key group or trusted signer enabled)"
    foreign = [s for s in signers if s not in ("self", account_id)]
    if foreign:
        return (
            f"trusts the signers of account {', '.join(foreign)} (TrustedSigners): whoever holds their CloudFront "
            "key pairs signs URLs"
        )
    return None


def distribution_problems(grant: CloudFrontGrant, d: Distribution, account_id: str) -> list[str]:
    """The cache behaviours of ``d`` serving a key ``grant`` opens to CloudFront without this account's signature."""
    origins = {str(o.get("Id")): o for o in _items(d.config.get("Origins"))}
    groups = _groups(d.config)
    behaviours = [("its default cache behaviour (path pattern *)", "*", d.config.get("DefaultCacheBehavior") or {})]
    behaviours += [
        (f"its cache behaviour {b.get('PathPattern')!r}", str(b.get("PathPattern") or ""), b)
        for b in _items(d.config.get("CacheBehaviors"))
    ]
    problems: list[str] = []
    for name, pattern, behaviour in behaviours:
        target = str(behaviour.get("TargetOriginId"))
        for origin_id in groups.get(target, [target]):
            origin = origins.get(origin_id) or {}
            domain = str(origin.get("DomainName") or "")
            if not origin_reaches(domain, grant.bucket):
                continue
            hit = reached_key(grant.keys, str(origin.get("OriginPath") or ""), pattern)
            why = signing_problem(behaviour, account_id) if hit else None
            if hit is None or why is None:
                continue
            key, path = hit
            problems.append(
                f"statement {grant.sid} of the bucket policy of lake bucket {grant.bucket} lets CloudFront "
                f"distribution {d.id} ({d.arn}) read lake objects, and {name}, on origin {origin_id} ({domain}), "
                f"{why}: "
                f"it serves s3://{grant.bucket}/{key} to anyone on the internet at https://{d.domain}/{path}"
            )
            break
    return problems


def cloudfront_problems(
    grants: Sequence[CloudFrontGrant], rb: CloudFrontReadback, account_id: str
) -> tuple[list[str], list[str]]:
    """(problems, unknowns): distributions serving lake objects unsigned; grants whose distributions were not read."""
    problems: list[str] = []
    unknown: list[str] = []
    for grant in grants:
        where = (
            f"statement {grant.sid} of the bucket policy of lake bucket {grant.bucket} lets {CLOUDFRONT} read lake "
            "objects"
        )
        judged: dict[str, Distribution] = {}
        for arn in grant.named:
            if arn in rb.distributions:
                judged[arn] = rb.distributions[arn]
            else:
                why = rb.unreadable.get(arn, "not read")
                unknown.append(
                    f"{where} for distribution {arn}, which could not be read ({why}): whether it serves them to "
                    "anyone on the internet is unknown"
                )
        if grant.needs_listing:
            scope = (
                f"for every distribution of account {account_id} (aws:SourceAccount)"
                if not grant.sources
                else f"for the distributions matching {', '.join(grant.sources)}"
            )
            if rb.listed:
                judged.update({a: d for a, d in rb.distributions.items() if grant.covers(a, account_id)})
            else:
                why = rb.unreadable.get(LISTING, "not read")
                unknown.append(
                    f"{where} {scope}, and the account's distributions could not be listed ({why}): whether one "
                    "serves them to anyone on the internet is unknown"
                )
        for _, distribution in sorted(judged.items()):
            problems += distribution_problems(grant, distribution, account_id)
    return problems, unknown
