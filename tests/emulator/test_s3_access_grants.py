"""S3 Access Grants on the emulator, read back as exit check 6 reads them (S3 Control, host label dropped)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.s3_routes import AccessGrants, access_grant_problems, read_access_grants, s3control
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION

ACCOUNT = "123456789012"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/lh-analyst"
PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"


def test_access_grants_are_made_listed_filtered_and_deleted(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    control = s3control(target)
    assert read_access_grants(control, ACCOUNT) == AccessGrants("read")  # no instance: nothing granted
    with pytest.raises(ClientError, match="AccessGrantsInstanceNotExistsError"):
        control.list_access_grants(AccountId=ACCOUNT)

    arn = control.create_access_grants_instance(AccountId=ACCOUNT)["AccessGrantsInstanceArn"]
    assert arn == f"arn:aws:s3:{REGION}:{ACCOUNT}:access-grants/default"
    try:
        everywhere = control.create_access_grants_location(
            AccountId=ACCOUNT, LocationScope="s3://", IAMRoleArn=PIPELINE
        )
        gold = control.create_access_grants_location(
            AccountId=ACCOUNT, LocationScope="s3://lh-gold-1/users*", IAMRoleArn=PIPELINE
        )
        read = control.create_access_grant(
            AccountId=ACCOUNT,
            AccessGrantsLocationId=everywhere["AccessGrantsLocationId"],
            AccessGrantsLocationConfiguration={"S3SubPrefix": "lh-silver-1/users/*"},
            Grantee={"GranteeType": "IAM", "GranteeIdentifier": ANALYST},
            Permission="READ",
        )
        assert read["GrantScope"] == "s3://lh-silver-1/users/*"
        write = control.create_access_grant(
            AccountId=ACCOUNT,
            AccessGrantsLocationId=gold["AccessGrantsLocationId"],
            Grantee={"GranteeType": "IAM", "GranteeIdentifier": PIPELINE},
            Permission="WRITE",
        )
        assert write["GrantScope"] == "s3://lh-gold-1/users*"
        assert control.get_access_grant(AccountId=ACCOUNT, AccessGrantId=read["AccessGrantId"])["Permission"] == "READ"
        only_reads = control.list_access_grants(AccountId=ACCOUNT, Permission="READ")["AccessGrantsList"]
        assert [g["AccessGrantId"] for g in only_reads] == [read["AccessGrantId"]]

        found = read_access_grants(control, ACCOUNT)
        assert found.status == "read" and [i["AccessGrantsInstanceArn"] for i in found.instances] == [arn]
        assert sorted(g["AccessGrantId"] for g in found.grants) == sorted(
            [read["AccessGrantId"], write["AccessGrantId"]]
        )
        objects = {"lh-silver-1": ["users/data/00000.parquet"], "lh-gold-1": ["users/metadata/00001.metadata.json"]}
        assert access_grant_problems(found, {ANALYST: "the analyst role"}, objects, ACCOUNT) == [
            f"S3 Access Grant {read['AccessGrantId']} gives the analyst role READ on s3://lh-silver-1/users/*, which "
            "holds lake object s3://lh-silver-1/users/data/00000.parquet: S3 serves it around Lake Formation"
        ]

        for grant in (read, write):
            control.delete_access_grant(AccountId=ACCOUNT, AccessGrantId=grant["AccessGrantId"])
        for location in (everywhere, gold):
            control.delete_access_grants_location(
                AccountId=ACCOUNT, AccessGrantsLocationId=location["AccessGrantsLocationId"]
            )
        assert read_access_grants(control, ACCOUNT).grants == []
    finally:
        control.delete_access_grants_instance(AccountId=ACCOUNT)
    assert control.list_access_grants_instances(AccountId=ACCOUNT)["AccessGrantsInstancesList"] == []
