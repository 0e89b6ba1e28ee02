"""Exit check 6 judges ``s3:ListBucket`` on the lake buckets: key names can hold the hidden values.

The broken stack: a table partitioned by ``ssn`` (``users_by_ssn/data/ssn=123-45-6789/...``) or a file named after a
value, in a lake bucket the analyst may list (its IAM policy, or the bucket policy). No GetObject is allowed, so
main's check (object reads only) passed while ``ListObjectsV2`` showed every value. The healthy twins: the analyst
may list, but the keys are clean (date partitions); the keys show values, but the analyst may not list, or only a
prefix elsewhere (``s3:prefix`` evaluated), or a Deny wins.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lakehouse.checks import s3_routes
from lakehouse.checks.hidden_values import MASK, HiddenValues
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.key_names import BucketKeys, at_prefix, leaky_key, read_key_names
from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.s3_routes import MULTI_REGION, AccessPoint, read_multi_region_access_points
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from lakehouse.target import Target

from .test_security import ACCOUNT, ANALYST, BUCKETS, OTHER, POINT_ARN, healthy, tls_only

VALUES = HiddenValues(["123-45-6789", "987-65-4321", "555-12-3456"])
GOLD = BUCKETS["gold"]
#: What listing the Gold bucket finds with a table partitioned by ssn beside Gold users.
PARTITIONED = [
    "users/data/00000-0-5b1e.parquet",
    "users/metadata/00001-a.metadata.json",
    "users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet",
    "users_by_ssn/data/ssn=987-65-4321/00000-1-77aa.parquet",
]
CLEAN = [
    "users/data/00000-0-5b1e.parquet",
    "orders/data/order_date=2024-05-01/00000-0-9c2d.parquet",
    "orders/metadata/snap-8812-1-9c2d.avro",
]


def _listed(keys: list[str], bucket: str = GOLD, **more: Any) -> BucketKeys:
    found = [k for key in keys if (k := leaky_key(key, VALUES)) is not None]
    return BucketKeys(bucket, listed=len(keys), leaky=found, **more)


def _policy(*statements: dict[str, Any], source: str = "inline policy browse-lake") -> Policy:
    return Policy.parse(source, {"Version": "2012-10-17", "Statement": list(statements)})


def _list(resource: str = f"arn:aws:s3:::{GOLD}", sid: str = "BrowseLake", **more: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": "s3:ListBucket", "Resource": resource, **more}


def _lake(keys: list[str], *statements: dict[str, Any], **listing: Any) -> SecurityReadback:
    rb = healthy()
    rb.listed_keys = {b: BucketKeys(b, listed=2) for b in BUCKETS.values()}
    rb.listed_keys[GOLD] = _listed(keys, **listing)
    if statements:
        rb.identity_policies = [*rb.identity_policies, _policy(*statements)]
    return rb


def _key_problems(rb: SecurityReadback) -> list[str]:
    return list(judge_security(rb).details["problems"]["key_names"])


# -- which key names show a value ------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet",  # Hive / Iceberg identity partition
        "users_by_ssn/data/ssn=123%2D45%2D6789/part-0.parquet",  # URL-encoded
        "users_by_ssn/data/tax_id=123456789/part-0.parquet",  # a copy, digits only
        "users_by_ssn/data/2Bx0Kw/ssn=555-12-3456/part-0.parquet",  # write.object-storage hash prefix
        "exports/users/123-45-6789.json",  # a file named after a value
        "exports/users/user_42-987-65-4321.csv",  # a value inside a longer name
        f"hashed/h={hashlib.sha256(b'123-45-6789').hexdigest()}/x.parquet",  # an unsalted digest
    ],
)
def test_a_key_showing_a_value_is_found_and_masked(key: str) -> None:
    found = leaky_key(key, VALUES)
    assert found is not None and found.key == key
    assert MASK in found.shown and not any(v in found.shown for v in ("123", "987-65", "555-12"))
    assert found.shown.split("/")[0] == key.split("/")[0]


@pytest.mark.parametrize(
    "key",
    [*CLEAN, "users/metadata/00001-4c1f-8a2e-3f1c2b4a5d6e.metadata.json", "results/3f1c-77aa-4b2e.csv", "user_id=42/x"],
)
def test_clean_keys_show_nothing(key: str) -> None:
    assert leaky_key(key, VALUES) is None


# -- the broken stacks ---------------------------------------------------------------------------------


def test_an_analyst_allowed_to_list_a_bucket_partitioned_by_ssn_fails_the_check() -> None:
    result = judge_security(_lake(PARTITIONED, _list()))
    assert not result.passed
    problems = result.details["problems"]["key_names"]
    assert problems == [
        f"the analyst role may list lake bucket {GOLD}: statement BrowseLake of inline policy browse-lake allows "
        f"s3:ListBucket with no prefix, and the key s3://{GOLD}/users_by_ssn/data/{MASK}/00000-0-77aa.parquet "
        "(and 1 more keys) shows a hidden value in its name, around Lake Formation"
    ]
    assert result.measured["key_name_problems"] == 1


def test_the_evidence_names_no_value_of_a_key_name() -> None:
    """The objects tried and a GetObject reason name the partition files too: masked like the key names."""
    rb = _lake(PARTITIONED, _list(), _list(sid="ReadAll", Action="s3:GetObject", Resource=f"arn:aws:s3:::{GOLD}/*"))
    rb.lake_objects[GOLD] = sorted({*rb.lake_objects[GOLD], *PARTITIONED})
    result = judge_security(rb)
    text = json.dumps(result.details, default=str) + str(result.reason)
    assert not any(v in text for v in ("123-45-6789", "987-65-4321")), text
    assert f"users_by_ssn/data/{MASK}/00000-0-77aa.parquet" in result.details["iam"]["lake_objects_tried"][GOLD]
    assert "users/data/00000-0-5b1e.parquet" in result.details["iam"]["lake_objects_tried"][GOLD]


def test_a_bucket_policy_letting_the_analyst_list_fails_the_check() -> None:
    rb = _lake(PARTITIONED)
    policy = tls_only(GOLD)
    policy["Statement"].append({**_list(sid="AnalystBrowses"), "Principal": {"AWS": ANALYST}})
    rb.bucket_policies[GOLD] = policy
    assert any(f"statement AnalystBrowses of the bucket policy of {GOLD}" in p for p in _key_problems(rb))


def test_a_file_named_after_a_value_fails_the_check() -> None:
    problems = _key_problems(_lake([*CLEAN, "exports/users/555-12-3456.json"], _list(resource="arn:aws:s3:::*")))
    assert len(problems) == 1 and f"s3://{GOLD}/exports/users/{MASK} shows" in problems[0], problems


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"s3:prefix": ["users_by_ssn/*"]}},
        {"StringEquals": {"s3:prefix": ["", "users/"]}, "StringEqualsIfExists": {"s3:delimiter": "/"}},
        {"StringNotLike": {"s3:prefix": ["reports/*"]}},
        {"Null": {"s3:prefix": "true"}},  # listing with no prefix at all
    ],
)
def test_a_prefix_condition_reaching_the_partition_folders_fails_the_check(condition: dict[str, Any]) -> None:
    problems = _key_problems(_lake(PARTITIONED, _list(Condition=condition)))
    assert len(problems) == 1 and "allows s3:ListBucket with" in problems[0], problems


def test_only_deleted_keys_show_values_to_a_principal_listing_versions() -> None:
    rb = _lake(CLEAN, _list(), _list(sid="Versions", Action="s3:ListBucketVersions"))
    gone = leaky_key("users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet", VALUES, current=False)
    assert gone is not None
    rb.listed_keys[GOLD].leaky = [gone]
    problems = _key_problems(rb)
    assert len(problems) == 1 and "statement Versions" in problems[0] and "s3:ListBucketVersions" in problems[0]


def test_a_role_the_analyst_can_act_as_listing_the_bucket_fails_the_check() -> None:
    rb = _lake(PARTITIONED)
    browser = f"arn:aws:iam::{ACCOUNT}:role/lh-browser"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "*"}]}
    rb.roles = {browser: RoleInfo(browser, trust, [_policy(_list(), source="inline policy browse")])}
    problems = _key_problems(rb)
    assert any(p.startswith("the analyst role can act as role lh-browser") and f"bucket {GOLD}" in p for p in problems)


def test_a_bucket_the_analyst_may_list_but_not_all_read_errs() -> None:
    result = judge_security(_lake(CLEAN, _list(), complete=False))
    assert result.status.value == "error"
    assert f"may list lake bucket {GOLD}" in str(result.reason) and "not all searched" in str(result.reason)


# -- the healthy twins ---------------------------------------------------------------------------------


def test_a_listable_bucket_with_clean_keys_passes() -> None:
    rb = _lake(CLEAN, _list())
    result = judge_security(rb)
    assert result.passed, result.reason
    listings = result.details["key_names"]["statements_allowing_listing"]
    assert {(e["bucket"], e["action"]) for e in listings} >= {
        (GOLD, "s3:ListBucket"),
        (BUCKETS["results"], "s3:ListBucket"),
    }


@pytest.mark.parametrize(
    "statements",
    [
        [],  # the analyst of infra/: ListBucket on its results bucket only
        [_list(Condition={"StringLike": {"s3:prefix": ["reports/*"]}})],
        [_list(Condition={"StringEquals": {"s3:prefix": ["orders/"]}})],
        [_list(), {"Effect": "Deny", "Action": "s3:List*", "Resource": f"arn:aws:s3:::{GOLD}"}],
        [
            _list(),
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringNotLike": {"s3:prefix": "orders/*"}},
            },
        ],
    ],
)
def test_a_bucket_partitioned_by_ssn_the_analyst_may_not_list_there_passes(statements: list[dict[str, Any]]) -> None:
    result = judge_security(_lake(PARTITIONED, *statements))
    assert result.passed, result.reason


def test_a_prefix_condition_holding_only_with_a_value_in_the_prefix_is_named_masked() -> None:
    rb = _lake(PARTITIONED, _list(Condition={"StringLike": {"s3:prefix": ["users_by_ssn/data/ssn=9*"]}}))
    problems = _key_problems(rb)
    assert len(problems) == 1 and f"with 'users_by_ssn/data/{MASK}'" in problems[0], problems
    assert "987" not in problems[0]


def test_at_prefix_evaluates_only_the_prefix_key() -> None:
    liked = _list(Condition={"StringLike": {"s3:prefix": "users/*"}, "Bool": {"aws:SecureTransport": "true"}})
    assert at_prefix(liked, "orders/")["Action"] == []
    assert at_prefix(liked, "users/x") is liked  # aws:SecureTransport stays for the evaluator's leaning
    only = _list(Condition={"StringLike": {"s3:prefix": "users/*"}})
    assert "Condition" not in at_prefix(only, "users/")
    assert at_prefix(only, None)["Action"] == []  # a positive operator on an absent key is false


# -- through an access point ---------------------------------------------------------------------------
#
# The broken stack: AWS's documented pattern, a bucket policy delegating to the account's access points, and an
# access point on Gold whose policy lets the analyst list (ListObjectsV2 on the point's ARN or alias). The bucket
# policy and the analyst's IAM policies allow no listing of the bucket itself, so main's check passed.


def _delegating(sid: str = "DelegateToAccessPoints", **condition: Any) -> dict[str, Any]:
    """AWS's documented statement letting a bucket's access points decide."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": [f"arn:aws:s3:::{GOLD}", f"arn:aws:s3:::{GOLD}/*"],
        "Condition": {"StringEquals": condition or {"s3:DataAccessPointAccount": ACCOUNT}},
    }


