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

moto stores every ACL it is sent, whatever the bucket's Object Ownership. S3 does not: under
``BucketOwnerEnforced`` (the default of a new bucket) ACLs are disabled, so PutBucketAcl and
PutObjectAcl fail, and PutObject, CopyObject and CreateMultipartUpload fail unless they send no ACL
or only the bucket owner's full control (400 ``AccessControlListNotSupported``, "The bucket does not
allow ACLs"). A bucket created with ACLs other than the owner's full control under that setting, or
switched to it while its bucket ACL grants someone else, fails with
``InvalidBucketAclWithObjectOwnership``. ACLs are still readable: they show the owner's full control
only, and the stored ones come back when ACLs are enabled again (as S3 keeps them). Where ACLs are
enabled, Block Public Access's ``BlockPublicAcls`` (the bucket's or the account's) refuses a public ACL
(granting AllUsers or AuthenticatedUsers) on those writes and on CreateBucket with 403 ``AccessDenied``.
:func:`acl_refusal` is that rule as a pure function; :func:`s3_operation` names the operation a
request is.

Every bucket has default encryption on S3: SSE-S3 (``AES256``, no bucket key) since 5 January 2023, and
DeleteBucketEncryption resets a bucket to it (S3 User Guide, "Using server-side encryption with Amazon S3
managed keys"; S3 API Reference, DeleteBucketEncryption). moto answers GetBucketEncryption of a bucket with no
configuration of its own with ``ServerSideEncryptionConfigurationNotFoundError`` (S3 before 2023), so the
provider saved an ``aws_s3_bucket`` without encryption and its next refresh, once the root's
``aws_s3_bucket_server_side_encryption_configuration`` had written AES256, reported drift no AWS deploy shows.
:func:`default_encryption` is S3's answer for such a bucket.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qs

from moto.s3 import exceptions as s3_errors
from moto.s3 import models as s3_models
from moto.s3.exceptions import MissingBucket, S3ClientError
from moto.s3.models import OWNER, FakeAcl, FakeBucket, FakeKey, S3Backend, get_canned_acl
from moto.s3.responses import S3Response
from moto.s3control.models import s3control_backends
from moto.utilities.utils import get_partition

_MARK = "_lakehouse_ext_installed"

#: The encryption every bucket without one of its own has, as moto stores a configuration (its parsed XML).
SSE_S3_DEFAULT: dict[str, Any] = {
    "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": "false"}
}

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


#: Object Ownership's setting that disables ACLs (and the default of a new bucket since April 2023).
ACLS_DISABLED = "BucketOwnerEnforced"
NOT_SUPPORTED = ("AccessControlListNotSupported", "The bucket does not allow ACLs")
BUCKET_ACL_REFUSED = (
    "InvalidBucketAclWithObjectOwnership",
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
)
#: Operations whose ACL headers S3 judges against Object Ownership.
_WRITES_WITH_ACL = ("PutObject", "CopyObject", "CreateMultipartUpload")
_KEY_SUBRESOURCES = ("tagging", "retention", "legal-hold", "restore", "select", "attributes")


