"""Exit check 6 finds where past queries really wrote their results (``lakehouse.checks.query_results``).

The broken stack: the pipeline's workgroup does not enforce its configuration, and a privileged
``SELECT ssn ...`` named its own OutputLocation, a folder the analyst may read. The workgroup's
setting says nothing about it; only the executions do.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from lakehouse.checks.query_results import BATCH, result_folder
from lakehouse.checks.security_model import CatalogTable
from lakehouse.checks.security_read import hidden_reads, past_results, read_histories
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target

REGION = "af-south-1"  # a region of its own: workgroups and executions are per region


@pytest.fixture
def target(emulator: EmulatorHandle) -> Target:
    return Target(name="local", region=REGION, endpoint_url=emulator.endpoint)


def work_group(athena: Any, location: str, enforced: bool) -> str:
    name = f"wg-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(
        Name=name,
        Configuration={"ResultConfiguration": {"OutputLocation": location}, "EnforceWorkGroupConfiguration": enforced},
    )
    return name


def start(athena: Any, name: str, output: str | None = None, sql: str = "SELECT 1") -> str:
    params: dict[str, Any] = {"QueryString": sql, "WorkGroup": name}
    if output:
        params["ResultConfiguration"] = {"OutputLocation": output}
    query_id = str(athena.start_query_execution(**params)["QueryExecutionId"])
    for _ in range(200):
        if athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] not in (
            "QUEUED",
            "RUNNING",
        ):
            break
        time.sleep(0.05)
    return query_id


def test_a_query_writing_outside_an_unenforced_workgroups_location_is_found(target: Target) -> None:
    athena = target.client("athena")
    analyst = work_group(athena, "s3://results-x/analyst/", enforced=True)
    pipeline = work_group(athena, "s3://results-x/results/", enforced=False)
    leaked = start(athena, pipeline, "s3://team-share-x/exports/", "SELECT 'not really ssn' AS ssn")
    for _ in range(BATCH):  # newer queries push it past ListQueryExecutions' first page
        start(athena, pipeline)
    start(athena, analyst, "s3://analyst-own-x/anything/")  # the analyst's own results are its to read

    found = past_results(
        read_histories(target, analyst), analyst, ["s3://results-x/results/", "s3://results-x/analyst/"]
    )

    assert found.folders == {"s3://team-share-x/exports/": f"{pipeline}, query {leaked}"}
    assert found.errors == []


def test_an_enforcing_workgroup_keeps_every_query_in_its_location(target: Target) -> None:
    athena = target.client("athena")
    analyst = work_group(athena, "s3://results-y/analyst/", enforced=True)
    pipeline = work_group(athena, "s3://results-y/results/", enforced=True)
    start(athena, pipeline, "s3://team-share-y/exports/")  # the workgroup overrides it

    found = past_results(read_histories(target, analyst), analyst, ["s3://results-y/results/"])

    assert {f for f in found.folders if "-y/" in f} == set()


def test_a_result_file_lives_in_its_folder() -> None:
    assert result_folder("s3://b/results/3f1c.csv") == "s3://b/results/"
    assert result_folder("s3://b/3f1c.csv") == "s3://b/"


def test_other_teams_queries_in_primary_are_not_lake_locations_but_the_stacks_are(target: Target) -> None:
    """A shared account's ``primary`` workgroup holds other teams' queries over their own tables, their results
    in a bucket since deleted or one the checker may not read (AccessDenied): before, each folder became a lake
    location whose bucket policy and ACLs exit check 6 had to read, ending a healthy stack's check in error (or
    failed, on a team's public results file). Only a query naming a hidden column, or a table of a database
    holding one (``db.table``, or ``table`` in that database's context), can have written the column."""
    athena = target.client("athena")
    analyst = work_group(athena, "s3://results-z/analyst/", enforced=True)
    gold = f"lakehouse_{uuid.uuid4().hex[:6]}_gold"
    catalog = [
        CatalogTable(gold, "users", ["user_id", "ssn"]),
        CatalogTable(gold, "users_copy", ["user_id", "tax_id"]),  # a copy under another name lies beside it
        CatalogTable("sales", "orders", ["order_id"]),
        CatalogTable("crm", "visits", ["visit_id", "users"]),
    ]
    teams = [
        ("SELECT * FROM sales.orders", "default", "s3://deleted-team-bucket/adhoc/"),
        ("SELECT count(*) FROM visits", "crm", "s3://locked-team-bucket/adhoc/"),
        ("SELECT users FROM crm.visits", "default", "s3://locked-team-bucket/more/"),
        (f"SELECT * FROM users_copy_v2 JOIN {gold}_x.users USING (id)", "default", "s3://other-stack/results/"),
    ]
    for sql, database, output in teams:
        start_in(athena, "primary", output, sql, database)
    stack = {
        f'SELECT user_id, ssn FROM "{gold}"."users"': ("default", "s3://share-z/one/"),
        "SELECT * FROM users": (gold, "s3://share-z/two/"),
        f"SELECT * FROM {gold} . users_copy": ("default", "s3://share-z/three/"),
        "SELECT u.SSN FROM anywhere u": ("default", "s3://share-z/four/"),
    }
    ids = {start_in(athena, "primary", output, sql, database): output for sql, (database, output) in stack.items()}

    found = past_results(read_histories(target, analyst), analyst, [], hidden_reads(catalog, ["ssn"]))

    mine = {output for _, _, output in teams} | set(ids.values())
    assert {f for f in found.folders if f in mine} == set(ids.values())
    assert {found.folders[output].split(", query ")[1] for output in ids.values()} == set(ids)
    assert found.errors == []
    assert any(
        note.startswith("4 query execution(s) of workgroup primary wrote results outside its locations but named no")
        for note in found.notes
    ), found.notes


def start_in(athena: Any, name: str, output: str, sql: str, database: str) -> str:
    """A query with its own OutputLocation and database context (``start`` uses the defaults)."""
    query_id = str(
        athena.start_query_execution(
            QueryString=sql,
            WorkGroup=name,
            QueryExecutionContext={"Database": database},
            ResultConfiguration={"OutputLocation": output},
        )["QueryExecutionId"]
    )
    for _ in range(200):
        state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    return query_id
