"""Whether a role's IAM policies let it read lake objects straight from S3 (around Lake Formation).

Lake Formation only governs what comes through it: a role whose own IAM policies allow
``s3:GetObject`` on the lake buckets reads every column of every file, ``ssn`` included. This
is a small evaluator of IAM's rules for one role, pure over the policy documents:

- a request is allowed when some identity policy statement allows it and none denies it;
- with a permissions boundary, the boundary must allow it too (effective = identity ∩
  boundary), and a Deny in the boundary also wins;
- ``Action`` compares case-insensitively, ``Resource`` case-sensitively, both with IAM's ``*``
  and ``?`` wildcards (``fnmatch``); a policy variable (``${...}``) matches anything.

It errs towards "allowed" where it cannot be sure, since the question is whether ssn is safe: in an
identity policy an Allow with ``NotAction``/``NotResource`` or a ``Condition`` counts as allowing, a Deny with
``NotAction``/``NotResource`` or a ``Condition`` counts as not denying. Resource (bucket, access point) and trust
policies name the principal, so their Conditions are evaluated on the keys certain for its request
(``condition_for``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

from lakehouse.checks.resource_policy import arn_parts, condition_doubts

#: What reads an object's bytes (a versioned bucket serves old versions through the second).
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
_VARIABLE = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Policy:
    """One policy document and where it came from (for the reason: which policy opens which bucket)."""

    source: str  # e.g. "inline policy lakehouse-analyst", "attached policy arn:...", "permissions boundary arn:..."
    document: Mapping[str, Any]

    @classmethod
    def parse(cls, source: str, document: str | Mapping[str, Any]) -> Policy:
        """IAM returns documents URL-encoded; boto3 usually decodes them, moto sometimes not."""
        if isinstance(document, str):
            text = document if document.lstrip().startswith("{") else unquote(document)
            return cls(source, json.loads(text))
        return cls(source, document)

    def statements(self) -> list[Mapping[str, Any]]:
        found = self.document.get("Statement") or []
        return [found] if isinstance(found, Mapping) else list(found)


@dataclass(frozen=True)
class Match:
    """One statement that allows or denies a request."""

    source: str
    sid: str
    effect: str
    uncertain: str | None = None  # why it only counts conservatively (NotAction, Condition...)

    def describe(self) -> str:
        hedge = f" (counted as matching: {self.uncertain})" if self.uncertain else ""
        return f"statement {self.sid} of {self.source}{hedge}"


@dataclass
class Decision:
    """IAM's answer for one action on one resource, with the statements behind it."""

    action: str
    resource: str
    allows: list[Match] = field(default_factory=list)
    denies: list[Match] = field(default_factory=list)
    boundary_allows: list[Match] | None = None  # None: the role has no boundary
    boundary_denies: list[Match] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        if not self.allows or self.denies or self.boundary_denies:
            return False
        return self.boundary_allows is None or bool(self.boundary_allows)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _glob(pattern: str) -> str:
    """An IAM pattern as an fnmatch pattern: ``[`` is literal in IAM, a variable matches anything."""
    return _VARIABLE.sub("*", pattern.replace("[", "[[]"))


#: A witness's stand-in for what a ``*`` matches besides nothing (a policy may Deny the empty completion only).
_WITNESS_FILL = "lakehouse-exit6-witness"


def _tokens(pattern: str) -> list[str]:
    """An IAM resource pattern as tokens: ``*`` (a variable ``${...}`` too), ``?``, or one literal character."""
    tokens: list[str] = []
    rest = _VARIABLE.sub("\0", pattern)
    for ch in rest:
        tokens.append("*" if ch in ("*", "\0") else ch)
    return tokens


