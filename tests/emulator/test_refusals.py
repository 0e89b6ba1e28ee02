"""What AWS refuses, the emulator refuses: one table of (principal, action, resource, AWS's answer).

Each row is one request against the real emulator process, answered with AWS's error code,
HTTP status and message shape for the service's protocol. The positive controls at the end
show the same principals are not refused what AWS allows them (a refusal table alone would
pass against an emulator that refuses everything).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyathena
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle

REGION = "ap-northeast-1"
ACCOUNT = "123456789012"
GOLD, RESULTS = "rf-gold", "rf-results"
ADMIN_WG, ANALYST_WG = "rf-admin", "rf-analyst"
GOLD_FILE = "users/data/part-00000.parquet"
CHECKOUT = Path(__file__).resolve().parents[2]

UNRECOGNIZED = "The security token included in the request is invalid."


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


#: The analyst's IAM policy, shaped like infra/iam.tf's: its workgroup, its results prefix, no data bucket.
ANALYST_POLICY = _policy(
    {"Effect": "Allow", "Action": "athena:*", "Resource": f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{ANALYST_WG}"},
    {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{RESULTS}"},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{RESULTS}/analyst/*"},
    {"Effect": "Allow", "Action": "lakeformation:GetDataAccess", "Resource": "*"},
)


@dataclass
class Lake:
    """What the table's rows act on and as whom."""

    sessions: dict[str, boto3.Session]
    admin_query: str
    endpoint: str

    def client(self, principal: str, service: str) -> Any:
        config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
        region = "us-east-1" if service == "budgets" else REGION
        return self.sessions[principal].client(service, endpoint_url=self.endpoint, region_name=region, config=config)


def _run(conn: Any, sql: str) -> Any:
    cursor = conn.cursor()
    cursor.execute(sql)
    return cursor


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    deployer = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    cfg = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})

    def root(service: str) -> Any:
        return deployer.client(service, endpoint_url=emulator.endpoint, config=cfg)

    s3 = root("s3")
    for bucket in (GOLD, RESULTS):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=GOLD, Key=GOLD_FILE, Body=b"PAR1 ssn")
    athena = root("athena")
    for name, prefix in ((ADMIN_WG, "admin"), (ANALYST_WG, "analyst")):
        athena.create_work_group(
            Name=name,
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/{prefix}/"},
                "EnforceWorkGroupConfiguration": True,
            },
        )
    iam = root("iam")
    iam.create_role(RoleName="rf-analyst", AssumeRolePolicyDocument=_policy())
    iam.put_role_policy(RoleName="rf-analyst", PolicyName="analyst", PolicyDocument=ANALYST_POLICY)
    creds = root("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/rf-analyst", RoleSessionName="rf")[
        "Credentials"
    ]
    analyst = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )
    forged = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token="not-the-session-token",
        region_name=REGION,
    )
    iam.create_user(UserName="rf-user")
    key = iam.create_access_key(UserName="rf-user")["AccessKey"]
    user = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )
    unknown = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name=REGION,
    )
    admin = pyathena.connect(
        session=deployer, work_group=ADMIN_WG, region_name=REGION, endpoint_url=emulator.endpoint, poll_interval=0.05
    )
    admin_query = _run(admin, "SELECT '123-45-6789' AS ssn").query_id
    admin.close()
    sessions = {"deployer": deployer, "analyst": analyst, "forged": forged, "user": user, "unknown": unknown}
    return Lake(sessions, admin_query, emulator.endpoint)


# ---------------------------------------------------------------- the table

Call = Callable[[Lake], Any]


@dataclass(frozen=True)
class Row:
    principal: str
    action: str
    resource: str
    code: str  # AWS's error code
    status: int  # AWS's HTTP status
    message: str  # regex the message must match
    call: Call


def _api(principal: str, service: str, operation: str, **params: Any) -> Call:
    return lambda lake: getattr(lake.client(principal, service), operation)(**params)


