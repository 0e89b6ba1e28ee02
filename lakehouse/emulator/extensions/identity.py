"""Who is calling: every request's access key is resolved once, here, and IAM is evaluated for it.

AWS refuses a key it never issued; before this module the emulator took any key as the account
(and so as the data lake admin). Now a request is answered only for:

- the deployer's keys, passed to the emulator when it starts (``--root-access-key``; by default
  the harness's :data:`lakehouse.target.LOCAL_ACCESS_KEY`), and the emulator's own service key
  (its Athena engine reads tables through the endpoint): both act as the account, every action
  allowed, as an administrator deployer is on AWS;
- access keys of IAM users created through the emulator, and STS AssumeRole session keys (with
  their session token): their IAM policies are evaluated for every action, by moto's own policy
  evaluator (``moto.iam.access_control``), on the resource the action names; for S3, together
  with the bucket's policy (``s3.bucket_policy_effect``: explicit Deny wins, an Allow naming the
  caller suffices).

Any other key gets AWS's answer for the service's protocol: ``UnrecognizedClientException``
(JSON protocols), ``InvalidClientTokenId`` (query protocols: STS, IAM, SNS, CloudWatch) or
``InvalidAccessKeyId`` (S3). Signatures are not verified.

moto has an authentication mode of its own (``INITIAL_NO_AUTH_ACTION_COUNT``), but it knows no
root keys (the deployer would have to be an IAM user), evaluates every non-S3 action on resource
``*`` (so a policy scoped to a workgroup or a table never matches) and answers JSON services with
query-protocol errors. This module reuses its key lookup and policy evaluation and adds the root
keys, per-service resources (:data:`RESOURCES`, registered by each service's extension) and
protocol-correct errors.

Operations moto does not implement answer here too, in the protocol's error shape, naming the
operation, instead of moto's HTML 500 page.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.access_control import CreateAccessKeyFailure, IAMPolicy, PermissionResult, create_access_key
from moto.s3 import exceptions as s3_errors
from moto.s3.responses import S3Response
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from lakehouse.emulator.extensions.s3 import bucket_policy_effect
from lakehouse.target import LOCAL_ACCESS_KEY

_MARK = "_lakehouse_identity_installed"

#: Environment variable the emulator process reads its accepted root keys from (comma-separated).
ROOT_KEYS_ENV = "LAKEHOUSE_EMULATOR_ROOT_KEYS"
#: The key the emulator's own Athena engine uses to read tables through the endpoint.
SERVICE_KEY = "LHEMU" + secrets.token_hex(8).upper()
SERVICE_SECRET = secrets.token_hex(20)

_root_keys: set[str] = {LOCAL_ACCESS_KEY}

#: Services that answer in the query protocol's words (CloudWatch keeps them over CBOR and JSON).
QUERY_SERVICES = frozenset({"sts", "iam", "sns", "cloudwatch", "monitoring", "sqs", "ec2", "autoscaling"})

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/([^/]*)/([^/]*)/")


def set_root_keys(keys: Iterable[str]) -> None:
    """The deployer keys this emulator accepts as the account (replacing the default)."""
    global _root_keys
    _root_keys = {k for k in keys if k}


def root_keys() -> frozenset[str]:
    return frozenset(_root_keys)


@dataclass(frozen=True)
class Caller:
    """The principal behind one request's access key."""

    access_key: str
    arn: str  # as IAM names it in errors: a user, an assumed-role session, or the account's deployer
    principal: str  # as Lake Formation names it: the role for a role session
    root: bool = False
    policies: list[Any] = field(default_factory=list, compare=False, repr=False)

    def allows(self, action: str, resources: Iterable[str]) -> tuple[bool, str, bool]:
        """IAM: ``(allowed, the resource refused, refused by an explicit Deny)``."""
        if self.root or action == "sts:GetCallerIdentity":  # AWS never refuses GetCallerIdentity
            return True, "", False
        for resource in resources:
            permitted = False
            for policy in self.policies:
                result = IAMPolicy(policy).is_action_permitted(action, resource)
                if result == PermissionResult.DENIED:
                    return False, resource, True
                permitted = permitted or result == PermissionResult.PERMITTED
            if not permitted:
                return False, resource, False
        return True, "", False