def witnesses(pattern: str, prefix: str) -> list[str]:
    """Strings longer than ``prefix``, starting with it, that the IAM pattern matches, if any (a few: ``*``
    filled with nothing and with a name, from the least and the most advanced place in the pattern).

    Listing a table's files and a probe key under its location misses a policy that names only other or
    future keys (``users/data/2027-*``); a witness is a key the pattern does open under the location, found
    by running the pattern's automaton over the prefix and completing it from wherever it can be."""
    tokens = _tokens(pattern)

    def closure(states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            i = todo.pop()
            if i < len(tokens) and tokens[i] == "*" and i + 1 not in seen:
                seen.add(i + 1)
                todo.append(i + 1)
        return seen

    states = closure({0})
    for ch in prefix:
        stepped: set[int] = set()
        for i in states:
            if i < len(tokens) and (tokens[i] == "*" or tokens[i] == "?" or tokens[i] == ch):
                stepped.add(i if tokens[i] == "*" else i + 1)
        states = closure(stepped)
        if not states:
            return []
    found: list[str] = []
    for i in sorted({min(states), max(states)}):
        for fill in ("", _WITNESS_FILL):
            rest = "".join(fill if t == "*" else "x" if t == "?" else t for t in tokens[i:])
            if rest and prefix + rest not in found:  # the location's own folder key is no file of it
                found.append(prefix + rest)
    return found


def read_patterns(statements: Iterable[Mapping[str, Any]]) -> set[str]:
    """The Resource patterns of the statements that Allow an object read (``NotAction`` counts: it may)."""
    found: set[str] = set()
    for statement in statements:
        reads = "NotAction" in statement or any(
            action_matches(_listed(statement.get("Action")), a) for a in READ_ACTIONS
        )
        if statement.get("Effect") == "Allow" and reads:
            found.update(_listed(statement.get("Resource")))
    return found


def action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(fnmatchcase(action.lower(), _glob(p).lower()) for p in patterns)


def resource_matches(patterns: Iterable[str], resource: str) -> bool:
    return any(fnmatchcase(resource, _glob(p)) for p in patterns)


def statement_match(statement: Mapping[str, Any], source: str, index: int, action: str, resource: str) -> Match | None:
    """Whether a statement applies to the request, leaning the way that cannot hide access."""
    effect = str(statement.get("Effect", ""))
    sid = str(statement.get("Sid") or f"#{index + 1}")
    allow = effect == "Allow"
    doubts: list[str] = []
    if "NotAction" in statement:
        if not allow:
            return None
        doubts.append("NotAction")
    elif not action_matches(_listed(statement.get("Action")), action):
        return None
    if "NotResource" in statement:
        if not allow:
            return None
        doubts.append("NotResource")
    elif not resource_matches(_listed(statement.get("Resource")), resource):
        return None
    if statement.get("Condition"):
        if not allow:
            return None
        doubts.append("Condition not evaluated")
    if effect not in ("Allow", "Deny"):
        return None
    return Match(source, sid, effect, ", ".join(doubts) or None)


def _matches(policies: Sequence[Policy], action: str, resource: str, effect: str) -> list[Match]:
    found = []
    for policy in policies:
        for index, statement in enumerate(policy.statements()):
            match = statement_match(statement, policy.source, index, action, resource)
            if match is not None and match.effect == effect:
                found.append(match)
    return found


#: Within ``memoised``: (the identity policies' ids, the boundary's, action, resource) -> the policies (kept alive,
#: so no id is reused while the memo lives) and IAM's decision.
_Key = tuple[tuple[int, ...], int, str, str]
_MEMO: ContextVar[dict[_Key, tuple[Sequence[Policy], Policy | None, Decision]] | None] = ContextVar(
    "_MEMO", default=None
)


@contextmanager
def memoised() -> Iterator[None]:
    """Within the block ``decide`` answers each request of the same policies once: for a judgement that asks the
    same principals the same requests over and over against one readback (exit 7's escalation in place: a search
    per principal per round). Pure: a Policy is frozen and its document never written; the memo ends with the
    block, and a Decision it hands out is read, never changed."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def decide(identity: Sequence[Policy], boundary: Policy | None, action: str, resource: str) -> Decision:
    """What IAM decides for the role (identity policies, then the boundary) on one request."""
    memo = _MEMO.get()
    key = (tuple(map(id, identity)), id(boundary), action, resource)
    if memo is not None and (hit := memo.get(key)) is not None:
        return hit[2]
    decision = Decision(
        action=action,
        resource=resource,
        allows=_matches(identity, action, resource, "Allow"),
        denies=_matches(identity, action, resource, "Deny"),
        boundary_allows=None if boundary is None else _matches([boundary], action, resource, "Allow"),
        boundary_denies=[] if boundary is None else _matches([boundary], action, resource, "Deny"),
    )
    if memo is not None:
        memo[key] = (tuple(identity), boundary, decision)
    return decision


def object_arn(bucket: str, key: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}/{key}"


def object_read_problems(
    identity: Sequence[Policy],
    boundary: Policy | None,
    objects: Mapping[str, Sequence[str]],
    name: str = "the analyst role",
) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems (one per statement and bucket) where the role may read lake objects, and every decision made.

    ``objects``: bucket -> keys to try (the tables' real files and probes under their locations);
    ``name``: the role as the reason names it (a role the analyst reaches is judged the same way).
    """
    problems: dict[tuple[str, str], str] = {}
    evidence: list[dict[str, Any]] = []
    for bucket, keys in sorted(objects.items()):
        for key in keys:
            for action in READ_ACTIONS:
                decision = decide(identity, boundary, action, object_arn(bucket, key))
                if decision.allows:
                    evidence.append(
                        {
                            "action": action,
                            "resource": decision.resource,
                            "allowed": decision.allowed,
                            "allowed_by": [m.describe() for m in decision.allows],
                            "denied_by": [m.describe() for m in decision.denies + decision.boundary_denies],
                            "boundary_allows": None
                            if decision.boundary_allows is None
                            else [m.describe() for m in decision.boundary_allows],
                        }
                    )
                if not decision.allowed:
                    continue
                for match in decision.allows:
                    through = (
                        ""
                        if decision.boundary_allows is None
                        else f", and {decision.boundary_allows[0].describe()} lets it through"
                    )
                    problems.setdefault(
                        (match.describe(), bucket),
                        f"{name} reads lake bucket {bucket} directly from S3, around Lake Formation: "
                        f"{match.describe()} allows {action} on {decision.resource}{through}",
                    )
    return list(problems.values()), evidence


# -- bucket policies -------------------------------------------------------------------------------
#
# A bucket policy is a resource-based policy: within one account, AWS allows a request when an
# identity policy *or* the bucket policy allows it and nothing denies it explicitly. A bucket
# policy statement naming the role (or one of its sessions), or ``*``, is enough on its own; one
# naming the account (``arn:aws:iam::<account>:root`` or the bare account id) only delegates to
# the account's identity policies, so it opens the objects only when those allow the read too.
# The reading leans towards "the analyst may read": ``NotPrincipal`` in an Allow applies unless it
# lists the analyst; a Condition is evaluated on the keys certain for the request (``request_context``:
# the principal's ARN, account and type, the access point keys) and an Allow under a key that is not
# (source IP, VPC endpoint, tags, time) still counts, named, while a Deny counts only where its
# Condition is shown to hold; a Deny counts only when it surely names the analyst (``*``, the role,
# its sessions, or its account: a Deny naming the account applies to every principal of it) without
# ``NotPrincipal``, and a permissions boundary's implicit deny is not taken to limit what the bucket
# policy grants to the role.


@dataclass(frozen=True)
class Principal:
    """The principal whose reads are judged: a role, its sessions, and its account."""

    role_arn: str
    account_id: str

    @property
    def session_pattern(self) -> str:
        """Every session of the role (``arn:aws:sts::<account>:assumed-role/<name>/<session>``)."""
        partition = self.role_arn.split(":")[1] if self.role_arn.count(":") >= 5 else "aws"
        return f"arn:{partition}:sts::{self.account_id}:assumed-role/{self.role_arn.rsplit('/', 1)[-1]}/*"

    def roots(self) -> set[str]:
        partition = self.role_arn.split(":")[1] if self.role_arn.count(":") >= 5 else "aws"
        return {self.account_id, f"arn:{partition}:iam::{self.account_id}:root"}


def _aws_principals(value: Any) -> tuple[list[str], list[str]]:
    """(AWS principals, other principals) of a Principal/NotPrincipal element, as text."""
    if value is None:
        return [], []
    if isinstance(value, str):
        return [value], []
    if isinstance(value, Mapping):
        others = [f"{k}:{v}" for k, vs in value.items() if k != "AWS" for v in _listed(vs)]
        return _listed(value.get("AWS")), others
    return [str(value)], []


def principal_reach(statement: Mapping[str, Any], who: Principal) -> tuple[str | None, str]:
    """How a bucket policy statement's principal reaches the role: ``direct``, ``account`` or None; and why."""
    session = who.session_pattern
    if "NotPrincipal" in statement:
        # The role's sessions are principals of their own: only a list naming the role *and* every
        # session of it leaves the analyst out (a session name cannot be known in advance).
        listed, _ = _aws_principals(statement["NotPrincipal"])
        if who.role_arn in listed and any(fnmatchcase(session, _glob(p)) for p in listed):
            return None, ""
        return "direct", f"NotPrincipal {listed}, which does not leave out every session of the analyst"
    aws, _ = _aws_principals(statement.get("Principal"))
    for p in aws:
        if p == "*":
            return "direct", 'Principal "*"'
        if p == who.role_arn or fnmatchcase(who.role_arn, _glob(p)) or fnmatchcase(session, _glob(p)):
            return "direct", f"Principal {p}"
        if p.startswith(session.removesuffix("*")):
            return "direct", f"Principal {p} (a session of the analyst role)"
    for p in aws:
        if p in who.roots():
            return "account", f"Principal {p} (the account: the role's identity policies decide)"
    return None, ""


@dataclass(frozen=True)
class BucketMatch:
    """One bucket (or access point) policy statement that applies to the role's request."""

    bucket: str
    sid: str
    effect: str
    reach: str  # "direct" or "account"
    principal: str
    uncertain: str | None = None
    policy_of: str = "the bucket policy of"

    def describe(self) -> str:
        hedge = f" (counted as matching: {self.uncertain})" if self.uncertain else ""
        return f"statement {self.sid} of {self.policy_of} {self.bucket} ({self.principal}){hedge}"


#: Condition keys S3 sets only on requests made through an access point.
ACCESS_POINT_KEYS = frozenset({"s3:dataaccesspointaccount", "s3:dataaccesspointarn", "s3:accesspointnetworkorigin"})
#: Operators that are false when their key is absent (a negated operator is true then).
_POSITIVE = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")


def access_point_condition(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """The access-point keys a statement's Condition requires (key -> values); empty when it has none.

    Such a statement (AWS's "delegate access control to access points" pattern) applies only to
    requests made through an access point: the keys are absent on a request to the bucket itself,
    and a positive operator on an absent key is false.
    """
    found: dict[str, list[str]] = {}
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return found
    for operator, block in condition.items():
        if not isinstance(block, Mapping) or str(operator).lower() not in _POSITIVE:
            continue
        for key, values in block.items():
            if str(key).lower() in ACCESS_POINT_KEYS:
                found.setdefault(str(key).lower(), []).extend(_listed(values))
    return found


def principal_account(principal: str) -> str | None:
    """The account an AWS principal belongs to (bare id or IAM/STS ARN); None when it names none (``*``)."""
    if re.fullmatch(r"\d{12}", principal):
        return principal
    parts = principal.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] in ("iam", "sts"):
        return parts[4]
    return None


#: How ``outside_principals`` names ``Principal: "*"`` (every principal of every account).
ANYONE = "anyone (Principal *)"


def outside_principals(statement: Mapping[str, Any], account_id: str) -> list[str]:
    """Principals of an Allow outside ``account_id``: other accounts (any, by wildcard), canonical or federated users.

    ``*`` is ``ANYONE``: it names the analyst too, but a Deny for the analyst alone leaves it open to
    every other principal of every account. A service principal acts for whichever account configured
    the service (a CloudFront distribution, a log delivery of any account): it counts unless the
    statement confines it to this account by an ``aws:SourceAccount`` or ``aws:SourceArn`` condition,
    as AWS advises against the confused deputy. Any other principal counts unless the Condition keeps the request to
    principals of this account (``principals_confined_to``).
    """
    if "NotPrincipal" in statement:
        return []  # an Allow with NotPrincipal already counts as reaching the analyst
    value = statement.get("Principal")
    found: list[str] = []
    inside = principals_confined_to(statement, account_id)
    if not inside and (value == "*" or (isinstance(value, Mapping) and "*" in _listed(value.get("AWS")))):
        found.append(ANYONE)
    entries: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        entries = [(str(k), v) for k, vs in value.items() for v in _listed(vs)]
    for kind, p in entries:
        if kind == "Service":
            if not confined_to(statement, account_id):
                found.append(f"Service {p} (no aws:SourceAccount or aws:SourceArn condition keeps it to this account)")
            continue
        if inside:
            continue
        if kind != "AWS":
            found.append(f"{kind} {p}")
        elif p != "*":
            owner = principal_account(p)
            if owner is None or owner != account_id and not fnmatchcase(account_id, _glob(owner)):
                found.append(f"AWS {p}")
            elif owner != account_id:  # a wildcard account field matches this account and every other
                found.append(f"AWS {p} (any account)")
    return found


#: Condition operators under which a source key's values are the only ones that match.
_SOURCE_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")


def _positive_tests(
    statement: Mapping[str, Any], qualifiers: tuple[str, ...] = ("",)
) -> Iterator[tuple[str, list[str]]]:
    """(lower-cased key, its values) of each test in the statement's Condition under a ``_SOURCE_OPERATORS``
    operator with one of ``qualifiers`` (``""``: none), values given."""
    block = statement.get("Condition")
    if not isinstance(block, Mapping):
        return
    for operator, tests in block.items():
        qualifier, _, op = str(operator).rpartition(":")
        if qualifier not in qualifiers or op not in _SOURCE_OPERATORS or not isinstance(tests, Mapping):
            continue
        for key, values in tests.items():
            if listed := _listed(values):
                yield str(key).lower(), listed


def confined_to(statement: Mapping[str, Any], account_id: str) -> bool:
    """Whether the statement's Condition lets a service act only for ``account_id`` (its SourceAccount, or
    SourceArns whose account field is this account)."""
    for key, listed in _positive_tests(statement):
        if key == "aws:sourceaccount" and all(v == account_id for v in listed):
            return True
        if key == "aws:sourcearn" and all(v.split(":")[4:5] == [account_id] for v in listed):
            return True
    return False


#: Qualifiers under which a positive test of a single-valued key reads as the plain operator (and fails on an absent
#: key): none, or ``ForAnyValue`` (no value of the empty set matches).
_CONFINING_QUALIFIERS = ("", "ForAnyValue")


def principals_confined_to(statement: Mapping[str, Any], account_id: str) -> bool:
    """Whether the statement's Condition lets in only principals of ``account_id``: a positive test (StringEquals,
    StringLike, ArnEquals, ArnLike; no ``IfExists``) of ``aws:PrincipalAccount`` whose values are all this account,
    or of ``aws:PrincipalArn`` whose values all name it with no wildcard up to the account field. Such tests are
    ANDed with the rest, and fail on an anonymous request (the key is absent), so no principal of another account
    meets them whatever else the Condition says. ``aws:PrincipalArn`` is always the caller's own account's ARN."""
    for key, listed in _positive_tests(statement, _CONFINING_QUALIFIERS):
        if key == "aws:principalaccount" and all(v == account_id for v in listed):
            return True
        if key == "aws:principalarn" and all(_arn_of_account(v, account_id) for v in listed):
            return True
    return False


def _arn_of_account(pattern: str, account_id: str) -> bool:
    """Whether an ARN pattern can only match ARNs of ``account_id``: its account field is that account and no
    wildcard comes before the resource part (a ``*`` there could span the separators)."""
    parts = pattern.split(":", 5)
    return len(parts) == 6 and parts[4] == account_id and not any(c in ":".join(parts[:5]) for c in "*?")


def source_arns(statement: Mapping[str, Any]) -> list[str]:
    """The ``aws:SourceArn`` values (patterns under a ``Like`` operator) the statement's Condition requires of a
    service's request, under the operators ``confined_to`` reads; empty when it requires none."""
    return [v for key, listed in _positive_tests(statement) if key == "aws:sourcearn" for v in listed]


def bucket_statement_match(
    statement: Mapping[str, Any], bucket: str, index: int, who: Principal, action: str, resource: str
) -> BucketMatch | None:
    """Whether a bucket policy statement applies to the role's request, leaning the way that cannot hide access: its
    Condition is evaluated on ``request_context``; an Allow under keys it does not give counts (named), a Deny only
    where the condition is shown to hold. A Deny naming the role's account applies to the role (IAM matches a
    principal of an account to the account principal; only an Allow's "delegates to the account" needs more)."""
    effect = str(statement.get("Effect", ""))
    if effect not in ("Allow", "Deny"):
        return None
    allow = effect == "Allow"
    sid = str(statement.get("Sid") or f"#{index + 1}")
    if access_point_condition(statement) and not resource.split(":")[5].startswith("accesspoint/"):
        return None  # applies only through an access point; the access points are judged on their own
    if "NotAction" in statement:
        if action_matches(_listed(statement["NotAction"]), action):
            return None
    elif not action_matches(_listed(statement.get("Action")), action):
        return None
    if "NotResource" in statement:
        if resource_matches(_listed(statement["NotResource"]), resource):
            return None
    elif not resource_matches(_listed(statement.get("Resource")), resource):
        return None
    reach, principal = principal_reach(statement, who)
    if reach is None:
        return None
    holds, unevaluated = condition_for(statement, who, resource)
    if holds is False or (not allow and (holds is None or "NotPrincipal" in statement)):
        return None  # a Deny stops the read only where its condition is shown to hold for this request
    return BucketMatch(bucket, sid, effect, reach, principal, unevaluated)


def condition_for(statement: Mapping[str, Any], who: Principal, resource: str) -> tuple[bool | None, str | None]:
    """Whether the statement's Condition holds for ``who``'s request on ``resource`` (True when it has none; None
    when a test is on a key ``request_context`` does not give and none is shown false), and then what the evidence
    says of it (``Condition not evaluated: StringEquals aws:SourceVpce``), for resource and trust policies alike."""
    if not statement.get("Condition"):
        return True, None
    holds, doubts = condition_doubts(statement, request_context(who, resource))
    return holds, (f"Condition not evaluated: {'; '.join(doubts)}" if holds is None else None)


def principal_type(arn: str) -> str | None:
    """``aws:PrincipalType`` of a request made by the principal an IAM ARN names (IAM User Guide, "Global condition
    context keys"): a role acts through its sessions (``AssumedRole``), a user as ``User``, the root as ``Account``;
    None for anything else (the key is then not evaluated)."""
    parts = arn_parts(arn)
    if not parts or parts[2] not in ("iam", "sts"):
        return None
    if parts[5] == "root":
        return "Account"
    kinds = {"role": "AssumedRole", "assumed-role": "AssumedRole", "user": "User", "federated-user": "FederatedUser"}
    return kinds.get(parts[5].split("/", 1)[0])


def request_context(who: Principal, resource: str) -> dict[str, str | None]:
    """The condition keys certain for the principal's request on ``resource`` (IAM User Guide, "Global condition
    context keys"; S3, "Access point condition keys"): a session's ``aws:PrincipalArn`` is its role's ARN (path
    included), a user's its own, with its account and type; the access point keys carry the point's ARN and account
    on a read through one, and are absent on any other request. Anything else (source IP, TLS, tags, user id, time)
    the analyst may vary: left out, so a test on it cannot be evaluated."""
    context: dict[str, str | None] = {"s3:dataaccesspointarn": None, "s3:dataaccesspointaccount": None}
    if ":assumed-role/" not in who.role_arn:  # a session's is its role's ARN, whose path the session ARN lacks
        context["aws:principalarn"] = who.role_arn
    if account := (arn_parts(who.role_arn) or [""] * 6)[4] or who.account_id:
        context["aws:principalaccount"] = account
    if kind := principal_type(who.role_arn):
        context["aws:principaltype"] = kind
    parts = arn_parts(resource)
    if parts and parts[5].startswith("accesspoint/"):
        point = resource.split("/object/", 1)[0]
        context |= {"s3:dataaccesspointarn": point, "s3:dataaccesspointaccount": parts[4]}
    else:
        context["s3:accesspointnetworkorigin"] = None
    return context


def bucket_policy_statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement") or []
    return [found] if isinstance(found, Mapping) else list(found)


def bucket_policy_problems(
    identity: Sequence[Policy],
    boundary: Policy | None,
    who: Principal,
    policies: Mapping[str, Mapping[str, Any] | None],
    objects: Mapping[str, Sequence[str]],
    name: str = "the analyst role",
) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems (one per statement and bucket) where a bucket policy lets the role read lake objects.

    ``policies``: bucket -> its policy document (None: the bucket has none); ``objects`` as for
    ``object_read_problems``. A statement naming the account opens the objects only where the role's
    identity policies (and boundary) allow the read as well; one naming the role or ``*`` on its own.
    """
    problems: dict[tuple[str, str], str] = {}
    evidence: list[dict[str, Any]] = []
    for bucket, document in sorted(policies.items()):
        if not document:
            continue
        statements = bucket_policy_statements(document)
        for key in objects.get(bucket, []):
            for action in READ_ACTIONS:
                resource = object_arn(bucket, key)
                matches = [
                    m
                    for i, s in enumerate(statements)
                    if (m := bucket_statement_match(s, bucket, i, who, action, resource)) is not None
                ]
                allows = [m for m in matches if m.effect == "Allow"]
                if not allows:
                    continue
                denies = [m for m in matches if m.effect == "Deny"]
                iam = decide(identity, boundary, action, resource)
                explicit = bool(denies or iam.denies or iam.boundary_denies)
                opening = [m for m in allows if m.reach == "direct" or iam.allowed]
                evidence.append(
                    {
                        "action": action,
                        "resource": resource,
                        "allowed": bool(opening) and not explicit,
                        "bucket_policy_allows": [m.describe() for m in allows],
                        "bucket_policy_denies": [m.describe() for m in denies],
                        "identity_allows": iam.allowed,
                        "identity_denies": [m.describe() for m in iam.denies + iam.boundary_denies],
                    }
                )
                if explicit:
                    continue
                for match in opening:
                    problems.setdefault(
                        (match.describe(), bucket),
                        f"the bucket policy of lake bucket {bucket} lets {name} read it directly from S3, "
                        f"around Lake Formation: {match.describe()} allows {action} on {resource}",
                    )
    return list(problems.values()), evidence