def _point_list(principal: Any = None, **more: Any) -> dict[str, Any]:
    """An access point policy statement letting ``principal`` (the analyst) list through the point."""
    allow = {"Sid": "Browse", "Effect": "Allow", "Principal": principal or {"AWS": ANALYST}, "Action": "s3:ListBucket"}
    return {**allow, "Resource": POINT_ARN, **more}


def _through_point(keys: list[str], *statements: dict[str, Any], delegation: Any = None, **listing: Any) -> Any:
    """The lake with ``keys`` in Gold, a delegating bucket policy, and access point gold-share with ``statements``."""
    rb = _lake(keys, **listing)
    policy = tls_only(GOLD)
    policy["Statement"].append(_delegating() if delegation is None else delegation)
    rb.bucket_policies[GOLD] = policy
    document = {"Version": "2012-10-17", "Statement": list(statements)} if statements else None
    rb.routes.access_points[GOLD] = [AccessPoint("gold-share", GOLD, POINT_ARN, document)]
    return rb


@pytest.mark.parametrize(
    ("statement", "delegation", "culprit"),
    [
        (_point_list(), None, f"statement Browse of the policy of access point gold-share (Principal {ANALYST})"),
        (_point_list("*"), None, 'statement Browse of the policy of access point gold-share (Principal "*")'),
        (
            _point_list(Resource="arn:aws:s3:*:*:accesspoint/*"),
            _delegating(**{"s3:DataAccessPointArn": POINT_ARN}),
            "statement Browse of the policy of access point gold-share",
        ),
        (
            _point_list(Condition={"StringLike": {"s3:prefix": "users_by_ssn/*"}}),
            None,
            "statement Browse of the policy of access point gold-share",
        ),
    ],
    ids=["analyst", "everyone", "by-arn", "prefix"],
)
def test_an_access_point_letting_the_analyst_list_a_bucket_partitioned_by_ssn_fails(
    statement: dict[str, Any], delegation: Any, culprit: str
) -> None:
    result = judge_security(_through_point(PARTITIONED, statement, delegation=delegation))
    problems = [p for p in result.details["problems"]["key_names"] if "outside account" not in p]  # "*": both
    assert not result.passed
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"the analyst role may list lake bucket {GOLD} through access point gold-share: ")
    assert (
        culprit in problems[0] and "(delegated by statement DelegateToAccessPoints of the bucket policy" in problems[0]
    )
    assert f"s3://{GOLD}/users_by_ssn/data/{MASK}/" in problems[0] and "123-45" not in problems[0]


