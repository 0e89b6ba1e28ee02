"""Exit check 6 tries the policies on keys their own patterns open under the lake's locations (witnesses)."""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.iam_access import Policy, witnesses
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import witness_objects

from .test_security import BUCKETS, healthy

GOLD = f"arn:aws:s3:::{BUCKETS['gold']}/users/"


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        (f"{GOLD}data/2027-*", [f"{GOLD}data/2027-", f"{GOLD}data/2027-lakehouse-exit6-witness"]),
        (f"arn:aws:s3:::{BUCKETS['gold']}/*", [f"{GOLD}lakehouse-exit6-witness"]),
        ("arn:aws:s3:::*/users/*.parquet", None),  # some key under users/ ending .parquet
        (f"arn:aws:s3:::{BUCKETS['gold']}/use?s/x", [f"{GOLD}x"]),
        (f"arn:aws:s3:::{BUCKETS['gold']}/${{aws:username}}/*", None),  # a variable matches anything
    ],
)
def test_a_pattern_opening_some_key_under_a_location_yields_one(pattern: str, found: list[str] | None) -> None:
    keys = witnesses(pattern, GOLD)
    assert keys and all(k.startswith(GOLD) and len(k) > len(GOLD) for k in keys)
    if found is not None:
        assert keys == found


@pytest.mark.parametrize(
    "pattern",
    [
        f"arn:aws:s3:::{BUCKETS['gold']}/orders/*",  # beside the location
        f"arn:aws:s3:::{BUCKETS['gold']}/users",  # the folder's name, no key under it
        f"arn:aws:s3:::{BUCKETS['gold']}/users/",  # the folder marker itself
        f"arn:aws:s3:::{BUCKETS['silver']}/*",  # another bucket
    ],
)
def test_a_pattern_opening_nothing_under_a_location_yields_nothing(pattern: str) -> None:
    assert witnesses(pattern, GOLD) == []


def _with_policy(*statements: dict[str, Any]) -> Any:
    rb = healthy()
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    rb.identity_policies = [*rb.identity_policies, Policy.parse("inline policy future-files", doc)]
    tables = [p.table for p in rb.probes]
    rb.witness_keys = witness_objects(rb, tables, {})
    for bucket, keys in rb.witness_keys.items():
        rb.lake_objects[bucket] = sorted({*rb.lake_objects.get(bucket, []), *keys})
    return rb


def test_a_policy_naming_only_future_files_of_gold_users_fails_the_check() -> None:
    """No listed file and no probe key matches ``users/data/2027-*``: the next pipeline run's files would."""
    future = {"Sid": "NextYear", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{GOLD}data/2027-*"}
    rb = _with_policy(future)
    assert rb.witness_keys[BUCKETS["gold"]] == ["users/data/2027-", "users/data/2027-lakehouse-exit6-witness"]
    result = judge_security(rb)
    assert not result.passed
    assert any(
        "statement NextYear of inline policy future-files allows s3:GetObject on "
        f"arn:aws:s3:::{BUCKETS['gold']}/users/data/2027-" in p
        for p in result.details["problems"]["iam"]
    ), result.details["problems"]["iam"]


def test_a_deny_covering_every_witness_closes_it_and_healthy_policies_yield_none() -> None:
    future = {"Sid": "NextYear", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{GOLD}data/2027-*"}
    deny = {"Sid": "NoGold", "Effect": "Deny", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKETS['gold']}/*"}
    assert judge_security(_with_policy(future, deny)).passed
    assert _with_policy().witness_keys == {}  # the analyst's own policies open nothing under a lake location