def resolve(account_id: str, region: str, access_key: str, session_token: str | None) -> Caller | None:
    """The caller an access key belongs to, or None for a key the emulator never issued."""
    if access_key in _root_keys or access_key == SERVICE_KEY:
        from moto.sts.models import STSBackend

        sts: STSBackend = sts_backends[account_id][get_partition(region)]
        arn = sts.get_caller_identity(access_key, region)[1]
        return Caller(access_key, arn, arn, root=True)
    headers = {"X-Amz-Security-Token": session_token} if session_token else {}
    try:
        key = create_access_key(account_id, get_partition(region), access_key, headers)
    except CreateAccessKeyFailure:
        return None
    principal = key.arn
    assumed = sts_backends[account_id][get_partition(region)].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        principal = str(assumed.role_arn)
    return Caller(access_key, key.arn, principal, policies=list(key.collect_policies()))


# ---------------------------------------------------------------- per-service resources

#: ``service -> (response, action) -> resource ARNs`` the action needs IAM permission on; an
#: empty list means the operation itself answers (e.g. an unknown query id). Services without an
#: entry are evaluated on ``*``, which is exact for actions without resource-level permissions.
ResourceResolver = Callable[[Any, str], list[str]]
RESOURCES: dict[str, ResourceResolver] = {}


def register_resources(service: str, resolver: ResourceResolver) -> None:
    RESOURCES[service] = resolver


def _glue_resources(response: Any, action: str) -> list[str]:
    """Glue wants the catalog, the database and the table an action names (AWS's Glue IAM model)."""
    prefix = f"arn:{get_partition(response.region)}:glue:{response.region}:{response.current_account}"
    out = [f"{prefix}:catalog"]
    database = response._get_param("DatabaseName")
    if database is None and "Database" in action:
        database = response._get_param("Name") or (response._get_param("DatabaseInput") or {}).get("Name")
    if database:
        out.append(f"{prefix}:database/{database}")
        table = response._get_param("TableName") or (response._get_param("TableInput") or {}).get("Name")
        if table is None and "Table" in action:
            table = response._get_param("Name") or ("*" if action.endswith("s") else None)
        if table:
            out.append(f"{prefix}:table/{database}/{table}")
    return out


def _sts_resources(response: Any, action: str) -> list[str]:
    role = response._get_param("RoleArn")
    return [role] if role else ["*"]


register_resources("glue", _glue_resources)
register_resources("sts", _sts_resources)


# ---------------------------------------------------------------- requests


