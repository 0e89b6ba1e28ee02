"""Exit check 6 against the real deployed stack on the emulator, healthy and broken.

Each broken stack is made through the Lake Formation or IAM API, as a person would break it (or
forget to fix it), checked with the real reader (Glue, STS AssumeRole, pyathena as the analyst,
ListPermissions, the analyst role's IAM policies), and repaired before the test ends; the last
test proves the repairs left the stack as Terraform made it (plan is empty).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pyathena.connection import Connection

from lakehouse.athena import connect, run
from lakehouse.checks.hidden_values import MASK
from lakehouse.checks.iac import check_iac_coverage
from lakehouse.checks.s3_routes import s3control
from lakehouse.checks.security import check_security
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from lakehouse.stack import Deployment

pytestmark = pytest.mark.xdist_group("stack")

IAP = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}
#: Tables of the pipeline that hold ssn (pipeline/sql), by layer.
SSN_TABLES = {"bronze": ["users_csv"], "silver": ["users", "users_rejected", "users_staged"], "gold": ["users"]}


class LakeFormation:
    """The stack's Lake Formation state through its API, and a way back to how Terraform left it."""

    def __init__(self, deployed: Deployment):
        self.outputs = deployed.record.outputs
        self.client = deployed.stack.target.client("lakeformation")
        self.analyst = {"DataLakePrincipalIdentifier": self.outputs["analyst_role_arn"]}
        table = self.outputs["gold_users_table"]
        self.table = {"DatabaseName": table["database"], "Name": table["name"]}
        self.settings = self.client.get_data_lake_settings()["DataLakeSettings"]
        self.undo: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []
        self.give_back: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []

    def grant(self, principal: dict[str, str], resource: dict[str, Any], permissions: list[str]) -> None:
        self.client.grant_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        self.undo.append((principal, resource, permissions))

    def revoke(self, principal: dict[str, str], resource: dict[str, Any], permissions: list[str]) -> None:
        self.client.revoke_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        self.give_back.append((principal, resource, permissions))

    def restore(self) -> None:
        for principal, resource, permissions in reversed(self.undo):
            self.client.revoke_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        for principal, resource, permissions in self.give_back:
            self.client.grant_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        self.client.put_data_lake_settings(DataLakeSettings=self.settings)


@pytest.fixture(scope="module")
def filled(deployed: Deployment) -> Deployment:
    """Gold users holds rows (the pipeline is idempotent, so running it again changes nothing)."""
    result = run_pipeline(deployed.stack.target, deployed.record.outputs, data_dir=DATA_DIR)
    assert result.ok, result.error
    return deployed


@pytest.fixture
def lf(filled: Deployment) -> Iterator[LakeFormation]:
    lake = LakeFormation(filled)
    try:
        yield lake
    finally:
        lake.restore()


def _check(deployed: Deployment) -> Outcome:
    return check_security(deployed.stack.target, deployed.record.outputs)


def _qualified(deployed: Deployment, layer: str, table: str) -> str:
    return f"{deployed.record.outputs['glue_database_names'][layer]}.{table}"


def test_the_deployed_stack_hides_ssn_from_the_analyst(filled: Deployment) -> None:
    result = _check(filled)
    assert result.passed, result.reason
    gold = _qualified(filled, "gold", "users")
    found = [_qualified(filled, layer, t) for layer, tables in SSN_TABLES.items() for t in tables]
    assert set(found) <= set(result.measured["tables_with_hidden_columns"])
    assert result.measured["analyst_column_hidden"] == [gold]
    assert set(found) - {gold} <= set(result.measured["analyst_no_access"])
    queries = [q for q in result.details["queries"] if q["table"] == gold]
    analyst_session = "assumed-role/" + filled.record.outputs["analyst_role_arn"].split("/")[-1] + "/lakehouse-exit6"
    assert [q["principal"].split(":")[-1] for q in queries] == ["user/moto", analyst_session, analyst_session]
    assert "ssn" not in queries[1]["columns"] and queries[1]["row_count"] > 0
    assert queries[2]["error"].startswith("COLUMN_NOT_FOUND: line 1:8: Column 'ssn' cannot be resolved")
    tried = result.details["iam"]["lake_objects_tried"]
    assert set(filled.record.outputs["bucket_names"][layer] for layer in SSN_TABLES) <= set(tried)
    assert any(k.endswith(".csv") for k in tried[filled.record.outputs["bucket_names"]["bronze"]])
    heads = result.details["iam"]["analyst_head_object"]
    assert {h["table"] for h in heads} >= {
        _qualified(filled, "bronze", "users_csv"),
        _qualified(filled, "gold", "users"),
    }
    assert {h["status"] for h in heads} == {"denied"}
    # The lake's buckets come from the services: table locations, Lake Formation, workgroups' results.
    buckets = filled.record.outputs["bucket_names"]
    found = result.details["lake_buckets"]
    assert set(buckets.values()) <= set(found)
    assert any(how.startswith("registered with Lake Formation") for how in found[buckets["gold"]])
    assert any(how.startswith("query results of workgroup") for how in found[buckets["athena-results"]])
    policies = result.details["bucket_policies"]
    assert all(policies[b]["Statement"][0]["Sid"] == "DenyInsecureTransport" for b in buckets.values())
    assert result.details["problems"]["bucket_policies"] == []
    # ACLs are off on every lake bucket (Object Ownership BucketOwnerEnforced), no access point, no outsider.
    routes = result.details["s3_routes"]
    assert {routes["acls"][b]["ownership"] for b in buckets.values()} == {"BucketOwnerEnforced"}
    assert all(not routes["access_points"][b] for b in buckets.values())
    assert routes["access_grants"]["status"] == "read" and routes["access_grants"]["grants"] == []
    assert result.details["problems"]["other_routes"] == []
    # Every role of the account was examined; the analyst can become none of them.
    examined = result.details["role_paths"]["roles_examined"]
    assert {filled.record.outputs["pipeline_role_arn"], filled.record.outputs["analyst_role_arn"]} <= set(examined)
    assert result.details["role_paths"]["reached"] == [] and result.details["role_paths"]["escalations"] == []