def test_the_analyst_iam_policy_on_a_delegated_access_point_lists_it() -> None:
    """A point without a policy: the analyst's own IAM policy on the point's ARN is enough within the account."""
    rb = _through_point(PARTITIONED, _list(resource="arn:aws:s3:*:*:accesspoint/*"))
    rb.routes.access_points[GOLD][0].policy = None
    rb.identity_policies = [*rb.identity_policies, _policy(_list(resource="arn:aws:s3:*:*:accesspoint/*"))]
    problems = _key_problems(rb)
    assert len(problems) == 1 and "through access point gold-share" in problems[0], problems
    assert "statement BrowseLake of inline policy browse-lake" in problems[0]


def test_an_access_point_naming_the_account_lists_when_the_analyst_iam_policy_allows() -> None:
    rb = _through_point(PARTITIONED, _point_list({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert _key_problems(rb) == []  # the account only delegates: the analyst's own policies allow nothing
    rb.identity_policies = [*rb.identity_policies, _policy(_list(resource=POINT_ARN))]
    assert any("through access point gold-share" in p for p in _key_problems(rb))


def test_deleted_keys_listed_through_an_access_point_fail() -> None:
    rb = _through_point(CLEAN, _point_list(Action="s3:ListBucketVersions"))
    gone = leaky_key("users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet", VALUES, current=False)
    assert gone is not None
    rb.listed_keys[GOLD].leaky = [gone]
    problems = _key_problems(rb)
    assert len(problems) == 1 and "through access point gold-share" in problems[0], problems
    assert "s3:ListBucketVersions" in problems[0]


def test_a_role_the_analyst_can_act_as_listing_through_an_access_point_fails() -> None:
    browser = f"arn:aws:iam::{ACCOUNT}:role/lh-browser"
    rb = _through_point(PARTITIONED, _point_list({"AWS": browser}))
    assert _key_problems(rb) == []  # the point names the other role only
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "*"}]}
    rb.roles = {browser: RoleInfo(browser, trust, [_policy(source="inline policy none")])}
    problems = _key_problems(rb)
    assert any(p.startswith("the analyst role can act as role lh-browser") and "gold-share" in p for p in problems)


