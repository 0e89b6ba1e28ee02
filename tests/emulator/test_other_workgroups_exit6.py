"""Exit check 6 reads every workgroup's history as the analyst, not only the analyst's own workgroup.

The broken stack, passing on main (only the analyst's workgroup was read as the analyst): a deployer's
``SELECT * FROM users WHERE ssn = '...'`` run in another workgroup (``team``), whose history an IAM statement lets
the analyst read (athena:GetQueryExecution/GetQueryResults on ``workgroup/team``): the query text shows a value,
and the result hands every ssn over. Its result files lie where the analyst has no S3 read (the emulator's
GetQueryResults does not ask S3; on AWS it needs ``s3:GetObject`` on the file too, and the lake-bucket reading
judges those files apart). The healthy twins: the same history while the analyst's IAM reaches only its own
workgroup (infra/'s), and a workgroup the analyst may read whose executions show no value. The same holds for a
workgroup of another region of the account (IAM on ``arn:aws:athena:<region>:*:workgroup/*``): on main only the
stack's region was read.
"""

from __future__ import annotations

import json
from typing import Any

import pyathena
import pytest

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_security
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Outcome
from lakehouse.target import Target
from tests.emulator.lf_stack import SEED_GROUP, SSNS, WORK_GROUP, Lake, build_lake

REGION = "ap-southeast-1"  # a region of its own: build_lake names buckets and roles by region
DB = "wg_gold"
#: Workgroups of other teams: ``team`` ran a lookup by ssn, ``clean`` only counts.
TEAM, CLEAN = "team", "clean"
READS = ["athena:GetQueryExecution", "athena:GetQueryResults", "athena:ListQueryExecutions"]
#: Another enabled region of the account (no other emulator test runs Athena there): ``far-team`` ran a lookup
#: there, ``far-clean`` only an aggregate. IAM on ``workgroup/far-*`` of that region hands the analyst their histories.
FAR = "us-west-2"
FAR_TEAM, FAR_CLEAN = "far-team", "far-clean"
#: A value of the lake's ssn column (``lf_stack.USERS``): the lookup's.
LOOKUP = "123-45-6789"


def _policy(*readable: str) -> dict[str, Any]:
    """infra/'s analyst (Athena on its own workgroup's ARN), reading the history of ``readable`` workgroups too
    (a name, or an ARN of another region's)."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "athena:*", "Resource": f"arn:aws:athena:{REGION}:*:workgroup/{WORK_GROUP}"},
        {"Effect": "Allow", "Action": ["glue:Get*", "lakeformation:GetDataAccess"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::lf-results-{REGION}/*"]},
    ]
    if readable:
        arns = [n if n.startswith("arn:") else f"arn:aws:athena:{REGION}:*:workgroup/{n}" for n in readable]
        statements.append({"Effect": "Allow", "Action": READS, "Resource": arns})
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(lake: Lake, *readable: str, extra: tuple[dict[str, Any], ...] = ()) -> None:
    """The analyst's policy: ``_policy(*readable)`` with the ``extra`` statements."""
    policy = _policy(*readable)
    policy["Statement"] += list(extra)
    lake.client("iam").put_role_policy(
        RoleName=f"analyst-{REGION}", PolicyName="broad", PolicyDocument=json.dumps(policy)
    )


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    lake = build_lake(emulator, REGION, DB)
    athena = lake.client("athena")
    for name in (TEAM, CLEAN):
        athena.create_work_group(
            Name=name,
            Configuration={"ResultConfiguration": {"OutputLocation": f"s3://lf-seed-{REGION}/{name}/"}},
        )
    with lake.cursor(work_group=TEAM) as deployer:
        deployer.execute("SELECT * FROM users WHERE ssn = '123-45-6789'")
    with lake.cursor(work_group=CLEAN) as deployer:
        deployer.execute("SELECT count(*) AS n FROM users")
        deployer.execute("SELECT user_id, email FROM users")
    far = lake.session().client("athena", region_name=FAR, endpoint_url=lake.emulator.endpoint)
    for name, sql in ((FAR_TEAM, "SELECT '123-45-6789' AS tax_id"), (FAR_CLEAN, "SELECT 1 + 1 AS n")):
        far.create_work_group(
            Name=name, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://lf-seed-{REGION}/{name}/"}}
        )
        conn = pyathena.connect(
            work_group=name, region_name=FAR, endpoint_url=lake.emulator.endpoint, session=lake.session()
        )
        conn.cursor().execute(sql)  # waits for the execution to finish (pyathena polls its state)
    _far_copies(lake)
    return lake


