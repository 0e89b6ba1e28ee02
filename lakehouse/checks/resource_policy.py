"""A resource policy's statements weighed for one principal's request: who, what, on what, under which conditions.

Queue, topic, function, key and trust policies are all read the same way: a statement applies when its
Principal (or NotPrincipal, inverted) covers the principal, its Action (or NotAction) the action, its
Resource (or NotResource; none: the policy's own resource) the resource, and its Condition holds for the
request's context. Conditions on ``aws:SourceArn``/``aws:SourceAccount`` and the like are evaluated
(StringEquals, StringLike, ArnEquals, ArnLike, Bool and their Not and IfExists forms, each also under the set
operators ForAllValues and ForAnyValue, and Null); any other operator, or a key the context does not name, cannot be
evaluated, nor can a value holding a policy variable (``${aws:username}``: AWS fills in the request's own
value); the tests of a Condition are ANDed, so one
shown not to hold decides even beside one that cannot be evaluated. The organization keys (``aws:SourceOrgID``,
``aws:SourceOrgPaths`` and their principal forms) are never evaluated: the check reads no AWS Organizations, so an
Allow under them is any account of an organization it cannot see (not shown to be the stack's, nor shown to let the
stack's own service in), and the reason names them. A context names the keys the request carries with their
values and the keys it is known not to carry with None (``service_request``). A test on a key the request is known
not to carry is decided as IAM decides it (IAM User Guide, "Condition operators": a key absent from the request
context does not match, so a positive operator is false and a negated one, such as StringNotLike, true; only
``...IfExists`` and ``Null`` test the key's presence): a positive operator is false, a negated one true, an
``...IfExists`` one true, ``Null`` true when it asks for the key's absence, ``ForAllValues:`` true and ``ForAnyValue:``
false (the empty set). A key the context does not name stays
unknown: the real request may carry it, with any value. ``weigh`` sorts the applying statements into Allows,
Denies (one that may apply counts: an explicit Deny wins) and Allows only under a condition it cannot evaluate
(each named with the tests it could not evaluate); each caller decides which way that doubt leans.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

#: A request's condition keys (lower case): a value, or None for a key the request is known not to carry.
Context = Mapping[str, str | None]

#: Keys a service principal's direct request never carries (IAM, "AWS global condition context keys",
#: Availability): the organization of the requesting principal (its own accounts' principals only: a policy on
#: ``aws:PrincipalOrgID`` keeps AWS services out, the guide warns), a VPC endpoint's (only for requests through
#: one), MFA's (only for temporary credentials) and CalledVia's (only when a service forwards an IAM principal's
#: credentials).
NOT_SERVICE_KEYS = (
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
)


def service_request(
    principal: str, source_arn: str, account: str, more: Context | None = None
) -> dict[str, str | None]:
    """The condition keys of a request the service ``principal`` makes directly for ``source_arn`` of ``account``
    (CloudWatch or Budgets publishing, SNS delivering), as IAM documents them: ``aws:SourceArn`` and
    ``aws:SourceAccount`` (the resource whose configuration made the call), ``aws:PrincipalIsAWSService`` true
    and ``aws:PrincipalServiceName`` the service principal, ``aws:SecureTransport`` true (IAM: always in the request
    context; services call each other's endpoints over TLS, and SNS's own recommended "deny when not
    SecureTransport" topic statement must not read as silencing CloudWatch); ``NOT_SERVICE_KEYS`` absent; ``more``
    (lower case keys) what the caller knows besides. Keys left out (``aws:SourceOrgID``: only if the account is in
    an organization) cannot be evaluated.
    """
    context: dict[str, str | None] = dict.fromkeys(NOT_SERVICE_KEYS)
    context |= {
        "aws:sourcearn": source_arn,
        "aws:sourceaccount": account,
        "aws:principalisawsservice": "true",
        "aws:principalservicename": principal,
        "aws:securetransport": "true",
    }
    return context | {k.lower(): v for k, v in (more or {}).items()}


def strings(value: Any) -> list[str]:
    """A policy element's values as strings (one value or a list; ``true`` as ``"true"``)."""
    if isinstance(value, list | tuple):
        return [scalar(v) for v in value]
    return [] if value is None else [scalar(value)]


def scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def statements(policy: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    found = (policy or {}).get("Statement") or []
    return [s for s in ([found] if isinstance(found, dict) else found) if isinstance(s, dict)]


def root_of(arn: str) -> str | None:
    """The account root (``arn:<partition>:iam::<account>:root``) of an IAM ARN; None for anything else."""
    parts = arn_parts(arn)
    return f"arn:{parts[1]}:iam::{parts[4]}:root" if parts and parts[2] in ("iam", "sts") and parts[4] else None


def lists(listed: list[str], principal: str) -> bool:
    """Whether AWS principals ``listed`` name ``principal``; an account root is named by its bare id too."""
    if principal in listed:
        return True
    parts = arn_parts(principal)
    return bool(parts) and parts[5] == "root" and parts[4] in listed


def principal_is(statement: Mapping[str, Any], principal: str) -> bool:
    """Whether the statement's Principal (or NotPrincipal, inverted) covers ``principal``: a service
    (``sns.amazonaws.com``), or an IAM ARN (a role, or an account's root)."""
    kind = "AWS" if principal.startswith("arn:") else "Service"
    if "NotPrincipal" in statement:
        excluded = statement["NotPrincipal"]
        names = strings(excluded.get(kind)) if isinstance(excluded, dict) else strings(excluded)
        return not lists(names, principal) and "*" not in names
    value = statement.get("Principal")
    if value == "*":
        return True
    if not isinstance(value, dict):
        return False
    aws = strings(value.get("AWS"))
    return "*" in aws or lists(strings(value.get(kind)), principal)


def matches(patterns: list[str], value: str, case: bool = True) -> bool:
    """Whether an IAM pattern (``*``, ``?``) matches ``value``: ``[`` is literal in IAM, not fnmatch's class (else
    ``role/lh-analys[t]`` would match the analyst, and a Deny it names would count where AWS applies none)."""
    literal = [p.replace("[", "[[]") for p in patterns]
    if not case:
        return any(fnmatchcase(value.lower(), p.lower()) for p in literal)
    return any(fnmatchcase(value, p) for p in literal)


def action_covered(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not matches(strings(statement["NotAction"]), action, case=False)
    return matches(strings(statement.get("Action")), action, case=False)


def resource_covered(statement: Mapping[str, Any], arn: str) -> bool:
    if "NotResource" in statement:
        return not matches(strings(statement["NotResource"]), arn)
    if "Resource" not in statement:
        return True  # a queue or key policy applies to its own queue or key
    return matches(strings(statement.get("Resource")), arn)


#: Condition keys that name an AWS Organizations organization or path: the check reads no organization, so it
#: cannot tell which accounts they let in (any account of that organization may be one).
ORGANIZATION_KEYS = ("aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgid", "aws:principalorgpaths")
#: The operators ``condition`` evaluates (with their ``Not`` and ``IfExists`` forms), besides ``Null``.
OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool", "StringEqualsIgnoreCase")
#: The operator that tests whether the request carries a key at all (``"true"``: it must not).
NULL = "Null"
#: The set operators that qualify an operator for a multivalued key (``ForAllValues:StringEquals``). A context gives
#: at most one value per key, and on a one-value set both read as the plain operator.
SET_OPERATORS = ("ForAllValues", "ForAnyValue")


def condition(statement: Mapping[str, Any], context: Context) -> bool | None:
    """Whether every condition holds for ``context`` (keys lower case); None when one cannot be evaluated and none
    is shown not to hold (conditions are ANDed: one that fails decides, whatever the others)."""
    return condition_doubts(statement, context)[0]


def condition_doubts(statement: Mapping[str, Any], context: Context) -> tuple[bool | None, list[str]]:
    """(``condition``'s answer, the tests it could not evaluate, as ``<operator> <key>``).

    A key the context says the request lacks (None) decides the test as AWS does (``_absent``); on a key the
    context does not name the real request may carry any value. A test on an organization key
    (``ORGANIZATION_KEYS``) the context does not give is named as such: which accounts are in the organization
    is not read.
    """
    block = statement.get("Condition") or {}
    if not isinstance(block, dict):
        return None, ["a Condition that is not an object"]
    doubts: list[str] = []
    for operator, tests in block.items():
        qualifier, _, op = str(operator).rpartition(":")
        if qualifier not in ("", *SET_OPERATORS):
            doubts.append(f"{operator} (an unknown qualifier)")
            continue
        if_exists = op.endswith("IfExists")
        op = op.removesuffix("IfExists")
        negated = "Not" in op
        base = op.replace("Not", "")
        for key, values in (tests or {}).items() if isinstance(tests, dict) else []:
            name = str(key).lower()
            if (base not in OPERATORS and op != NULL) or name not in context or (qualifier and op == NULL):
                org = ", an organization the check does not read" if name in ORGANIZATION_KEYS else ""
                doubts.append(f"{operator} {key}{org}")  # the request may carry it, with any value
                continue
            if any("${" in v for v in strings(values)):
                doubts.append(f"{operator} {key} (a policy variable, the request's own value)")
                continue
            value = context[name]
            if op == NULL:
                if [v.lower() for v in strings(values)] not in (["true"], ["false"]):
                    doubts.append(f"{operator} {key}")
                elif (strings(values)[0].lower() == "true") != (value is None):
                    return False, []
                continue
            if value is None:
                if not _absent(if_exists, negated, qualifier):
                    return False, []
                continue
            wanted = strings(values)
            if base in ("StringLike", "ArnLike", "ArnEquals"):
                hit = matches(wanted, value)
            elif base == "StringEqualsIgnoreCase":
                hit = value.lower() in (w.lower() for w in wanted)
            else:
                hit = value in wanted
            if hit == negated:
                return False, []
    return (None, doubts) if doubts else (True, [])


def _absent(if_exists: bool, negated: bool, qualifier: str = "") -> bool:
    """Whether a test holds on a key the request does not carry: an ``...IfExists`` or negated operator's does, a
    positive operator's does not (IAM User Guide, "Condition operators"); under a set operator, ``ForAllValues``'s
    does (every value of the empty set matches) and ``ForAnyValue``'s does not (no value matches), negated or not
    (IAM User Guide, "Single-valued vs. multivalued context keys", Set operators: ForAllValues "also returns true if
    there are no context keys in the request")."""
    if if_exists:
        return True
    if qualifier:
        return qualifier == "ForAllValues"
    return negated


def sid(statement: Mapping[str, Any], index: int) -> str:
    return f"statement {statement.get('Sid') or f'#{index}'}"


def weigh(
    policy: Mapping[str, Any] | None, action: str, resource: str, context: Context, principal: str
) -> tuple[list[str], list[str], list[str]]:
    """(allowing, denying, allowing only under a condition that cannot be evaluated) statements of ``policy``
    for the service ``principal`` doing ``action`` on ``resource`` in ``context``; the third names each statement
    with the tests it could not evaluate (``statement S (on StringEquals aws:SourceOrgID, ...)``).

    A Deny counts unless its condition is shown not to hold: one with a key or operator that cannot be
    evaluated may apply, and an explicit Deny wins over every Allow.
    """
    allows, denies, unknown = [], [], []
    for index, statement in enumerate(statements(policy)):
        if not (
            principal_is(statement, principal)
            and action_covered(statement, action)
            and resource_covered(statement, resource)
        ):
            continue
        holds, doubts = condition_doubts(statement, context)
        if statement.get("Effect") == "Deny" and holds is not False:
            doubt = f" (a condition it cannot be told not to hold: {'; '.join(doubts)})" if holds is None else ""
            denies.append(sid(statement, index) + doubt)
        elif statement.get("Effect") == "Allow":
            if holds:
                allows.append(sid(statement, index))
            elif holds is None:
                unknown.append(f"{sid(statement, index)} (on {'; '.join(doubts)})")
    return allows, denies, unknown


def arn_parts(arn: str) -> list[str]:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else []