def test_an_access_point_listing_a_bucket_not_all_read_errs() -> None:
    result = judge_security(_through_point(CLEAN, _point_list(), complete=False))
    assert result.status.value == "error"
    assert "may list lake bucket" in str(result.reason) and "through access point gold-share" in str(result.reason)


@pytest.mark.parametrize(
    ("keys", "statements", "delegation"),
    [
        (CLEAN, [_point_list()], None),  # it may list, the keys show nothing
        (PARTITIONED, [], None),  # a point without a policy, the analyst's policies name no access point
        (PARTITIONED, [_point_list()], {**tls_only(GOLD)["Statement"][0]}),  # no delegation
        (
            PARTITIONED,
            [_point_list()],
            {**_delegating(), "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{GOLD}/*"},
        ),  # only reads delegated (the point's policy allows none)
        (PARTITIONED, [_point_list()], _delegating(**{"s3:DataAccessPointArn": f"{POINT_ARN}-other"})),
        (PARTITIONED, [_point_list(Condition={"StringLike": {"s3:prefix": "orders/*"}})], None),
        (
            PARTITIONED,
            [_point_list(), {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": POINT_ARN}],
            None,
        ),
        (PARTITIONED, [_point_list({"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-etl"})], None),
    ],
    ids=[
        "clean-keys",
        "no-policy",
        "no-delegation",
        "reads-only",
        "other-account",
        "prefix-elsewhere",
        "deny",
        "other",
    ],
)
def test_an_access_point_that_does_not_let_the_analyst_list_values_passes(
    keys: list[str], statements: list[dict[str, Any]], delegation: Any
) -> None:
    result = judge_security(_through_point(keys, *statements, delegation=delegation))
    assert not result.details["problems"]["key_names"], result.details["problems"]["key_names"]
    if keys is CLEAN:
        assert result.passed, result.reason
        assert any(
            e.get("route") == "through access point gold-share"
            for e in result.details["key_names"]["statements_allowing_listing"]
        )


def test_a_bucket_policy_deny_wins_over_a_delegated_access_point() -> None:
    deny = {
        "Sid": "NoBrowsing",
        "Effect": "Deny",
        "Principal": {"AWS": ANALYST},
        "Action": "s3:ListBucket*",
        "Resource": f"arn:aws:s3:::{GOLD}",
    }
    rb = _through_point(PARTITIONED, _point_list())
    rb.bucket_policies[GOLD]["Statement"].append(deny)
    assert _key_problems(rb) == []


# -- principals outside the account ---------------------------------------------------------------------
#
# The broken stack: a bucket policy (or the policy of an access point it delegates to) letting another account list
# Gold, or a delegation of listing to another account's access points. Main judged outsiders' object reads only.

OUTSIDER = f"arn:aws:iam::{OTHER}:root"


def _outsider_list(principal: Any = None, **more: Any) -> dict[str, Any]:
    return {**_list(sid="PartnerBrowses"), "Principal": principal or {"AWS": OUTSIDER}, **more}


def _with_bucket_statements(rb: SecurityReadback, *statements: dict[str, Any]) -> SecurityReadback:
    rb.bucket_policies[GOLD] = {**rb.bucket_policies[GOLD], "Statement": [*tls_only(GOLD)["Statement"], *statements]}
    return rb


@pytest.mark.parametrize(
    ("statement", "culprit"),
    [
        (_outsider_list(), f"lets AWS {OUTSIDER}, outside account {ACCOUNT}, list it"),
        (_outsider_list({"AWS": "arn:aws:iam::*:root"}), "lets AWS arn:aws:iam::*:root (any account)"),
        (_outsider_list({"Service": "logging.s3.amazonaws.com"}), "lets Service logging.s3.amazonaws.com"),
        (
            _outsider_list(Condition={"StringLike": {"s3:prefix": "users_by_ssn/*"}}),
            f"allows s3:ListBucket on arn:aws:s3:::{GOLD} with 'users_by_ssn/'",
        ),
    ],
    ids=["other-account", "any-account", "service", "prefix"],
)
def test_a_bucket_policy_letting_another_account_list_values_fails(statement: dict[str, Any], culprit: str) -> None:
    rb = _with_bucket_statements(_lake(PARTITIONED), statement)
    result = judge_security(rb)
    problems = result.details["problems"]["key_names"]
    assert not result.passed
    assert len(problems) == 1 and culprit in problems[0], problems
    assert problems[0].startswith(f"statement PartnerBrowses of the bucket policy of lake bucket {GOLD} lets ")
    assert f"s3://{GOLD}/users_by_ssn/data/{MASK}/" in problems[0] and "123-45" not in problems[0]


def test_a_delegation_of_listing_to_another_accounts_access_points_fails() -> None:
    delegation = {**_delegating(**{"s3:DataAccessPointAccount": OTHER}), "Action": "s3:ListBucket"}
    rb = _through_point(PARTITIONED, delegation=delegation)
    problems = _key_problems(rb)
    assert len(problems) == 1, problems
    assert f"delegates listing it to access points of another account ({OTHER})" in problems[0]


def test_a_delegated_access_point_letting_another_account_list_fails() -> None:
    problems = _key_problems(_through_point(PARTITIONED, _point_list({"AWS": OUTSIDER})))
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        f"statement Browse of the policy of access point gold-share of lake bucket {GOLD} lets AWS {OUTSIDER}"
    )


def test_an_outsider_listing_versions_sees_deleted_keys() -> None:
    rb = _with_bucket_statements(_lake(CLEAN), _outsider_list(Action="s3:ListBucketVersions"))
    assert _key_problems(rb) == []
    gone = leaky_key("users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet", VALUES, current=False)
    assert gone is not None
    rb.listed_keys[GOLD].leaky = [gone]
    problems = _key_problems(rb)
    assert len(problems) == 1 and "s3:ListBucketVersions" in problems[0], problems


@pytest.mark.parametrize(
    ("keys", "statements"),
    [
        (CLEAN, [_outsider_list()]),  # it may list; the keys show nothing
        (PARTITIONED, [_outsider_list(Condition={"StringLike": {"s3:prefix": "orders/*"}})]),
        (
            PARTITIONED,
            [
                _outsider_list(),
                {"Effect": "Deny", "Principal": {"AWS": OUTSIDER}, "Action": "s3:List*", "Resource": "*"},
            ],
        ),
        (PARTITIONED, [_outsider_list(Action="s3:GetBucketLocation")]),
        (PARTITIONED, [_outsider_list({"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-etl"})]),  # this account's own
    ],
    ids=["clean-keys", "prefix-elsewhere", "deny", "no-listing", "own-account"],
)
def test_a_bucket_policy_not_letting_outsiders_list_values_passes(
    keys: list[str], statements: list[dict[str, Any]]
) -> None:
    result = judge_security(_with_bucket_statements(_lake(keys), *statements))
    assert result.passed, result.reason


def test_an_access_point_naming_another_account_without_delegation_passes() -> None:
    rb = _through_point(PARTITIONED, _point_list({"AWS": OUTSIDER}), delegation=tls_only(GOLD)["Statement"][0])
    assert judge_security(rb).passed, judge_security(rb).reason


def test_everyone_under_restrict_public_buckets_is_no_outsider() -> None:
    rb = _with_bucket_statements(_lake(PARTITIONED), _outsider_list("*"))
    assert any("outside account" in p for p in _key_problems(rb))
    rb.routes.account_public_access_block = {"RestrictPublicBuckets": True}
    problems = _key_problems(rb)
    assert problems and not any("outside account" in p for p in problems), problems  # the analyst still lists


# -- Multi-Region Access Points ----------------------------------------------------------------------------
#
# The broken stack main passed: a Multi-Region Access Point over the Gold bucket, the bucket policy delegating to
# the account's access points, and the point's policy letting the analyst (or ``*``) list. main read only the
# bucket's regional access points (ListAccessPoints), so the listing through the global endpoint went unjudged.

MRAP_ARN = f"arn:aws:s3::{ACCOUNT}:accesspoint/lake-global-0a1b2c.mrap"
PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"


def _through_mrap(statement: dict[str, Any], restrict: bool = False, **delegation: Any) -> SecurityReadback:
    """The lake with Gold partitioned by ssn, a delegating bucket policy, and MRAP lake-global with ``statement``."""
    rb = _with_bucket_statements(_lake(PARTITIONED), _delegating(**delegation))
    document = {"Version": "2012-10-17", "Statement": [{**statement, "Resource": MRAP_ARN}]}
    rb.routes.access_points[GOLD] = [AccessPoint("lake-global", GOLD, MRAP_ARN, document, MULTI_REGION, restrict)]
    return rb


@pytest.mark.parametrize(
    ("principal", "delegation"),
    [
        ({"AWS": ANALYST}, {}),
        ("*", {}),
        ({"AWS": ANALYST}, {"s3:DataAccessPointArn": f"arn:aws:s3::{ACCOUNT}:accesspoint/*"}),
    ],
    ids=["analyst", "everyone", "by-arn"],
)
def test_a_multi_region_access_point_letting_the_analyst_list_values_fails(principal: Any, delegation: Any) -> None:
    problems = _key_problems(_through_mrap(_point_list(principal), restrict=True, **delegation))
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        f"the analyst role may list lake bucket {GOLD} through Multi-Region Access Point lake-global: statement "
        "Browse of the policy of Multi-Region Access Point lake-global"
    ), problems
    assert f"s3://{GOLD}/users_by_ssn/data/{MASK}/" in problems[0] and "123-45" not in problems[0]


