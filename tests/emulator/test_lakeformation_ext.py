"""Lake Formation behaviour the emulator adds to moto (lakehouse.emulator.extensions.lakeformation).

Grants and filters are built the way our governance Terraform builds them (a
column grant excluding ``ssn``, a data cells filter) and read back the way
``aws_lakeformation_permissions`` and ``aws_lakeformation_data_cells_filter`` do.
ListPermissions order is not stable, so results are compared as sets.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"  # moto's default account, which the emulator's STS reports
COLUMNS = ["order_id", "customer", "ssn", "amount", "region"]


@pytest.fixture
def lf(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("lakeformation")


@pytest.fixture
def table(aws_client: Callable[[str], Any]) -> dict[str, str]:
    """A fresh Glue database and table (unique names, so tests sharing the emulator stay apart)."""
    glue = aws_client("glue")
    database, name = f"db_{uuid.uuid4().hex[:8]}", "orders"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in COLUMNS]},
        },
    )
    return {"DatabaseName": database, "Name": name}


@pytest.fixture
def principal() -> dict[str, str]:
    role = f"analyst-{uuid.uuid4().hex[:8]}"
    return {"DataLakePrincipalIdentifier": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"}


def as_set(grants: list[dict[str, Any]]) -> set[str]:
    """Grants as comparable strings: order-free, permission lists sorted."""
    return {
        json.dumps(
            {
                "Principal": g["Principal"],
                "Resource": g["Resource"],
                "Permissions": sorted(g.get("Permissions", [])),
                "PermissionsWithGrantOption": sorted(g.get("PermissionsWithGrantOption", [])),
            },
            sort_keys=True,
        )
        for g in grants
    }


def grant(lf: Any, principal: dict[str, str], resource: dict[str, Any], permissions: list[str]) -> dict[str, Any]:
    """Grant and return the grant as ListPermissions should give it back."""
    lf.grant_permissions(Principal=principal, Resource=resource, Permissions=permissions)
    return {
        "Principal": principal,
        "Resource": resource,
        "Permissions": permissions,
        "PermissionsWithGrantOption": [],
    }


def listed(lf: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return list(lf.list_permissions(**kwargs)["PrincipalResourcePermissions"])


def filter_data(table: dict[str, str], name: str = "no_ssn_eu", **fields: Any) -> dict[str, Any]:
    """TableData for a data cells filter on ``table`` (EU rows, ssn hidden unless overridden)."""
    return {
        "TableCatalogId": ACCOUNT_ID,
        "DatabaseName": table["DatabaseName"],
        "TableName": table["Name"],
        "Name": name,
        "RowFilter": {"FilterExpression": "region = 'eu'"},
        "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]},
        **fields,
    }


def filter_id(table_data: dict[str, Any]) -> dict[str, str]:
    return {k: table_data[k] for k in ("TableCatalogId", "DatabaseName", "TableName", "Name")}


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


# --- ListPermissions -------------------------------------------------------------------------


def test_table_filter_returns_column_grants_in_the_shape_they_were_granted(
    lf: Any, table: dict[str, str], principal: dict[str, str]
) -> None:
    masked = grant(
        lf,
        principal,
        {"TableWithColumns": {**table, "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}},
        ["SELECT"],
    )
    described = grant(lf, principal, {"Table": table}, ["DESCRIBE"])

    out = listed(lf, Principal=principal, Resource={"Table": table})

    assert as_set(out) == as_set([masked, described])


def test_table_with_columns_filter_is_accepted_and_answers_for_the_table(
    lf: Any, table: dict[str, str], principal: dict[str, str]
) -> None:
    columns = grant(lf, principal, {"TableWithColumns": {**table, "ColumnNames": ["order_id"]}}, ["SELECT"])
    described = grant(lf, principal, {"Table": table}, ["DESCRIBE"])

    out = listed(lf, Principal=principal, Resource={"TableWithColumns": {**table, "ColumnNames": ["order_id"]}})

    assert as_set(out) == as_set([columns, described])


def test_table_filter_leaves_out_other_tables_and_matches_wildcards_only_to_wildcards(
    lf: Any, table: dict[str, str], principal: dict[str, str]
) -> None:
    database = table["DatabaseName"]
    on_table = grant(lf, principal, {"Table": table}, ["SELECT"])
    grant(lf, principal, {"TableWithColumns": {**table, "Name": "other", "ColumnNames": ["a"]}}, ["SELECT"])
    wildcard = grant(lf, principal, {"Table": {"DatabaseName": database, "TableWildcard": {}}}, ["DESCRIBE"])

    named = listed(lf, Principal=principal, Resource={"Table": table})
    every_table = listed(lf, Principal=principal, Resource={"Table": {"DatabaseName": database, "TableWildcard": {}}})

    assert as_set(named) == as_set([on_table])
    assert as_set(every_table) == as_set([wildcard])


def test_filters_moto_already_had_still_answer(lf: Any, table: dict[str, str], principal: dict[str, str]) -> None:
    bucket_arn = f"arn:aws:s3:::lake-{uuid.uuid4().hex[:8]}"
    on_catalog = grant(lf, principal, {"Catalog": {}}, ["CREATE_DATABASE"])
    on_database = grant(lf, principal, {"Database": {"Name": table["DatabaseName"]}}, ["DESCRIBE"])
    on_location = grant(lf, principal, {"DataLocation": {"ResourceArn": bucket_arn}}, ["DATA_LOCATION_ACCESS"])

    assert as_set(listed(lf, Principal=principal, Resource={"Catalog": {}})) == as_set([on_catalog])
    by_database = listed(lf, Principal=principal, Resource={"Database": {"Name": table["DatabaseName"]}})
    assert as_set(by_database) == as_set([on_database])
    by_location = listed(lf, Principal=principal, Resource={"DataLocation": {"ResourceArn": bucket_arn}})
    assert as_set(by_location) == as_set([on_location])


def test_resource_type_table_includes_column_grants(lf: Any, table: dict[str, str], principal: dict[str, str]) -> None:
    columns = grant(lf, principal, {"TableWithColumns": {**table, "ColumnNames": ["amount"]}}, ["SELECT"])
    grant(lf, principal, {"Database": {"Name": table["DatabaseName"]}}, ["DESCRIBE"])

    out = [g for g in listed(lf, ResourceType="TABLE") if g["Principal"] == principal]

    assert as_set(out) == as_set([columns])


def test_resource_type_data_location_lists_location_grants_only(
    lf: Any, table: dict[str, str], principal: dict[str, str]
) -> None:
    """Exit check 6 lists by ``ResourceType=DATA_LOCATION`` as well as unfiltered, and merges the two."""
    bucket_arn = f"arn:aws:s3:::lake-{uuid.uuid4().hex[:8]}/users"
    on_location = grant(lf, principal, {"DataLocation": {"ResourceArn": bucket_arn}}, ["DATA_LOCATION_ACCESS"])
    grant(lf, principal, {"Table": table}, ["SELECT"])

    by_type = [g for g in listed(lf, ResourceType="DATA_LOCATION") if g["Principal"] == principal]
    unfiltered = [g for g in listed(lf) if g["Principal"] == principal and "DataLocation" in g["Resource"]]

    assert as_set(by_type) == as_set([on_location]) == as_set(unfiltered)


def test_list_permissions_rejects_a_principal_without_a_resource(lf: Any, principal: dict[str, str]) -> None:
    with pytest.raises(ClientError) as info:
        lf.list_permissions(Principal=principal)

    assert error_code(info) == "InvalidInputException"


# --- RevokePermissions -----------------------------------------------------------------------


def test_revoking_what_is_not_held_fails_like_aws(lf: Any, table: dict[str, str], principal: dict[str, str]) -> None:
    resource = {"TableWithColumns": {**table, "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}}
    grant(lf, principal, resource, ["SELECT"])

    lf.revoke_permissions(Principal=principal, Resource=resource, Permissions=["SELECT"])
    with pytest.raises(ClientError) as again:
        lf.revoke_permissions(Principal=principal, Resource=resource, Permissions=["SELECT"])

    assert listed(lf, Principal=principal, Resource={"Table": table}) == []
    assert error_code(again) == "InvalidInputException"
    assert "No permissions revoked" in again.value.response["Error"]["Message"]


# --- Data cells filters ----------------------------------------------------------------------


def test_data_cells_filter_round_trip(lf: Any, table: dict[str, str]) -> None:
    data = filter_data(table)
    lf.create_data_cells_filter(TableData=data)

    got = lf.get_data_cells_filter(**filter_id(data))["DataCellsFilter"]
    on_table = lf.list_data_cells_filter(Table={"CatalogId": ACCOUNT_ID, **table})["DataCellsFilters"]
    on_database = lf.list_data_cells_filter(Table={"DatabaseName": table["DatabaseName"], "TableWildcard": {}})[
        "DataCellsFilters"
    ]

    assert {k: v for k, v in got.items() if k != "VersionId"} == data
    assert got["VersionId"]
    assert on_table == [got]
    assert on_database == [got]


def test_update_data_cells_filter_replaces_it_with_a_new_version(lf: Any, table: dict[str, str]) -> None:
    data = filter_data(table)
    lf.create_data_cells_filter(TableData=data)
    before = lf.get_data_cells_filter(**filter_id(data))["DataCellsFilter"]
    changed = filter_data(table, RowFilter={"AllRowsWildcard": {}})
    del changed["ColumnWildcard"]
    changed["ColumnNames"] = ["order_id", "amount"]

    lf.update_data_cells_filter(TableData={**changed, "VersionId": before["VersionId"]})

    after = lf.get_data_cells_filter(**filter_id(data))["DataCellsFilter"]
    assert after["RowFilter"] == {"AllRowsWildcard": {}}
    assert after["ColumnNames"] == ["order_id", "amount"]
    assert "ColumnWildcard" not in after
    assert after["VersionId"] != before["VersionId"]


def test_data_cells_filter_errors_are_those_of_aws(lf: Any, table: dict[str, str]) -> None:
    data = filter_data(table)
    lf.create_data_cells_filter(TableData=data)
    missing = filter_data(table, name="never_created")

    with pytest.raises(ClientError) as duplicate:
        lf.create_data_cells_filter(TableData=data)
    with pytest.raises(ClientError) as no_table:
        lf.create_data_cells_filter(TableData=filter_data({**table, "Name": "no_such_table"}))
    with pytest.raises(ClientError) as both_column_forms:
        lf.create_data_cells_filter(TableData=filter_data(table, name="both", ColumnNames=["amount"]))
    with pytest.raises(ClientError) as get_missing:
        lf.get_data_cells_filter(**filter_id(missing))
    with pytest.raises(ClientError) as update_missing:
        lf.update_data_cells_filter(TableData=missing)
    with pytest.raises(ClientError) as delete_missing:
        lf.delete_data_cells_filter(**filter_id(missing))

    assert error_code(duplicate) == "AlreadyExistsException"
    assert error_code(no_table) == "EntityNotFoundException"
    assert error_code(both_column_forms) == "InvalidInputException"
    assert error_code(get_missing) == "EntityNotFoundException"
    assert error_code(update_missing) == "EntityNotFoundException"
    assert error_code(delete_missing) == "EntityNotFoundException"


def test_grants_on_a_data_cells_filter_are_listed_and_die_with_it(
    lf: Any, table: dict[str, str], principal: dict[str, str]
) -> None:
    data = filter_data(table)
    lf.create_data_cells_filter(TableData=data)
    # Without TableCatalogId, which then means the caller's catalog.
    resource = {"DataCellsFilter": {k: v for k, v in filter_id(data).items() if k != "TableCatalogId"}}
    on_filter = grant(lf, principal, resource, ["SELECT"])

    by_resource = listed(lf, Principal=principal, Resource=resource)
    by_type = [g for g in listed(lf, ResourceType="DATA_CELLS_FILTER") if g["Principal"] == principal]
    lf.delete_data_cells_filter(**filter_id(data))
    after_delete = listed(lf, ResourceType="DATA_CELLS_FILTER")

    assert as_set(by_resource) == as_set([on_filter])
    assert as_set(by_type) == as_set([on_filter])
    assert [g for g in after_delete if g["Principal"] == principal] == []


def test_granting_on_a_missing_data_cells_filter_is_entity_not_found(
    lf: Any, table: dict[str, str], principal: dict[str, str]
) -> None:
    resource = {"DataCellsFilter": filter_id(filter_data(table, name="never_created"))}

    with pytest.raises(ClientError) as info:
        lf.grant_permissions(Principal=principal, Resource=resource, Permissions=["SELECT"])

    assert error_code(info) == "EntityNotFoundException"


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("coalesce(region, 'eu') = 'eu'", "function coalesce()"),
        ("CASE WHEN region = 'eu' THEN true ELSE false END", "CASE"),
        ("region = customer", "columns are compared with constants"),
        ("country = 'eu'", "'country' is not a column of the table"),
    ],
)
def test_a_row_filter_lake_formation_refuses_is_refused_at_create_and_update(
    lf: Any, table: dict[str, str], expression: str, named: str
) -> None:
    """Lake Formation's row filters are a PartiQL subset (no functions, no CASE, columns against constants, columns
    of the table): a local stack must not hold a filter AWS would never have stored."""
    kept = filter_data(table, name="kept")
    lf.create_data_cells_filter(TableData=kept)
    wanted = {"FilterExpression": expression}

    with pytest.raises(ClientError) as created:
        lf.create_data_cells_filter(TableData=filter_data(table, name="refused", RowFilter=wanted))
    with pytest.raises(ClientError) as updated:
        lf.update_data_cells_filter(TableData=filter_data(table, name="kept", RowFilter=wanted))

    for info in (created, updated):
        assert error_code(info) == "InvalidInputException"
        message = info.value.response["Error"]["Message"]
        assert expression in message and named in message and table["DatabaseName"] in message, message
    assert [f["Name"] for f in lf.list_data_cells_filter(Table=table)["DataCellsFilters"]] == ["kept"]
    assert lf.get_data_cells_filter(**filter_id(kept))["DataCellsFilter"]["RowFilter"] == kept["RowFilter"]


@pytest.fixture
def timed_table(aws_client: Callable[[str], Any]) -> dict[str, str]:
    """An Iceberg table as aws/aws-cli#10397's: a string column beside a ``timestamp`` column named timestamp, and
    a ``date`` partition column."""
    glue = aws_client("glue")
    database, name = f"db_{uuid.uuid4().hex[:8]}", "events"
    glue.create_database(DatabaseInput={"Name": database})
    columns = [{"Name": "servicename", "Type": "string"}, {"Name": "timestamp", "Type": "timestamp"}]
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "StorageDescriptor": {"Columns": columns},
            "PartitionKeys": [{"Name": "day", "Type": "date"}],
            "Parameters": {"table_type": "ICEBERG"},
        },
    )
    return {"DatabaseName": database, "Name": name}


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("\"timestamp\" > '2026-05-01 00:00:00'", "TIMESTAMP"),  # aws/aws-cli#10397's reproduction
        ("timestamp > date_sub(current_date(), 30)", "TIMESTAMP"),  # the type is judged before the function
        ("day = '2026-05-01' AND servicename <> 'foo'", "DATE"),  # a string constant on a date column
    ],
)
def test_a_row_filter_on_a_column_type_lake_formation_does_not_filter_on_is_refused_in_aws_words(
    lf: Any, timed_table: dict[str, str], expression: str, kind: str
) -> None:
    """Lake Formation filters rows on string, number, boolean and struct columns only: CreateDataCellsFilter answers
    ``InvalidInputException: TIMESTAMP data type not supported for row level filter predicate.`` (aws/aws-cli#10397),
    so no stack on AWS holds such a filter, and a local one must not either. The twin on the string column of the
    same table is stored."""
    unfiltered = {"ColumnWildcard": {"ExcludedColumnNames": []}}
    kept = filter_data(timed_table, name="kept", RowFilter={"FilterExpression": "servicename <> 'foo'"}, **unfiltered)
    lf.create_data_cells_filter(TableData=kept)
    wanted = {"FilterExpression": expression}

    with pytest.raises(ClientError) as created:
        lf.create_data_cells_filter(TableData=filter_data(timed_table, name="refused", RowFilter=wanted, **unfiltered))
    with pytest.raises(ClientError) as updated:
        lf.update_data_cells_filter(TableData=filter_data(timed_table, name="kept", RowFilter=wanted, **unfiltered))

    for info in (created, updated):
        assert error_code(info) == "InvalidInputException"
        assert (
            info.value.response["Error"]["Message"] == f"{kind} data type not supported for row level filter predicate."
        )
    assert [f["Name"] for f in lf.list_data_cells_filter(Table=timed_table)["DataCellsFilters"]] == ["kept"]
    assert lf.get_data_cells_filter(**filter_id(kept))["DataCellsFilter"]["RowFilter"] == kept["RowFilter"]


@pytest.mark.parametrize(
    "expression",
    [
        "(region = 'eu' and amount > '10') or (customer like '%acme%' and order_id <> 'x')",
        "(region between 'a' and 'f') and not (ssn is null) and customer in ('a', 'b')",
        "TRUE",
    ],
)
def test_a_row_filter_in_lake_formations_subset_is_stored(lf: Any, table: dict[str, str], expression: str) -> None:
    data = filter_data(table, RowFilter={"FilterExpression": expression})
    lf.create_data_cells_filter(TableData=data)
    assert lf.get_data_cells_filter(**filter_id(data))["DataCellsFilter"]["RowFilter"] == data["RowFilter"]


# --- RegisterResource / DescribeResource -----------------------------------------------------


def test_registered_resource_keeps_its_options_and_service_linked_role(lf: Any) -> None:
    arn = f"arn:aws:s3:::lake-{uuid.uuid4().hex[:8]}"
    lf.register_resource(ResourceArn=arn, UseServiceLinkedRole=True, HybridAccessEnabled=True)

    info = lf.describe_resource(ResourceArn=arn)["ResourceInfo"]
    listed_infos = [r for r in lf.list_resources()["ResourceInfoList"] if r["ResourceArn"] == arn]

    assert info["RoleArn"] == (
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/"
        "lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess"
    )
    assert info["HybridAccessEnabled"] is True
    assert "LastModified" in info
    assert listed_infos == [info]


def test_registering_twice_and_describing_unknown_fail_like_aws(lf: Any) -> None:
    arn = f"arn:aws:s3:::lake-{uuid.uuid4().hex[:8]}"
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/lake-access"
    lf.register_resource(ResourceArn=arn, RoleArn=role)

    with pytest.raises(ClientError) as twice:
        lf.register_resource(ResourceArn=arn, RoleArn=role)
    with pytest.raises(ClientError) as unknown:
        lf.describe_resource(ResourceArn=f"{arn}-unknown")

    assert lf.describe_resource(ResourceArn=arn)["ResourceInfo"]["RoleArn"] == role
    assert error_code(twice) == "AlreadyExistsException"
    assert error_code(unknown) == "EntityNotFoundException"


def test_install_twice_changes_nothing() -> None:
    from moto.lakeformation import urls
    from moto.lakeformation.responses import LakeFormationResponse

    from lakehouse.emulator.extensions import lakeformation as extension

    extension.install()
    patched, routes = LakeFormationResponse.list_permissions, dict(urls.url_paths)
    extension.install()

    assert LakeFormationResponse.list_permissions is patched
    assert urls.url_paths == routes
    assert "{0}/CreateDataCellsFilter$" in routes
