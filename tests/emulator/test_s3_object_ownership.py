"""ACL writes under S3 Object Ownership, answered as S3 answers them.

Under ``BucketOwnerEnforced`` (a new bucket's default) S3 refuses every ACL write with 400
``AccessControlListNotSupported`` and takes object writes only without an ACL or with the bucket
owner's full control. A harness whose emulator stored such ACLs could break a stack in a way S3
never allows and "catch" it: these tests hold the emulator to S3's rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.s3_routes import s3control
from lakehouse.emulator.extensions.s3 import (
    ACCESS_DENIED,
    BUCKET_ACL_REFUSED,
    NOT_SUPPORTED,
    acl_headers,
    acl_refusal,
    public_acl,
    s3_operation,
)
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION, AwsClientFactory

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
ENFORCED = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
OBJECT_WRITER = {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
OWNER = "owner-canonical-id"
ACCOUNT = "123456789012"
#: Block Public Access with ACL writes allowed but public ACLs ignored (how a test opens a grant S3 takes).
IGNORE_ONLY = {
    "BlockPublicAcls": False,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


# -- the rule, as a pure function -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "acl"),
    [
        ("PutBucketAcl", {}),  # an ACL in the body: still an ACL write
        ("PutBucketAcl", {"x-amz-acl": "private"}),
        ("PutObjectAcl", {"x-amz-acl": "bucket-owner-full-control"}),
        ("PutObject", {"x-amz-acl": "public-read"}),
        ("PutObject", {"x-amz-acl": "private"}),
        ("PutObject", {"x-amz-grant-read": f'uri="{ALL_USERS}"'}),
        ("PutObject", {"x-amz-grant-full-control": f'id="{OWNER}", id="someone-else"'}),
        ("CopyObject", {"x-amz-acl": "authenticated-read"}),
        ("CreateMultipartUpload", {"x-amz-acl": "public-read-write"}),
    ],
)
def test_acls_are_refused_when_the_bucket_enforces_its_ownership(operation: str, acl: dict[str, str]) -> None:
    assert acl_refusal(operation, "BucketOwnerEnforced", acl, OWNER) == NOT_SUPPORTED
    assert acl_refusal(operation, "ObjectWriter", acl, OWNER) is None
    assert acl_refusal(operation, "BucketOwnerPreferred", acl, OWNER) is None
    assert acl_refusal(operation, None, acl, OWNER) is None  # no controls: ACLs apply (ObjectWriter)


@pytest.mark.parametrize(
    "acl",
    [{}, {"x-amz-acl": "bucket-owner-full-control"}, {"x-amz-grant-full-control": f'id="{OWNER}"'}],
)
@pytest.mark.parametrize("operation", ["PutObject", "CopyObject", "CreateMultipartUpload"])
def test_object_writes_without_an_acl_or_with_the_owners_full_control_are_taken(
    operation: str, acl: dict[str, str]
) -> None:
    assert acl_refusal(operation, "BucketOwnerEnforced", acl, OWNER) is None


def test_a_bucket_is_created_with_acls_disabled_unless_it_asks_otherwise() -> None:
    public = {"x-amz-acl": "public-read"}
    assert acl_refusal("CreateBucket", None, public, OWNER) == BUCKET_ACL_REFUSED  # the default: enforced
    assert acl_refusal("CreateBucket", None, public, OWNER, new_ownership="BucketOwnerEnforced") == BUCKET_ACL_REFUSED
    assert acl_refusal("CreateBucket", None, public, OWNER, new_ownership="ObjectWriter") is None
    assert acl_refusal("CreateBucket", None, {"x-amz-acl": "private"}, OWNER) is None
    assert acl_refusal("CreateBucket", None, {}, OWNER) is None


def test_acls_cannot_be_disabled_while_the_bucket_acl_grants_someone_else() -> None:
    def enforce(grantees: list[str]) -> tuple[str, str] | None:
        return acl_refusal("PutBucketOwnershipControls", "ObjectWriter", {}, OWNER, grantees, "BucketOwnerEnforced")

    assert enforce([OWNER, f"uri:{ALL_USERS}"]) == BUCKET_ACL_REFUSED
    assert enforce([OWNER]) is None
    assert acl_refusal("PutBucketOwnershipControls", None, {}, OWNER, ["other"], "BucketOwnerPreferred") is None


@pytest.mark.parametrize(
    ("acl", "uris", "public"),
    [
        ({"x-amz-acl": "public-read"}, [], True),
        ({"x-amz-acl": "authenticated-read"}, [], True),
        ({"x-amz-acl": "log-delivery-write"}, [], False),
        ({"x-amz-acl": "private"}, [], False),
        ({"x-amz-grant-read": f'id="{OWNER}", uri="{ALL_USERS}"'}, [], True),
        ({"x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"'}, [], False),
        ({}, [ALL_USERS], True),
        ({}, [], False),
    ],
)
def test_block_public_acls_refuses_only_public_acls(acl: dict[str, str], uris: list[str], public: bool) -> None:
    assert public_acl(acl, uris) is public
    for operation in ("PutBucketAcl", "PutObjectAcl", "PutObject", "CopyObject", "CreateMultipartUpload"):
        refused = acl_refusal(operation, "ObjectWriter", acl, OWNER, block_public_acls=True, body_uris=uris)
        assert refused == (ACCESS_DENIED if public else None), operation
        assert acl_refusal(operation, "ObjectWriter", acl, OWNER, body_uris=uris) is None
    # ACLs disabled answers first, as the ownership decides whether an ACL exists at all.
    assert acl_refusal("PutObjectAcl", "BucketOwnerEnforced", acl, OWNER, block_public_acls=True) == NOT_SUPPORTED
    created = acl_refusal("CreateBucket", None, acl, OWNER, new_ownership="ObjectWriter", block_public_acls=True)
    assert created == (ACCESS_DENIED if public_acl(acl) else None)


def test_requests_are_named_as_the_operation_they_are() -> None:
    def op(method: str, key: bool, query: dict[str, Any], headers: dict[str, str] | None = None) -> str | None:
        return s3_operation(method, key, query, headers or {})

    assert op("PUT", False, {}) == "CreateBucket"
    assert op("PUT", False, {"acl": [""]}) == "PutBucketAcl"
    assert op("PUT", False, {"ownershipControls": [""]}) == "PutBucketOwnershipControls"
    assert op("PUT", False, {"policy": [""]}) is None
    assert op("PUT", True, {}) == "PutObject"
    assert op("PUT", True, {}, {"X-Amz-Copy-Source": "b/k"}) == "CopyObject"
    assert op("PUT", True, {"acl": [""]}) == "PutObjectAcl"
    assert op("PUT", True, {"uploadId": ["u"], "partNumber": ["1"]}) is None  # UploadPart takes no ACL
    assert op("PUT", True, {"tagging": [""]}) is None
    assert op("POST", True, {"uploads": [""]}) == "CreateMultipartUpload"
    assert op("POST", True, {"uploadId": ["u"]}) is None
    assert op("GET", True, {"acl": [""]}) is None
    assert acl_headers({"X-Amz-ACL": "private", "X-Amz-Grant-Read": "id=x", "Content-Type": "t"}) == {
        "x-amz-acl": "private",
        "x-amz-grant-read": "id=x",
    }


# -- the emulator answers as S3 does ----------------------------------------------------------------


def _bucket(s3: Any, **kwargs: Any) -> str:
    name = f"ownership-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}, **kwargs)
    return name


def _refused(call: Callable[..., Any], code: str = NOT_SUPPORTED[0], **kwargs: Any) -> None:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400), error
    expected = NOT_SUPPORTED[1] if code == NOT_SUPPORTED[0] else BUCKET_ACL_REFUSED[1]
    assert error["Error"]["Message"] == expected


def _grants(answer: dict[str, Any]) -> list[tuple[str, str]]:
    """(grantee, permission) pairs, sorted (S3 does not promise an order)."""
    return sorted((g["Grantee"].get("ID") or g["Grantee"].get("URI", ""), g["Permission"]) for g in answer["Grants"])


def test_a_new_bucket_disables_acls_and_refuses_every_acl_write(aws_client: AwsClientFactory) -> None:
    s3 = aws_client("s3")
    bucket = _bucket(s3)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == ENFORCED
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    _refused(s3.put_bucket_acl, Bucket=bucket, ACL="private")
    policy = {
        "Owner": {"ID": owner},
        "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}],
    }
    _refused(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=policy)
    _refused(s3.put_object_acl, Bucket=bucket, Key="k", ACL="public-read")
    _refused(s3.put_object_acl, Bucket=bucket, Key="k", ACL="bucket-owner-full-control")
    _refused(s3.put_object, Bucket=bucket, Key="p", Body=b"x", ACL="public-read")
    _refused(s3.put_object, Bucket=bucket, Key="p", Body=b"x", ACL="private")
    _refused(s3.put_object, Bucket=bucket, Key="p", Body=b"x", GrantRead=f'uri="{ALL_USERS}"')
    _refused(s3.copy_object, Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, ACL="public-read")
    _refused(s3.create_multipart_upload, Bucket=bucket, Key="m", ACL="public-read")

    # Without an ACL, or with the bucket owner's full control, writes go through.
    s3.put_object(Bucket=bucket, Key="p", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="q", Body=b"x", GrantFullControl=f'id="{owner}"')
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")
    s3.abort_multipart_upload(Bucket=bucket, Key="m", UploadId=upload["UploadId"])
    assert _grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [(owner, "FULL_CONTROL")]
    assert _grants(s3.get_bucket_acl(Bucket=bucket)) == [(owner, "FULL_CONTROL")]


def test_acls_apply_once_enabled_and_are_hidden_not_lost_while_disabled(aws_client: AwsClientFactory) -> None:
    """How a test may open a lake object to the world in a way S3 allows: enable ACLs first."""
    s3 = aws_client("s3")
    bucket = _bucket(s3)
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=OBJECT_WRITER)
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    public = [(owner, "FULL_CONTROL"), (ALL_USERS, "READ")]
    assert _grants(s3.get_object_acl(Bucket=bucket, Key="k")) == public

    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=ENFORCED)  # the bucket ACL is private
    assert _grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [(owner, "FULL_CONTROL")]
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=OBJECT_WRITER)
    assert _grants(s3.get_object_acl(Bucket=bucket, Key="k")) == public

    # A bucket ACL granting the world stands in the way of disabling ACLs, until it is private again.
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    _refused(
        s3.put_bucket_ownership_controls,
        code=BUCKET_ACL_REFUSED[0],
        Bucket=bucket,
        OwnershipControls=ENFORCED,
    )
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=ENFORCED)


def test_a_bucket_created_with_a_public_acl_must_ask_for_acls(aws_client: AwsClientFactory) -> None:
    s3 = aws_client("s3")
    _refused(lambda **kw: _bucket(s3, **kw), code=BUCKET_ACL_REFUSED[0], ACL="public-read")
    bucket = _bucket(s3, ACL="public-read", ObjectOwnership="ObjectWriter")
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == OBJECT_WRITER
    assert (ALL_USERS, "READ") in _grants(s3.get_bucket_acl(Bucket=bucket))
    assert _bucket(s3, ACL="private")  # the owner's full control only: taken


def test_block_public_acls_refuses_public_acls_where_acls_are_enabled(
    aws_client: AwsClientFactory, emulator: EmulatorHandle
) -> None:
    """The bucket's BlockPublicAcls, then the account's: 403 AccessDenied; IgnorePublicAcls alone lets the write in."""
    s3 = aws_client("s3")
    bucket = _bucket(s3, ObjectOwnership="BucketOwnerPreferred")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ALL)

    def denied(call: Callable[..., Any], **kwargs: Any) -> None:
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        error = caught.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403), error

    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    world = {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}
    denied(s3.put_object_acl, Bucket=bucket, Key="k", ACL="public-read")
    denied(s3.put_object, Bucket=bucket, Key="p", Body=b"x", GrantRead=f'uri="{ALL_USERS}"')
    denied(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy={"Owner": {"ID": owner}, "Grants": [world]})
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="private")  # not public: taken

    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=IGNORE_ONLY)
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    assert (ALL_USERS, "READ") in _grants(s3.get_object_acl(Bucket=bucket, Key="k"))

    control = s3control(local_target(emulator.endpoint, REGION))
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    try:
        denied(s3.put_object_acl, Bucket=bucket, Key="k", ACL="public-read-write")
        denied(lambda **kw: _bucket(s3, **kw), ACL="public-read", ObjectOwnership="ObjectWriter")
    finally:
        control.delete_public_access_block(AccountId=ACCOUNT)
