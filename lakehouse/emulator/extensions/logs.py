"""CloudWatch Logs resource policies scoped to one log group (``resourceArn``), as AWS keeps them apart.

AWS's PutResourcePolicy takes a ``resourceArn`` (a log group's ARN) and then attaches the policy to that group
(``policyScope`` ``RESOURCE``, with a ``revisionId``); DescribeResourcePolicies lists the account-scoped policies
unless asked for ``policyScope`` ``RESOURCE`` or a ``resourceArn`` (botocore's model: "When not specified, defaults
to ACCOUNT"), and DeleteResourcePolicy with a ``resourceArn`` deletes that group's. moto 5.2.5 reads no
``resourceArn``: a group's policy was kept as an account policy of that name, so exit check 5 could not be shown
one that only a ``resourceArn`` read finds. Kept here: one policy per group, ``revisionId`` changing on each put,
``ResourceNotFoundException`` for a group that does not exist or has no policy. ``expectedRevisionId`` is not
enforced (no AWS reference says which error a stale one gets).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.core.utils import unix_time_millis, utcnow
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse

_MARK = "_lakehouse_logs_scoped_policies"
ACCOUNT, RESOURCE = "ACCOUNT", "RESOURCE"


def _scoped(backend: LogsBackend) -> dict[str, dict[str, Any]]:
    """The backend's group-scoped policies: log group ARN (no ``:*``) -> the policy as DescribeResourcePolicies
    shows it."""
    if not hasattr(backend, _MARK):
        setattr(backend, _MARK, {})
    found: dict[str, dict[str, Any]] = getattr(backend, _MARK)
    return found


def _group_arn(backend: LogsBackend, arn: str) -> str:
    """The ARN of an existing log group of this backend (``:*`` dropped), or ResourceNotFoundException."""
    arn = arn.removesuffix(":*")
    name = arn.split(":log-group:", 1)[-1] if ":log-group:" in arn else ""
    if not name or name not in backend.groups:
        raise ResourceNotFoundException()
    return arn


def install() -> None:
    """Patch moto's Logs resource policy operations in place; a second call does nothing."""
    if getattr(LogsResponse, _MARK, False):
        return
    put, describe, delete = (
        LogsResponse.put_resource_policy,
        LogsResponse.describe_resource_policies,
        LogsResponse.delete_resource_policy,
    )

    def put_resource_policy(self: LogsResponse) -> str:
        arn = self._get_param("resourceArn")
        if not arn:
            answer = json.loads(put(self))
            answer["resourcePolicy"]["policyScope"] = ACCOUNT
            return json.dumps(answer)
        arn = _group_arn(self.logs_backend, arn)
        policy = {
            "policyName": self._get_param("policyName"),
            "policyDocument": self._get_param("policyDocument"),
            "lastUpdatedTime": int(unix_time_millis(utcnow())),
            "policyScope": RESOURCE,
            "resourceArn": arn,
            "revisionId": uuid.uuid4().hex,
        }
        _scoped(self.logs_backend)[arn] = policy
        return json.dumps({"resourcePolicy": policy, "revisionId": policy["revisionId"]})

    def describe_resource_policies(self: LogsResponse) -> str:
        arn, scope = self._get_param("resourceArn"), self._get_param("policyScope") or ACCOUNT
        scoped = _scoped(self.logs_backend)
        if arn:
            arn = _group_arn(self.logs_backend, arn)
            return json.dumps({"resourcePolicies": [scoped[arn]] if arn in scoped else []})
        if scope == RESOURCE:
            return json.dumps({"resourcePolicies": list(scoped.values())})
        answer = json.loads(describe(self))
        for policy in answer.get("resourcePolicies") or []:
            policy["policyScope"] = ACCOUNT
        return json.dumps(answer)

    def delete_resource_policy(self: LogsResponse) -> str:
        arn = self._get_param("resourceArn")
        if not arn:
            answer: str = delete(self)
            return answer
        arn = _group_arn(self.logs_backend, arn)
        if _scoped(self.logs_backend).pop(arn, None) is None:
            raise ResourceNotFoundException(msg=f"No resource policy is attached to [{arn}]")
        return ""

    LogsResponse.put_resource_policy = put_resource_policy  # type: ignore[method-assign]
    LogsResponse.describe_resource_policies = describe_resource_policies  # type: ignore[method-assign]
    LogsResponse.delete_resource_policy = delete_resource_policy  # type: ignore[method-assign]
    setattr(LogsResponse, _MARK, True)