#: The other region's catalog over the stack's files, the workgroup whose queries copy from it (its name outside
#: ``far-*``: the analyst's history reads above stay as they were), and the prefixes of lf-seed its copies, its
#: aggregates and a lookup's results went to (a test's policy opens one of them to the analyst).
FAR_DB, FAR_SCRATCH, FAR_ETL = "far_gold", "far_scratch", "etl-far"
COPIES, AGGREGATES, LOOKUPS = "far-copies", "far-aggregates", "far-lookups"


def _far_copies(lake: Lake) -> None:
    """In region FAR: ``far_gold.users`` over the stack's users files (its Iceberg metadata registered there), a CTAS
    copying ssn as tax_id and one of aggregates only, a lookup writing its result where the query said, and named
    queries, one with a value in ``primary`` and one without in ``far-clean``."""
    seed = f"lf-seed-{REGION}"
    users = lake.client("glue").get_table(DatabaseName=DB, Name="users")["Table"]
    given = {k: json.loads(json.dumps(users[k], default=str)) for k in ("Name", "TableType", "StorageDescriptor")}
    session = lake.session()
    glue = session.client("glue", region_name=FAR, endpoint_url=lake.emulator.endpoint)
    glue.create_database(DatabaseInput={"Name": FAR_DB})
    glue.create_database(DatabaseInput={"Name": FAR_SCRATCH})
    glue.create_table(DatabaseName=FAR_DB, TableInput={**given, "Parameters": dict(users["Parameters"])})
    athena = session.client("athena", region_name=FAR, endpoint_url=lake.emulator.endpoint)
    athena.create_work_group(
        Name=FAR_ETL,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{seed}/{FAR_ETL}/"},
            "EnforceWorkGroupConfiguration": False,
        },
    )
    conn = pyathena.connect(work_group=FAR_ETL, region_name=FAR, endpoint_url=lake.emulator.endpoint, session=session)
    iceberg = "table_type = 'ICEBERG', location = 's3://" + seed
    conn.cursor().execute(
        f"CREATE TABLE {FAR_SCRATCH}.users_export WITH ({iceberg}/{COPIES}/users_export/') "
        f"AS SELECT user_id, ssn AS tax_id FROM {FAR_DB}.users"
    )
    conn.cursor().execute(
        f"CREATE TABLE {FAR_SCRATCH}.users_counts WITH ({iceberg}/{AGGREGATES}/users_counts/') "
        f"AS SELECT country, count(*) AS n FROM {FAR_DB}.users GROUP BY country"
    )
    conn.cursor(s3_staging_dir=f"s3://{seed}/{LOOKUPS}/").execute(f"SELECT user_id, ssn FROM {FAR_DB}.users")
    athena.create_named_query(
        Name="one user", Database=FAR_DB, WorkGroup="primary", QueryString=f"SELECT * FROM users WHERE ssn = '{LOOKUP}'"
    )
    athena.create_named_query(
        Name="ssn formats",
        Database=FAR_DB,
        WorkGroup=FAR_CLEAN,
        QueryString="SELECT count(*) FROM users WHERE ssn LIKE '9%'",
    )


def _judged(lake: Lake) -> Outcome:
    outputs = {
        "analyst_role_arn": lake.roles["analyst"],
        "analyst_workgroup_name": WORK_GROUP,
        "athena_workgroup_name": SEED_GROUP,
        "glue_database_names": {"gold": DB},
    }
    return judge_security(
        read_security(Target(name="local", region=REGION, endpoint_url=lake.emulator.endpoint), outputs)
    )


def test_a_lookup_in_a_workgroup_the_analyst_cannot_read_passes(lake: Lake) -> None:
    _allow(lake)
    outcome = _judged(lake)
    assert outcome.status.value == "passed", outcome.reason


def test_a_workgroup_the_analyst_reads_whose_executions_show_no_value_passes(lake: Lake) -> None:
    _allow(lake, CLEAN)
    outcome = _judged(lake)
    assert outcome.status.value == "passed", outcome.reason
    handed = [r for r in outcome.details["analyst_workgroup_results"] if r["work_group"] == CLEAN]
    assert len(handed) == 2 and all(not r["leaks"] and not r["denied"] for r in handed), handed


