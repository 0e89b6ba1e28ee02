"""Bucket policies as AWS evaluates them for a principal of the bucket owner's account.

moto applies a bucket policy's Deny to everyone and never lets its Allow grant anything, so a
lake bucket whose policy hands the analyst the files looked closed on the emulator, and exit
check 6's S3 probe could not see it. The emulator's front door now reads the policy with the
caller's identity policies: explicit Deny wins; an Allow naming the caller's role, its session or
``*`` suffices on its own; an Allow naming only the account delegates to the identity policies.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lakehouse.emulator.process import EmulatorHandle

REGION = "ap-northeast-1"
ACCOUNT = "123456789012"
KEY = "users/data/part-00000.parquet"
CONFIG = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})


@dataclass
class Reader:
    """A bucket with one file, a role without S3 permissions, and a session of it."""

    bucket: str
    role_arn: str
    session_arn: str
    root: Any  # the deployer's S3 client
    iam: Any
    role: str
    analyst: Any  # the role session's S3 client

    def policy(self, *statements: dict[str, Any]) -> None:
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        self.root.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(document))

    def status(self) -> int:
        """What S3 answers the session's GetObject (200, or the error's HTTP status)."""
        try:
            self.analyst.get_object(Bucket=self.bucket, Key=KEY)["Body"].read()
        except ClientError as err:
            return int(err.response["ResponseMetadata"]["HTTPStatusCode"])
        return 200

    def deployer_status(self) -> int:
        try:
            self.root.head_object(Bucket=self.bucket, Key=KEY)
        except ClientError as err:
            return int(err.response["ResponseMetadata"]["HTTPStatusCode"])
        return 200


@pytest.fixture
def reader(emulator: EmulatorHandle) -> Iterator[Reader]:
    deployer = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    root = deployer.client("s3", endpoint_url=emulator.endpoint, config=CONFIG)
    iam = deployer.client("iam", endpoint_url=emulator.endpoint, config=CONFIG)
    name = f"bp-{uuid.uuid4().hex[:8]}"
    root.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    root.put_object(Bucket=name, Key=KEY, Body=b"PAR1 ssn")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sts = deployer.client("sts", endpoint_url=emulator.endpoint, config=CONFIG)
    creds = sts.assume_role(RoleArn=role, RoleSessionName="probe")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )
    analyst = session.client("s3", endpoint_url=emulator.endpoint, config=CONFIG)
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/probe"
    try:
        yield Reader(name, role, session_arn, root, iam, name, analyst)
    finally:
        root.delete_bucket_policy(Bucket=name)
        root.delete_object(Bucket=name, Key=KEY)
        root.delete_bucket(Bucket=name)
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)


def _allow(principal: Any, bucket: str, action: Any = "s3:GetObject", effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": f"arn:aws:s3:::{bucket}/*"}


def test_without_any_policy_the_role_is_refused(reader: Reader) -> None:
    assert reader.status() == 403


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param("role", id="role-arn"),
        pytest.param("session", id="session-arn"),
        pytest.param("*", id="star"),
        pytest.param({"AWS": "*"}, id="aws-star"),
    ],
)
def test_a_bucket_policy_naming_the_caller_grants_the_read_on_its_own(reader: Reader, principal: Any) -> None:
    named = {"role": {"AWS": reader.role_arn}, "session": {"AWS": reader.session_arn}}.get(str(principal), principal)
    reader.policy(_allow(named, reader.bucket))
    assert reader.status() == 200


def test_a_bucket_policy_naming_the_account_delegates_to_the_identity_policies(reader: Reader) -> None:
    reader.policy(_allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, reader.bucket, "s3:*"))
    assert reader.status() == 403
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{reader.bucket}/*"}
    reader.iam.put_role_policy(
        RoleName=reader.role,
        PolicyName="read",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [read]}),
    )
    assert reader.status() == 200


def test_an_allow_for_another_principal_or_action_grants_nothing(reader: Reader) -> None:
    reader.policy(
        _allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"}, reader.bucket),
        _allow({"AWS": reader.role_arn}, reader.bucket, "s3:PutObject"),
        {**_allow({"AWS": reader.role_arn}, reader.bucket), "Resource": f"arn:aws:s3:::{reader.bucket}/orders/*"},
    )
    assert reader.status() == 403


def test_an_explicit_deny_wins_over_every_allow(reader: Reader) -> None:
    reader.iam.put_role_policy(
        RoleName=reader.role,
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    assert reader.status() == 200
    reader.policy(
        _allow({"AWS": reader.role_arn}, reader.bucket),
        _allow({"AWS": reader.role_arn}, reader.bucket, "s3:Get*", effect="Deny"),
    )
    assert reader.status() == 403
    # the Deny names the role only: the deployer still reads (moto applied it to everyone)
    assert reader.deployer_status() == 200


def test_a_deny_whose_condition_does_not_hold_denies_nothing(reader: Reader) -> None:
    deny = _allow("*", reader.bucket, "s3:*", effect="Deny") | {"Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    reader.policy(deny, _allow({"AWS": reader.role_arn}, reader.bucket))
    assert reader.status() == 200


def test_not_principal_leaves_out_only_the_session_it_lists(reader: Reader) -> None:
    allow_all_but = {**_allow(None, reader.bucket), "NotPrincipal": {"AWS": [reader.role_arn]}}
    del allow_all_but["Principal"]
    reader.policy(allow_all_but)
    assert reader.status() == 200  # the session is a principal of its own, not listed
    allow_all_but["NotPrincipal"] = {"AWS": [reader.role_arn, reader.session_arn]}
    reader.policy(allow_all_but)
    assert reader.status() == 403