def s3_operation(method: str, key_level: bool, query: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    """The S3 operation of a write request whose ACL Object Ownership decides, else None."""
    if not key_level:
        if method != "PUT":
            return None
        if "acl" in query:
            return "PutBucketAcl"
        if "ownershipControls" in query:
            return "PutBucketOwnershipControls"
        return "CreateBucket" if not query else None
    if method == "POST":
        return "CreateMultipartUpload" if "uploads" in query else None
    if method != "PUT" or "uploadId" in query or any(s in query for s in _KEY_SUBRESOURCES):
        return None
    if "acl" in query:
        return "PutObjectAcl"
    return "CopyObject" if "x-amz-copy-source" in {k.lower() for k, _ in headers.items()} else "PutObject"


def acl_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's ACL headers (``x-amz-acl``, ``x-amz-grant-*``), names in lower case."""
    return {
        k.lower(): str(v)
        for k, v in headers.items()
        if k.lower() == "x-amz-acl" or k.lower().startswith("x-amz-grant-")
    }


def _grantee_ids(value: str) -> list[str]:
    """``id="..."``, ``uri="..."``, ``emailAddress="..."`` grantees of a grant header; non-ids as ``uri:...``."""
    found = []
    for part in value.split(","):
        name, _, grantee = part.strip().partition("=")
        grantee = grantee.strip().strip('"')
        found.append(grantee if name.strip().lower() == "id" else f"{name.strip().lower()}:{grantee}")
    return found


def owner_full_control_only(acl: Mapping[str, str], owner_id: str, canned: tuple[str, ...]) -> bool:
    """No ACL, one of the ``canned`` ACLs, or grant headers giving only the bucket owner full control."""
    if not acl:
        return True
    if "x-amz-acl" in acl:
        return len(acl) == 1 and acl["x-amz-acl"].strip() in canned
    grants = acl.get("x-amz-grant-full-control")
    return len(acl) == 1 and grants is not None and set(_grantee_ids(grants)) == {owner_id}


#: The groups that make an ACL public (S3's "The meaning of public").
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
_PUBLIC_CANNED = ("public-read", "public-read-write", "authenticated-read")
ACCESS_DENIED = ("AccessDenied", "Access Denied")


def public_acl(acl: Mapping[str, str], body_uris: Iterable[str] = ()) -> bool:
    """Whether the ACL a request sets (headers, or the grantee URIs of its XML body) grants a public group."""
    if acl.get("x-amz-acl", "").strip() in _PUBLIC_CANNED:
        return True
    uris = [g.removeprefix("uri:") for k, v in acl.items() if k != "x-amz-acl" for g in _grantee_ids(v)]
    return any(u in PUBLIC_GROUPS for u in [*uris, *body_uris])


def acl_refusal(
    operation: str | None,
    ownership: str | None,
    acl: Mapping[str, str],
    owner_id: str,
    bucket_grantees: Iterable[str] = (),
    new_ownership: str | None = None,
    *,
    block_public_acls: bool = False,
    body_uris: Iterable[str] = (),
) -> tuple[str, str] | None:
    """``(code, message)`` S3 answers for ``operation`` on a bucket of ``ownership``, or None when it is allowed.

    ``acl``: the request's ACL headers (:func:`acl_headers`); ``bucket_grantees``: the ids of the
    bucket ACL's grantees (for PutBucketOwnershipControls); ``new_ownership``: the setting it puts, or
    CreateBucket's ``x-amz-object-ownership`` (S3's default when absent: ``BucketOwnerEnforced``);
    ``block_public_acls``: Block Public Access's ``BlockPublicAcls`` of the bucket or the account (a
    public ACL is then refused with 403 ``AccessDenied``); ``body_uris``: grantee URIs of an XML ACL.
    """
    if operation == "PutBucketOwnershipControls":
        if new_ownership == ACLS_DISABLED and any(g != owner_id for g in bucket_grantees):
            return BUCKET_ACL_REFUSED
        return None
    if operation == "CreateBucket":
        allowed = ("private", "bucket-owner-full-control")
        if (new_ownership or ACLS_DISABLED) == ACLS_DISABLED and not owner_full_control_only(acl, owner_id, allowed):
            return BUCKET_ACL_REFUSED
    elif ownership == ACLS_DISABLED:
        if operation in ("PutBucketAcl", "PutObjectAcl"):
            return NOT_SUPPORTED
        if operation in _WRITES_WITH_ACL and not owner_full_control_only(acl, owner_id, ("bucket-owner-full-control",)):
            return NOT_SUPPORTED
    if operation is not None and block_public_acls and public_acl(acl, body_uris):
        return ACCESS_DENIED
    return None


class OwnershipRefusal(S3ClientError):
    """An ACL S3 would not take under the bucket's Object Ownership (400)."""


def _grantees(acl: FakeAcl | None) -> list[str]:
    return [g.id or f"uri:{g.uri}" for grant in (acl.grants if acl else []) for g in grant.grantees]


_NEW_OWNERSHIP = re.compile(r"<ObjectOwnership>\s*([A-Za-z]+)\s*</ObjectOwnership>")
_URI = re.compile(r"<URI>\s*([^<\s]+)\s*</URI>")


def _refuse_acls_s3_would_refuse(response: S3Response, bucket_name: str | None, key_name: str | None) -> None:
    """Raise S3's refusal when the request sets an ACL its bucket's Object Ownership does not allow."""
    headers = response.headers
    # moto's ``querystring`` holds the request's headers too: the URL's own query names the operation.
    query = parse_qs(response.parsed_url.query, keep_blank_values=True)
    operation = s3_operation(response.method, key_name is not None, query, headers)
    if operation is None or not bucket_name:
        return
    new_ownership = None
    bucket: FakeBucket | None = None
    if operation == "CreateBucket":
        new_ownership = headers.get("x-amz-object-ownership")
    else:
        try:
            bucket = response.backend.get_bucket(bucket_name)
        except MissingBucket:
            return  # the operation itself answers NoSuchBucket
        if operation == "PutBucketOwnershipControls":
            text = response.body.decode("utf-8", "replace") if isinstance(response.body, bytes) else str(response.body)
            found = _NEW_OWNERSHIP.search(text)
            new_ownership = found.group(1) if found else None
    acl = acl_headers(headers)
    sets_acl = bool(acl) or operation in ("PutBucketAcl", "PutObjectAcl")
    body_uris: list[str] = []
    if operation in ("PutBucketAcl", "PutObjectAcl"):
        raw = response.body
        body_uris = _URI.findall(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or ""))
    refusal = acl_refusal(
        operation,
        _ownership(bucket) if bucket is not None else None,
        acl,
        OWNER,
        _grantees(bucket.acl) if bucket is not None else (),
        new_ownership,
        block_public_acls=sets_acl and _blocks_public_acls(response, bucket),  # a plain write reads no settings
        body_uris=body_uris,
    )
    if refusal == ACCESS_DENIED:
        raise s3_errors.BucketAccessDeniedError(bucket=bucket_name)
    if refusal is not None:
        raise OwnershipRefusal(*refusal)


