"""Exit check 7: a topic key the publishing service may use through a KMS grant, and key policies under conditions.

KMS takes a service principal as grantee (CreateGrant GranteeServicePrincipal, with a SourceArn grant constraint
AWS requires): such a grant lets CloudWatch or Budgets use the topic's key for that one alarm or budget, whatever
the key policy says, so a topic whose key access comes from one is healthy. A grant AWS would not honour for the
publish (another source, another operation, a service named in GranteePrincipal, an encryption context
constraint) leaves the key as its policy makes it. And a key policy Allow only under a condition the check cannot
evaluate is named, not passed.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.alert_delivery import KmsKey
from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import ACCOUNT, ALARM, BILLING_TOPIC, BUDGET_NAME, TOPIC
from tests.unit.test_finops_topic_key import (
    KEY,
    encrypted,
    key,
    moto_key,
    read_encrypted_alerts_topic,
    service_use,
)

ALARM_ARN = ALARM["AlarmArn"]
BUDGET_ARN = f"arn:aws:budgets::{ACCOUNT}:budget/{BUDGET_NAME}"
CLOUDWATCH, BUDGETS = "cloudwatch.amazonaws.com", "budgets.amazonaws.com"


def grant(service: str, source: str, *operations: str, **constraints: Any) -> dict[str, Any]:
    """A grant as ListGrants shows one made with GranteeServicePrincipal (and the SourceArn constraint AWS needs)."""
    return {
        "KeyId": KEY,
        "GrantId": f"grant-{service.split('.')[0]}",
        "GranteeServicePrincipal": service,
        "RetiringServicePrincipal": service,
        "IssuingAccount": f"arn:aws:iam::{ACCOUNT}:root",
        "Operations": list(operations or ("GenerateDataKey", "Decrypt")),
        "Constraints": {"SourceArn": source, **constraints},
    }


def granted(*grants: dict[str, Any], policy: tuple[dict[str, Any], ...] = ()) -> KmsKey:
    """The owner-only key (no statement for any service) with ``grants`` and extra key policy ``policy``."""
    made = key(*policy)
    made.grants = list(grants)
    return made


def test_grants_to_the_publishers_for_their_alarm_and_budget_let_them_use_the_topic_keys() -> None:
    """The false red this closes: the key policy names neither service, the grants let each one publish."""
    data = encrypted(
        alerts=(KEY, granted(grant(BUDGETS, BUDGET_ARN))),
        billing=(KEY, granted(grant(CLOUDWATCH, ALARM_ARN))),
    )
    result = judge_finops(data)
    assert result.passed, result.reason


def test_a_grant_for_one_action_and_the_key_policy_for_the_other_together_let_cloudwatch_publish() -> None:
    policy = ({**service_use(CLOUDWATCH), "Action": "kms:Decrypt"},)
    data = encrypted(billing=(KEY, granted(grant(CLOUDWATCH, ALARM_ARN, "GenerateDataKey"), policy=policy)))
    assert judge_finops(data).passed, judge_finops(data).reason


DENY_CLOUDWATCH = {"Sid": "NoCloudWatch", "Effect": "Deny", "Principal": {"Service": CLOUDWATCH}, "Action": "kms:*"}


@pytest.mark.parametrize(
    ("grants", "policy", "named"),
    [
        (
            [grant(CLOUDWATCH, f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:someone-else")],
            (),
            f"nor does a grant (ListGrants: none to {CLOUDWATCH} with SourceArn {ALARM_ARN})",
        ),
        (
            [grant(CLOUDWATCH, ALARM_ARN, "Decrypt")],
            (),
            "no statement allows cloudwatch.amazonaws.com kms:GenerateDataKey",
        ),
        ([grant(BUDGETS, ALARM_ARN)], (), f"nor does a grant (ListGrants: none to {CLOUDWATCH}"),
        (
            [{**grant(CLOUDWATCH, ALARM_ARN), "GranteeServicePrincipal": None, "GranteePrincipal": CLOUDWATCH}],
            (),
            f"nor does a grant (ListGrants: none to {CLOUDWATCH}",
        ),
        (
            [grant(CLOUDWATCH, ALARM_ARN, EncryptionContextSubset={"purpose": "alerts"})],
            (),
            f"nor does a grant (ListGrants: none to {CLOUDWATCH}",
        ),
        ([grant(CLOUDWATCH, ALARM_ARN)], (DENY_CLOUDWATCH,), "statement NoCloudWatch denies cloudwatch.amazonaws.com"),
    ],
    ids=["another-alarm", "decrypt-only", "to-budgets", "service-as-grantee-principal", "context-constraint", "denied"],
)
def test_a_grant_aws_would_not_honour_for_the_alarm_leaves_the_billing_topic_silent(
    grants: list[dict[str, Any]], policy: tuple[dict[str, Any], ...], named: str
) -> None:
    result = judge_finops(encrypted(billing=(KEY, granted(*grants, policy=policy))))
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert f"topic {BILLING_TOPIC} is encrypted with KMS key {KEY}, whose key policy" in problem
    assert named in problem and "(cloudwatch cannot publish to it)" in problem, problem


# -- key policy statements under conditions --------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:lakehouse-lh-1-*"}},
        {"ArnEquals": {"aws:SourceArn": ALARM_ARN}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
    ],
    ids=["source-account", "source-arn-like", "source-arn-and-account"],
)
def test_a_key_statement_pinned_to_the_stacks_own_alarms_lets_cloudwatch_publish(condition: dict[str, Any]) -> None:
    result = judge_finops(encrypted(billing=(KEY, key(service_use(CLOUDWATCH, condition)))))
    assert result.passed, result.reason


@pytest.mark.parametrize(
    ("condition", "extra", "named"),
    [
        (
            {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}},
            (),
            "(statement #1 (on StringEquals aws:SourceOrgID, an organization the check does not read) only under a "
            "condition that cannot be evaluated)",
        ),
        (
            {"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}},
            (),
            "(statement #1 (on DateLessThan aws:CurrentTime) only under a condition that cannot be evaluated)",
        ),
        (
            None,
            ({**DENY_CLOUDWATCH, "Condition": {"StringNotEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}},),
            "statement NoCloudWatch (a condition it cannot be told not to hold: StringNotEquals aws:SourceOrgID, an "
            "organization the check does not read) denies cloudwatch.amazonaws.com",
        ),
    ],
    ids=["allow-under-org-id", "allow-under-a-date", "deny-under-org-id"],
)
def test_a_key_statement_under_a_condition_the_check_cannot_evaluate_is_named_not_passed(
    condition: dict[str, Any] | None, extra: tuple[dict[str, Any], ...], named: str
) -> None:
    result = judge_finops(encrypted(billing=(KEY, key(service_use(CLOUDWATCH, condition), *extra))))
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert f"topic {BILLING_TOPIC} is encrypted with KMS key {KEY}, whose key policy: " in problem
    assert named in problem and "(cloudwatch cannot publish to it)" in problem, problem


# -- read back from moto: ListGrants of the topic's key ---------------------------------------------


def test_the_topic_keys_grants_are_read_back_and_a_service_named_as_grantee_principal_does_not_count(
    moto_aws: None,
) -> None:
    """moto keeps a grant's GranteePrincipal as sent (it drops GranteeServicePrincipal, so the healthy grant is
    judged above from ListGrants' shape): the grants are read, and a service in GranteePrincipal is not a grant
    to the service."""
    kms, made = moto_key(service_use(CLOUDWATCH))
    kms.create_grant(KeyId=made["KeyId"], GranteePrincipal=BUDGETS, Operations=["GenerateDataKey", "Decrypt"])
    data = read_encrypted_alerts_topic(made["Arn"])
    read = data.topic_keys[TOPIC][1]
    assert read is not None and [g["GranteePrincipal"] for g in read.grants or []] == [BUDGETS]
    result = judge_finops(data)
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert f"nor does a grant (ListGrants: none to {BUDGETS} with SourceArn {BUDGET_ARN})" in problem, problem
    assert "(budgets cannot publish to it)" in problem


def test_a_topic_key_whose_policy_lets_budgets_publish_is_read_back_healthy_with_grants_read(moto_aws: None) -> None:
    kms, made = moto_key(service_use(BUDGETS), service_use(CLOUDWATCH))
    kms.create_grant(KeyId=made["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/ops", Operations=["Decrypt"])
    data = read_encrypted_alerts_topic(made["Arn"])
    read = data.topic_keys[TOPIC][1]
    assert read is not None and len(read.grants or []) == 1
    assert judge_finops(data).details["problems"]["budget"] == []
