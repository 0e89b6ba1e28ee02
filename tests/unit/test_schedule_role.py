"""The evaluator of a schedule's role: it must be surely able to act, so it leans towards "not allowed"."""

from __future__ import annotations

from typing import Any

from lakehouse.checks.iam_access import Policy
from lakehouse.checks.schedule_role import not_allowed, untrusted

PAUSE = "apprunner:PauseService"
SERVICE = "arn:aws:apprunner:eu-west-1:111122223333:service/lh-catalog/0a1b"
SCHEDULE = "arn:aws:scheduler:eu-west-1:111122223333:schedule/default/lh-catalog-pause"


def policy(*statements: dict[str, Any], source: str = "inline policy p") -> Policy:
    return Policy(source, {"Version": "2012-10-17", "Statement": list(statements)})


def test_an_allow_on_the_service_by_name_allows_and_elsewhere_does_not() -> None:
    # The root names the service by name (its id is App Runner's), so the plan can judge the policy.
    by_name = policy(
        {"Effect": "Allow", "Action": "apprunner:Pause*", "Resource": "arn:aws:apprunner:*:*:service/lh-catalog/*"}
    )
    assert not_allowed([by_name], None, PAUSE, SERVICE) == []
    assert not_allowed([by_name], None, PAUSE, SERVICE.replace("lh-catalog", "other")) == [
        "no statement of its policies allows it"
    ]
    resume = policy({"Effect": "Allow", "Action": "apprunner:ResumeService", "Resource": "*"})
    assert not_allowed([resume], None, PAUSE, SERVICE) == ["no statement of its policies allows it"]


def test_a_deny_wins_also_under_a_condition_and_written_with_not_resource() -> None:
    allow = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    conditioned = policy(
        {"Sid": "D", "Effect": "Deny", "Action": "apprunner:*", "Resource": "*", "Condition": {"Bool": {"x": "1"}}},
        source="attached policy arn:aws:iam::111122223333:policy/guard",
    )
    assert not_allowed([allow, conditioned], None, PAUSE, SERVICE) == [
        "statement D of attached policy arn:aws:iam::111122223333:policy/guard denies it "
        "(under a Condition the check does not evaluate)"
    ]
    not_buckets = policy({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::*"})
    assert not_allowed([allow, not_buckets], None, PAUSE, SERVICE) == ["statement #1 of inline policy p denies it"]


def test_not_action_and_not_resource_allows_are_evaluated_not_assumed() -> None:
    everything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert not_allowed([everything_but_iam], None, PAUSE, SERVICE) == []
    everything_but_apprunner = policy({"Effect": "Allow", "NotAction": "apprunner:*", "Resource": "*"})
    assert not_allowed([everything_but_apprunner], None, PAUSE, SERVICE) == ["no statement of its policies allows it"]
    not_the_service = policy({"Effect": "Allow", "Action": PAUSE, "NotResource": SERVICE})
    assert not_allowed([not_the_service], None, PAUSE, SERVICE) == ["no statement of its policies allows it"]


def test_the_boundary_must_allow_too() -> None:
    allow = policy({"Effect": "Allow", "Action": PAUSE, "Resource": SERVICE})
    boundary = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, source="permissions boundary b")
    assert not_allowed([allow], boundary, PAUSE, SERVICE) == ["no statement of permissions boundary b allows it"]
    wide = policy({"Effect": "Allow", "Action": "*", "Resource": "*"}, source="permissions boundary b")
    assert not_allowed([allow], wide, PAUSE, SERVICE) == []
    assert not_allowed([], wide, PAUSE, SERVICE) == ["no statement of its policies allows it"]


def trust(*statements: dict[str, Any]) -> Policy:
    return policy(*statements, source="trust policy")


SCHEDULER = {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}


def test_the_scheduler_may_assume_a_role_that_trusts_it_for_this_account_or_schedule() -> None:
    assert untrusted(trust(SCHEDULER), "111122223333", SCHEDULE) is None
    account = {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert untrusted(trust({**SCHEDULER, "Condition": account}), "111122223333", SCHEDULE) is None
    arn = {"ArnLike": {"aws:SourceArn": "arn:aws:scheduler:*:111122223333:schedule/default/*"}}
    assert untrusted(trust({**SCHEDULER, "Condition": arn}), "111122223333", SCHEDULE) is None


def test_a_trust_the_scheduler_cannot_use_says_why() -> None:
    lambda_only = {**SCHEDULER, "Principal": {"Service": "lambda.amazonaws.com"}}
    assert untrusted(trust(lambda_only), "111122223333", SCHEDULE) == (
        "its trust policy does not let scheduler.amazonaws.com assume it"
    )
    another = {**SCHEDULER, "Sid": "Other", "Condition": {"StringEquals": {"aws:SourceAccount": "444455556666"}}}
    assert untrusted(trust(another), "111122223333", SCHEDULE) == (
        "its trust policy lets scheduler.amazonaws.com assume it only under a condition: statement Other of the "
        f"trust policy (its Condition does not hold for {SCHEDULE} in account 111122223333)"
    )
    unknown = {**SCHEDULER, "Condition": {"StringEquals": {"aws:SourceOrgID": "o-abcd1234"}}}  # set only in an org
    found = untrusted(trust(unknown), "111122223333", SCHEDULE)
    assert found is not None and found.endswith("(a Condition the check does not evaluate)")
    denied = {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}
    assert untrusted(trust(SCHEDULER, denied), "111122223333", SCHEDULE) == (
        "statement #2 of the trust policy denies scheduler.amazonaws.com sts:AssumeRole"
    )