def _credential(headers: Any, query: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(access key, service, session token) of a SigV4 request, header- or query-signed."""
    auth = headers.get("Authorization") or ""
    token = headers.get("X-Amz-Security-Token")
    m = _CREDENTIAL.search(auth) or _CREDENTIAL.search("Credential=" + _first(query.get("X-Amz-Credential")) + "/")
    if m:
        return m.group(1), m.group(3), token or _first(query.get("X-Amz-Security-Token")) or None
    return _first(query.get("AWSAccessKeyId")), None, token


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def caller(response: Any) -> Caller:
    """The caller of the request ``response`` is answering (resolved once, when it arrived)."""
    found: Caller | None = getattr(response, "lakehouse_caller", None)
    if found is None:  # a request that did not come through the front door (tests calling moto directly)
        return Caller("", "(internal)", "(internal)", root=True)
    return found


class Refusal(ServiceException):
    """An error of the emulator's front door (defined outside moto: no service model claims it)."""


def _service_error(response: BaseResponse, code: str, message: str, status: int) -> Any:
    """An error serialised as the service's protocol words it, with AWS's status code."""
    _, headers, body = response.serialized(ActionResult(Refusal(code, message)))
    headers["status"] = status
    return status, headers, body


def _unrecognized(response: BaseResponse, service: str) -> Any:
    if service in QUERY_SERVICES:
        return _service_error(
            response, "InvalidClientTokenId", "The security token included in the request is invalid.", 403
        )
    return _service_error(
        response, "UnrecognizedClientException", "The security token included in the request is invalid.", 400
    )


def denied_message(who: Caller, action: str, resource: str, explicit: bool) -> str:
    """IAM's AccessDenied wording."""
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {who.arn} is not authorized to perform: {action} on resource: {resource} {why}"


def access_denied(response: BaseResponse, service: str, who: Caller, action: str, resource: str, explicit: bool) -> Any:
    message = denied_message(who, action, resource, explicit)
    if service in QUERY_SERVICES:
        return _service_error(response, "AccessDenied", message, 403)
    return _service_error(response, "AccessDeniedException", message, 400)


def _service_name(response: BaseResponse, signed_service: str | None) -> str:
    return str(signed_service or getattr(response, "service_name", "") or "").lower()


def _front_door(response: BaseResponse) -> Any | None:
    """Resolve the caller and evaluate IAM; an error response, or None to go on."""
    access_key, signed_service, token = _credential(response.headers, response.querystring)
    service = _service_name(response, signed_service)
    if not access_key:
        if service in QUERY_SERVICES:
            return _service_error(
                response, "MissingAuthenticationToken", "Request is missing Authentication Token", 403
            )
        return _service_error(response, "MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    who = resolve(response.current_account, response.region, access_key, token)
    if who is None:
        return _unrecognized(response, service)
    response.lakehouse_caller = who  # type: ignore[attr-defined]
    if who.root:
        return None
    operation = response._get_action()
    resolver = RESOURCES.get(service)
    resources = resolver(response, operation) if resolver else ["*"]
    allowed, refused, explicit = who.allows(f"{service}:{operation}", resources)
    if not allowed:
        return access_denied(response, service, who, f"{service}:{operation}", refused, explicit)
    return None


def _unknown_operation(response: BaseResponse, service: str) -> Any:
    operation = response._get_action() or "(none)"
    if service in QUERY_SERVICES:
        return _service_error(
            response, "InvalidAction", f"The action {operation} is not valid for this web service.", 400
        )
    return _service_error(
        response,
        "UnknownOperationException",
        f"The operation {operation} is not implemented by the local emulator (moto) for {service}.",
        400,
    )


def _install_front_door() -> None:
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        refused = _front_door(self)
        if refused is not None:
            return refused
        try:
            return original(self)
        except NotImplementedError:
            _, signed_service, _ = _credential(self.headers, self.querystring)
            return _unknown_operation(self, _service_name(self, signed_service))

    BaseResponse.call_action = call_action  # type: ignore[method-assign]


# ---------------------------------------------------------------- S3 (its own dispatch)


def _with_bucket_policy(
    response: S3Response, bucket_name: str, who: Caller, action: str, resource: str, allowed: bool, explicit: bool
) -> bool:
    """IAM's answer with the bucket's policy, as AWS decides for a principal of the bucket owner's account.

    An explicit Deny in either wins; otherwise the identity policies *or* the bucket policy (a
    statement naming the caller, its role or ``*``) suffice (``s3.bucket_policy_effect``).
    """
    bucket = response.backend.buckets.get(bucket_name)
    if bucket is None or not bucket.policy:
        return allowed
    policy = json.loads(bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy)
    grants, denies = bucket_policy_effect(policy, action, resource, [who.arn, who.principal], response.current_account)
    if denies or explicit:
        return False
    return allowed or grants


def _install_s3() -> None:
    """S3 does not pass through ``call_action``: moto asks ``_authenticate_and_authorize_s3_action``."""

    def authorize(self: S3Response, bucket_name: str | None = None, key_name: str | None = None) -> None:
        access_key, _, token = _credential(self.headers, self.querystring)
        bucket = bucket_name or getattr(self, "bucket_name", None)
        if not access_key:
            raise s3_errors.BucketAccessDeniedError(bucket=bucket) if bucket else s3_errors.S3AccessDeniedError()
        who = resolve(self.current_account, self.region, access_key, token)
        if who is None:
            if bucket:
                raise s3_errors.BucketInvalidAccessKeyIdError(bucket=bucket)
            raise s3_errors.S3InvalidAccessKeyIdError()
        self.lakehouse_caller = who  # type: ignore[attr-defined]
        partition = get_partition(self.region)
        arn = f"{bucket_name or '*'}/{key_name}" if key_name else (bucket_name or "*")
        action, resource = f"s3:{self.data.get('Action', '')}", f"arn:{partition}:s3:::{arn}"
        allowed, _, explicit = who.allows(action, [resource])
        if not who.root and bucket_name:
            allowed = _with_bucket_policy(self, bucket_name, who, action, resource, allowed, explicit)
        if not allowed:
            raise s3_errors.BucketAccessDeniedError(bucket=bucket) if bucket else s3_errors.S3AccessDeniedError()

    S3Response._authenticate_and_authorize_s3_action = authorize  # type: ignore[method-assign,assignment]


def install() -> None:
    """Put the front door on every moto service; a second call does nothing."""
    if getattr(BaseResponse, _MARK, False):
        return
    env_keys = [k.strip() for k in os.environ.get(ROOT_KEYS_ENV, "").split(",") if k.strip()]
    if env_keys:
        set_root_keys(env_keys)
    _install_front_door()
    _install_s3()
    setattr(BaseResponse, _MARK, True)
