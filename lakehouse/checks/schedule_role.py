"""Whether an EventBridge Scheduler schedule can act: its role trusts the scheduler and is surely allowed.

The security checks ask whether anyone *could* reach ``ssn`` and lean towards "allowed" where they
cannot be sure (``lakehouse.checks.iam_access``). A schedule that pauses an idle service asks the
opposite: the stack must be *able* to act, or a RUNNING service bills while nobody looks. So this
leans the other way, and says why:

- an Allow counts only when it surely applies: its ``Action``/``NotAction`` and
  ``Resource``/``NotResource`` are evaluated, and a ``Condition`` (which the check does not evaluate:
  MFA, a source IP or a tag the scheduler's call may not carry) makes it prove nothing;
- a Deny that could apply counts as denying, Condition or not;
- a permissions boundary must allow as well (effective = identity ∩ boundary);
- the trust policy must let ``scheduler.amazonaws.com`` assume the role (``sts:AssumeRole``), under
  no condition but the confused-deputy keys AWS documents for Scheduler (``aws:SourceAccount``,
  ``aws:SourceArn``), which are evaluated against the schedule's own account and ARN, and the keys every
  service principal's request carries or lacks (``resource_policy.service_request``).

A schedule whose role fails any of these is refused at every firing (Scheduler cannot assume the role,
or App Runner answers AccessDenied) and the service is never paused.

A schedule with a ``KmsKeyArn`` (a customer managed key encrypting its target input) needs more at every
firing: Scheduler decrypts the input as the execution role, so the role must be allowed ``kms:Decrypt``
on the key (what AWS's CDK grants the role for a schedule with a key), by the key policy naming it (for a key
of another account, with the role's IAM policies allowing too: KMS needs both across accounts), or by
the key policy handing the decision to the account (its root) and the role's IAM policies allowing it
(judged as above: a conditioned Allow proves nothing), or by a KMS grant to the role (ListGrants, one without an
encryption context constraint); a Deny of ``kms:Decrypt`` in the role's policies or boundary, under a Condition
or not, wins over all of them (KMS: no principal has a permission that is ever denied). The key must exist, be
enabled and be a symmetric encryption key (EventBridge Scheduler supports no other). Without a ``KmsKeyArn``
Scheduler uses an AWS owned key and needs nothing (EventBridge Scheduler user guide, "Encryption at rest").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakehouse.checks.alert_delivery import KmsKey, key_use_problems
from lakehouse.checks.iam_access import Policy, action_matches, resource_matches
from lakehouse.checks.resource_policy import condition, principal_is, service_request

SCHEDULER = "scheduler.amazonaws.com"
ASSUME = "sts:AssumeRole"
#: What the execution role must do with a schedule's customer managed key at every firing.
DECRYPT = "kms:Decrypt"
#: The only key spec EventBridge Scheduler encrypts with.
SYMMETRIC = "SYMMETRIC_DEFAULT"


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _sid(statement: Mapping[str, Any], index: int, source: str) -> str:
    return f"statement {statement.get('Sid') or f'#{index + 1}'} of {source}"


def _names_action(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's ``Action`` (or ``NotAction``, inverted) names ``action``."""
    if "NotAction" in statement:
        return not action_matches(_listed(statement["NotAction"]), action)
    return action_matches(_listed(statement.get("Action")), action)


def applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether the statement's action and resource elements name the request (Condition aside)."""
    acts = _names_action(statement, action)
    if "NotResource" in statement:
        on = not resource_matches(_listed(statement["NotResource"]), resource)
    else:
        on = resource_matches(_listed(statement.get("Resource")), resource)
    return acts and on


def _one_policy_set(policies: Sequence[Policy], action: str, resource: str, what: str) -> list[str]:
    """Why ``policies`` do not surely allow the request: no unconditioned Allow, or a Deny that may apply."""
    allows: list[str] = []
    conditioned: list[str] = []
    problems: list[str] = []
    for policy in policies:
        for index, statement in enumerate(policy.statements()):
            if not applies(statement, action, resource):
                continue
            where = _sid(statement, index, policy.source)
            if statement.get("Effect") == "Deny":
                hedge = " (under a Condition the check does not evaluate)" if statement.get("Condition") else ""
                problems.append(f"{where} denies it{hedge}")
            elif statement.get("Effect") == "Allow":
                (conditioned if statement.get("Condition") else allows).append(where)
    if not allows:
        if conditioned:
            problems.append(f"{' and '.join(conditioned)} allow it only under a Condition the check does not evaluate")
        else:
            problems.append(f"no statement of {what} allows it")
    return problems


