"""A small Lake Formation governed lake in one region of the emulator, built as our Terraform builds it.

The data lake admin is the deployer (the harness's keys); default IAMAllowedPrincipals
permissions are cleared before the database and the Iceberg ``users`` table exist (created
through Glue's OpenTableFormatInput, as Terraform does); principals are IAM roles whose keys come
from the emulator's STS, as a person's would. Their IAM policies allow every Athena, Glue and
Lake Formation action and the results bucket, so what refuses them in these tests is Lake
Formation, the layer under test. Each test module takes its own region: Lake Formation's
settings are per account and region.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pyathena
from botocore.config import Config

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

COLUMNS = [("user_id", "bigint"), ("email", "string"), ("ssn", "string"), ("country", "string")]
USERS = [
    (1, "a@example.com", "123-45-6789", "JP"),
    (2, "b@example.com", "987-65-4321", "US"),
    (3, "c@example.com", "555-12-3456", "JP"),
]
SSNS = frozenset(row[2] for row in USERS)
WORK_GROUP = "lf"
#: Where the deployer loads the rows: an ``INSERT ... VALUES`` in the analyst's workgroup would show the analyst
#: every ssn in its query text (GetQueryExecution), as exit check 6 finds; the stack's rows come through the pipeline.
SEED_GROUP = "lf-seed"


def analyst_statements(region: str) -> list[dict[str, Any]]:
    """The analyst of infra/iam.tf: Glue reads, Athena in its own workgroup only (on ``*`` it would read the seed
    workgroup's history of ssn lookups, as exit check 6 finds), its results."""
    return [
        {"Effect": "Allow", "Action": ["glue:Get*", "lakeformation:GetDataAccess"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "athena:*",
            "Resource": [
                f"arn:aws:athena:{region}:*:workgroup/{WORK_GROUP}",
                f"arn:aws:athena:{region}:*:datacatalog/*",
            ],
        },
        {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::lf-results-{region}/*"]},
    ]


#: Broad IAM, so that Lake Formation is what decides (the analyst of infra/ has far less).
BROAD_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["athena:*", "glue:*", "lakeformation:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::lf-results-*", "arn:aws:s3:::lf-results-*/*"]},
    ],
}


def principal(arn: str) -> dict[str, str]:
    return {"DataLakePrincipalIdentifier": arn}


@dataclass
class Lake:
    """The lake's names and a way to act as the deployer or as one of its roles."""

    emulator: EmulatorHandle
    region: str
    database: str
    bucket: str
    roles: dict[str, str] = field(default_factory=dict)  # name -> role ARN
    admin_arn: str = ""

    def session(self, role: str | None = None) -> boto3.Session:
        """The deployer's session, or a session of ``role`` with keys from STS AssumeRole."""
        deployer = boto3.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY, aws_secret_access_key=LOCAL_SECRET_KEY, region_name=self.region
        )
        if role is None:
            return deployer
        sts = deployer.client("sts", endpoint_url=self.emulator.endpoint)
        creds = sts.assume_role(RoleArn=self.roles[role], RoleSessionName=f"{role}-test")["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.region,
        )

    def client(self, service: str, role: str | None = None) -> Any:
        return self.session(role).client(
            service, endpoint_url=self.emulator.endpoint, config=Config(retries={"max_attempts": 1})
        )

    @contextmanager
    def cursor(self, role: str | None = None, work_group: str = WORK_GROUP) -> Iterator[Any]:
        conn = pyathena.connect(
            work_group=work_group,
            region_name=self.region,
            schema_name=self.database,
            endpoint_url=self.emulator.endpoint,
            session=self.session(role),
            poll_interval=0.05,
        )
        try:
            yield conn.cursor()
        finally:
            conn.close()

    def add_role(self, name: str) -> str:
        """A role with broad IAM; IAM is global, so its name carries the region (one lake a region)."""
        iam, role_name = self.client("iam"), f"{name}-{self.region}"
        arn = str(iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")["Role"]["Arn"])
        iam.put_role_policy(RoleName=role_name, PolicyName="broad", PolicyDocument=json.dumps(BROAD_POLICY))
        self.roles[name] = arn
        return arn

    def grant(
        self, role: str, resource: dict[str, Any], permissions: Sequence[str], grantable: Sequence[str] = ()
    ) -> None:
        """Grant as the data lake admin; ``role`` is a role's name here or a principal identifier."""
        who = principal(self.roles.get(role, role))
        self.client("lakeformation").grant_permissions(
            Principal=who, Resource=resource, Permissions=list(permissions), PermissionsWithGrantOption=list(grantable)
        )

    def revoke(self, role: str, resource: dict[str, Any], permissions: Sequence[str]) -> None:
        who = principal(self.roles.get(role, role))
        self.client("lakeformation").revoke_permissions(Principal=who, Resource=resource, Permissions=list(permissions))

    def users_resource(self) -> dict[str, Any]:
        return {"Table": {"DatabaseName": self.database, "Name": "users"}}


def build_lake(emulator: EmulatorHandle, region: str, database: str) -> Lake:
    """Admin settings first, then the database, the table and its rows, the workgroup, the analyst."""
    lake = Lake(emulator, region, database, bucket=f"lf-data-{region}")
    me = lake.client("sts").get_caller_identity()["Arn"]
    lake.admin_arn = me
    lake.client("lakeformation").put_data_lake_settings(DataLakeSettings={"DataLakeAdmins": [principal(me)]})
    s3 = lake.client("s3")
    for bucket in (lake.bucket, f"lf-results-{region}", f"lf-seed-{region}"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    glue = lake.client("glue")
    for name in (database, "default"):
        glue.create_database(DatabaseInput={"Name": name})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "users",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Location": f"s3://{lake.bucket}/users/",
                "Columns": [{"Name": n, "Type": t} for n, t in COLUMNS],
            },
        },
        OpenTableFormatInput={"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}},
    )
    for name, results in ((WORK_GROUP, f"lf-results-{region}"), (SEED_GROUP, f"lf-seed-{region}")):
        lake.client("athena").create_work_group(
            Name=name,
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{results}/out/"},
                "EnforceWorkGroupConfiguration": True,
            },
        )
    values = ", ".join(f"({i}, '{e}', '{s}', '{c}')" for i, e, s, c in USERS)
    with lake.cursor(work_group=SEED_GROUP) as admin:
        admin.execute(f"INSERT INTO users VALUES {values}")
    lake.add_role("analyst")
    for name in (database, "default"):
        lake.grant("analyst", {"Database": {"Name": name}}, ["DESCRIBE"])
    lake.grant(
        "analyst",
        {
            "TableWithColumns": {
                "DatabaseName": database,
                "Name": "users",
                "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]},
            }
        },
        ["SELECT"],
    )
    return lake
