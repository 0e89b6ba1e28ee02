"""A schedule's key in another account: its key policy naming the role is not enough, the role's IAM policies must
allow kms:Decrypt too (KMS: across accounts "Neither the key policy nor the IAM policy alone is sufficient")."""

from __future__ import annotations

from lakehouse.checks.alert_delivery import KmsKey
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.schedule_role import key_problems

ROLE = "arn:aws:iam::111122223333:role/pause"
FOREIGN_KEY = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OWN_KEY = FOREIGN_KEY.replace("444455556666", "111122223333")
DECRYPT = {"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}


def _key(arn: str) -> KmsKey:
    """An enabled customer managed key whose policy names the role itself (and its own account's root)."""
    account = arn.split(":")[4]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "PauseRole",
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ],
    }
    metadata = {"Arn": arn, "KeyId": arn.rsplit("/", 1)[-1], "KeyState": "Enabled", "KeyManager": "CUSTOMER"}
    return KmsKey(metadata, policy, grants=[])


def _policy(*statements: dict[str, object]) -> Policy:
    return Policy("inline policy p", {"Version": "2012-10-17", "Statement": list(statements)})


def test_another_accounts_key_naming_the_role_needs_the_roles_iam_policies_to_allow_decrypt() -> None:
    """The broken stack that passed: the key policy in account 444455556666 names the role, its IAM allows nothing."""
    assert key_problems(FOREIGN_KEY, _key(FOREIGN_KEY), ROLE, [_policy()], None) == [
        f"its target input is encrypted with KMS key {FOREIGN_KEY}, a key of account 444455556666 whose key policy "
        f"allows {ROLE} kms:Decrypt (statement PauseRole), but across accounts KMS needs the role's IAM policies to "
        "allow it too, and they do not: no statement of its policies allows it (EventBridge Scheduler cannot "
        "decrypt it, so every pause fails)"
    ]


def test_the_healthy_twins_the_role_allowed_by_iam_or_a_key_of_its_own_account() -> None:
    assert key_problems(FOREIGN_KEY, _key(FOREIGN_KEY), ROLE, [_policy(DECRYPT)], None) == []
    assert key_problems(OWN_KEY, _key(OWN_KEY), ROLE, [_policy()], None) == []
