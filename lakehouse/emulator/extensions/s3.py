"""S3 bucket policies with their conditions, as AWS evaluates them for a TLS request.

moto 5.2 evaluates bucket policies but ignores ``Condition`` blocks, so the usual
``Deny s3:* when aws:SecureTransport = false`` statement denies every request, TLS or
not, and nothing can be written to a bucket that carries it. The emulator stands in for
AWS's HTTPS endpoints (clients reach it over loopback HTTP), so requests are evaluated as
TLS requests: ``aws:SecureTransport`` is ``true``. A statement whose condition uses a key
the emulator cannot know does not apply (as a condition that is not met).

moto applies a bucket policy's Deny to every request and never lets its Allow grant anything.
:func:`bucket_policy_effect` reads the policy as AWS does for a principal of the bucket owner's
account (the identity front door, ``identity.py``, asks it for every S3 request of a user or role
session): a statement applies when its principal names the caller (its ARN, its role for a role
session, ``*``, or the account, ``NotPrincipal`` leaving it out), its action and resource match
(``*``/``?`` wildcards, ``NotAction``/``NotResource``) and its conditions hold. An explicit Deny
wins; an Allow naming the caller or ``*`` is enough on its own, even where no identity policy
allows the request; an Allow naming only the account delegates to the identity policies (adds
nothing). A Deny naming the account applies to every principal of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from moto.s3 import models as s3_models
from moto.s3.models import FakeBucket

_MARK = "_lakehouse_ext_installed"

#: Request context the emulator can state for every request.
CONTEXT = {"aws:securetransport": "true"}


def _holds(operator: str, values: dict[str, Any]) -> bool:
    """One condition operator block, e.g. ``Bool: {aws:SecureTransport: "false"}``."""
    op = operator.lower()
    if_exists = op.endswith("ifexists")
    op = op.removesuffix("ifexists")
    for key, wanted in values.items():
        actual = CONTEXT.get(key.lower())
        if actual is None:
            if if_exists:
                continue
            return False
        options = [str(w).lower() for w in (wanted if isinstance(wanted, list) else [wanted])]
        if op in ("bool", "stringequals", "stringequalsignorecase"):
            ok = actual.lower() in options
        elif op in ("stringnotequals", "stringnotequalsignorecase"):
            ok = actual.lower() not in options
        else:
            return False  # operators we do not evaluate: the statement does not apply
        if not ok:
            return False
    return True


def applicable_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with only the statements whose conditions hold for an emulator request."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for statement in statements:
        condition = statement.get("Condition")
        if condition and not all(_holds(op, values) for op, values in condition.items()):
            continue
        kept.append({k: v for k, v in statement.items() if k != "Condition"})
    return {**policy, "Statement": kept}


def everyone_statements(policy: dict[str, Any]) -> dict[str, Any]:
    """The statements naming every principal (``*``): moto applies what it is given to every caller,
    so statements naming some principals are left to :func:`bucket_policy_effect`, which knows the caller."""
    kept = [
        s for s in policy.get("Statement", []) if "NotPrincipal" not in s and _principals(s.get("Principal")) == ["*"]
    ]
    return {**policy, "Statement": kept}


_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _matches(patterns: Iterable[str], value: str, *, fold: bool = False) -> bool:
    """IAM wildcards: ``*`` and ``?``; ``[`` is literal; a policy variable matches anything."""
    for pattern in patterns:
        glob = _VARIABLE.sub("*", pattern.replace("[", "[[]"))
        if fnmatchcase(value.lower(), glob.lower()) if fold else fnmatchcase(value, glob):
            return True
    return False


def _principals(value: Any) -> list[str]:
    """The AWS principals of a Principal/NotPrincipal element (``"*"`` stays ``"*"``)."""
    if isinstance(value, dict):
        return _listed(value.get("AWS"))
    return _listed(value)


def _names(principals: list[str], callers: Iterable[str], account_id: str) -> str | None:
    """``direct`` when the list names one of the caller's ARNs or ``*``, ``account`` for its account, else None."""
    arns = list(callers)
    if "*" in principals or any(_matches(principals, arn) for arn in arns):
        return "direct"
    if any(
        p in (account_id, f"arn:aws:iam::{account_id}:root") or p.endswith(f"::{account_id}:root") for p in principals
    ):
        return "account"
    return None


def bucket_policy_effect(
    policy: dict[str, Any], action: str, resource: str, callers: Iterable[str], account_id: str
) -> tuple[bool, bool]:
    """``(allowed on its own, explicitly denied)`` for a same-account caller.

    ``callers``: the request's principal ARN first (a role session's ``assumed-role`` ARN), then the
    role it is a session of.
    """
    arns = list(callers)
    allowed = denied = False
    for statement in applicable_policy(policy).get("Statement", []):
        if "NotAction" in statement:
            if _matches(_listed(statement["NotAction"]), action, fold=True):
                continue
        elif not _matches(_listed(statement.get("Action")), action, fold=True):
            continue
        if "NotResource" in statement:
            if _matches(_listed(statement["NotResource"]), resource):
                continue
        elif not _matches(_listed(statement.get("Resource")), resource):
            continue
        if "NotPrincipal" in statement:
            # Only the request's own principal listed leaves it out (for a role session: its session ARN).
            reach = (
                None if _names(_principals(statement["NotPrincipal"]), arns[:1], account_id) == "direct" else "direct"
            )
        else:
            reach = _names(_principals(statement.get("Principal")), arns, account_id)
        if reach is None:
            continue
        if statement.get("Effect") == "Deny":
            denied = True
        elif statement.get("Effect") == "Allow" and reach == "direct":
            allowed = True
    return allowed, denied


def install() -> None:
    """Patch moto's bucket policy evaluation; a second call does nothing."""
    if getattr(s3_models, _MARK, False):
        return
    original = FakeBucket.get_permission

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        saved = self.policy
        try:
            self.policy = json.dumps(everyone_statements(applicable_policy(json.loads(saved)))).encode()
            return original(self, action, resource)
        finally:
            self.policy = saved

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    # moto disposes every version of a key it drops from a bucket whose versioning is suspended
    # (as `terraform destroy` leaves a force_destroy bucket before emptying it); a delete marker has
    # nothing to dispose and no method for it, so DeleteObjects answered 500 and the provider
    # retried for minutes before the destroy failed.
    if not hasattr(s3_models.FakeDeleteMarker, "dispose"):
        s3_models.FakeDeleteMarker.dispose = lambda self, garbage=False: None  # type: ignore[attr-defined]
    setattr(s3_models, _MARK, True)
