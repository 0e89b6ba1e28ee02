"""Exit check 6's reader of the other routes to the lake (access points, ACLs, Block Public Access) on the emulator.

The reader must see through the APIs what S3 would act on, whether or not the emulator enforces it:
S3 Control's access points and their policies (its host prefix stripped for a local endpoint),
Object Ownership, the bucket's and the account's Block Public Access, and the ACLs when they apply.
"""

from __future__ import annotations

import json
import uuid

from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.iam_access import Principal
from lakehouse.checks.key_names import Lister, listing_problems, read_key_names
from lakehouse.checks.s3_routes import ALL_USERS, access_point_problems, acl_problems, read_routes, s3control
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION

ACCOUNT = "123456789012"
KEY = "users/data/00000.parquet"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/lh-analyst"
ENFORCED = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def test_the_reader_sees_access_points_and_acls_as_s3_would_apply_them(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    s3, control = target.client("s3"), s3control(target)
    bucket = f"lake-gold-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"ssn")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=ENFORCED)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK)
    objects = {bucket: [KEY, "users/lakehouse-exit6-probe"]}

    healthy = read_routes(target, ACCOUNT, "aws", objects, "lakehouse-exit6-probe")
    assert healthy.errors == []
    assert healthy.acls[bucket].ownership == "BucketOwnerEnforced" and healthy.acls[bucket].object_grants == {}
    assert healthy.access_points[bucket] == []
    assert acl_problems(healthy) == []

    # ACLs back on, the public access block gone, a public-read object: the reader sees the grant.
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object_acl(Bucket=bucket, Key=KEY, ACL="public-read")
    opened = read_routes(target, ACCOUNT, "aws", objects, "lakehouse-exit6-probe")
    grants = opened.acls[bucket].object_grants[KEY]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    assert list(opened.acls[bucket].object_grants) == [KEY]  # the probe key is not an object
    assert any(
        p.startswith(f"the object ACL of s3://{bucket}/{KEY} grants READ to group AllUsers")
        for p in acl_problems(opened)
    )

    # An access point whose policy names the analyst, on a bucket delegating to its access points.
    name = f"share-{uuid.uuid4().hex[:6]}"
    control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    point = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{name}"
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ANALYST},
        "Action": "s3:GetObject",
        "Resource": f"{point}/object/*",
    }
    control.put_access_point_policy(
        AccountId=ACCOUNT, Name=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    read = read_routes(target, ACCOUNT, "aws", objects, "lakehouse-exit6-probe")
    (found,) = read.access_points[bucket]
    assert (found.name, found.arn, found.policy) == (name, point, {"Version": "2012-10-17", "Statement": [statement]})
    delegating = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}},
            }
        ]
    }
    who = Principal(ANALYST, ACCOUNT)
    problems = access_point_problems(read, {bucket: delegating}, [], None, who, objects)
    assert any(f"through access point {name} of lake bucket {bucket}" in p for p in problems), problems
    assert access_point_problems(read, {bucket: None}, [], None, who, objects) == []  # no delegation: nothing
    control.delete_access_point(AccountId=ACCOUNT, Name=name)


def test_an_access_point_made_through_s3_control_lets_the_analyst_list_key_names(emulator: EmulatorHandle) -> None:
    """The broken stack as made on S3: a bucket policy delegating to access points, a point whose policy lets the
    analyst list; read back as the check reads it, its key names are judged listed through the point."""
    target = local_target(emulator.endpoint, REGION)
    s3, control = target.client("s3"), s3control(target)
    bucket = f"lake-gold-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="users_by_ssn/data/ssn=123-45-6789/00000.parquet", Body=b"x")
    name = f"browse-{uuid.uuid4().hex[:6]}"
    control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    point = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{name}"
    browse = {"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "s3:ListBucket", "Resource": point}
    control.put_access_point_policy(AccountId=ACCOUNT, Name=name, Policy=json.dumps({"Statement": [browse]}))
    delegating = {
        "Statement": [
            {
                "Sid": "Delegate",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}},
            }
        ]
    }
    read = read_routes(target, ACCOUNT, "aws", {bucket: [KEY]}, "lakehouse-exit6-probe")
    listed = {bucket: read_key_names(s3, bucket, HiddenValues(["123-45-6789"]))}
    analyst = Lister([], None, Principal(ANALYST, ACCOUNT))
    problems, _, _ = listing_problems(analyst, {bucket: delegating}, listed, read.access_points)
    assert [p.split(":", 1)[0] for p in problems] == [
        f"the analyst role may list lake bucket {bucket} through access point {name}"
    ]
    assert listing_problems(analyst, {bucket: None}, listed, read.access_points)[0] == []  # no delegation: nothing
    control.delete_access_point(AccountId=ACCOUNT, Name=name)