def _admin_query(principal: str, operation: str) -> Call:
    return lambda lake: getattr(lake.client(principal, "athena"), operation)(QueryExecutionId=lake.admin_query)


def _admin_result_file(lake: Lake) -> Any:
    return lake.client("analyst", "s3").get_object(Bucket=RESULTS, Key=f"admin/{lake.admin_query}.csv")


def _denied(principal: str, action: str, resource: str) -> str:
    who = {
        "analyst": rf"arn:aws:sts::{ACCOUNT}:assumed-role/rf-analyst/rf",
        "user": rf"arn:aws:iam::{ACCOUNT}:user/rf-user",
    }
    return (
        rf"^User: {who[principal]} is not authorized to perform: {re.escape(action)} on resource: "
        rf"{re.escape(resource)} because no identity-based policy allows the {re.escape(action)} action$"
    )


ADMIN_WG_ARN = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{ADMIN_WG}"
S3_DENIED = r"^Access Denied$"

ROWS = [
    # -- keys the emulator never issued (bullet: identity) --------------------------------------
    Row("unknown", "athena:ListWorkGroups", "*", "UnrecognizedClientException", 400, UNRECOGNIZED,
        _api("unknown", "athena", "list_work_groups")),
    Row("unknown", "glue:GetDatabases", "catalog", "UnrecognizedClientException", 400, UNRECOGNIZED,
        _api("unknown", "glue", "get_databases")),
    Row("unknown", "lakeformation:GetDataLakeSettings", "*", "UnrecognizedClientException", 400, UNRECOGNIZED,
        _api("unknown", "lakeformation", "get_data_lake_settings")),
    Row("unknown", "budgets:DescribeBudgets", "*", "UnrecognizedClientException", 400, UNRECOGNIZED,
        _api("unknown", "budgets", "describe_budgets", AccountId=ACCOUNT)),
    Row("unknown", "sts:GetCallerIdentity", "*", "InvalidClientTokenId", 403, UNRECOGNIZED,
        _api("unknown", "sts", "get_caller_identity")),
    Row("unknown", "iam:ListRoles", "*", "InvalidClientTokenId", 403, UNRECOGNIZED,
        _api("unknown", "iam", "list_roles")),
    Row("unknown", "sns:ListTopics", "*", "InvalidClientTokenId", 403, UNRECOGNIZED,
        _api("unknown", "sns", "list_topics")),
    Row("unknown", "cloudwatch:ListDashboards", "*", "InvalidClientTokenId", 403, UNRECOGNIZED,
        _api("unknown", "cloudwatch", "list_dashboards")),
    Row("unknown", "s3:ListAllMyBuckets", "*", "InvalidAccessKeyId", 403,
        r"^The AWS Access Key Id you provided does not exist in our records\.$",
        _api("unknown", "s3", "list_buckets")),
    Row("unknown", "s3:GetObject", f"{GOLD}/{GOLD_FILE}", "InvalidAccessKeyId", 403,
        r"^The AWS Access Key Id you provided does not exist in our records\.$",
        _api("unknown", "s3", "get_object", Bucket=GOLD, Key=GOLD_FILE)),
    Row("forged", "athena:ListWorkGroups", "* (session key, wrong session token)", "UnrecognizedClientException",
        400, UNRECOGNIZED, _api("forged", "athena", "list_work_groups")),
    # -- the analyst and the admin's workgroup (bullet: query principal and workgroup) -----------
    Row("analyst", "athena:GetQueryResults", "the admin's query", "AccessDeniedException", 400,
        _denied("analyst", "athena:GetQueryResults", ADMIN_WG_ARN), _admin_query("analyst", "get_query_results")),
    Row("analyst", "athena:GetQueryExecution", "the admin's query", "AccessDeniedException", 400,
        _denied("analyst", "athena:GetQueryExecution", ADMIN_WG_ARN), _admin_query("analyst", "get_query_execution")),
    Row("analyst", "athena:ListQueryExecutions", ADMIN_WG, "AccessDeniedException", 400,
        _denied("analyst", "athena:ListQueryExecutions", ADMIN_WG_ARN),
        _api("analyst", "athena", "list_query_executions", WorkGroup=ADMIN_WG)),
    Row("analyst", "athena:StartQueryExecution", ADMIN_WG, "AccessDeniedException", 400,
        _denied("analyst", "athena:StartQueryExecution", ADMIN_WG_ARN),
        _api("analyst", "athena", "start_query_execution", QueryString="SELECT 1", WorkGroup=ADMIN_WG)),
    # -- straight from S3: no IAM statement allows it ------------------------------------------
    Row("analyst", "s3:GetObject", f"{RESULTS}/admin/<the admin's query>.csv", "AccessDenied", 403, S3_DENIED,
        _admin_result_file),
    Row("analyst", "s3:GetObject", f"{GOLD}/{GOLD_FILE}", "AccessDenied", 403, S3_DENIED,
        _api("analyst", "s3", "get_object", Bucket=GOLD, Key=GOLD_FILE)),
    Row("analyst", "s3:ListBucket", GOLD, "AccessDenied", 403, S3_DENIED,
        _api("analyst", "s3", "list_objects_v2", Bucket=GOLD)),
    # -- other services: nothing in its policy --------------------------------------------------
    Row("analyst", "lakeformation:GrantPermissions", "*", "AccessDeniedException", 400,
        _denied("analyst", "lakeformation:GrantPermissions", "*"),
        _api("analyst", "lakeformation", "grant_permissions",
             Principal={"DataLakePrincipalIdentifier": f"arn:aws:iam::{ACCOUNT}:role/rf-analyst"},
             Resource={"Database": {"Name": "default"}}, Permissions=["DESCRIBE"])),
    Row("user", "glue:GetDatabases", "catalog", "AccessDeniedException", 400,
        _denied("user", "glue:GetDatabases", f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"),
        _api("user", "glue", "get_databases")),
    Row("user", "iam:ListRoles", "*", "AccessDenied", 403, _denied("user", "iam:ListRoles", "*"),
        _api("user", "iam", "list_roles")),
    # -- operations the emulator does not implement: the protocol's error, naming the operation --
    Row("deployer", "budgets:DescribeBudgetPerformanceHistory", "*", "UnknownOperationException", 400,
        r"DescribeBudgetPerformanceHistory",
        _api("deployer", "budgets", "describe_budget_performance_history", AccountId=ACCOUNT, BudgetName="x")),
    Row("deployer", "athena:BatchGetPreparedStatement", "*", "UnknownOperationException", 400,
        r"BatchGetPreparedStatement",
        _api("deployer", "athena", "batch_get_prepared_statement", PreparedStatementNames=["x"], WorkGroup="primary")),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.principal}-{r.action}" for r in ROWS])
def test_aws_refuses_and_so_does_the_emulator(lake: Lake, row: Row) -> None:
    with pytest.raises(ClientError) as refused:
        row.call(lake)
    error = refused.value.response["Error"]
    assert error["Code"] == row.code, error
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == row.status
    assert re.search(row.message, error.get("Message", "")), error


# ---------------------------------------------------------------- Athena SQL surface

#: (statement, Athena's reason) for the analyst in its own workgroup: DuckDB-only SQL fails.
SQL_ROWS = [
    (f"SELECT * FROM read_csv('{CHECKOUT}/fixtures/data/users.csv')",
     r"^SYNTAX_ERROR: line 1:23: mismatched input '\('"),
    ("SELECT * FROM read_text('/proc/self/environ')", r"^SYNTAX_ERROR: line 1:24: mismatched input '\('"),
    ("SELECT * FROM query('SELECT 42')", r"^SYNTAX_ERROR: line 1:20: mismatched input '\('"),
    ("SELECT * FROM read_parquet('s3://rf-gold/users/data/*.parquet')", r"^SYNTAX_ERROR: line 1:27: mismatched"),
    ("SELECT * FROM TABLE(query('SELECT 42'))",
     r"^FUNCTION_NOT_FOUND: line 1:21: Table function 'query' not registered$"),
    ("SELECT x FROM (VALUES 1) AS t(x) CROSS JOIN LATERAL read_csv('/etc/passwd')", r"^SYNTAX_ERROR: .*mismatched"),
    ("SELECT current_setting('enable_external_access')",
     r"^FUNCTION_NOT_FOUND: line 1:8: Function 'current_setting' not registered$"),
    ("SELECT read_blob('/etc/passwd')", r"^FUNCTION_NOT_FOUND: line 1:8: Function 'read_blob' not registered$"),
    ("SELECT * FROM duckdb_settings()", r"^SYNTAX_ERROR: line 1:30: mismatched input '\('"),
    ("SET enable_external_access = true", r"^NOT_SUPPORTED: "),
    ("COPY (SELECT 1) TO '/tmp/x.csv'", r"^(NOT_SUPPORTED|SYNTAX_ERROR): "),
    ("ATTACH '/tmp/x.duckdb'", r"^(NOT_SUPPORTED|SYNTAX_ERROR): "),
]  # fmt: skip


@pytest.fixture(scope="module")
def analyst_sql(lake: Lake) -> Any:
    conn = pyathena.connect(
        session=lake.sessions["analyst"],
        work_group=ANALYST_WG,
        region_name=REGION,
        endpoint_url=lake.endpoint,
        poll_interval=0.05,
    )
    yield conn
    conn.close()


@pytest.mark.parametrize(("sql", "reason"), SQL_ROWS, ids=[s[:40] for s, _ in SQL_ROWS])
def test_duckdb_only_sql_fails_as_athena_fails_it(analyst_sql: Any, sql: str, reason: str) -> None:
    with pytest.raises(OperationalError) as failed:
        _run(analyst_sql, sql)
    assert re.search(reason, str(failed.value)), str(failed.value)


# ---------------------------------------------------------------- what stays allowed


def test_the_analyst_keeps_what_its_policy_allows(lake: Lake, analyst_sql: Any) -> None:
    """Its own workgroup, its own results (through Athena and straight from S3), UNNEST and VALUES."""
    cursor = _run(analyst_sql, "SELECT x, y FROM (VALUES (1, 'a')) AS t(x, y) CROSS JOIN UNNEST(ARRAY[2, 3]) AS u(z)")
    assert cursor.fetchall() == [(1, "a"), (1, "a")]
    athena = lake.client("analyst", "athena")
    assert cursor.query_id in athena.list_query_executions(WorkGroup=ANALYST_WG)["QueryExecutionIds"]
    assert lake.admin_query not in athena.list_query_executions(WorkGroup=ANALYST_WG)["QueryExecutionIds"]
    assert athena.get_query_results(QueryExecutionId=cursor.query_id)["ResultSet"]["Rows"]
    body = lake.client("analyst", "s3").get_object(Bucket=RESULTS, Key=f"analyst/{cursor.query_id}.csv")["Body"]
    assert body.read().startswith(b'"x","y"')
    batch = athena.batch_get_query_execution(QueryExecutionIds=[cursor.query_id, lake.admin_query])
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == [cursor.query_id]
    assert batch["UnprocessedQueryExecutionIds"][0]["ErrorCode"] == "AccessDeniedException"
    assert lake.client("analyst", "sts").get_caller_identity()["Arn"].endswith(":assumed-role/rf-analyst/rf")


def test_the_deployer_keeps_everything(lake: Lake) -> None:
    athena = lake.client("deployer", "athena")
    assert athena.get_query_results(QueryExecutionId=lake.admin_query)["ResultSet"]["Rows"][1]["Data"] == [
        {"VarCharValue": "123-45-6789"}
    ]
    assert lake.client("deployer", "s3").get_object(Bucket=GOLD, Key=GOLD_FILE)["Body"].read() == b"PAR1 ssn"
    assert lake.client("user", "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/rf-user"