def test_a_lookup_in_a_workgroup_the_analysts_iam_reads_fails(lake: Lake) -> None:
    _allow(lake, TEAM, CLEAN)
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    others = {
        k: found for k, found in outcome.details["problems"].items() if found and k != "analyst_workgroup_results"
    }
    assert others == {}, others  # nothing else is broken: the other workgroup's history alone fails the check
    problems = outcome.details["problems"]["analyst_workgroup_results"]
    assert len(problems) == 2, problems
    assert all(f" of workgroup {TEAM} (`SELECT * FROM users WHERE ssn = '<hidden value>'`)" in p for p in problems)
    assert "shows values of ssn in its query text, and the analyst's GetQueryExecution hands it over" in problems[0]
    assert "has a result holding ssn, and the analyst's GetQueryResults hands it over" in problems[1]
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


# -- another region of the account -------------------------------------------------------------------------------


def test_a_lookup_in_another_regions_workgroup_the_analysts_iam_reads_fails(lake: Lake) -> None:
    _allow(lake, f"arn:aws:athena:{FAR}:*:workgroup/far-*")
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    problems = outcome.details["problems"]["analyst_workgroup_results"]
    assert len(problems) == 2, problems
    where = f" of workgroup {FAR_TEAM} of region {FAR} (`SELECT '<hidden value>' AS tax_id`)"
    assert all(where in p for p in problems), problems
    assert "has a result holding values of ssn in tax_id" in problems[1]
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


def test_another_regions_workgroup_the_analyst_reads_with_aggregates_only_passes(lake: Lake) -> None:
    _allow(lake, f"arn:aws:athena:{FAR}:*:workgroup/{FAR_CLEAN}")
    outcome = _judged(lake)
    assert outcome.status.value == "passed", outcome.reason
    handed = [r for r in outcome.details["analyst_workgroup_results"] if r["work_group"].startswith(FAR_CLEAN)]
    assert [r["work_group"] for r in handed] == [f"{FAR_CLEAN} of region {FAR}"] and not handed[0]["leaks"], handed


# -- a role the analyst can become reading another workgroup's history (``history_readers``) ----------------------


def _reader_role(lake: Lake, resource: str) -> str:
    """A role trusting the analyst role by name, allowed Athena on ``resource`` (a workgroup ARN or ``*``)."""
    iam = lake.client("iam")
    name = f"athena-reader-{REGION}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": lake.roles["analyst"]}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    reads = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "athena:*", "Resource": resource}]}
    iam.put_role_policy(RoleName=name, PolicyName="athena", PolicyDocument=json.dumps(reads))
    return name


def _drop_role(lake: Lake, name: str) -> None:
    iam = lake.client("iam")
    iam.delete_role_policy(RoleName=name, PolicyName="athena")
    iam.delete_role(RoleName=name)


def test_a_role_the_analyst_assumes_with_athena_on_every_workgroup_fails_naming_the_path(lake: Lake) -> None:
    _allow(lake)  # the analyst's own IAM reaches only its workgroup: only the role reads ``team``
    name = _reader_role(lake, "*")
    try:
        outcome = _judged(lake)
    finally:
        _drop_role(lake, name)
    assert outcome.status.value == "failed", outcome.reason
    problems = outcome.details["problems"]["role_workgroup_histories"]
    (problem,) = [p for p in problems if f"workgroup {TEAM} (" in p]
    assert f"can act as role {name} (analyst analyst-{REGION} -> role {name} (assumes it" in problem
    assert f"athena:GetQueryExecution on workgroup {TEAM} (arn:aws:athena:{REGION}:" in problem
    assert "WHERE ssn = '<hidden value>'`) shows values of ssn in its query text" in problem
    assert outcome.details["problems"]["analyst_workgroup_results"] == []
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


def test_a_role_the_analyst_assumes_with_athena_on_its_own_workgroup_only_passes(lake: Lake) -> None:
    _allow(lake)
    name = _reader_role(lake, f"arn:aws:athena:{REGION}:*:workgroup/{WORK_GROUP}")
    try:
        outcome = _judged(lake)
    finally:
        _drop_role(lake, name)
    assert outcome.status.value == "passed", outcome.reason


