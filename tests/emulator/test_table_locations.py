"""Exit check 5's table-location rules on the pipeline's own tables, as the emulator leaves them.

Gold ``users`` is made the way the root makes it (Glue ``CreateTable`` with an Iceberg
``OpenTableFormatInput`` at ``s3://<gold>/users/``), then the pipeline runs and commits to every
table: the healthy lake must show no clash, no metadata out of place and no drift from the
location the state records; ``users`` repointed at ``orders_enriched``'s prefix must. The state locates each
layer's database in its layer's bucket (infra/catalog.tf), so every place a table sends files to, its Iceberg
write paths included, is judged against its own layer's bucket: Silver ``users`` told by Athena to write into the
Gold bucket must be named.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lakehouse.athena import connect, run
from lakehouse.checks.iac import (
    created_tables,
    location_clashes,
    pipeline_location_drift,
    state_location_drift,
    stray_locations,
)
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.iceberg import catalog
from lakehouse.inventory import Inventory, name_prefixes, stack_inventory
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline, stack_values
from lakehouse.target import Target
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-south-1"
STACK = "tloc1"
PREFIX, GLUE_PREFIX = name_prefixes(STACK)
#: infra/governance.tf's ``gold_users_columns``.
USERS_COLUMNS = [
    ("user_id", "bigint"),
    ("email", "string"),
    ("full_name", "string"),
    ("ssn", "string"),
    ("country", "string"),
    ("signup_ts", "timestamp"),
    ("order_count", "bigint"),
    ("lifetime_value", "decimal(12,2)"),
    ("last_order_ts", "timestamp"),
]


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> tuple[Target, dict[str, Any], list[dict[str, Any]]]:
    """The pipeline run on a stack whose Gold users Terraform made; the state entries check 5 reads."""
    target, outputs = pipeline_stack(emulator, REGION, PREFIX)
    gold_db, gold_bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    declared = f"s3://{gold_bucket}/users/"
    target.client("glue").create_table(
        DatabaseName=gold_db,
        TableInput={
            "Name": "users",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Location": declared, "Columns": [{"Name": n, "Type": t} for n, t in USERS_COLUMNS]},
        },
        OpenTableFormatInput={"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}},
    )
    result = run_pipeline(target, outputs, data_dir=DATA_DIR)
    assert result.ok, result.error
    state: list[dict[str, Any]] = [
        {"type": "aws_s3_bucket", "values": {"bucket": b}} for b in outputs["bucket_names"].values()
    ]
    state += [  # infra/catalog.tf: each layer's database located in its layer's bucket
        {
            "type": "aws_glue_catalog_database",
            "values": {"name": db, "location_uri": f"s3://{outputs['bucket_names'][layer]}/", "tags": {"layer": layer}},
        }
        for layer, db in outputs["glue_database_names"].items()
    ]
    state.append(
        {
            "type": "aws_glue_catalog_table",
            "values": {"database_name": gold_db, "name": "users", "storage_descriptor": [{"location": declared}]},
        }
    )
    return target, outputs, state


def _inventory(target: Target) -> Inventory:
    inventory = stack_inventory(target, STACK)
    assert not [u for u in inventory.unreadable if "glue" in u], inventory.unreadable
    return inventory


def test_the_pipelines_tables_after_a_run_keep_apart_and_where_the_state_says(
    lake: tuple[Target, dict[str, Any], list[dict[str, Any]]],
) -> None:
    target, outputs, state = lake
    inventory = _inventory(target)
    gold = outputs["glue_database_names"]["gold"]
    assert {f"{gold}.users", f"{gold}.orders_enriched", f"{gold}.daily_revenue"} <= set(inventory.table_locations)
    assert inventory.table_locations[f"{gold}.users"].metadata_location  # the Iceberg commits are read
    assert location_clashes(inventory) == []
    assert state_location_drift(state, inventory) == []
    assert pipeline_location_drift(created_tables(stack_values(outputs), REGION), inventory) == []
    assert stray_locations(state, inventory) == []


def test_users_repointed_at_orders_enriched_is_named_with_it(
    lake: tuple[Target, dict[str, Any], list[dict[str, Any]]],
) -> None:
    target, outputs, state = lake
    glue = target.client("glue")
    gold = outputs["glue_database_names"]["gold"]
    users = glue.get_table(DatabaseName=gold, Name="users")["Table"]
    orders = glue.get_table(DatabaseName=gold, Name="orders_enriched")["Table"]
    keep = {k: users[k] for k in ("Name", "TableType", "StorageDescriptor", "Parameters") if k in users}
    moved = {
        **keep,
        "StorageDescriptor": {**users["StorageDescriptor"], "Location": orders["StorageDescriptor"]["Location"]},
    }
    glue.update_table(DatabaseName=gold, TableInput=moved)
    try:
        inventory = _inventory(target)
        clashes = location_clashes(inventory)
        drift = state_location_drift(state, inventory)
    finally:
        glue.update_table(DatabaseName=gold, TableInput=keep)
    at = orders["StorageDescriptor"]["Location"]
    assert f"{gold}.orders_enriched at {at} and {gold}.users at {at} share one location" in clashes, clashes
    assert any(c.startswith(f"{gold}.users's Iceberg metadata_location") for c in clashes), clashes
    assert drift == [
        f"{gold}.users is at {at} but Terraform state records s3://{outputs['bucket_names']['gold']}/users/"
    ]
    assert stray_locations(state, inventory) == []  # every bucket is the stack's: the old rule passed this


def test_a_pipeline_table_moved_whole_to_another_prefix_is_named_with_its_statement(
    lake: tuple[Target, dict[str, Any], list[dict[str, Any]]],
) -> None:
    """Gold ``daily_revenue`` (no Terraform state: the pipeline's SQL declares it) moved with its metadata to
    ``daily_revenue_v2/``: it clashes with nothing and is in no state, so only its statement tells."""
    target, outputs, state = lake
    glue = target.client("glue")
    gold, bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    table = glue.get_table(DatabaseName=gold, Name="daily_revenue")["Table"]
    keep = {k: table[k] for k in ("Name", "TableType", "StorageDescriptor", "Parameters") if k in table}
    old, new = f"s3://{bucket}/daily_revenue", f"s3://{bucket}/daily_revenue_v2"
    metadata = keep["Parameters"]["metadata_location"].replace(old + "/", new + "/")
    moved = {
        **keep,
        "StorageDescriptor": {**keep["StorageDescriptor"], "Location": new},
        "Parameters": {**keep["Parameters"], "metadata_location": metadata},
    }
    glue.update_table(DatabaseName=gold, TableInput=moved)
    try:
        inventory = _inventory(target)
        clashes, drift = location_clashes(inventory), state_location_drift(state, inventory)
        declared = pipeline_location_drift(created_tables(stack_values(outputs), REGION), inventory)
    finally:
        glue.update_table(DatabaseName=gold, TableInput=keep)
    assert clashes == [] and drift == []  # the rules before this one passed it
    assert len(declared) == 1 and declared[0].startswith(
        f"{gold}.daily_revenue is at {new} but the pipeline's SQL ("
    ), declared
    assert re.search(rf"30_gold\.sql:\d+\) declares {re.escape(old)}/$", declared[0]), declared


def test_a_silver_table_writing_into_the_gold_bucket_is_named_with_its_layer(
    lake: tuple[Target, dict[str, Any], list[dict[str, Any]]],
) -> None:
    """Athena's ``ALTER TABLE SET TBLPROPERTIES ('write.object-storage.path'=...)`` on Silver ``users`` writes the
    property into its Iceberg metadata only: Glue's location stays, and the Gold bucket is the stack's."""
    target, outputs, state = lake
    silver, gold_bucket = outputs["glue_database_names"]["silver"], outputs["bucket_names"]["gold"]
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        sql = f"ALTER TABLE {silver}.users SET TBLPROPERTIES ('write.object-storage.path'='s3://{gold_bucket}/u')"
        record, _ = run(conn, sql)
        assert record.ok, record.error
    finally:
        conn.close()
    try:
        strays = stray_locations(state, _inventory(target))
    finally:
        with catalog(target).load_table(f"{silver}.users").transaction() as tx:
            tx.remove_properties("write.object-storage.path")
    assert strays == [
        f"{silver}.users s3://{gold_bucket}/u (write.object-storage.path) is in the stack's bucket {gold_bucket}, "
        f"not its Silver layer's {outputs['bucket_names']['silver']}"
    ]
    assert stray_locations(state, _inventory(target)) == []  # the property removed: the healthy lake again
