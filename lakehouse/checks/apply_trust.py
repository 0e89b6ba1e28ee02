"""GUARD-review, review before apply: the deploy role's trust accepts only the OIDC subjects gated jobs get.

An apply job held by a gate environment is worth nothing if the AWS role it assumes trusts every workflow of the
repository: a branch adds a NEW workflow on ``pull_request`` (not on main, so never read by the workflow part of
this check) that assumes the deploy role and runs ``terraform apply``. What decides who gets the role is its trust
policy, read from IAM (``iam:GetRole`` -> ``AssumeRolePolicyDocument``) in the account of the harness's AWS session
(the ``aws`` target; a role of another account, or one IAM does not show, is recorded and not judged).

Each statement allowing ``sts:AssumeRoleWithWebIdentity`` (or ``sts:*``, ``*``) to the federated principal
``token.actions.githubusercontent.com`` must:

- pin ``token.actions.githubusercontent.com:sub`` (``StringEquals`` / ``StringLike``) to subjects only gated jobs
  get. GitHub's OIDC reference ("Example subject claims",
  https://docs.github.com/en/actions/reference/security/oidc): a job referencing an environment gets
  ``repo:ORG/REPO:environment:NAME``, a pull request's job ``repo:ORG/REPO:pull_request``, any other job
  ``repo:ORG/REPO:ref:refs/heads/BRANCH``. Allowed: ``repo:O/R:environment:<a gate environment>``, and
  ``repo:O/R:ref:refs/heads/main`` only when every apply job assuming the role starts on push to main alone (any
  other workflow on main gets that subject too, so this stays a judgement of main's workflows). A wildcard
  (``repo:O/R:*``: GitHub's AWS guide, "Configuring OpenID Connect in Amazon Web Services", shows ``StringLike``
  with ``*`` "to allow any branch, pull request merge branch, or environment ... to assume a role"), the
  ``pull_request`` subject, another branch or a missing ``sub`` condition fail, naming the statement;
- pin ``token.actions.githubusercontent.com:aud`` to ``sts.amazonaws.com`` (what configure-aws-credentials asks
  its token for, and the AWS guide's condition): a missing or other audience fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

GITHUB_OIDC = "token.actions.githubusercontent.com"
SUB = f"{GITHUB_OIDC}:sub"
AUD = f"{GITHUB_OIDC}:aud"
AUDIENCE = "sts.amazonaws.com"
#: ``arn:aws:iam::123456789012:role/path/name`` (any partition): the account and the role's name.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$", re.I)
_WEB_IDENTITY = ("sts:assumerolewithwebidentity", "sts:*", "*")
_STRING_MATCH = ("stringequals", "stringlike", "stringequalsignorecase")


@dataclass(frozen=True)
class RoleUse:
    """An apply job assuming a role: the role's ARN (as resolved), the job, and its environment and triggers."""

    arn: str
    where: str
    environment: str | None
    push_to_main_only: bool


@dataclass
class TrustReading:
    """The trust policy of each apply role in the session's account, or why it was not read."""

    #: Why no trust was read at all (no AWS session); None when an account was asked.
    not_read: str | None = None
    account: str | None = None
    #: Role ARN (lower case) -> its trust policy document, or why it is not judged.
    policies: dict[str, dict[str, Any] | str] = field(default_factory=dict)


def read_trust(iam: Any, sts: Any, arns: list[str]) -> TrustReading:
    """``iam:GetRole`` of each ARN of the session's account (``sts:GetCallerIdentity``); others are recorded."""
    reading = TrustReading()
    try:
        reading.account = str(sts.get_caller_identity()["Account"])
    except (ClientError, BotoCoreError, KeyError) as err:
        reading.not_read = f"could not tell the AWS session's account (sts:GetCallerIdentity): {err}"
        return reading
    for arn in dict.fromkeys(arns):
        match = _ROLE_ARN.match(arn)
        if match is None:
            reading.policies[arn] = f"{arn!r} is no IAM role ARN: not read"
        elif match.group(1) != reading.account:
            reading.policies[arn] = (
                f"role of account {match.group(1)}, not the AWS session's {reading.account}: its trust is not read"
            )
        else:
            try:
                document = iam.get_role(RoleName=match.group(2))["Role"]["AssumeRolePolicyDocument"]
                reading.policies[arn] = json.loads(unquote(document)) if isinstance(document, str) else document
            except (ClientError, BotoCoreError) as err:
                reading.policies[arn] = f"iam:GetRole {match.group(2)} in account {reading.account} failed: {err}"
    return reading


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _conditions(statement: dict[str, Any], key: str) -> list[str] | None:
    """The values a statement's string-matching conditions allow ``key`` (None: no such condition)."""
    found: list[str] | None = None
    for operator, mapping in (statement.get("Condition") or {}).items():
        base = str(operator).lower().split(":")[-1]
        if base not in _STRING_MATCH or not isinstance(mapping, dict):
            continue
        for name, values in mapping.items():
            if str(name).lower() == key:
                found = (found or []) + [str(v) for v in _list(values)]
    return found


