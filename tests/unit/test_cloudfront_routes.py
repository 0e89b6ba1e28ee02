"""Exit check 6's CloudFront route: a lake bucket policy letting this account's distributions read, judged by
what each distribution's cache behaviours serve, and read back through CloudFront's API (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from lakehouse.checks.cloudfront_routes import (
    LISTING,
    CloudFrontGrant,
    CloudFrontReadback,
    Distribution,
    cloudfront_grants,
    cloudfront_problems,
    origin_reaches,
    reached_key,
    read_cloudfront,
)

ACCOUNT = "123456789012"
GOLD = "lh-gold-1"
KEYS = ("users/data/00000.parquet", "users/lakehouse-exit6-probe", "orders/data/1.parquet")
ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"
SIGNED = {"Enabled": True, "Quantity": 1, "Items": ["kg-1"]}
OFF = {"Enabled": False, "Quantity": 0}


def _policy(condition: dict[str, Any], **more: Any) -> dict[str, Any]:
    statement = {
        "Sid": "AllowCloudFront",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{GOLD}/*",
        "Condition": condition,
        **more,
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _behaviour(groups: dict[str, Any] = OFF, signers: dict[str, Any] = OFF, **more: Any) -> dict[str, Any]:
    return {"TargetOriginId": "lake", "TrustedKeyGroups": groups, "TrustedSigners": signers, **more}


def _distribution(
    default: dict[str, Any],
    *ordered: dict[str, Any],
    domain: str = f"{GOLD}.s3.ap-northeast-1.amazonaws.com",
    path: str = "",
    groups: list[dict[str, Any]] | None = None,
) -> Distribution:
    config: dict[str, Any] = {
        "Origins": {"Quantity": 1, "Items": [{"Id": "lake", "DomainName": domain, "OriginPath": path}]},
        "DefaultCacheBehavior": default,
        "CacheBehaviors": {"Quantity": len(ordered), "Items": list(ordered)},
    }
    if groups:
        config["OriginGroups"] = {"Quantity": len(groups), "Items": groups}
    return Distribution("E1", ARN, "d1.cloudfront.net", True, config)


def _judge(distribution: Distribution, keys: tuple[str, ...] = KEYS) -> list[str]:
    grant = CloudFrontGrant(GOLD, "AllowCloudFront", (ARN,), keys)
    problems, unknown = cloudfront_problems([grant], CloudFrontReadback({ARN: distribution}), ACCOUNT)
    assert unknown == []
    return problems


def test_only_statements_confined_to_this_account_that_read_lake_keys_are_cloudfront_grants() -> None:
    objects = {GOLD: list(KEYS)}
    by_arn = _policy({"StringEquals": {"AWS:SourceArn": ARN}})
    [grant] = cloudfront_grants({GOLD: by_arn}, objects, ACCOUNT)
    assert (grant.sid, grant.sources, grant.keys, grant.named, grant.needs_listing) == (
        "AllowCloudFront",
        (ARN,),
        KEYS,
        (ARN,),
        False,
    )
    probe_first = {GOLD: ["a/lakehouse-exit6-probe", "b/00000.parquet"]}
    [real_first] = cloudfront_grants({GOLD: by_arn}, probe_first, ACCOUNT, "lakehouse-exit6-probe")
    assert real_first.keys == ("b/00000.parquet", "a/lakehouse-exit6-probe")  # a reason names a real file
    [account] = cloudfront_grants({GOLD: _policy({"StringEquals": {"aws:SourceAccount": ACCOUNT}})}, objects, ACCOUNT)
    assert account.sources == () and account.needs_listing and account.covers(ARN, ACCOUNT)
    pattern = f"arn:aws:cloudfront::{ACCOUNT}:distribution/*"
    [wild] = cloudfront_grants({GOLD: _policy({"ArnLike": {"aws:SourceArn": pattern}})}, objects, ACCOUNT)
    assert wild.named == () and wild.needs_listing and wild.covers(ARN, ACCOUNT)
    # Another account's distribution: outsider_problems names it; a write, or a key elsewhere: nothing read.
    foreign = _policy({"StringEquals": {"aws:SourceArn": "arn:aws:cloudfront::444455556666:distribution/E9"}})
    orders_only = _policy({"StringEquals": {"aws:SourceArn": ARN}}, Resource=f"arn:aws:s3:::{GOLD}/orders/*")
    assert cloudfront_grants({GOLD: foreign}, objects, ACCOUNT) == []
    assert (
        cloudfront_grants(
            {GOLD: _policy({"StringEquals": {"aws:SourceArn": ARN}}, Action="s3:PutObject")}, objects, ACCOUNT
        )
        == []
    )
    assert cloudfront_grants({GOLD: orders_only}, objects, ACCOUNT)[0].keys == ("orders/data/1.parquet",)
    denied = _policy({"StringEquals": {"aws:SourceArn": ARN}})
    denied["Statement"].append(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{GOLD}/*"}
    )
    assert cloudfront_grants({GOLD: denied}, objects, ACCOUNT) == []


@pytest.mark.parametrize(
    ("distribution", "culprit"),
    [
        (_distribution(_behaviour()), "its default cache behaviour (path pattern *), on origin lake"),
        (
            _distribution(_behaviour(SIGNED), _behaviour(PathPattern="/users/*")),
            "its cache behaviour '/users/*', on origin lake",
        ),
        (
            _distribution(_behaviour(SIGNED), _behaviour(PathPattern="data/*.parquet"), path="/users"),
            "at https://d1.cloudfront.net/data/00000.parquet",
        ),
        (
            _distribution(_behaviour(signers={"Enabled": True, "Quantity": 1, "Items": ["444455556666"]})),
            "trusts the signers of account 444455556666 (TrustedSigners)",
        ),
        (
            _distribution(
                _behaviour(TargetOriginId="failover"),
                groups=[{"Id": "failover", "Members": {"Quantity": 1, "Items": [{"OriginId": "lake"}]}}],
            ),
            "its default cache behaviour (path pattern *), on origin lake",
        ),
        (
            _distribution(_behaviour(), domain="gold-share-abcdefgh12345678-s3alias.s3.ap-northeast-1.amazonaws.com"),
            "requires no signed URL or cookie",
        ),
        (_distribution(_behaviour(signers={"Enabled": True, "Quantity": 0, "Items": []})), "requires no signed URL"),
    ],
    ids=["default", "ordered", "origin-path", "foreign-signer", "origin-group", "access-point-alias", "no-signers"],
)
def test_a_behaviour_serving_lake_keys_unsigned_fails_naming_the_distribution(
    distribution: Distribution, culprit: str
) -> None:
    found = _judge(distribution)
    assert len(found) == 1, found
    assert found[0].startswith(
        f"statement AllowCloudFront of the bucket policy of lake bucket {GOLD} lets CloudFront distribution E1 ({ARN})"
    )
    assert culprit in found[0]


@pytest.mark.parametrize(
    "distribution",
    [
        _distribution(_behaviour(SIGNED)),
        _distribution(_behaviour(signers={"Enabled": True, "Quantity": 1, "Items": ["self"]})),
        _distribution(_behaviour(SIGNED), _behaviour(PathPattern="images/*"), _behaviour(PathPattern="Users/*")),
        _distribution(_behaviour(SIGNED), _behaviour(PathPattern="*"), path="/website"),
        _distribution(_behaviour(), domain="lh-website.s3.ap-northeast-1.amazonaws.com"),
        _distribution(_behaviour(), domain=f"{GOLD}.s3-website-ap-northeast-1.example.com"),
    ],
    ids=["key-groups", "own-signers", "elsewhere-and-case", "other-origin-path", "other-bucket", "not-s3"],
)
def test_behaviours_that_keep_lake_keys_to_signed_requests_or_never_reach_them_pass(
    distribution: Distribution,
) -> None:
    assert _judge(distribution) == []


def test_origins_and_paths_are_matched_as_cloudfront_maps_them_to_keys() -> None:
    assert origin_reaches(f"{GOLD}.s3.amazonaws.com", GOLD)
    assert origin_reaches(f"{GOLD}.s3-ap-northeast-1.amazonaws.com", GOLD)
    assert origin_reaches(f"{GOLD}.s3.dualstack.ap-northeast-1.amazonaws.com", GOLD)
    assert origin_reaches("my.s3.bucket.s3.amazonaws.com", "my.s3.bucket")
    assert not origin_reaches(f"other-{GOLD}.s3.amazonaws.com", GOLD)
    assert reached_key(KEYS, "/users", "/data/*") == ("users/data/00000.parquet", "data/00000.parquet")
    assert reached_key(KEYS, "", "users/data/0000?.parquet") == ("users/data/00000.parquet", "users/data/00000.parquet")
    assert reached_key(KEYS, "", "users/[0]*") is None  # "[" is literal in a path pattern
    assert reached_key(KEYS, "/usersx", "*") is None


@pytest.fixture
def cloudfront(moto_aws: None) -> Iterator[Any]:
    yield boto3.client("cloudfront", region_name="us-east-1")


def _create(client: Any, reference: str, bucket: str, key_groups: list[str]) -> dict[str, Any]:
    behaviour: dict[str, Any] = {
        "TargetOriginId": "lake",
        "ViewerProtocolPolicy": "https-only",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "TrustedKeyGroups": {"Enabled": bool(key_groups), "Quantity": len(key_groups), "Items": key_groups},
    }
    config = {
        "CallerReference": reference,
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "lake",
                    "DomainName": f"{bucket}.s3.ap-northeast-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": behaviour,
    }
    return dict(client.create_distribution(DistributionConfig=config)["Distribution"])


def test_named_distributions_are_read_one_by_one_and_the_rest_by_listing(cloudfront: Any) -> None:
    signed = _create(cloudfront, "signed", GOLD, ["kg-1"])
    public = _create(cloudfront, "public", GOLD, [])
    gone = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EGONE"
    named = CloudFrontGrant(GOLD, "Named", (signed["ARN"], gone), KEYS)
    rb = read_cloudfront(cloudfront, [named])
    assert list(rb.distributions) == [signed["ARN"]] and not rb.listed
    assert rb.unreadable[gone].startswith("GetDistribution EGONE: An error occurred (NoSuchDistribution)")
    problems, unknown = cloudfront_problems([named], rb, ACCOUNT)
    assert problems == [] and len(unknown) == 1 and f"for distribution {gone}, which could not be read" in unknown[0]
    account = CloudFrontGrant(GOLD, "Account", (), KEYS)
    rb = read_cloudfront(cloudfront, [account])
    assert rb.listed and set(rb.distributions) == {signed["ARN"], public["ARN"]}
    problems, unknown = cloudfront_problems([account], rb, ACCOUNT)
    assert unknown == [] and len(problems) == 1 and f"distribution {public['Id']} ({public['ARN']})" in problems[0]
    assert rb.to_dict()["distributions"][signed["ARN"]]["cache_behaviours"][0]["trusted_key_groups"]["Enabled"]


def test_a_listing_that_fails_is_unknown_never_empty() -> None:
    class Refusing:
        def get_paginator(self, name: str) -> Any:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListDistributions")

    rb = read_cloudfront(Refusing(), [CloudFrontGrant(GOLD, "Account", (), KEYS)])
    assert not rb.listed and rb.unreadable[LISTING].startswith("ListDistributions: An error occurred (AccessDenied)")