def test_exclusion_removed_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    narrowed = {"TableWithColumns": {**lf.table, "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}}
    lf.revoke(lf.analyst, narrowed, ["SELECT"])
    lf.grant(lf.analyst, {"TableWithColumns": {**lf.table, "ColumnWildcard": {}}}, ["SELECT"])
    result = _check(filled)
    assert not result.passed
    assert result.details["problems"]["select_all"] == [
        f"the analyst's SELECT * on {lf.table['DatabaseName']}.users returns ssn"
    ]
    assert any("through a column wildcard that does not exclude it" in p for p in result.details["problems"]["grants"])
    assert f"the analyst read ssn of {lf.table['DatabaseName']}.users" in result.details["problems"]["denied"][0]


def test_iam_allowed_principals_left_on_the_table_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    lf.grant(IAP, {"Table": lf.table}, ["ALL"])
    result = _check(filled)
    assert not result.passed
    assert result.reason and result.reason.startswith("the analyst's SELECT * on")
    assert any(p.startswith("IAMAllowedPrincipals holds ['ALL']") for p in result.details["problems"]["grants"])
    assert result.details["problems"]["denied"]  # the analyst really reads ssn on such a stack


def test_silver_born_with_iam_only_table_defaults_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    """Silver keeps IAMAllowedPrincipals in its own CreateTableDefaultPermissions (born before the settings were
    cleared, or Terraform's ``create_table_default_permission``): the settings read clean, yet the next table made
    there (here a copy of the Bronze CSV table's definition, ssn included) is born open to every IAM principal."""
    glue = filled.stack.target.client("glue")
    silver = filled.record.outputs["glue_database_names"]["silver"]
    bronze = filled.record.outputs["glue_database_names"]["bronze"]
    born = glue.get_database(Name=silver)["Database"]
    keys = ("Name", "Description", "LocationUri", "Parameters")
    database_input = {k: born[k] for k in keys if k in born}
    source = glue.get_table(DatabaseName=bronze, Name="users_csv")["Table"]
    table_input = {
        **{k: source[k] for k in ("StorageDescriptor", "PartitionKeys", "TableType", "Parameters") if k in source},
        "Name": "users_next",
    }
    iap_all = [{"Principal": IAP, "Permissions": ["ALL"]}]
    glue.update_database(Name=silver, DatabaseInput={**database_input, "CreateTableDefaultPermissions": iap_all})
    try:
        glue.create_table(DatabaseName=silver, TableInput=table_input)
        result = _check(filled)
    finally:
        glue.delete_table(DatabaseName=silver, Name="users_next")
        glue.update_database(Name=silver, DatabaseInput={**database_input, "CreateTableDefaultPermissions": []})
    assert not result.passed
    found = result.details["problems"]["grants"]
    assert any(
        p.startswith(f"database {silver}'s CreateTableDefaultPermissions give IAMAllowedPrincipals") for p in found
    ), found
    assert any(p.startswith(f"IAMAllowedPrincipals holds ['ALL'] on {silver}.users_next") for p in found), found
    assert f"the analyst's SELECT * on {silver}.users_next returns ssn" in result.details["problems"]["select_all"]
    assert glue.get_database(Name=silver)["Database"]["CreateTableDefaultPermissions"] == []


def test_analyst_made_data_lake_admin_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    admins = [*lf.settings["DataLakeAdmins"], lf.analyst]
    lf.client.put_data_lake_settings(DataLakeSettings={**lf.settings, "DataLakeAdmins": admins})
    result = _check(filled)
    assert not result.passed
    assert f"the analyst role {lf.outputs['analyst_role_arn']} is a data lake admin" in " ".join(
        result.details["problems"]["grants"]
    )
    assert result.details["problems"]["select_all"]


def test_second_analyst_grant_including_ssn_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    lf.grant(lf.analyst, {"TableWithColumns": {**lf.table, "ColumnNames": ["user_id", "ssn"]}}, ["SELECT"])
    result = _check(filled)
    assert not result.passed
    assert any("the analyst holds SELECT on ssn" in p for p in result.details["problems"]["grants"])
    gold = f"{lf.table['DatabaseName']}.users"
    assert result.details["problems"]["denied"] == [
        f'the analyst read ssn of {gold}: `SELECT "ssn" FROM {gold} LIMIT 1` succeeded'
    ]


def test_analyst_grant_on_silver_users_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    silver = _qualified(filled, "silver", "users")
    lf.grant(lf.analyst, {"Table": {"DatabaseName": silver.split(".")[0], "Name": "users"}}, ["SELECT"])
    result = _check(filled)
    assert not result.passed
    assert result.measured["analyst_reads_hidden"] == [silver]
    assert f"the analyst's SELECT * on {silver} returns ssn" in result.details["problems"]["select_all"]
    assert any(p.startswith(f"the analyst read ssn of {silver}") for p in result.details["problems"]["denied"])
    assert any(
        p.startswith(f"the analyst holds SELECT on ssn of {silver} through a table-level grant")
        for p in result.details["problems"]["grants"]
    )


@pytest.fixture
def analyst_iam(filled: Deployment) -> Iterator[tuple[Any, str]]:
    """The analyst role through IAM; any inline policy a test adds is deleted afterwards."""
    iam = filled.stack.target.client("iam")
    role = filled.record.outputs["analyst_role_arn"].rsplit("/", 1)[-1]
    before = set(iam.list_role_policies(RoleName=role)["PolicyNames"])
    try:
        yield iam, role
    finally:
        for name in set(iam.list_role_policies(RoleName=role)["PolicyNames"]) - before:
            iam.delete_role_policy(RoleName=role, PolicyName=name)


def test_inline_s3_read_on_the_lake_fails_the_check(analyst_iam: tuple[Any, str], filled: Deployment) -> None:
    iam, role = analyst_iam
    silver = filled.record.outputs["bucket_names"]["silver"]
    statement = {
        "Sid": "DebugRead",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{silver}/*",
    }
    iam.put_role_policy(
        RoleName=role,
        PolicyName="debug-silver",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    result = _check(filled)
    assert not result.passed
    policy, *served = result.details["problems"]["iam"]
    assert policy.startswith(
        f"the analyst role reads lake bucket {silver} directly from S3, around Lake Formation: "
        f"statement DebugRead of inline policy debug-silver allows s3:GetObject on arn:aws:s3:::{silver}/"
    )
    # S3 itself (the emulator enforces IAM) serves a file of each Silver table holding ssn
    assert served and all(
        p.startswith(f"the analyst's HeadObject on s3://{silver}/")
        and p.endswith("succeeded: S3 serves the lake's files to the analyst directly")
        for p in served
    )
    assert any(f"(a file of {_qualified(filled, 'silver', 'users')})" in p for p in served)
    assert result.details["problems"]["grants"] == []
    assert result.reason and result.reason.startswith(f"the analyst role reads lake bucket {silver}")


def test_analyst_allowed_to_read_only_future_gold_files_fails_the_check(
    analyst_iam: tuple[Any, str], filled: Deployment
) -> None:
    """A pattern no file listed today and no probe key matches: the files a later run writes there."""
    iam, role = analyst_iam
    gold = filled.record.outputs["bucket_names"]["gold"]
    future = {
        "Sid": "NextYear",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{gold}/users/data/2099-*",
    }
    iam.put_role_policy(
        RoleName=role,
        PolicyName="future-files",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [future]}),
    )
    result = _check(filled)
    assert not result.passed
    assert any(
        f"statement NextYear of inline policy future-files allows s3:GetObject on arn:aws:s3:::{gold}/users/data/2099-"
        in p
        for p in result.details["problems"]["iam"]
    ), result.details["problems"]["iam"]
    assert result.details["iam"]["witness_keys"][gold] == [
        "users/data/2099-",
        "users/data/2099-lakehouse-exit6-witness",
    ]


def test_analyst_allowed_to_assume_the_pipeline_role_fails_the_check(
    analyst_iam: tuple[Any, str], filled: Deployment
) -> None:
    """The pipeline role trusts the account: an analyst whose policy allows sts:AssumeRole on it becomes it."""
    iam, role = analyst_iam
    pipeline = filled.record.outputs["pipeline_role_arn"]
    chain = {"Sid": "BecomePipeline", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": pipeline}
    iam.put_role_policy(
        RoleName=role,
        PolicyName="debug-chain",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [chain]}),
    )
    result = _check(filled)
    assert not result.passed
    name = pipeline.rsplit("/", 1)[-1]
    path = (
        f"the analyst role can act as role {name} (analyst {role} -> role {name} (assumes it: statement "
        f"TrustDeployingAccount of the trust policy of {name} ("
    )
    found = result.details["problems"]["role_paths"]
    assert found and all(p.startswith(path) for p in found), found
    assert all(
        f"statement BecomePipeline of inline policy debug-chain allows sts:AssumeRole on {pipeline}" in p for p in found
    )
    silver = filled.record.outputs["bucket_names"]["silver"]
    assert any(
        f"and role {pipeline} reads lake bucket {silver} directly from S3" in p
        and "statement ReadWriteLakeObjects of inline policy lakehouse-pipeline allows s3:GetObject" in p
        for p in found
    ), found
    gold = _qualified(filled, "gold", "users")
    assert any(f"and role {pipeline} holds SELECT on ssn of {gold} through a table-level grant" in p for p in found)
    assert result.measured["roles_the_analyst_can_act_as"] == [pipeline]
    assert result.details["problems"]["iam"] == []  # the analyst's own policies read nothing of the lake


def test_analyst_allowed_to_replace_a_lake_reading_functions_code_fails_the_check(
    analyst_iam: tuple[Any, str], filled: Deployment
) -> None:
    """An existing function runs as a role reading Silver; the analyst may replace its code (no PassRole)."""
    iam, role = analyst_iam
    target = filled.stack.target
    silver = filled.record.outputs["bucket_names"]["silver"]
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    reads = {"Sid": "ReadSilver", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{silver}/*"}
    runner = iam.create_role(
        RoleName="exit6-export-runner",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )["Role"]["Arn"]
    lam = target.client("lambda")
    try:
        iam.put_role_policy(
            RoleName="exit6-export-runner",
            PolicyName="read-silver",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [reads]}),
        )
        function = lam.create_function(
            FunctionName="exit6-export",
            Runtime="python3.11",
            Role=runner,
            Handler="index.handler",
            Code={"ZipFile": _zipped("def handler(event, context):\n    return None\n")},
        )["FunctionArn"]
        deploy = {"Sid": "Deploy", "Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": function}
        iam.put_role_policy(
            RoleName=role,
            PolicyName="deploy-functions",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deploy]}),
        )
        result = _check(filled)
    finally:
        lam.delete_function(FunctionName="exit6-export")
        iam.delete_role_policy(RoleName="exit6-export-runner", PolicyName="read-silver")
        iam.delete_role(RoleName="exit6-export-runner")
    assert not result.passed
    found = result.details["problems"]["role_paths"]
    assert any(
        "role exit6-export-runner (may replace the code of a function that runs as it: statement Deploy of inline "
        f"policy deploy-functions allows lambda:UpdateFunctionCode on {function}; function {function} runs as it)"
        in p
        and f"role {runner} reads lake bucket {silver} directly from S3" in p
        for p in found
    ), found


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def test_analyst_allowed_to_rewrite_its_own_policies_fails_the_check(
    analyst_iam: tuple[Any, str], filled: Deployment
) -> None:
    iam, role = analyst_iam
    analyst = filled.record.outputs["analyst_role_arn"]
    grow = {"Sid": "SelfService", "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": analyst}
    iam.put_role_policy(
        RoleName=role,
        PolicyName="debug-self-service",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [grow]}),
    )
    result = _check(filled)
    assert not result.passed
    assert result.details["problems"]["role_paths"] == [
        f"the analyst role may call iam:PutRolePolicy on {analyst} (statement SelfService of inline policy "
        "debug-self-service): it can give a role the analyst is or becomes any permission, S3 reads of the lake "
        "and Lake Formation admin included"
    ]
    assert result.details["role_paths"]["escalations"] == result.details["problems"]["role_paths"]


def test_analyst_allowed_to_mint_a_users_access_key_fails_the_check(
    analyst_iam: tuple[Any, str], filled: Deployment
) -> None:
    """An operator user made by hand, and the analyst allowed to make its access keys: it can act as that user."""
    iam, role = analyst_iam
    user = iam.create_user(UserName="ops-made-by-hand")["User"]["Arn"]
    keys = {"Sid": "RotateOpsKeys", "Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": user}
    iam.put_role_policy(
        RoleName=role,
        PolicyName="debug-ops-keys",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [keys]}),
    )
    try:
        result = _check(filled)
    finally:
        iam.delete_user(UserName="ops-made-by-hand")
    assert not result.passed
    assert result.details["problems"]["role_paths"] == [
        f"the analyst role may call iam:CreateAccessKey on {user} (statement RotateOpsKeys of inline policy "
        f"debug-ops-keys allows iam:CreateAccessKey on {user}): it can act as that user with credentials it makes "
        "(the user's permissions are not followed)"
    ]


def test_an_s3_access_grant_to_the_analyst_on_gold_fails_the_check(filled: Deployment) -> None:
    """S3 Access Grants vend the analyst credentials for the Gold users files, around Lake Formation."""
    target = filled.stack.target
    account = target.client("sts").get_caller_identity()["Account"]
    control = s3control(target)
    gold = filled.record.outputs["bucket_names"]["gold"]
    analyst = filled.record.outputs["analyst_role_arn"]
    control.create_access_grants_instance(AccountId=account)
    try:
        location = control.create_access_grants_location(
            AccountId=account, LocationScope="s3://", IAMRoleArn=filled.record.outputs["pipeline_role_arn"]
        )["AccessGrantsLocationId"]
        granted = control.create_access_grant(
            AccountId=account,
            AccessGrantsLocationId=location,
            AccessGrantsLocationConfiguration={"S3SubPrefix": f"{gold}/users/*"},
            Grantee={"GranteeType": "IAM", "GranteeIdentifier": analyst},
            Permission="READ",
        )["AccessGrantId"]
        result = _check(filled)
        assert not result.passed
        found = result.details["problems"]["other_routes"]
        assert any(
            p.startswith(f"S3 Access Grant {granted} gives the analyst role READ on s3://{gold}/users/*, which holds ")
            for p in found
        ), found
        assert result.details["s3_routes"]["access_grants"]["grants"][0]["AccessGrantId"] == granted
    finally:  # as AWS requires: the grants, then the locations, then the instance
        for made in control.list_access_grants(AccountId=account)["AccessGrantsList"]:
            control.delete_access_grant(AccountId=account, AccessGrantId=made["AccessGrantId"])
        for where in control.list_access_grants_locations(AccountId=account)["AccessGrantsLocationsList"]:
            control.delete_access_grants_location(
                AccountId=account, AccessGrantsLocationId=where["AccessGrantsLocationId"]
            )
        control.delete_access_grants_instance(AccountId=account)


@pytest.fixture
def bucket_policy(filled: Deployment) -> Iterator[tuple[Any, dict[str, str]]]:
    """The deployer's S3 client and each lake bucket's policy as Terraform left it, put back afterwards."""
    s3 = filled.stack.target.client("s3")
    buckets = filled.record.outputs["bucket_names"]
    saved = {b: s3.get_bucket_policy(Bucket=b)["Policy"] for b in buckets.values()}
    try:
        yield s3, saved
    finally:
        for bucket, policy in saved.items():
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)


def _with_statement(policy: str, statement: dict[str, Any]) -> str:
    document = json.loads(policy)
    document["Statement"] = [*document["Statement"], statement]
    return json.dumps(document)


def test_silver_bucket_policy_letting_the_analyst_read_fails_the_check(
    bucket_policy: tuple[Any, dict[str, str]], filled: Deployment
) -> None:
    """A bucket policy naming the analyst role opens the files however the role's own policies read."""
    s3, saved = bucket_policy
    silver = filled.record.outputs["bucket_names"]["silver"]
    analyst = filled.record.outputs["analyst_role_arn"]
    share = {
        "Sid": "ShareWithAnalyst",
        "Effect": "Allow",
        "Principal": {"AWS": analyst},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{silver}/*",
    }
    s3.put_bucket_policy(Bucket=silver, Policy=_with_statement(saved[silver], share))
    result = _check(filled)
    assert not result.passed
    found = result.details["problems"]["bucket_policies"]
    assert found and found[0].startswith(
        f"the bucket policy of lake bucket {silver} lets the analyst role read it directly from S3, around Lake "
        f"Formation: statement ShareWithAnalyst of the bucket policy of {silver} (Principal {analyst}) allows "
        f"s3:GetObject on arn:aws:s3:::{silver}/"
    )
    assert result.reason and result.reason.startswith(f"the bucket policy of lake bucket {silver}")
    assert result.details["problems"]["iam"] and all(  # S3 itself serves the files (the emulator reads the policy)
        p.startswith(f"the analyst's HeadObject on s3://{silver}/") for p in result.details["problems"]["iam"]
    )
    assert result.measured["bucket_policy_problems"] == len(found)


def test_results_bucket_policy_opening_the_pipeline_results_fails_the_check(
    bucket_policy: tuple[Any, dict[str, str]], filled: Deployment
) -> None:
    """Query results of the deployer's workgroup hold ssn: the analyst may read only its own prefix."""
    s3, saved = bucket_policy
    results = filled.record.outputs["bucket_names"]["athena-results"]
    analyst = filled.record.outputs["analyst_role_arn"]
    share = {
        "Sid": "AllResults",
        "Effect": "Allow",
        "Principal": {"AWS": analyst},
        "Action": ["s3:Get*"],
        "Resource": f"arn:aws:s3:::{results}/*",
    }
    s3.put_bucket_policy(Bucket=results, Policy=_with_statement(saved[results], share))
    result = _check(filled)
    assert not result.passed
    assert any(
        p.startswith(f"the bucket policy of lake bucket {results} lets the analyst role read it directly from S3")
        and f"statement AllResults of the bucket policy of {results}" in p
        for p in result.details["problems"]["bucket_policies"]
    ), result.details["problems"]["bucket_policies"]
    # the deployer's workgroup's results (found through Athena) are among the objects judged
    prefix = filled.record.outputs["athena_results_location"].removeprefix(f"s3://{results}/")
    tried = result.details["iam"]["lake_objects_tried"][results]
    assert any(k.startswith(prefix) and k.endswith(".csv") for k in tried), tried
    analyst_prefix = filled.record.outputs["analyst_results_location"].removeprefix(f"s3://{results}/")
    assert not any(k.startswith(analyst_prefix) for k in tried)


def test_data_location_access_to_the_analyst_on_a_lake_location_fails_the_check(
    lf: LakeFormation, filled: Deployment
) -> None:
    """With DATA_LOCATION_ACCESS the analyst may create a table of its own over the users files."""
    gold = f"arn:aws:s3:::{filled.record.outputs['bucket_names']['gold']}"
    lf.grant(lf.analyst, {"DataLocation": {"ResourceArn": gold}}, ["DATA_LOCATION_ACCESS"])
    result = _check(filled)
    assert not result.passed
    users = _qualified(filled, "gold", "users")
    assert any(
        p.startswith(f"the analyst holds ['DATA_LOCATION_ACCESS'] on data location {gold}, which holds the files of")
        and users in p
        for p in result.details["problems"]["grants"]
    ), result.details["problems"]["grants"]


# -- other routes S3 serves the lake's objects by: access points, ACLs, other accounts --------------------

OTHER_ACCOUNT = "210987654321"


def _gold_users_file(s3: Any, gold: str) -> str:
    """A data or metadata file of Gold users (what holds ssn)."""
    listed = s3.list_objects_v2(Bucket=gold, Prefix="users/").get("Contents") or []
    assert listed, f"no Gold users file in {gold}"
    return str(listed[0]["Key"])


def test_an_access_point_letting_the_analyst_read_ssn_files_fails_the_check(
    bucket_policy: tuple[Any, dict[str, str]], filled: Deployment
) -> None:
    """AWS's delegation to access points in the bucket policy, and an access point policy naming the analyst."""
    s3, saved = bucket_policy
    target = filled.stack.target
    account = target.client("sts").get_caller_identity()["Account"]
    gold = filled.record.outputs["bucket_names"]["gold"]
    analyst = filled.record.outputs["analyst_role_arn"]
    delegate = {
        "Sid": "DelegateToAccessPoints",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": [f"arn:aws:s3:::{gold}", f"arn:aws:s3:::{gold}/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}},
    }
    s3.put_bucket_policy(Bucket=gold, Policy=_with_statement(saved[gold], delegate))
    control = s3control(target)
    name = "lh-exit6-share"
    point = f"arn:aws:s3:{target.region}:{account}:accesspoint/{name}"
    control.create_access_point(AccountId=account, Name=name, Bucket=gold)
    try:
        # The delegation alone opens nothing: requests to the bucket itself never carry the key.
        assert _check(filled).passed
        share = {
            "Sid": "AnalystReadsUsers",
            "Effect": "Allow",
            "Principal": {"AWS": analyst},
            "Action": "s3:GetObject",
            "Resource": f"{point}/object/users/*",
        }
        control.put_access_point_policy(
            AccountId=account, Name=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [share]})
        )
        result = _check(filled)
        assert not result.passed
        found = result.details["problems"]["other_routes"]
        assert any(
            p.startswith(f"the analyst role reads lake objects through access point {name} of lake bucket {gold}")
            and f"statement AnalystReadsUsers of the policy of access point {name} (Principal {analyst})" in p
            for p in found
        ), found
        assert result.details["problems"]["bucket_policies"] == []
    finally:
        control.delete_access_point(AccountId=account, Name=name)


def test_a_public_object_acl_on_an_ssn_file_fails_the_check(filled: Deployment) -> None:
    """ACLs turned back on (Object Ownership, Block Public Access) and a public-read ACL on a Gold users file.

    S3 refuses the ACL under BucketOwnerEnforced, and under BlockPublicAcls (so does the emulator): ACLs are
    enabled and BlockPublicAcls turned off first, IgnorePublicAcls left on until the last step.
    """
    target = filled.stack.target
    s3 = target.client("s3")
    gold = filled.record.outputs["bucket_names"]["gold"]
    key = _gold_users_file(s3, gold)
    controls = s3.get_bucket_ownership_controls(Bucket=gold)["OwnershipControls"]
    block = s3.get_public_access_block(Bucket=gold)["PublicAccessBlockConfiguration"]
    acls_on = {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    try:
        with pytest.raises(ClientError, match="AccessControlListNotSupported"):
            s3.put_object_acl(Bucket=gold, Key=key, ACL="public-read")
        s3.put_bucket_ownership_controls(Bucket=gold, OwnershipControls=acls_on)
        with pytest.raises(ClientError, match="AccessDenied"):
            s3.put_object_acl(Bucket=gold, Key=key, ACL="public-read")
        s3.put_public_access_block(Bucket=gold, PublicAccessBlockConfiguration={**block, "BlockPublicAcls": False})
        s3.put_object_acl(Bucket=gold, Key=key, ACL="public-read")
        assert _check(filled).passed, "IgnorePublicAcls: S3 ignores the public grant"
        s3.delete_public_access_block(Bucket=gold)
        result = _check(filled)
        assert not result.passed
        found = result.details["problems"]["other_routes"]
        assert any(
            p.startswith(f"the object ACL of s3://{gold}/{key} grants READ to group AllUsers (anyone)") for p in found
        ), found
    finally:
        s3.put_bucket_ownership_controls(Bucket=gold, OwnershipControls=acls_on)  # the ACL can be reset only so
        s3.put_object_acl(Bucket=gold, Key=key, ACL="private")
        s3.put_bucket_ownership_controls(Bucket=gold, OwnershipControls=controls)
        s3.put_public_access_block(Bucket=gold, PublicAccessBlockConfiguration=block)


def test_a_bucket_policy_granting_another_account_fails_the_check(
    bucket_policy: tuple[Any, dict[str, str]], filled: Deployment
) -> None:
    s3, saved = bucket_policy
    silver = filled.record.outputs["bucket_names"]["silver"]
    partner = f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    share = {
        "Sid": "PartnerReads",
        "Effect": "Allow",
        "Principal": {"AWS": partner},
        "Action": ["s3:GetObject"],
        "Resource": f"arn:aws:s3:::{silver}/*",
    }
    s3.put_bucket_policy(Bucket=silver, Policy=_with_statement(saved[silver], share))
    result = _check(filled)
    assert not result.passed
    assert any(
        p.startswith(f"statement PartnerReads of the bucket policy of lake bucket {silver} lets AWS {partner}")
        for p in result.details["problems"]["other_routes"]
    ), result.details["problems"]["other_routes"]
    assert result.details["problems"]["bucket_policies"] == []  # the analyst itself is not named


def test_replicating_silver_to_another_accounts_bucket_fails_the_check(filled: Deployment) -> None:
    """Cross-account replication of the Silver bucket: every ssn file is copied where no check of ours reaches."""
    s3 = filled.stack.target.client("s3")
    silver = filled.record.outputs["bucket_names"]["silver"]
    rule = {
        "ID": "ToPartner",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": "arn:aws:s3:::partner-archive-exit6", "Account": OTHER_ACCOUNT},
    }
    role = filled.record.outputs["pipeline_role_arn"]
    versioning = s3.get_bucket_versioning(Bucket=silver).get("Status")
    s3.put_bucket_versioning(Bucket=silver, VersioningConfiguration={"Status": "Enabled"})  # S3 requires it
    try:
        s3.put_bucket_replication(Bucket=silver, ReplicationConfiguration={"Role": role, "Rules": [rule]})
        result = _check(filled)
    finally:
        s3.delete_bucket_replication(Bucket=silver)
        if versioning != "Enabled":
            s3.put_bucket_versioning(Bucket=silver, VersioningConfiguration={"Status": "Suspended"})
    assert not result.passed
    assert any(
        p.startswith(f"replication rule ToPartner of lake bucket {silver} copies s3://{silver}/")
        and f"to bucket partner-archive-exit6 of account {OTHER_ACCOUNT}, outside the lake" in p
        for p in result.details["problems"]["other_routes"]
    ), result.details["problems"]["other_routes"]


@contextmanager
def _analyst_table(lf: LakeFormation, deployed: Deployment, name: str, *statements: str) -> Iterator[Connection[Any]]:
    """A Gold table made by ``statements`` (``{gold}`` and ``{bucket}`` filled in) and granted to the analyst,
    dropped with its files afterwards."""
    target, outputs = deployed.stack.target, deployed.record.outputs
    gold_db, gold_bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    table = {"DatabaseName": gold_db, "Name": name}
    with connect(target, outputs["athena_workgroup_name"]) as conn:
        try:
            for sql in statements:
                record, _ = run(conn, sql.format(gold=gold_db, bucket=gold_bucket))
                assert record.ok, record.error
            lf.client.grant_permissions(Principal=lf.analyst, Resource={"Table": table}, Permissions=["SELECT"])
            yield conn
            lf.client.revoke_permissions(Principal=lf.analyst, Resource={"Table": table}, Permissions=["SELECT"])
        finally:
            dropped, _ = run(conn, f"DROP TABLE IF EXISTS {gold_db}.{name}")
            s3 = target.client("s3")
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=gold_bucket, Prefix=f"{name}/"):
                for obj in page.get("Contents") or []:
                    s3.delete_object(Bucket=gold_bucket, Key=obj["Key"])
        assert dropped.ok, dropped.error


def test_ssn_copied_under_another_name_for_the_analyst_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    """A CTAS copy of Gold users with ``ssn AS tax_id``, granted to the analyst: no column is called ssn."""
    gold_db = filled.record.outputs["glue_database_names"]["gold"]
    ctas = (
        "CREATE TABLE {gold}.users_export WITH (table_type = 'ICEBERG', is_external = false, "
        "location = 's3://{bucket}/users_export/') AS SELECT user_id, ssn AS tax_id FROM {gold}.users"
    )
    with _analyst_table(lf, filled, "users_export", ctas):
        result = _check(filled)
    assert not result.passed
    copied = result.details["problems"]["copied_values"]
    assert len(copied) == 1 and copied[0].startswith(
        f"the analyst's SELECT * on {gold_db}.users_export returns values of ssn of {gold_db}.users in column(s) "
        "tax_id ("
    ), copied
    assert result.details["problems"]["select_all"] == []  # nothing is called ssn: only the values tell
    kept = next(q for q in result.details["queries"] if q["table"] == f"{gold_db}.users_export")
    assert kept["rows"] and all(row[1] == MASK for row in kept["rows"])  # the evidence repeats no ssn


def test_ssn_copied_after_the_first_thousand_rows_of_a_table_fails_the_check(
    lf: LakeFormation, filled: Deployment
) -> None:
    """A table of 1,500 harmless notes, then the ssn values in text: the first 1,000 rows (all the check
    used to read of a table without an ssn column) hold none of them; the whole table is searched now."""
    gold_db = filled.record.outputs["glue_database_names"]["gold"]
    statements = (  # the emulator reads the newest data file first: the notes come first
        "CREATE TABLE {gold}.notes WITH (table_type = 'ICEBERG', is_external = false, "
        "location = 's3://{bucket}/notes/') AS SELECT concat('tax ref ', ssn) AS note FROM {gold}.users",
        "INSERT INTO {gold}.notes SELECT concat('note ', CAST(n AS varchar)) FROM UNNEST(sequence(1, 1500)) AS t(n)",
    )
    with _analyst_table(lf, filled, "notes", *statements) as conn:
        first, rows = run(conn, f"SELECT * FROM {gold_db}.notes LIMIT 1000")
        assert first.ok and len(rows) == 1000 and all(str(r[0]).startswith("note ") for r in rows), first
        result = _check(filled)
    assert not result.passed
    copied = result.details["problems"]["copied_values"]
    assert len(copied) == 1 and copied[0].startswith(
        f"the analyst's SELECT * on {gold_db}.notes returns values of ssn of {gold_db}.users in column(s) note ("
    ), copied
    kept = next(q for q in result.details["queries"] if q["table"] == f"{gold_db}.notes")
    assert kept["row_count"] > 1500, kept["row_count"]


def _distribution_config(reference: str, bucket: str, region: str) -> dict[str, Any]:
    """A distribution with AWS's OAC-style S3 origin on ``bucket``, serving every path."""
    origin = {
        "Id": "gold",
        "DomainName": f"{bucket}.s3.{region}.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    return {
        "CallerReference": reference,
        "Comment": "lakehouse exit check 6 broken stack",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "gold",
            "ViewerProtocolPolicy": "https-only",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # AWS's CachingOptimized
        },
    }


def test_the_accounts_own_cloudfront_distribution_serving_gold_unsigned_fails_the_check(
    bucket_policy: tuple[Any, dict[str, str]], filled: Deployment
) -> None:
    """AWS's OAC bucket policy kept to the account's own distribution: CloudFront serves the Gold users files to
    anyone on the internet until its cache behaviours require signed URLs."""
    s3, saved = bucket_policy
    target = filled.stack.target
    cloudfront = target.client("cloudfront")
    gold = filled.record.outputs["bucket_names"]["gold"]
    config = _distribution_config(f"lh-exit6-{gold}", gold, target.region)
    made = cloudfront.create_distribution(DistributionConfig=config)
    distribution, etag = made["Distribution"], made["ETag"]
    try:
        oac = {
            "Sid": "AllowCloudFrontServicePrincipalReadOnly",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{gold}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution["ARN"]}},
        }
        s3.put_bucket_policy(Bucket=gold, Policy=_with_statement(saved[gold], oac))
        result = _check(filled)
        assert not result.passed
        found = result.details["problems"]["other_routes"]
        assert any(
            p.startswith(
                f"statement AllowCloudFrontServicePrincipalReadOnly of the bucket policy of lake bucket {gold} lets "
                f"CloudFront distribution {distribution['Id']} ({distribution['ARN']}) read lake objects, and its "
                "default cache behaviour (path pattern *)"
            )
            and "requires no signed URL or cookie" in p
            and f"at https://{distribution['DomainName']}/users/" in p
            for p in found
        ), found
        assert result.details["problems"]["bucket_policies"] == []  # the analyst itself is not named

        # Signed URLs only, signed with the account's own CloudFront key pairs ("self": nothing to make or delete).
        config["DefaultCacheBehavior"]["TrustedSigners"] = {"Enabled": True, "Quantity": 1, "Items": ["self"]}
        etag = cloudfront.update_distribution(Id=distribution["Id"], IfMatch=etag, DistributionConfig=config)["ETag"]
        result = _check(filled)
        assert result.passed, result.reason
    finally:  # CloudFront deletes only a disabled, deployed distribution
        config["Enabled"] = False
        etag = cloudfront.update_distribution(Id=distribution["Id"], IfMatch=etag, DistributionConfig=config)["ETag"]
        cloudfront.get_waiter("distribution_deployed").wait(Id=distribution["Id"])
        cloudfront.delete_distribution(Id=distribution["Id"], IfMatch=etag)


def test_a_privileged_query_writing_ssn_into_the_analysts_results_fails_the_check(filled: Deployment) -> None:
    """A scratch workgroup that does not enforce its configuration; the deployer's ``SELECT ssn`` names its own
    OutputLocation, under the analyst's results prefix. The workgroup's settings say nothing of it: only the
    executions do (``query_results``). Repaired by deleting the workgroup (and its history) and the files."""
    target, outputs = filled.stack.target, filled.record.outputs
    athena, s3 = target.client("athena"), target.client("s3")
    results = outputs["bucket_names"]["athena-results"]
    scratch = f"{outputs['athena_workgroup_name']}-scratch"
    leak = outputs["analyst_results_location"].rstrip("/") + "/shared/"
    athena.create_work_group(
        Name=scratch,
        Configuration={
            "ResultConfiguration": {"OutputLocation": outputs["athena_results_location"]},
            "EnforceWorkGroupConfiguration": False,
        },
    )
    try:
        with connect(target, scratch, s3_staging_dir=leak) as conn:
            record = run(conn, f"SELECT user_id, ssn FROM {_qualified(filled, 'gold', 'users')}")[0]
        assert record.ok and record.query_execution_id, record.error
        result = _check(filled)
    finally:
        athena.delete_work_group(WorkGroup=scratch, RecursiveDeleteOption=True)
        prefix = leak.removeprefix(f"s3://{results}/")
        for item in s3.list_objects_v2(Bucket=results, Prefix=prefix).get("Contents") or []:
            s3.delete_object(Bucket=results, Key=item["Key"])
    assert not result.passed
    assert (
        f"query results of workgroup {scratch}, query {record.query_execution_id} ({leak})"
        in (result.details["lake_buckets"][results])
    ), result.details["lake_buckets"]
    shared = f"arn:aws:s3:::{results}/{prefix}"
    assert any(
        p.startswith(f"the analyst role reads lake bucket {results} directly from S3") and shared in p
        for p in result.details["problems"]["iam"]
    ), result.details["problems"]["iam"]
    assert _check(filled).passed  # the workgroup and its history gone, nothing of it is left to judge


def test_a_shared_account_leaves_the_healthy_stack_green_on_checks_5_and_6(filled: Deployment) -> None:
    """The stack shares its account with another team and a stack whose id extends its own (``<id>-x``).

    The team's ad hoc queries in ``primary`` wrote results to a bucket since deleted and to their own bucket
    with ACLs on, one result file public-read (their business, not this lake's): exit check 6 made each folder
    a lake location and failed on the public file. Stack ``<id>-x`` has a tagged topic and a rule delivering
    to it, a KMS alias and key, and its bucket registered with Lake Formation: exit check 5 judged the rule,
    its target, the key, the location and its grant this stack's (``lakehouse-<id>-x-...`` fits
    ``lakehouse-<id>-``). Both checks stay green; everything made is removed again."""
    target, stack_id = filled.stack.target, filled.stack.stack_id
    other = f"{stack_id}-x"
    prefix = f"lakehouse-{other}"
    tags = [{"Key": "stack_id", "Value": other}]
    s3, athena, events, kms = (target.client(s) for s in ("s3", "athena", "events", "kms"))
    lf, sns, iam = target.client("lakeformation"), target.client("sns"), target.client("iam")
    account = target.client("sts").get_caller_identity()["Account"]
    team, gone = f"team-reports-{stack_id}", f"team-scratch-{stack_id}"
    bucket = f"{prefix}-lake-{account}"
    region = {"LocationConstraint": target.region} if target.region != "us-east-1" else {}
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    key_id = ""
    try:
        for name in (team, gone, bucket):
            s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": region} if region else {}))
        writer = {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        s3.put_bucket_ownership_controls(Bucket=team, OwnershipControls=writer)
        with connect(target, "primary", s3_staging_dir=f"s3://{team}/adhoc/") as conn:
            shared = run(conn, "SELECT 'weekly' AS report, 42 AS n")[0]
        with connect(target, "primary", s3_staging_dir=f"s3://{gone}/adhoc/") as conn:
            scratch = run(conn, "SELECT 1 AS n")[0]
        assert shared.ok and scratch.ok, (shared.error, scratch.error)
        s3.put_object_acl(Bucket=team, Key=f"adhoc/{shared.query_execution_id}.csv", ACL="public-read")
        for item in s3.list_objects_v2(Bucket=gone).get("Contents") or []:
            s3.delete_object(Bucket=gone, Key=item["Key"])
        s3.delete_bucket(Bucket=gone)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
        role = iam.create_role(RoleName=f"{prefix}-pipeline", AssumeRolePolicyDocument=trust, Tags=tags)["Role"]
        topic = sns.create_topic(Name=f"{prefix}-alerts", Tags=tags)["TopicArn"]
        events.put_rule(Name=f"{prefix}-alarms", ScheduleExpression="rate(1 hour)", Tags=tags)
        events.put_targets(Rule=f"{prefix}-alarms", Targets=[{"Id": "t", "Arn": topic}])
        key_id = kms.create_key(Tags=[{"TagKey": "stack_id", "TagValue": other}])["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{prefix}-data", TargetKeyId=key_id)
        lf.register_resource(ResourceArn=f"arn:aws:s3:::{bucket}", RoleArn=role["Arn"])
        lf.grant_permissions(
            Principal={"DataLakePrincipalIdentifier": role["Arn"]},
            Resource={"DataLocation": {"ResourceArn": f"arn:aws:s3:::{bucket}"}},
            Permissions=["DATA_LOCATION_ACCESS"],
        )
        security = _check(filled)
        iac = check_iac_coverage(filled.stack)
    finally:
        if key_id:
            kms.delete_alias(AliasName=f"alias/{prefix}-data")
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        for rule in events.list_rules(NamePrefix=prefix).get("Rules") or []:
            events.remove_targets(Rule=rule["Name"], Ids=["t"])
            events.delete_rule(Name=rule["Name"])
        for arn in (t["TopicArn"] for t in sns.list_topics()["Topics"] if prefix in t["TopicArn"]):
            sns.delete_topic(TopicArn=arn)
        if any(r["ResourceArn"].endswith(bucket) for r in lf.list_resources().get("ResourceInfoList") or []):
            lf.revoke_permissions(
                Principal={"DataLakePrincipalIdentifier": f"arn:aws:iam::{account}:role/{prefix}-pipeline"},
                Resource={"DataLocation": {"ResourceArn": f"arn:aws:s3:::{bucket}"}},
                Permissions=["DATA_LOCATION_ACCESS"],
            )
            lf.deregister_resource(ResourceArn=f"arn:aws:s3:::{bucket}")
        if any(r["RoleName"] == f"{prefix}-pipeline" for r in iam.list_roles()["Roles"]):
            iam.delete_role(RoleName=f"{prefix}-pipeline")
        for name in (team, bucket):
            if any(b["Name"] == name for b in s3.list_buckets()["Buckets"]):
                for item in s3.list_objects_v2(Bucket=name).get("Contents") or []:
                    s3.delete_object(Bucket=name, Key=item["Key"])
                s3.delete_bucket(Bucket=name)
    assert security.passed, security.reason
    assert not any(team in b or gone in b for b in security.details["lake_buckets"]), security.details["lake_buckets"]
    assert iac.passed, iac.reason


def test_repairs_leave_the_stack_as_terraform_made_it(filled: Deployment) -> None:
    assert _check(filled).passed
    iac = check_iac_coverage(filled.stack)
    assert iac.passed, iac.reason
