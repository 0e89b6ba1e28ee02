"""Exit check 6's CloudFront route on the emulator: a lake bucket with AWS's OAC bucket policy for the account's
own distribution, read back through CloudFront's API (moto's CloudFront, served by the emulator).

The distribution serving the bucket to anyone fails, named; once its cache behaviours require URLs signed with
a key group of the account, it passes.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lakehouse.checks.cloudfront_routes import cloudfront_grants, cloudfront_problems, read_cloudfront
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION

ACCOUNT = "123456789012"
KEY = "users/data/00000.parquet"
#: A public key's PEM as CloudFront takes it (moto keeps it without parsing it).
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAq0Zf0k0MZkE0o0yq1Ww5
-----END PUBLIC KEY-----
"""


def _config(reference: str, bucket: str) -> dict[str, Any]:
    origin = {
        "Id": "lake",
        "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    return {
        "CallerReference": reference,
        "Comment": "lake files",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "lake",
            "ViewerProtocolPolicy": "https-only",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # AWS's CachingOptimized
        },
    }


def test_the_accounts_distribution_on_a_lake_bucket_fails_until_it_requires_signed_urls(
    emulator: EmulatorHandle,
) -> None:
    target = local_target(emulator.endpoint, REGION)
    s3, cloudfront = target.client("s3"), target.client("cloudfront")
    bucket = f"lake-gold-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"ssn")
    config = _config(uuid.uuid4().hex, bucket)
    made = cloudfront.create_distribution(DistributionConfig=config)
    try:
        _judged_until_signed(cloudfront, s3, bucket, config, made)
    finally:  # the emulator is shared by the session: nothing of this test stays in its account
        for item in cloudfront.list_distributions()["DistributionList"].get("Items") or []:
            if item["Origins"]["Items"][0]["DomainName"].startswith(f"{bucket}."):
                cloudfront.delete_distribution(
                    Id=item["Id"], IfMatch=cloudfront.get_distribution(Id=item["Id"])["ETag"]
                )


def _judged_until_signed(cloudfront: Any, s3: Any, bucket: str, config: dict[str, Any], made: dict[str, Any]) -> None:
    distribution = made["Distribution"]
    policy: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution["ARN"]}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    read = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    objects = {bucket: [KEY, "users/lakehouse-exit6-probe"]}

    grants = cloudfront_grants({bucket: read}, objects, ACCOUNT)
    assert [g.named for g in grants] == [(distribution["ARN"],)]
    public = read_cloudfront(cloudfront, grants)
    assert public.unreadable == {}
    problems, unknown = cloudfront_problems(grants, public, ACCOUNT)
    assert unknown == []
    assert problems == [
        f"statement AllowCloudFrontServicePrincipalReadOnly of the bucket policy of lake bucket {bucket} lets "
        f"CloudFront distribution {distribution['Id']} ({distribution['ARN']}) read lake objects, and its default "
        f"cache behaviour (path pattern *), on origin lake ({bucket}.s3.{REGION}.amazonaws.com), requires no signed "
        f"URL or cookie (no trusted key group or trusted signer enabled): it serves s3://{bucket}/{KEY} to anyone on "
        f"the internet at https://{distribution['DomainName']}/{KEY}"
    ]

    # Viewers must now present URLs signed with the account's own key group.
    key = cloudfront.create_public_key(
        PublicKeyConfig={"CallerReference": uuid.uuid4().hex, "Name": f"lake-{bucket}", "EncodedKey": PUBLIC_KEY}
    )["PublicKey"]
    group = cloudfront.create_key_group(KeyGroupConfig={"Name": f"lake-{bucket}", "Items": [key["Id"]]})["KeyGroup"]
    config["DefaultCacheBehavior"]["TrustedKeyGroups"] = {"Enabled": True, "Quantity": 1, "Items": [group["Id"]]}
    cloudfront.update_distribution(Id=distribution["Id"], IfMatch=made["ETag"], DistributionConfig=config)
    signed = read_cloudfront(cloudfront, grants)
    assert cloudfront_problems(grants, signed, ACCOUNT) == ([], [])

    # The statement kept to the account alone: every distribution of it on the bucket is judged, found by listing.
    policy["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    account_wide = cloudfront_grants({bucket: policy}, objects, ACCOUNT)
    other = cloudfront.create_distribution(DistributionConfig=_config(uuid.uuid4().hex, bucket))["Distribution"]
    listed = read_cloudfront(cloudfront, account_wide)
    assert listed.listed and {distribution["ARN"], other["ARN"]} <= set(listed.distributions)
    problems, unknown = cloudfront_problems(account_wide, listed, ACCOUNT)
    assert unknown == [] and len(problems) == 1 and f"distribution {other['Id']} ({other['ARN']})" in problems[0]
