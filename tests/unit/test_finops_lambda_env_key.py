"""Exit check 7: a Lambda alert receiver whose environment variables a customer managed KMS key encrypts.

Lambda decrypts the variables as the function's execution role before it runs the handler: a role that may not
kms:Decrypt with the key runs nothing and the alert is lost (the hole closed here: GetFunction's KMSKeyArn was not
read, so such a receiver passed). The role may decrypt through a KMS grant (ListGrants) even when the key policy
does not name it: Lambda makes one under the encryption context aws:lambda:FunctionArn. And a key policy statement
or a grant letting a principal of another account decrypt hands the receiver's secrets out (also passed).
Read back through moto (Lambda keeps KMSKeyArn and the variables, KMS the grants it is given).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.checks.alert_delivery import FunctionReadback, read_function
from lakehouse.checks.finops import judge_finops
from lakehouse.checks.lambda_env_key import judge_env_key
from lakehouse.outcome import Outcome
from lakehouse.target import Target
from tests.unit.test_finops import ACCOUNT, TOPIC
from tests.unit.test_finops_delivery import lambda_only

REGION = "ap-northeast-1"
FOREIGN_ROLE = "arn:aws:iam::444455556666:role/reader"
#: The key administrators' statement of the console's default key policy: it manages the key, and uses it not.
ADMIN = {
    "Sid": "Admins",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
    "Action": [
        "kms:Create*",
        "kms:Describe*",
        "kms:Enable*",
        "kms:List*",
        "kms:Put*",
        "kms:Update*",
        "kms:Revoke*",
        "kms:Disable*",
        "kms:Get*",
        "kms:Delete*",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
    ],
    "Resource": "*",
}


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    yield Target(name="aws", region=REGION)


def _key(account: Target, *statements: dict[str, Any]) -> str:
    policy = {"Version": "2012-10-17", "Statement": [ADMIN, *statements]}
    return str(account.client("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _receiver(account: Target, name: str, key: str | None) -> tuple[str, str]:
    """A function SNS may invoke for the alerts topic, its variables under ``key``: (function ARN, role ARN)."""
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = str(
        account.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )
    awslambda = account.client("lambda")
    arn = str(
        awslambda.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": {"PAGER_TOKEN": "s3cr3t"}},
            **({"KMSKeyArn": key} if key else {}),
        )["FunctionArn"]
    )
    awslambda.add_permission(
        FunctionName=name,
        StatementId="sns-invoke",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=TOPIC,
    )
    return arn, role


def _grant(account: Target, key: str, grantee: str, **constraints: dict[str, str]) -> str:
    made = account.client("kms").create_grant(
        KeyId=key,
        GranteePrincipal=grantee,
        Operations=["Decrypt"],
        **({"Constraints": constraints} if constraints else {}),
    )
    return str(made["GrantId"])


def _lambda_grant(account: Target, key: str, role: str, function: str) -> str:
    """The grant Lambda makes for the role: Decrypt under the function's encryption context."""
    return _grant(account, key, role, EncryptionContextEquals={"aws:lambda:FunctionArn": function})


def _heard(result: Outcome) -> bool:
    """The budget alert reaches the receiver and nobody outside the account reads its secrets (the billing alarm's
    topic is left without a receiver by ``lambda_only``: not judged here)."""
    problems = result.details["problems"]
    return problems["budget"] == [] and problems["alert_receivers"] == []


def _judged(account: Target, function: str) -> tuple[FunctionReadback, Outcome]:
    read = read_function(account.client("lambda"), function)
    judge_env_key(account, read)
    return read, judge_finops(lambda_only(read))


def test_a_grant_lambda_made_to_the_role_under_the_functions_context_lets_it_run(account: Target) -> None:
    """The healthy twin: the key policy names only an admin; the role decrypts through its grant alone."""
    key = _key(account)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    read, result = _judged(account, function)
    assert read.configuration["KMSKeyArn"] == key and read.environment_variables == 1
    assert "s3cr3t" not in json.dumps(result.details, default=str)  # the variables' values are not kept
    assert (read.env_key_problems, read.env_key_exposure) == ([], [])
    assert _heard(result), result.reason


def test_a_receiver_whose_role_may_not_decrypt_its_variables_hears_nothing(account: Target) -> None:
    """The broken stack that passed: no key policy statement, grant or IAM policy lets the role decrypt."""
    key = _key(account)
    function, role = _receiver(account, "page-on-call", key)
    elsewhere = _grant(account, key, role, EncryptionContextEquals={"aws:lambda:FunctionArn": f"{function}-other"})
    read, result = _judged(account, function)
    (problem,) = result.details["problems"]["budget"]
    assert f"topic {TOPIC} has no subscription that receives a budget alert" in problem
    assert (
        f"Lambda function page-on-call's environment variables are encrypted with KMS key {key}, whose key policy "
        f"allows neither {role} nor its account kms:Decrypt, nor does a grant (ListGrants: none to {role} for "
        f"Decrypt) (Lambda cannot decrypt them as its role {role}: every invocation fails, the alert is lost)"
    ) in problem
    assert elsewhere not in problem  # a grant for another function's context is not this function's