def _trusts_github(statement: dict[str, Any]) -> bool:
    """An ``Allow`` of web-identity role assumption to GitHub's OIDC provider."""
    if statement.get("Effect") != "Allow":
        return False
    if not any(str(a).lower() in _WEB_IDENTITY for a in _list(statement.get("Action"))):
        return False
    principal = statement.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, dict) else None
    return any(str(f).lower().endswith(GITHUB_OIDC) for f in _list(federated))


def allowed_subjects(uses: list[RoleUse], gates: set[str], repo: str, branch: str) -> list[str]:
    """The subjects only gated jobs get: each gate environment's, and main's when every use is push-to-main only."""
    subjects = [f"repo:{repo}:environment:{g}" for g in sorted(gates)]
    if uses and all(u.push_to_main_only for u in uses):
        subjects.append(f"repo:{repo}:ref:refs/heads/{branch}")
    return subjects


def judge_trust(
    reading: TrustReading, uses: list[RoleUse], gates: set[str], repo: str, branch: str
) -> tuple[list[str], dict[str, Any]]:
    """Problems (each naming the role, the statement and the subject) and details; roles not read are recorded."""
    problems: list[str] = []
    details: dict[str, Any] = {"account": reading.account, "not_read": reading.not_read, "roles": {}}
    if reading.not_read:
        return problems, details
    by_role: dict[str, list[RoleUse]] = {}
    for use in uses:
        by_role.setdefault(use.arn, []).append(use)
    for arn, role_uses in by_role.items():
        policy = reading.policies.get(arn, "not read")
        who = ", ".join(u.where for u in role_uses)
        entry: dict[str, Any] = {"assumed_by": [u.where for u in role_uses]}
        details["roles"][arn] = entry
        if isinstance(policy, str):
            entry["not_judged"] = policy
            continue
        allowed = allowed_subjects(role_uses, gates, repo, branch)
        entry["allowed_subjects"] = allowed
        entry["statements"] = []
        for index, statement in enumerate(_list(policy.get("Statement"))):
            if not isinstance(statement, dict) or not _trusts_github(statement):
                continue
            name = f"statement {statement.get('Sid') or '#' + str(index)}"
            subjects, audiences = _conditions(statement, SUB), _conditions(statement, AUD)
            entry["statements"].append({"statement": name, "sub": subjects, "aud": audiences})
            where = f"the trust policy of role {arn} (assumed by {who}), {name}"
            if not subjects:
                problems.append(
                    f"{where} lets {GITHUB_OIDC} assume the role with no {SUB} condition: any workflow, of any "
                    f"branch of {repo} or any repository, gets the deploy role; pin {SUB} to {' or '.join(allowed)}"
                )
            else:
                wanted = {a.lower() for a in allowed}
                loose = [s for s in subjects if s.lower() not in wanted]
                if loose:
                    problems.append(
                        f"{where} lets subject(s) {', '.join(repr(s) for s in loose)} assume it: a branch adds a "
                        "workflow on pull_request (never read from main) whose job gets that subject and applies "
                        f"with the deploy role, unreviewed; only {' or '.join(allowed) or 'a gate environment'} "
                        "is reached by gated jobs alone"
                    )
            if audiences is None or any(a != AUDIENCE for a in audiences):
                problems.append(
                    f"{where} pins {AUD} to {audiences or 'nothing'}: a token minted for another audience is "
                    f"accepted; pin it to {AUDIENCE}"
                )
    return problems, details
