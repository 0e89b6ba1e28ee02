"""Exit check 6: the hidden column's values in the lake's S3 *key names*, for whoever may list a lake bucket.

Lake Formation and every GetObject judgement guard the bytes of the files; the names of the files are another
matter. A table partitioned by ``ssn`` (Hive ``ssn=123-45-6789/`` folders, an Iceberg identity partition, the
same under ``write.object-storage`` hash prefixes), or by a copy of it, or a job naming its files after a value,
writes every value into a key name; ``s3:ListBucket`` (``ListObjectsV2``) hands them over without one object read.
``s3:ListBucketVersions`` lists the keys of deleted and overwritten objects too.

The harness lists each lake bucket (read only, up to ``MAX_LISTED_KEYS`` keys) and searches each path segment
of each key, as written and URL-decoded (Hive and Iceberg escape partition values: ``%3D``, ``+``), with
``hidden_values``' matcher. Which principal may list is the IAM evaluator's question (``iam_access``), asked for
``s3:ListBucket`` on the bucket with the ``s3:prefix`` condition key evaluated for the request's ``Prefix``
(``resource_policy.condition``): a policy allowing only ``reports/*`` lists no partition folder of ``users/``,
while ``users/*`` or none lists them all. A listing shows every key under the prefix asked for, so a key is
shown to whoever may list with any prefix of it (no prefix at all too). Key names reach the evidence and the
reasons masked (``MASK``) segment by segment; the unmasked keys stay in memory for the judging.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.hidden_values import MASK, HiddenValues
from lakehouse.checks.iam_access import (
    ANYONE,
    BucketMatch,
    Decision,
    Policy,
    Principal,
    access_point_condition,
    bucket_policy_statements,
    bucket_statement_match,
    decide,
    outside_principals,
)
from lakehouse.checks.resource_policy import condition
from lakehouse.checks.s3_routes import AccessPoint, delegations_for, denied_to, statement_allows

#: What lists a bucket's keys: ListObjects(V2) the current ones, ListObjectVersions those of every version too.
LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")
#: Keys (object versions) read per lake bucket; past this a bucket someone may list cannot be vouched for.
MAX_LISTED_KEYS = 100_000
#: Keys showing a value named in the evidence per bucket (all are judged).
SHOWN_KEYS = 20
#: The condition key S3 sets from a listing's ``Prefix`` parameter (absent when the request has none).
PREFIX_KEY = "s3:prefix"


@dataclass(frozen=True)
class LeakyKey:
    """A key whose name shows a hidden value: the key itself (never in the evidence) and how it is shown."""

    key: str
    #: The key with each segment showing a value replaced by ``MASK``.
    shown: str
    #: Where the first segment showing a value starts: a listing prefix longer than this holds part of a value.
    at: int
    #: Whether a current object has this key (ListBucket shows it), or only old versions and delete markers.
    current: bool = True

    def prefix_shown(self, prefix: str | None) -> str:
        """A listing prefix of this key as a reason may quote it (a value in it masked)."""
        if prefix is None:
            return "no prefix"
        return repr(prefix if len(prefix) <= self.at else prefix[: self.at] + MASK)


@dataclass
class BucketKeys:
    """What listing one lake bucket found: how many keys, those showing a hidden value, whether all were read."""

    bucket: str
    listed: int = 0
    leaky: list[LeakyKey] = field(default_factory=list)
    complete: bool = True
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys_listed": self.listed,
            "keys_showing_hidden_values": len(self.leaky),
            "examples": [k.shown for k in self.leaky[:SHOWN_KEYS]],
            "complete": self.complete,
            "error": self.error,
        }


def _forms(segment: str) -> set[str]:
    """A path segment as written and URL-decoded (``%2D``; ``+`` for a space as Java's URLEncoder writes it)."""
    return {segment, unquote(segment), unquote_plus(segment)}


def segment_shows(segment: str, values: HiddenValues) -> bool:
    """Whether a key's path segment (``ssn=123-45-6789``, ``123-45-6789.json``, ``part-0-123456789.parquet``)
    shows a hidden value, as the value, a digest or an encoding of it."""
    return any(values.found_in(form) or values.found_in(form.partition("=")[2]) for form in _forms(segment) if form)


def leaky_key(key: str, values: HiddenValues, current: bool = True) -> LeakyKey | None:
    """The key as a ``LeakyKey`` when a segment of it shows a hidden value, else None."""
    segments = key.split("/")
    shows = [segment_shows(s, values) for s in segments]
    if not any(shows):
        return None
    at = sum(len(s) + 1 for s in segments[: shows.index(True)])
    shown = "/".join(MASK if hit else s for s, hit in zip(segments, shows, strict=True))
    return LeakyKey(key, shown, at, current)


def read_key_names(s3: Any, bucket: str, values: HiddenValues, max_keys: int = MAX_LISTED_KEYS) -> BucketKeys:
    """List every key of ``bucket`` (ListObjectVersions: deleted objects' keys too) as the harness and keep those
    showing a hidden value; a bucket that is gone shows nothing, another failure is kept as the bucket's error."""
    found = BucketKeys(bucket)
    current: dict[str, bool] = {}
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions") or []:
                current[version["Key"]] = current.get(version["Key"], False) or bool(version.get("IsLatest"))
            for marker in page.get("DeleteMarkers") or []:
                current.setdefault(marker["Key"], False)
            found.listed += len(page.get("Versions") or []) + len(page.get("DeleteMarkers") or [])
            if found.listed >= max_keys and (page.get("IsTruncated") or found.listed > max_keys):
                found.complete = False
                break
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "NoSuchBucket":
            found.error = f"could not list s3://{bucket} (ListObjectVersions): {err}"
    except BotoCoreError as err:
        found.error = f"could not list s3://{bucket} (ListObjectVersions): {err}"
    if len(values):
        found.leaky = [k for key, now in sorted(current.items()) if (k := leaky_key(key, values, now)) is not None]
    return found


#: A path segment as it sits in a reason or an evidence string (up to a slash, a space or a quote).
_SEGMENT = re.compile(r"[^/\s'\"]+")


def masking(listed: Mapping[str, BucketKeys]) -> Any:
    """A function masking, in any evidence (strings, nested lists and dicts), every path segment that a listed
    key showed a value in: the lake's files are named elsewhere in the evidence (objects tried, HeadObject), and
    it must not repeat the leak."""
    segments = {
        segment
        for keys in listed.values()
        for k in keys.leaky
        for segment, shown in zip(k.key.split("/"), k.shown.split("/"), strict=True)
        if shown == MASK
    }

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        bare = token.rstrip(",.;:)")
        return MASK + token[len(bare) :] if bare in segments or token in segments else token

    def mask(item: Any) -> Any:
        if isinstance(item, str):
            return _SEGMENT.sub(one, item) if segments else item
        if isinstance(item, Mapping):
            return {k: mask(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [mask(v) for v in item]
        return item

    return mask


# -- judging --------------------------------------------------------------------------------------


def _mentions_prefix(statement: Mapping[str, Any]) -> bool:
    block = statement.get("Condition")
    return isinstance(block, Mapping) and any(
        isinstance(tests, Mapping) and any(str(k).lower() == PREFIX_KEY for k in tests) for tests in block.values()
    )


#: A statement whose condition cannot hold for the request: it matches no action (and keeps its place, so the
#: statements after it keep their ``#n`` names).
_NEVER: dict[str, Any] = {"Effect": "Allow", "Action": [], "Resource": []}


def at_prefix(statement: Mapping[str, Any], prefix: str | None) -> Mapping[str, Any]:
    """The statement as it applies to a listing with ``prefix`` (None: the request names none).

    Its ``s3:prefix`` tests are evaluated: shown not to hold, the statement applies to nothing; all tests shown to
    hold, it applies without a condition; otherwise (other keys: ``s3:delimiter``, ``aws:SecureTransport``) it
    stays as written, and the evaluator leans as it does for any condition (an Allow counts, a Deny does not).
    """
    if not _mentions_prefix(statement):
        return statement
    holds = condition(statement, {PREFIX_KEY: prefix})
    if holds is False:
        return {**_NEVER, "Sid": statement.get("Sid")} if statement.get("Sid") else _NEVER
    if holds is True:
        return {k: v for k, v in statement.items() if k != "Condition"}
    return statement


def _policy_at(policy: Policy, prefix: str | None) -> Policy:
    return Policy(policy.source, {**policy.document, "Statement": [at_prefix(s, prefix) for s in policy.statements()]})


@dataclass(frozen=True)
class Lister:
    """A principal whose listings are judged: its identity policies and boundary, and how a reason names it."""

    identity: Sequence[Policy]
    boundary: Policy | None
    who: Principal
    name: str = "the analyst role"

    def prefix_matters(self, document: Mapping[str, Any] | None, *more: Mapping[str, Any] | None) -> bool:
        """Whether any statement it is judged by (``more``: access point policies) tests ``s3:prefix`` (else one
        prefix decides for all)."""
        statements = [s for p in self.identity for s in p.statements()]
        statements += self.boundary.statements() if self.boundary else []
        statements += [s for d in (document, *more) for s in bucket_policy_statements(d or {})]
        return any(_mentions_prefix(s) for s in statements)

    def _iam(self, action: str, resource: str, prefix: str | None, evaluate: bool) -> Decision:
        identity = [_policy_at(p, prefix) for p in self.identity] if evaluate else list(self.identity)
        boundary = self.boundary if self.boundary is None or not evaluate else _policy_at(self.boundary, prefix)
        return decide(identity, boundary, action, resource)

    def lets_list(
        self, bucket: str, document: Mapping[str, Any] | None, action: str, prefix: str | None, evaluate: bool = True
    ) -> list[str]:
        """The statements letting it list ``bucket`` with ``prefix`` (empty: it may not); ``evaluate=False`` leaves
        ``s3:prefix`` unevaluated (an Allow under it counts, a Deny does not): may it list with *some* prefix?

        As for object reads (``iam_access.bucket_policy_problems``): within the account its identity policies
        (under its boundary) or a bucket policy statement naming it allow; one naming the account only delegates;
        any explicit Deny wins."""
        resource = f"arn:aws:s3:::{bucket}"
        iam = self._iam(action, resource, prefix, evaluate)
        statements = [at_prefix(s, prefix) if evaluate else s for s in bucket_policy_statements(document or {})]
        matches: list[BucketMatch] = [
            m
            for i, s in enumerate(statements)
            if (m := bucket_statement_match(s, bucket, i, self.who, action, resource)) is not None
        ]
        if any(m.effect == "Deny" for m in matches) or iam.denies or iam.boundary_denies:
            return []
        found = [m.describe() for m in matches if m.effect == "Allow" and (m.reach == "direct" or iam.allowed)]
        return found + ([m.describe() for m in iam.allows] if iam.allowed else [])

    def lets_list_through(
        self,
        point: AccessPoint,
        document: Mapping[str, Any] | None,
        action: str,
        prefix: str | None,
        evaluate: bool = True,
    ) -> list[str]:
        """The statements letting it list ``point``'s bucket through the access point (its ARN, or its alias) with
        ``prefix``; empty: it may not. ``document``: the bucket's policy.

        S3 serves a request through an access point when the access point's policy (a statement naming it, or
        naming the account while its identity policies allow) or its identity policies on the access point's ARN
        allow it, *and* the bucket allows it. A bucket policy delegating to access points (an Allow conditioned
        on ``s3:DataAccessPointAccount``/``DataAccessPointArn``, AWS's documented pattern) lets the point decide;
        without one the bucket policy itself must allow the listing, which ``lets_list`` judges. Any explicit
        Deny (identity, boundary, the point's policy, the bucket policy) wins."""
        bucket_arn = f"arn:aws:s3:::{point.bucket}"

        def at(statement: Mapping[str, Any]) -> Mapping[str, Any]:
            return at_prefix(statement, prefix) if evaluate else statement

        bucket_statements = [at(s) for s in bucket_policy_statements(document or {})]
        handed = delegations_for(point.bucket, {"Statement": bucket_statements}, [(action, bucket_arn)])
        through = next((d for d in handed if d.covers(point, self.who.account_id)), None)
        if through is None:
            return []
        iam = self._iam(action, point.arn, prefix, evaluate)
        matches = [
            replace(m, policy_of=f"the policy of {point.kind}")
            for i, s in enumerate(at(s) for s in bucket_policy_statements(point.policy or {}))
            if (m := bucket_statement_match(s, point.name, i, self.who, action, point.arn)) is not None
        ]
        matches += [
            m
            for i, s in enumerate(bucket_statements)
            if (m := bucket_statement_match(s, point.bucket, i, self.who, action, bucket_arn)) is not None
            and m.effect == "Deny"
        ]
        if any(m.effect == "Deny" for m in matches) or iam.denies or iam.boundary_denies:
            return []
        found = [m.describe() for m in matches if m.effect == "Allow" and (m.reach == "direct" or iam.allowed)]
        found += [m.describe() for m in iam.allows] if iam.allowed else []
        delegated = f" (delegated by statement {through.sid} of the bucket policy of {point.bucket})"
        return [f"{f}{delegated}" for f in found]


def _candidates(key: str) -> Iterable[str | None]:
    """Every listing prefix showing ``key``: none, then each prefix of it, shortest first."""
    yield None
    for end in range(len(key) + 1):
        yield key[:end]


#: A route's answer to "which statements let it list, with this prefix?" (action, prefix, evaluate s3:prefix).
Lets = Callable[[str, "str | None", bool], list[str]]


@dataclass
class Findings:
    """What judging listings found: problems, unknowns (the check cannot pass), and the statements allowing."""

    problems: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _judge_route(lister: Lister, keys: BucketKeys, lets: Lets, dependent: bool, route: str, found: Findings) -> None:
    """One way of listing ``keys.bucket`` (directly, or ``route``: through an access point), into ``found``."""
    bucket = keys.bucket
    where = f"lake bucket {bucket}{route}"
    for action in LIST_ACTIONS:
        some = lets(action, None, False)
        if not some:
            continue
        route_name = route.strip() or "the bucket itself"
        found.evidence.append(
            {"principal": lister.name, "bucket": bucket, "route": route_name, "action": action, "allowed_by": some}
        )
        if keys.error or not keys.complete:
            why = keys.error or f"it holds more than {MAX_LISTED_KEYS:,} keys"
            found.unknowns.append(
                f"{lister.name} may list {where} ({some[0]} allows {action}), and its key names were "
                f"not all searched for hidden values ({why})"
            )
            continue
        shown = [k for k in keys.leaky if k.current or action == "s3:ListBucketVersions"]
        memo: dict[str | None, list[str]] = {}
        revealed: list[tuple[LeakyKey, str | None, list[str]]] = []
        for key in shown:
            for prefix in _candidates(key.key) if dependent else [None]:
                if prefix not in memo:
                    memo[prefix] = lets(action, prefix, True)
                if memo[prefix]:
                    revealed.append((key, prefix, memo[prefix]))
                    break
        if revealed:
            key, prefix, by = revealed[0]
            more = f" (and {len(revealed) - 1} more keys)" if len(revealed) > 1 else ""
            found.problems.append(
                f"{lister.name} may list {where}: {by[0]} allows {action} with "
                f"{key.prefix_shown(prefix)}, and the key s3://{bucket}/{key.shown}{more} shows a hidden value "
                "in its name, around Lake Formation"
            )
            return  # ListBucketVersions shows what ListBucket does: one problem a route


def listing_problems(
    lister: Lister,
    policies: Mapping[str, Mapping[str, Any] | None],
    listed: Mapping[str, BucketKeys],
    points: Mapping[str, Sequence[AccessPoint]] | None = None,
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(problems, unknowns, evidence): lake buckets whose key names show hidden values to ``lister``.

    ``policies``: bucket -> its policy document; ``listed``: what listing each lake bucket found; ``points``:
    bucket -> its access points (a listing through one shows the bucket's keys, under the point's policy). A
    bucket it may list whose keys could not all be read is an unknown (the check cannot pass)."""
    found = Findings()
    for bucket, keys in sorted(listed.items()):
        document = policies.get(bucket)
        dependent = lister.prefix_matters(document)

        def direct(action: str, prefix: str | None, evaluate: bool, bucket: str = bucket) -> list[str]:
            return lister.lets_list(bucket, policies.get(bucket), action, prefix, evaluate)

        _judge_route(lister, keys, direct, dependent, "", found)
        for point in (points or {}).get(bucket, []):

            def through(action: str, prefix: str | None, evaluate: bool, point: AccessPoint = point) -> list[str]:
                return lister.lets_list_through(point, policies.get(point.bucket), action, prefix, evaluate)

            route = f" through {point.label}"
            _judge_route(lister, keys, through, dependent or lister.prefix_matters(None, point.policy), route, found)
    return found.problems, found.unknowns, found.evidence


# -- principals outside the account ----------------------------------------------------------------
#
# The plan lets only the stack's own principals read ssn; a listing showing it is a read. As for object reads
# (``s3_routes.outsider_problems``): an Allow of the bucket policy, or of the policy of an access point the bucket
# delegates to, naming another account, any account by wildcard, an unconfined service or ``*``; and a delegation
# of listing to another account's access points, whose policies this account cannot read.


def _outsider_hit(
    statement: Mapping[str, Any],
    denials: Sequence[tuple[Sequence[Mapping[str, Any]], str]],
    who: str,
    action: str,
    resource: str,
    keys: Sequence[LeakyKey],
) -> tuple[LeakyKey, str | None] | None:
    """The first key ``statement`` lets ``who`` list with some prefix (and the prefix), no Deny of ``denials``
    (statements, the resource they are judged on) stopping it; None when it shows none."""
    tests = [statement, *(s for statements, _ in denials for s in statements)]
    dependent = any(_mentions_prefix(s) for s in tests)
    memo: dict[str | None, bool] = {}
    for key in keys:
        for prefix in _candidates(key.key) if dependent else [None]:
            if prefix not in memo:
                memo[prefix] = statement_allows(at_prefix(statement, prefix), action, resource) and not any(
                    denied_to([at_prefix(s, prefix) for s in statements], who, action, on) for statements, on in denials
                )
            if memo[prefix]:
                return key, prefix
    return None


def outsider_listing_problems(
    policies: Mapping[str, Mapping[str, Any] | None],
    listed: Mapping[str, BucketKeys],
    account_id: str,
    points: Mapping[str, Sequence[AccessPoint]] | None = None,
    restricted: Collection[str] = (),
) -> list[str]:
    """Principals outside ``account_id`` that may list a lake bucket whose key names show hidden values.

    ``restricted``: buckets under RestrictPublicBuckets, where S3 keeps an unconditional ``*`` to the account."""
    problems: list[str] = []
    for bucket, keys in sorted(listed.items()):
        if not keys.leaky:
            continue
        bucket_arn = f"arn:aws:s3:::{bucket}"
        statements = bucket_policy_statements(policies.get(bucket) or {})
        handed = delegations_for(bucket, {"Statement": statements}, [(a, bucket_arn) for a in LIST_ACTIONS])
        for d in handed:
            foreign = [a for a in d.accounts if a != account_id] + [
                p for p in d.arns if p.split(":")[4:5] != [account_id]
            ]
            if foreign:
                problems.append(
                    f"statement {d.sid} of the bucket policy of lake bucket {bucket} delegates listing it to access "
                    f"points of another account ({', '.join(foreign)}): their policies, out of this account's "
                    f"sight, decide who lists key names showing hidden values (s3://{bucket}/{keys.leaky[0].shown})"
                )
        own = [s for s in statements if not access_point_condition(s)]
        shut = bucket in restricted
        routes = [(f"the bucket policy of lake bucket {bucket}", own, bucket_arn, [(statements, bucket_arn)], shut)]
        for point in (points or {}).get(bucket, []):
            if any(d.covers(point, account_id) for d in handed):
                mine = bucket_policy_statements(point.policy or {})
                where = f"the policy of {point.label} of lake bucket {bucket}"
                shut = point.restrict_public or bucket in restricted
                routes.append((where, mine, point.arn, [(mine, point.arn), (statements, bucket_arn)], shut))
        for where, route, resource, denials, shut in routes:
            for index, statement in enumerate(route):
                sid = str(statement.get("Sid") or f"#{index + 1}")
                for who in outside_principals(statement, account_id):
                    if who == ANYONE and shut and not statement.get("Condition"):
                        continue
                    for action in LIST_ACTIONS:
                        shown = [k for k in keys.leaky if k.current or action == "s3:ListBucketVersions"]
                        hit = _outsider_hit(statement, denials, who, action, resource, shown)
                        if hit is None:
                            continue
                        hedge = " (Condition not evaluated)" if at_prefix(statement, hit[1]).get("Condition") else ""
                        problems.append(
                            f"statement {sid} of {where} lets {who}, outside account {account_id}, list it{hedge}: "
                            f"it allows {action} on {resource} with {hit[0].prefix_shown(hit[1])}, and the key "
                            f"s3://{bucket}/{hit[0].shown} shows a hidden value in its name"
                        )
                        break
    return problems