def test_a_deny_in_the_roles_own_policy_wins_over_lambdas_grant(account: Target) -> None:
    key = _key(account)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    deny = {"Sid": "NoKms", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
    account.client("iam").put_role_policy(
        RoleName="page-on-call",
        PolicyName="no-kms",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    read, result = _judged(account, function)
    assert read.env_key_problems == [
        f"Lambda function page-on-call's environment variables are encrypted with KMS key {key}, which the role's "
        "IAM policies deny: statement NoKms of inline policy no-kms denies it (Lambda cannot decrypt them as its "
        f"role {role}: every invocation fails, the alert is lost)"
    ]
    assert read.env_key_problems[0] in result.details["problems"]["budget"][0]


def test_a_receiver_whose_role_is_gone_hears_nothing(account: Target) -> None:
    key = _key(account)
    function, role = _receiver(account, "page-on-call", key)
    account.client("iam").delete_role(RoleName="page-on-call")
    read, _ = _judged(account, function)
    assert read.env_key_problems == [
        f"Lambda function page-on-call's environment variables are encrypted with KMS key {key}, and its execution "
        f"role {role} does not exist (IAM GetRole) (Lambda cannot decrypt them as its role {role}: every invocation "
        "fails, the alert is lost)"
    ]


def test_a_grant_to_a_principal_of_another_account_hands_out_the_receivers_secrets(account: Target) -> None:
    """The broken stack that passed: the receiver runs (Lambda's grant), and another account may decrypt too."""
    key = _key(account)
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    foreign = _grant(account, key, FOREIGN_ROLE)
    read, result = _judged(account, function)
    assert read.env_key_problems == [] and result.details["problems"]["budget"] == []
    assert result.details["problems"]["alert_receivers"] == [
        f"Lambda function page-on-call's environment variables are encrypted with KMS key {key}, which principals "
        f"outside its account {ACCOUNT} may decrypt: grant {foreign} (ListGrants) gives {FOREIGN_ROLE} Decrypt (its "
        "secrets are theirs to read)"
    ]
    # A grant for another context does not open these variables (a grant to the account's own principals:
    # tests/unit/test_finops_lambda_env_key_readers.py).
    account.client("kms").revoke_grant(KeyId=key, GrantId=foreign)
    _grant(account, key, FOREIGN_ROLE, EncryptionContextSubset={"purpose": "something-else"})
    read, result = _judged(account, function)
    assert _heard(result), result.reason


@pytest.mark.parametrize(
    ("statement", "open_", "in_account"),
    [
        ({"Principal": {"AWS": "arn:aws:iam::444455556666:root"}}, True, False),
        ({"Principal": "*"}, True, True),
        ({"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}, True, True),
        ({"Principal": "*", "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}}, False, True),
        ({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, False, False),
    ],
    ids=["another-account", "everyone", "an-organization", "callers-of-the-account", "the-account"],
)
def test_a_key_policy_letting_another_account_decrypt_fails_naming_the_statement(
    account: Target, statement: dict[str, Any], open_: bool, in_account: bool
) -> None:
    """``in_account``: the statement lets every principal of the function's account decrypt too (judged apart)."""
    key = _key(account, {"Sid": "Readers", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", **statement})
    function, role = _receiver(account, "page-on-call", key)
    _lambda_grant(account, key, role, function)
    read, result = _judged(account, function)
    assert read.env_key_problems == []
    outside = [p for p in result.details["problems"]["alert_receivers"] if "outside its account" in p]
    inside = [p for p in result.details["problems"]["alert_receivers"] if f"of its account {ACCOUNT} other" in p]
    assert (bool(outside), bool(inside)) == (open_, in_account), result.reason
    if in_account:
        assert "key policy statement Readers allows every principal of the account (Principal *)" in inside[0]
    if open_:
        (problem,) = outside
        assert "key policy statement Readers allows " in problem
        if "Condition" in statement:
            assert (
                "(under a condition the check cannot evaluate: StringEquals aws:PrincipalOrgID, an organization the "
                "check does not read)"
            ) in problem


def test_variables_under_no_customer_key_need_nothing_of_kms(account: Target) -> None:
    function, _ = _receiver(account, "page-on-call", None)
    read, result = _judged(account, function)
    assert read.environment_variables == 1 and not read.configuration.get("KMSKeyArn")
    assert _heard(result), result.reason
