"""Whether a role's IAM policies let it read lake objects straight from S3 (around Lake Formation).

Lake Formation only governs what comes through it: a role whose own IAM policies allow
``s3:GetObject`` on the lake buckets reads every column of every file, ``ssn`` included. This
is a small evaluator of IAM's rules for one role, pure over the policy documents:

- a request is allowed when some identity policy statement allows it and none denies it;
- with a permissions boundary, the boundary must allow it too (effective = identity ∩
  boundary), and a Deny in the boundary also wins;
- ``Action`` compares case-insensitively, ``Resource`` case-sensitively, both with IAM's ``*``
  and ``?`` wildcards (``fnmatch``); a policy variable (``${...}``) matches anything.

It errs towards "allowed" where it cannot be sure, since the question is whether ssn is safe:
an Allow with ``NotAction``/``NotResource`` or a ``Condition`` counts as allowing, a Deny with
``NotAction``/``NotResource`` or a ``Condition`` counts as not denying.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

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


def decide(identity: Sequence[Policy], boundary: Policy | None, action: str, resource: str) -> Decision:
    """What IAM decides for the role (identity policies, then the boundary) on one request."""
    return Decision(
        action=action,
        resource=resource,
        allows=_matches(identity, action, resource, "Allow"),
        denies=_matches(identity, action, resource, "Deny"),
        boundary_allows=None if boundary is None else _matches([boundary], action, resource, "Allow"),
        boundary_denies=[] if boundary is None else _matches([boundary], action, resource, "Deny"),
    )


def object_arn(bucket: str, key: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}/{key}"


def object_read_problems(
    identity: Sequence[Policy], boundary: Policy | None, objects: Mapping[str, Sequence[str]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Problems (one per statement and bucket) where the role may read lake objects, and every decision made.

    ``objects``: bucket -> keys to try (the tables' real files and probes under their locations).
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
                        f"the analyst role reads lake bucket {bucket} directly from S3, around Lake Formation: "
                        f"{match.describe()} allows {action} on {decision.resource}{through}",
                    )
    return list(problems.values()), evidence
