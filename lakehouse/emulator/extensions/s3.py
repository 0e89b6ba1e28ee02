"""S3 bucket policies with their conditions, as AWS evaluates them for a TLS request.

moto 5.2 evaluates bucket policies but ignores ``Condition`` blocks, so the usual
``Deny s3:* when aws:SecureTransport = false`` statement denies every request, TLS or
not, and nothing can be written to a bucket that carries it. The emulator stands in for
AWS's HTTPS endpoints (clients reach it over loopback HTTP), so requests are evaluated as
TLS requests: ``aws:SecureTransport`` is ``true``. A statement whose condition uses a key
the emulator cannot know does not apply (as a condition that is not met).
"""

from __future__ import annotations

import json
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
            self.policy = json.dumps(applicable_policy(json.loads(saved))).encode()
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