def test_a_user_whose_access_key_the_analyst_can_make_reading_every_workgroup_fails_naming_the_path(
    lake: Lake,
) -> None:
    """The user's Athena comes from its group; the analyst may only iam:CreateAccessKey on it."""
    _allow(lake)
    iam = lake.client("iam")
    user = iam.create_user(UserName=f"ops-{REGION}")["User"]["Arn"]
    iam.create_group(GroupName=f"ops-{REGION}")
    iam.add_user_to_group(GroupName=f"ops-{REGION}", UserName=f"ops-{REGION}")
    reads = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "athena:*", "Resource": "*"}]}
    iam.put_group_policy(GroupName=f"ops-{REGION}", PolicyName="athena", PolicyDocument=json.dumps(reads))
    keys = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": user}],
    }
    iam.put_role_policy(RoleName=f"analyst-{REGION}", PolicyName="keys", PolicyDocument=json.dumps(keys))
    try:
        outcome = _judged(lake)
    finally:
        iam.delete_role_policy(RoleName=f"analyst-{REGION}", PolicyName="keys")
        iam.delete_group_policy(GroupName=f"ops-{REGION}", PolicyName="athena")
        iam.remove_user_from_group(GroupName=f"ops-{REGION}", UserName=f"ops-{REGION}")
        iam.delete_group(GroupName=f"ops-{REGION}")
        iam.delete_user(UserName=f"ops-{REGION}")
    assert outcome.status.value == "failed", outcome.reason
    problems = outcome.details["problems"]["role_workgroup_histories"]
    (problem,) = [p for p in problems if f"workgroup {TEAM} (" in p]
    assert (
        f"can act as user ops-{REGION} (analyst analyst-{REGION} -> user ops-{REGION} (may make credentials" in problem
    )
    assert f"of inline policy athena of group ops-{REGION}" in problem
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


# -- another region's saved queries and copies of the stack's files ----------------------------------------------


def _reads(resource: str, action: str = "s3:GetObject") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def test_a_named_query_with_a_value_in_another_regions_primary_the_analyst_reads_fails(lake: Lake) -> None:
    _allow(lake, extra=(_reads(f"arn:aws:athena:{FAR}:*:workgroup/primary", "athena:GetNamedQuery"),))
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    (problem,) = outcome.details["problems"]["saved_texts"]
    assert problem.startswith(f"workgroup primary of region {FAR}, named query "), problem
    assert "QueryString, and the analyst's GetNamedQuery hands it over" in problem
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


def test_a_named_query_without_values_in_another_region_the_analyst_reads_passes(lake: Lake) -> None:
    _allow(lake, extra=(_reads(f"arn:aws:athena:{FAR}:*:workgroup/{FAR_CLEAN}", "athena:GetNamedQuery"),))
    outcome = _judged(lake)
    assert outcome.status.value == "passed", outcome.reason
    assert outcome.measured["saved_texts_examined"]["named query"] >= 2


def test_another_regions_copy_of_ssn_in_a_folder_the_analyst_reads_fails(lake: Lake) -> None:
    _allow(lake, extra=(_reads(f"arn:aws:s3:::lf-seed-{REGION}/{COPIES}/*"),))
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    copies = outcome.details["copies_in_query_history"]
    assert [(c["table"], c["region"], c["columns"]) for c in copies] == [
        (f"{FAR_SCRATCH}.users_export", FAR, {"tax_id": [f"{FAR_DB}.users.ssn"]})
    ], copies
    problems = [p for kind in ("iam", "bucket_policies") for p in outcome.details["problems"][kind]]
    named = f"{FAR_SCRATCH}.users_export of region {FAR} (tax_id from {FAR_DB}.users.ssn), written by query"
    assert problems and any(named in p and f"of workgroup {FAR_ETL} of region {FAR}" in p for p in problems), problems


def test_another_regions_lookup_writing_to_a_folder_the_analyst_reads_fails(lake: Lake) -> None:
    _allow(lake, extra=(_reads(f"arn:aws:s3:::lf-seed-{REGION}/{LOOKUPS}/*"),))
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    problems = outcome.details["problems"]["iam"]
    assert any(f"/{LOOKUPS}/" in p for p in problems), problems
    hows = outcome.details["lake_buckets"][f"lf-seed-{REGION}"]
    assert any(f"workgroup {FAR_ETL} of region {FAR}, query" in h and f"/{LOOKUPS}/" in h for h in hows), hows


def test_another_regions_aggregates_in_a_folder_the_analyst_reads_pass(lake: Lake) -> None:
    _allow(lake, extra=(_reads(f"arn:aws:s3:::lf-seed-{REGION}/{AGGREGATES}/*"),))
    outcome = _judged(lake)
    assert outcome.status.value == "passed", outcome.reason
