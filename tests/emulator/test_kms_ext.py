"""KMS grants to a service principal in the emulator (lakehouse.emulator.extensions.kms), and exit check 7 reading
one back: a topic key whose policy names no publisher, but a grant lets Budgets use it for the stack's budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.alert_delivery import read_key, topic_key_problems
from lakehouse.checks.finops import publisher_context

ACCOUNT = "123456789012"
BUDGET_ARN = f"arn:aws:budgets::{ACCOUNT}:budget/lakehouse-lh-1-monthly-cost"
TOPIC = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:lakehouse-lh-1-alerts"
OWNER = {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*"}


@pytest.fixture
def kms(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("kms")


def owner_only_key(kms: Any) -> dict[str, Any]:
    policy = {"Version": "2012-10-17", "Statement": [OWNER]}
    return dict(kms.create_key(Policy=json.dumps(policy))["KeyMetadata"])


def budgets_grant(kms: Any, key_id: str, **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "KeyId": key_id,
        "GranteeServicePrincipal": "budgets.amazonaws.com",
        "RetiringServicePrincipal": "budgets.amazonaws.com",
        "Operations": ["GenerateDataKey", "Decrypt"],
        "Constraints": {"SourceArn": BUDGET_ARN},
        **changes,
    }
    return dict(kms.create_grant(**{k: v for k, v in request.items() if v is not None}))


def test_a_grant_to_a_service_principal_is_listed_as_aws_lists_it(kms: Any) -> None:
    key = owner_only_key(kms)
    made = budgets_grant(kms, key["KeyId"])
    (listed,) = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert listed["GrantId"] == made["GrantId"]
    assert listed["GranteeServicePrincipal"] == "budgets.amazonaws.com"
    assert listed["RetiringServicePrincipal"] == "budgets.amazonaws.com"
    assert listed["Constraints"] == {"SourceArn": BUDGET_ARN}
    assert "GranteePrincipal" not in listed


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"Constraints": None}, "SourceArn grant constraint"),
        ({"RetiringServicePrincipal": None}, "RetiringPrincipal or RetiringServicePrincipal"),
        (
            {"GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/ops"},
            "either GranteePrincipal or GranteeServicePrincipal",
        ),
        ({"GranteeServicePrincipal": None, "RetiringServicePrincipal": None}, "either GranteePrincipal or"),
    ],
    ids=["no-source-arn", "no-retiring-principal", "both-grantees", "no-grantee"],
)
def test_a_service_grant_aws_refuses_is_refused(kms: Any, changes: dict[str, Any], named: str) -> None:
    key = owner_only_key(kms)
    with pytest.raises(ClientError) as info:
        budgets_grant(kms, key["KeyId"], **changes)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert named in info.value.response["Error"]["Message"]
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_a_topic_key_budgets_may_use_through_a_grant_is_read_back_healthy(kms: Any) -> None:
    key = owner_only_key(kms)
    context = publisher_context("budgets.amazonaws.com", ACCOUNT, BUDGET_ARN)
    before = topic_key_problems(
        TOPIC, key["Arn"], read_key(kms, key["Arn"], grants=True), "budgets.amazonaws.com", context
    )
    assert "nor does a grant (ListGrants: none to budgets.amazonaws.com" in str(before), before
    budgets_grant(kms, key["KeyId"])
    after = read_key(kms, key["Arn"], grants=True)
    assert topic_key_problems(TOPIC, key["Arn"], after, "budgets.amazonaws.com", context) == []
    other = publisher_context("budgets.amazonaws.com", ACCOUNT, BUDGET_ARN.replace("monthly-cost", "someone-else"))
    assert topic_key_problems(TOPIC, key["Arn"], after, "budgets.amazonaws.com", other), "grant for one budget only"