def test_a_multi_region_access_point_letting_everyone_list_fails_for_outsiders_unless_restricted() -> None:
    open_to_all = [p for p in _key_problems(_through_mrap(_point_list("*"))) if "outside account" in p]
    assert len(open_to_all) == 1, open_to_all
    assert open_to_all[0].startswith(
        f"statement Browse of the policy of Multi-Region Access Point lake-global of lake bucket {GOLD} lets anyone "
        f"(Principal *), outside account {ACCOUNT}, list it: it allows s3:ListBucket on {MRAP_ARN}"
    ), open_to_all
    restricted = _key_problems(_through_mrap(_point_list("*"), restrict=True))
    assert not any("outside account" in p for p in restricted), restricted


def test_a_multi_region_access_point_letting_another_account_read_objects_fails() -> None:
    reads = {**_point_list({"AWS": OUTSIDER}), "Action": "s3:GetObject"}
    rb = _through_mrap(reads)
    rb.routes.access_points[GOLD][0].policy = {"Statement": [{**reads, "Resource": f"{MRAP_ARN}/object/*"}]}
    routes = judge_security(rb).details["problems"]["other_routes"]
    assert any(
        p.startswith(f"statement Browse of the policy of Multi-Region Access Point lake-global lets AWS {OUTSIDER}")
        for p in routes
    ), routes