def not_allowed(identity: Sequence[Policy], boundary: Policy | None, action: str, resource: str) -> list[str]:
    """Why the role may not surely do ``action`` on ``resource`` (empty: it may)."""
    problems = _one_policy_set(identity, action, resource, "its policies")
    if boundary is not None:
        problems += _one_policy_set([boundary], action, resource, boundary.source)
    return problems


def denied(identity: Sequence[Policy], boundary: Policy | None, action: str, resource: str) -> list[str]:
    """The statements of the role's policies and boundary that deny ``action`` on ``resource``, a Condition or not
    (one may apply): an explicit Deny wins over a key policy's Allow and over a KMS grant (empty: none)."""
    found = []
    for policy in [*identity, *([boundary] if boundary is not None else [])]:
        for index, statement in enumerate(policy.statements()):
            if statement.get("Effect") == "Deny" and applies(statement, action, resource):
                hedge = " (under a Condition the check does not evaluate)" if statement.get("Condition") else ""
                found.append(f"{_sid(statement, index, policy.source)} denies it{hedge}")
    return found


def untrusted(trust: Policy, account_id: str, schedule_arn: str) -> str | None:
    """Why EventBridge Scheduler may not assume the role for this schedule (None: it may)."""
    facts = service_request(SCHEDULER, schedule_arn, account_id)  # AWS: "Set up the execution role"
    allows: list[str] = []
    doubts: list[str] = []
    for index, statement in enumerate(trust.statements()):
        if not principal_is(statement, SCHEDULER) or not _names_action(statement, ASSUME):
            continue
        where = _sid(statement, index, "the trust policy")
        if statement.get("Effect") == "Deny":
            hedge = " (under a Condition the check does not evaluate)" if statement.get("Condition") else ""
            return f"{where} denies {SCHEDULER} {ASSUME}{hedge}"
        if statement.get("Effect") != "Allow":
            continue
        holds = condition(statement, facts)
        if holds:
            allows.append(where)
        elif holds is None:
            doubts.append(f"{where} (a Condition the check does not evaluate)")
        else:
            doubts.append(f"{where} (its Condition does not hold for {schedule_arn} in account {account_id})")
    if allows:
        return None
    if doubts:
        return f"its trust policy lets {SCHEDULER} assume it only under a condition: {'; '.join(doubts)}"
    return f"its trust policy does not let {SCHEDULER} assume it"


def key_problems(
    key_arn: str,
    key: KmsKey | None,
    role_arn: str,
    identity: Sequence[Policy],
    boundary: Policy | None,
) -> list[str]:
    """Why EventBridge Scheduler, as ``role_arn``, cannot decrypt a schedule's input with ``key_arn`` (empty: it can).

    The key policy is read for the role (``alert_delivery.key_use_problems``) with the request's principal
    keys known (``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``kms:CallerAccount``); any other condition
    key is not evaluated, so an Allow under it proves nothing.
    """
    shown = f"its target input is encrypted with KMS key {key_arn}"
    cannot = "(EventBridge Scheduler cannot decrypt it, so every pause fails)"
    if key is not None and key.metadata.get("KeySpec", SYMMETRIC) != SYMMETRIC:
        return [f"{shown}, a {key.metadata.get('KeySpec')} key, not a symmetric encryption key {cannot}"]
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    context = {"aws:principalarn": role_arn, "aws:principalaccount": account, "kms:calleraccount": account}
    return key_use_problems(
        shown,
        key_arn,
        key,
        role_arn,
        None,
        cannot,
        context,
        actions=(DECRYPT,),
        identity=lambda action, arn: not_allowed(identity, boundary, action, arn),
        identity_denies=lambda action, arn: denied(identity, boundary, action, arn),
    )
