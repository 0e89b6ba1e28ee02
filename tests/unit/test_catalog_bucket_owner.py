"""@STACK-catalog: a bucket the catalog names must be the stack's account's, not merely readable from it.

S3 bucket names are global: another account can own ``lakehouse-lh-1-bronze-<this account>`` (made first, or kept
after the stack's was deleted) and let this account read it. HeadBucket then answers 200, and the check counted the
bucket as the stack's: a stack keeping its lake in a bucket another account owns passed "every resource the
catalog names exists in the stack". The broken stack: its Bronze bucket is owned by account 111111111111; the
healthy twin: the same lookup of a bucket its own account made.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.catalog.model import CATALOG_FILE, Entity, load_catalog
from lakehouse.checks.catalog import judge_resources, lookup
from lakehouse.config import project_root
from lakehouse.target import Target

ACCOUNT = "123456789012"  # moto's default account: the stack's
VALUES = {"project": "lakehouse", "stack_id": "lh-1", "account_id": ACCOUNT, "region": "us-east-1"}
VALUES = {**VALUES, "glue_prefix": "lakehouse_lh_1"}


def _bucket_entity(layer: str) -> Entity:
    [entity] = [
        e
        for e in load_catalog(project_root() / CATALOG_FILE)
        if e.spec.get("type") == "s3-bucket"
        and e.annotations.get("lakehouse.io/aws-name", "").endswith(f"-{layer}-{{account_id}}")
    ]
    return entity


@pytest.fixture
def target(moto_aws: None) -> Any:
    yield Target(name="aws", region="us-east-1")


def _other_accounts_s3(target: Target) -> Any:
    """An S3 client of account 111111111111 (moto keeps one backend per account, as AWS keeps owners)."""
    import boto3

    creds = target.client("sts").assume_role(RoleArn="arn:aws:iam::111111111111:role/squatter", RoleSessionName="x1")
    c = creds["Credentials"]
    return boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def test_a_bucket_another_account_owns_is_not_the_stacks(target: Any) -> None:
    name = f"lakehouse-lh-1-bronze-{ACCOUNT}"
    _other_accounts_s3(target).create_bucket(Bucket=name)
    assert target.client("s3").head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200  # readable
    entity = _bucket_entity("bronze")
    found = lookup(entity, target, VALUES, {})
    assert found is not None and found.exists
    assert judge_resources([entity], [found]) == [
        f"{entity.ref} names s3-bucket '{name}', which is not the stack's: S3 ListBuckets of the stack's account does "
        "not list it, so another account owns it (bucket names are global: HeadBucket answers 200 for another "
        "account's bucket whose policy lets this one read it), and what the stack would keep there is in that "
        "account's hands"
    ]


def test_a_bucket_of_the_stacks_own_account_is_the_stacks(target: Any) -> None:
    """The healthy twin: the account made it, tagged as the stack's default_tags tag it; another account's bucket
    of another name changes nothing."""
    target.client("s3").create_bucket(Bucket=f"lakehouse-lh-1-bronze-{ACCOUNT}")
    tags = {"TagSet": [{"Key": "stack_id", "Value": "lh-1"}]}
    target.client("s3").put_bucket_tagging(Bucket=f"lakehouse-lh-1-bronze-{ACCOUNT}", Tagging=tags)
    _other_accounts_s3(target).create_bucket(Bucket=f"lakehouse-lh-1-bronze-{ACCOUNT}-copy")
    entity = _bucket_entity("bronze")
    found = lookup(entity, target, VALUES, {})
    assert found is not None and found.exists and not found.foreign
    assert judge_resources([entity], [found]) == []