@pytest.mark.parametrize(
    "statement",
    [_point_list({"AWS": PIPELINE}), _point_list({"AWS": ANALYST}, Action="s3:GetObject")],
    ids=["pipeline-only", "no-listing"],
)
def test_a_multi_region_access_point_not_letting_the_analyst_list_passes(statement: dict[str, Any]) -> None:
    rb = _through_mrap(statement, restrict=True)
    result = judge_security(rb)
    assert result.details["problems"]["key_names"] == [], result.details["problems"]["key_names"]


def test_a_multi_region_access_point_without_a_delegation_passes() -> None:
    rb = _through_mrap(_point_list({"AWS": ANALYST}), restrict=True)
    rb.bucket_policies[GOLD] = tls_only(GOLD)
    assert _key_problems(rb) == []


@mock_aws
def test_reading_multi_region_access_points_keeps_the_lake_buckets_and_both_policies() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in (GOLD, "lh-unrelated"):
        s3.create_bucket(Bucket=bucket)
    control = boto3.client("s3control", region_name="us-west-2")
    for name, bucket in (("lake-global", GOLD), ("other-global", "lh-unrelated"), ("bare-global", GOLD)):
        control.create_multi_region_access_point(
            AccountId=ACCOUNT,
            ClientToken=name,
            Details={
                "Name": name,
                "PublicAccessBlock": {"RestrictPublicBuckets": name == "bare-global"},
                "Regions": [{"Bucket": bucket}],
            },
        )
    policy = {"Version": "2012-10-17", "Statement": [{**_point_list(), "Resource": "*"}]}
    control.put_multi_region_access_point_policy(
        AccountId=ACCOUNT, ClientToken="p", Details={"Name": "lake-global", "Policy": json.dumps(policy)}
    )
    found = read_multi_region_access_points(control, ACCOUNT, "aws", [GOLD])
    assert list(found) == [GOLD]
    points = {p.name: p for p in found[GOLD]}
    assert set(points) == {"lake-global", "bare-global"}
    assert points["lake-global"].policy == policy and points["bare-global"].policy is None
    assert points["lake-global"].arn.startswith(f"arn:aws:s3::{ACCOUNT}:accesspoint/lake-global")
    assert points["lake-global"].kind == MULTI_REGION and points["bare-global"].restrict_public


