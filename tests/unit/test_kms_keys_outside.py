"""Exit check 5 reads grants to stack roles on keys that are not the stack's, and a stack key's rotation period.

Each broken case passed before: grants were read on stack keys only, so a hand-made key granting the stack's role
Decrypt (or a key policy allowing the role) was never seen; and a rotation period changed by hand
(``rotation_period_in_days``, Optional+Computed in hashicorp/aws 5.100.0: the plan adopts it) was read nowhere.
The twins stay green: a grant Terraform made (in state), a grant or key policy for someone else's role, an AWS
managed key, the period the state records, rotation off. moto holds roles and keys, as the emulator extends it
(``lakehouse.emulator.extensions.kms``: RotationPeriodInDays kept).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.extensions import kms as kms_extension
from lakehouse.inventory import DEFAULT_PROJECT, Inventory, _Search
from lakehouse.inventory_kinds import USES_STACK, kms_aliases
from lakehouse.kms_keys import KEY_GRANT, key_grants, key_rotation_drift, outside_keys, stack_role_of
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P

ROLE = f"{P}-pipeline"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops"
TRUST = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]})


@pytest.fixture
def kms(moto_aws: None) -> Any:
    """moto's KMS (the emulator's extension installed) and IAM with the stack's role and another team's."""
    kms_extension.install()
    iam = boto3.client("iam", region_name=REGION)
    for name in (ROLE, "ops"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    return boto3.client("kms", region_name=REGION)


def _listed() -> Inventory:
    """The listings in ``_Search.run``'s order: IAM, aliases, stack keys' grants, then every other key."""
    search = _Search(Target("aws", REGION), STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.iam()
    for region in search.inv.regions:
        kms_aliases(search, region)
    key_grants(search)
    for region in search.inv.regions:
        outside_keys(search, region)
    assert not search.inv.unreadable, search.inv.unreadable
    return search.inv


def _state(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "aws_iam_role", "values": {"name": ROLE, "arn": ROLE_ARN}}, *extra]


def _judged(state: list[dict[str, Any]]) -> Any:
    return judge_iac(PlanResult(0), state, _listed(), set())


def test_a_grant_to_a_stack_role_on_a_hand_made_key_fails_and_others_grants_pass(kms: Any) -> None:
    theirs = kms.create_key(Description="hand-made")["KeyMetadata"]["Arn"]
    kms.create_grant(KeyId=theirs, GranteePrincipal=OPS, Operations=["Decrypt"])  # someone else's role
    managed = kms.create_grant(KeyId=theirs, GranteePrincipal=ROLE_ARN, Operations=["Encrypt"])
    grant = {"type": KEY_GRANT, "values": {"grant_id": managed["GrantId"], "key_id": theirs}}
    assert _judged(_state(grant)).passed  # healthy: the root's own grant to its role

    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/run-1"
    by_hand = kms.create_grant(KeyId=theirs, GranteePrincipal=session, Operations=["Decrypt"], Name="side")
    inv = _listed()
    found = {r.key: r for r in inv.of_kind(KEY_GRANT)}
    assert found[by_hand["GrantId"]].found_by == (f"{USES_STACK}: grant to stack role {ROLE}",)
    result = judge_iac(PlanResult(0), _state(grant), inv, set())
    assert result.status is Status.FAILED
    assert f"{KEY_GRANT} {by_hand['GrantId']} side on key" in str(result.reason), result.reason


def test_a_hand_made_key_whose_policy_allows_a_stack_role_fails(kms: Any) -> None:
    def policy(principal: str, effect: str = "Allow") -> str:
        statement = {"Effect": effect, "Principal": {"AWS": [principal]}, "Action": "kms:Decrypt", "Resource": "*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    kms.create_key(Policy=policy(OPS))
    kms.create_key(Policy=policy(ROLE_ARN, "Deny"))  # a Deny opens nothing
    assert _judged(_state()).passed

    opened = kms.create_key(Policy=policy(ROLE_ARN))["KeyMetadata"]["Arn"]
    result = _judged(_state())
    assert result.status is Status.FAILED
    assert f"aws_kms_key {opened.rsplit('/', 1)[-1]} (its policy allows {ROLE})" in str(result.reason), result.reason
    assert _judged(_state({"type": "aws_kms_key", "values": {"arn": opened}})).passed  # in state: the stack's


def test_stack_roles_are_told_from_others_by_name_and_account() -> None:
    roles = {ROLE}
    assert stack_role_of(f"arn:aws:iam::{ACCOUNT}:role/svc/{ROLE}", ACCOUNT, roles) == ROLE
    assert stack_role_of(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/s", ACCOUNT, roles) == ROLE
    assert stack_role_of(f"arn:aws:iam::999999999999:role/{ROLE}", ACCOUNT, roles) is None
    assert stack_role_of(f"arn:aws:iam::{ACCOUNT}:user/{ROLE}", ACCOUNT, roles) is None
    assert stack_role_of("dynamodb.amazonaws.com", ACCOUNT, roles) is None


def test_a_rotation_period_changed_by_hand_is_drift_and_the_states_is_not(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{P}-data", TargetKeyId=key)
    kms.enable_key_rotation(KeyId=key)  # 365 days: what the provider records when the root sets none
    values = {"arn": key, "enable_key_rotation": True, "rotation_period_in_days": 365}
    state = _state(
        {"type": "aws_kms_key", "values": values}, {"type": "aws_kms_alias", "values": {"name": f"alias/{P}-data"}}
    )
    assert _judged(state).passed

    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=2560)
    result = _judged(state)
    assert result.status is Status.FAILED
    assert result.details["key_rotation_drift"] == [
        f"aws_kms_key {key}: rotation_period_in_days is 2560 but Terraform state records 365"
    ]
    kms.disable_key_rotation(KeyId=key)  # enable_key_rotation drift: the plan shows it, not this read
    assert key_rotation_drift(state, _listed().key_rotations) == []


def test_the_emulator_keeps_the_rotation_period_and_refuses_one_out_of_range(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]["Arn"]
    assert "RotationPeriodInDays" not in kms.get_key_rotation_status(KeyId=key)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"], status["KeyId"]) == (True, 90, key)
    with pytest.raises(kms.exceptions.ClientError, match="ValidationException"):
        kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=3000)