def _blocks_public_acls(response: S3Response, bucket: FakeBucket | None) -> bool:
    """``BlockPublicAcls`` of the bucket's or the account's Block Public Access (either is enough)."""
    if bucket is not None and bucket.public_access_block is not None and bucket.public_access_block.block_public_acls:
        return True
    account = s3control_backends[response.current_account][get_partition(response.region)].public_access_block
    return bool(account is not None and account.block_public_acls)


def _ownership(bucket: FakeBucket) -> str | None:
    """The bucket's Object Ownership setting (moto keeps the setting's name, whatever its annotation says)."""
    rule: Any = bucket.ownership_rule
    return str(rule) if rule else None


def _acls_disabled(backend: S3Backend, bucket_name: str | None) -> bool:
    try:
        return bucket_name is not None and _ownership(backend.get_bucket(bucket_name)) == ACLS_DISABLED
    except MissingBucket:
        return False


def _install_object_ownership() -> None:
    """ACLs as S3 applies them under Object Ownership (see the module's docstring)."""
    authorize = S3Response._authenticate_and_authorize_s3_action

    def authorize_then_judge_acl(self: S3Response, bucket_name: str | None = None, key_name: str | None = None) -> None:
        authorize(self, bucket_name=bucket_name, key_name=key_name)  # who may ask comes first, as in S3
        _refuse_acls_s3_would_refuse(self, bucket_name or getattr(self, "bucket_name", None), key_name)

    S3Response._authenticate_and_authorize_s3_action = authorize_then_judge_acl  # type: ignore[method-assign,assignment]

    create_bucket = S3Backend.create_bucket

    def create_bucket_acls_disabled(self: S3Backend, *args: Any, **kwargs: Any) -> FakeBucket:
        bucket = create_bucket(self, *args, **kwargs)
        if bucket.ownership_rule is None:  # CreateBucket's x-amz-object-ownership header, if any, comes after
            bucket.ownership_rule = ACLS_DISABLED  # type: ignore[assignment]  # moto stores the setting's name
        return bucket

    S3Backend.create_bucket = create_bucket_acls_disabled  # type: ignore[method-assign]

    get_bucket_acl, get_object_acl = S3Backend.get_bucket_acl, S3Backend.get_object_acl

    def bucket_acl(self: S3Backend, bucket_name: str) -> FakeAcl | None:
        return get_canned_acl("private") if _acls_disabled(self, bucket_name) else get_bucket_acl(self, bucket_name)

    def object_acl(self: S3Backend, key: FakeKey) -> FakeAcl | None:
        return get_canned_acl("private") if _acls_disabled(self, key.bucket_name) else get_object_acl(self, key)

    S3Backend.get_bucket_acl = bucket_acl  # type: ignore[method-assign]
    S3Backend.get_object_acl = object_acl  # type: ignore[method-assign]


def default_encryption(stored: dict[str, Any] | None) -> dict[str, Any]:
    """A bucket's encryption as GetBucketEncryption reads it: its own, else S3's SSE-S3 default."""
    return stored or copy.deepcopy(SSE_S3_DEFAULT)


def _install_default_encryption() -> None:
    """GetBucketEncryption answers S3's default for a bucket with none of its own (see the module's docstring).

    Only the read: moto's stored configuration stays ``None``, so its PutObject and CopyObject are unchanged
    (S3 would also report AES256 on every new object; nothing here reads that yet).
    """
    get_bucket_encryption = S3Backend.get_bucket_encryption

    def bucket_encryption(self: S3Backend, bucket_name: str) -> dict[str, Any]:
        return default_encryption(get_bucket_encryption(self, bucket_name))

    S3Backend.get_bucket_encryption = bucket_encryption  # type: ignore[method-assign]


def install() -> None:
    """Patch moto's bucket policy evaluation, Object Ownership and default encryption; a second call does nothing."""
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
    _install_object_ownership()
    _install_default_encryption()
    setattr(s3_models, _MARK, True)