@mock_aws
def test_multi_region_access_points_are_asked_in_oregon_and_unreadable_ones_are_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AWS answers for Multi-Region Access Points in us-west-2 only, whatever the stack's region."""
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=GOLD, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    asked: list[str | None] = []
    reader = s3_routes.read_multi_region_access_points

    def read(control: Any, *args: Any) -> dict[str, list[AccessPoint]]:
        asked.append(control.meta.region_name)
        return reader(control, *args)

    monkeypatch.setattr(s3_routes, "read_multi_region_access_points", read)
    target = Target(name="aws", region="eu-west-1")
    errors = s3_routes.read_routes(target, ACCOUNT, "aws", {GOLD: []}, "probe").errors
    assert not any("Multi-Region" in e for e in errors) and asked == ["us-west-2"]  # (plain moto: no Access Grants)

    def refused(*_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListMultiRegionAccessPoints")

    monkeypatch.setattr(s3_routes, "read_multi_region_access_points", refused)
    errors = [e for e in s3_routes.read_routes(target, ACCOUNT, "aws", {GOLD: []}, "probe").errors if "Grants" not in e]
    assert len(errors) == 1 and errors[0].startswith("could not read the account's Multi-Region Access Points"), errors


# -- reading -------------------------------------------------------------------------------------------


@mock_aws
def test_reading_lists_every_key_and_version_and_stops_at_the_cap() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=GOLD)
    s3.put_bucket_versioning(Bucket=GOLD, VersioningConfiguration={"Status": "Enabled"})
    for key in PARTITIONED:
        s3.put_object(Bucket=GOLD, Key=key, Body=b"x")
    s3.delete_object(Bucket=GOLD, Key=PARTITIONED[2])
    found = read_key_names(s3, GOLD, VALUES)
    assert found.complete and found.error is None and found.listed == 5
    assert [(k.shown, k.current) for k in found.leaky] == [
        (f"users_by_ssn/data/{MASK}/00000-0-77aa.parquet", False),
        (f"users_by_ssn/data/{MASK}/00000-1-77aa.parquet", True),
    ]
    assert not read_key_names(s3, GOLD, VALUES, max_keys=2).complete
    assert read_key_names(s3, "lh-gone-bucket", VALUES).error is None  # a bucket that is gone shows nothing
