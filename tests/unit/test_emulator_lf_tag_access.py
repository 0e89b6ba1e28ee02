"""The emulator's Lake Formation tag-based access control rules (lakehouse.emulator.sql.access), without a server.

An LF-Tag policy grant reaches what carries matching LF-Tags: keys AND, values OR; a table inherits its database's
LF-Tags and a column its table's, a key assigned lower down replacing the inherited value. On TABLE it reads the
columns whose LF-Tags match; on DATABASE it holds database permissions only. GrantPermissions takes only the
permissions a resource kind takes (Lake Formation permissions reference). The last tests hold the emulator's rule
against exit check 6's reading of the same grants (``lf_tag_problems``): they must agree on whether ssn is open.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.lakeformation.exceptions import InvalidInput

from lakehouse.checks.security_grants import lf_tag_problems
from lakehouse.emulator.extensions.lakeformation import invalid_permissions
from lakehouse.emulator.sql.access import Access, Tags, effective_tags, expression_matches
from tests.unit.test_security import ANALYST, SILVER, grant, healthy

DB, TABLE = "sales", "users"
COLUMNS = ["user_id", "email", "ssn", "country"]
OTHER = "arn:aws:iam::123456789012:role/other"


def policy(*conditions: tuple[str, list[str]], kind: str = "TABLE", name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ResourceType": kind}
    if conditions:
        spec["Expression"] = [{"TagKey": k, "TagValues": v} for k, v in conditions]
    if name is not None:
        spec["ExpressionName"] = name
    return {"LFTagPolicy": spec}


def tags(**pairs: str) -> Tags:
    return {k: frozenset({v}) for k, v in pairs.items()}


def access(*grants: dict[str, Any], lf_tags: dict[tuple[str, ...], Tags], **kwargs: Any) -> Access:
    return Access(principal=ANALYST, grants=list(grants), lf_tags=lf_tags, **kwargs)


SELECT_OPEN = grant(ANALYST, policy(("level", ["open"])), "SELECT")


def test_a_table_whose_own_lf_tags_match_is_read_whole() -> None:
    lake = access(SELECT_OPEN, lf_tags={(DB, TABLE): tags(level="open")})
    assert lake.readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    assert lake.table_permissions(DB, TABLE) == {"SELECT"}


def test_a_table_inherits_its_databases_lf_tags_and_names_compare_case_insensitively() -> None:
    lake = access(SELECT_OPEN, lf_tags={(DB,): tags(level="open")})
    assert lake.readable_columns(DB.upper(), TABLE, COLUMNS) == COLUMNS
    assert effective_tags({(DB,): tags(level="open")}, DB, TABLE, "SSN") == tags(level="open")


def test_a_columns_own_lf_tag_overrides_the_tables_and_leaves_that_column_unreadable() -> None:
    lake = access(SELECT_OPEN, lf_tags={(DB,): tags(level="open"), (DB, TABLE, "ssn"): tags(level="closed")})
    assert lake.readable_columns(DB, TABLE, COLUMNS) == ["user_id", "email", "country"]
    assert "SELECT" in lake.table_permissions(DB, TABLE)


def test_no_match_reads_nothing_and_holds_nothing() -> None:
    lake = access(SELECT_OPEN, lf_tags={(DB, TABLE): tags(level="closed")})
    assert lake.readable_columns(DB, TABLE, COLUMNS) is None
    assert lake.table_permissions(DB, TABLE) == set()
    assert not lake.sees_database(DB, [TABLE])
    untagged = access(SELECT_OPEN, lf_tags={})
    assert untagged.readable_columns(DB, TABLE, COLUMNS) is None


def test_a_column_matching_on_its_own_gives_select_on_it_alone() -> None:
    both = grant(ANALYST, policy(("level", ["open"])), "SELECT", "DESCRIBE", "INSERT")
    lake = access(both, lf_tags={(DB, TABLE): tags(level="closed"), (DB, TABLE, "country"): tags(level="open")})
    assert lake.readable_columns(DB, TABLE, COLUMNS) == ["country"]
    assert lake.table_permissions(DB, TABLE) == {"SELECT"}


def test_every_key_must_match_with_any_of_its_values() -> None:
    grant_made = grant(ANALYST, policy(("level", ["open", "internal"]), ("domain", ["sales"])), "SELECT")
    assert expression_matches(
        grant_made["Resource"]["LFTagPolicy"]["Expression"], tags(level="internal", domain="sales")
    )
    one_key = access(grant_made, lf_tags={(DB, TABLE): tags(level="open")})
    assert one_key.readable_columns(DB, TABLE, COLUMNS) is None
    both = access(grant_made, lf_tags={(DB,): tags(domain="sales"), (DB, TABLE): tags(level="internal")})
    assert both.readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    assert expression_matches([{"TagKey": "level", "TagValues": ["*"]}], tags(level="secret"))


def test_all_on_tables_is_every_table_permission_and_describe_alone_reads_nothing() -> None:
    every = access(grant(ANALYST, policy(("level", ["open"])), "ALL"), lf_tags={(DB, TABLE): tags(level="open")})
    assert {"SELECT", "INSERT", "DELETE", "ALTER", "DROP", "DESCRIBE"} <= every.table_permissions(DB, TABLE)
    described = access(grant(ANALYST, policy(("level", ["open"])), "DESCRIBE"), lf_tags={(DB,): tags(level="open")})
    assert described.table_permissions(DB, TABLE) == {"DESCRIBE"}
    assert described.readable_columns(DB, TABLE, COLUMNS) is None


def test_a_database_tag_policy_holds_database_permissions_and_reads_no_table() -> None:
    on_databases = grant(ANALYST, policy(("level", ["open"]), kind="DATABASE"), "CREATE_TABLE", "DESCRIBE")
    lake = access(on_databases, lf_tags={(DB,): tags(level="open")})
    assert lake.database_permissions(DB) == {"CREATE_TABLE", "DESCRIBE"}
    assert lake.database_permissions("other") == set()
    assert lake.table_permissions(DB, TABLE) == set()
    assert lake.readable_columns(DB, TABLE, COLUMNS) is None


def test_a_saved_expression_is_resolved_by_name_and_a_missing_one_reaches_nothing() -> None:
    by_name = grant(ANALYST, policy(name="open_data"), "SELECT")
    saved = {"open_data": [{"TagKey": "level", "TagValues": ["open"]}]}
    carried = {(DB, TABLE): tags(level="open")}
    assert access(by_name, lf_tags=carried, tag_expressions=saved).readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    assert access(by_name, lf_tags=carried).readable_columns(DB, TABLE, COLUMNS) is None
    empty = access(by_name, lf_tags=carried, tag_expressions={"open_data": []})
    assert empty.readable_columns(DB, TABLE, COLUMNS) is None  # never "matches everything"


def test_another_principals_tag_grant_opens_nothing_and_named_grants_still_add_up() -> None:
    carried = {(DB, TABLE): tags(level="open"), (DB, TABLE, "ssn"): tags(level="closed")}
    assert (
        access(grant(OTHER, policy(("level", ["open"])), "SELECT"), lf_tags=carried).readable_columns(
            DB, TABLE, COLUMNS
        )
        is None
    )
    ssn = grant(ANALYST, {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["ssn"]}}, "SELECT")
    assert access(SELECT_OPEN, ssn, lf_tags=carried).readable_columns(DB, TABLE, COLUMNS) == COLUMNS


# -- which permissions GrantPermissions takes on which resource -------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "permissions", "invalid"),
    [
        ({"Database": {"Name": DB}}, ["SELECT", "DESCRIBE"], ["SELECT"]),
        ({"Table": {"DatabaseName": DB, "Name": TABLE}}, ["CREATE_TABLE", "SELECT"], ["CREATE_TABLE"]),
        ({"Table": {"DatabaseName": DB, "TableWildcard": {}}}, ["DATA_LOCATION_ACCESS"], ["DATA_LOCATION_ACCESS"]),
        (
            {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["email"]}},
            ["SELECT", "INSERT"],
            ["INSERT"],
        ),
        ({"Catalog": {}}, ["SELECT", "CREATE_DATABASE"], ["SELECT"]),
        ({"DataLocation": {"ResourceArn": "arn:aws:s3:::b"}}, ["SELECT"], ["SELECT"]),
        (policy(("level", ["open"]), kind="DATABASE"), ["SELECT", "CREATE_TABLE"], ["SELECT"]),
        (policy(("level", ["open"])), ["CREATE_TABLE", "SELECT", "DESCRIBE"], ["CREATE_TABLE"]),
        ({"LFTag": {"TagKey": "level", "TagValues": ["open"]}}, ["SELECT", "ASSOCIATE"], ["SELECT"]),
    ],
)
def test_a_permission_the_resource_kind_does_not_take_is_invalid(
    resource: dict[str, Any], permissions: list[str], invalid: list[str]
) -> None:
    assert invalid_permissions(resource, permissions) == invalid


@pytest.mark.parametrize(
    ("resource", "permissions"),
    [
        ({"Database": {"Name": DB}}, ["ALL", "ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"]),
        ({"Table": {"DatabaseName": DB, "Name": TABLE}}, ["ALL", "ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT"]),
        ({"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnWildcard": {}}}, ["SELECT", "DESCRIBE"]),
        ({"DataCellsFilter": {"DatabaseName": DB, "TableName": TABLE, "Name": "f"}}, ["SELECT", "DESCRIBE", "DROP"]),
        ({"Catalog": {}}, ["CREATE_DATABASE", "DESCRIBE", "ALL"]),
        (policy(("level", ["open"])), ["SELECT", "DESCRIBE", "ALL"]),
        (policy(("level", ["open"]), kind="DATABASE"), ["CREATE_TABLE", "DESCRIBE", "ALL"]),
    ],
)
def test_the_permissions_a_resource_kind_takes_are_valid(resource: dict[str, Any], permissions: list[str]) -> None:
    assert invalid_permissions(resource, permissions) == []


def test_a_resource_naming_no_kind_is_refused() -> None:
    with pytest.raises(InvalidInput):
        invalid_permissions({}, ["SELECT"])


# -- the emulator's rule and exit check 6's reading agree -------------------------------------------------------------

#: (database's, table's, ssn's own LF-Tags) as assigned, and the grant's expression; ssn is hidden from the analyst.
AGREEMENT = [
    ({"layer": "silver"}, {"pii": "no"}, {"pii": "yes"}, [("layer", ["silver"])]),  # ssn inherits layer: open
    ({"layer": "silver"}, {"pii": "no"}, {"pii": "yes"}, [("pii", ["no"])]),  # ssn's own pii=yes: closed
    ({"layer": "silver"}, {}, {}, [("layer", ["gold"])]),  # nothing matches
    ({}, {"pii": "no"}, {}, [("pii", ["no", "yes"])]),  # inherited from the table, any value listed
    ({"layer": "silver"}, {"layer": "gold"}, {}, [("layer", ["silver"])]),  # the table overrides its database
    ({}, {}, {"pii": "yes"}, [("pii", ["*"])]),  # the column's own, any value
    ({"layer": "silver"}, {}, {"pii": "yes"}, [("layer", ["silver"]), ("pii", ["no"])]),  # one key fails
]


def _pairs(carried: dict[str, str]) -> list[dict[str, Any]]:
    return [{"TagKey": k, "TagValues": [v]} for k, v in carried.items()]


@pytest.mark.parametrize(("on_db", "on_table", "on_ssn", "conditions"), AGREEMENT)
def test_the_emulator_opens_ssn_exactly_when_exit_check_6_says_the_grant_does(
    on_db: dict[str, str], on_table: dict[str, str], on_ssn: dict[str, str], conditions: list[tuple[str, list[str]]]
) -> None:
    grant_made = grant(ANALYST, policy(*conditions), "SELECT")
    carried = {(SILVER,): tags(**on_db), (SILVER, "users"): tags(**on_table), (SILVER, "users", "ssn"): tags(**on_ssn)}
    emulator_opens = "ssn" in (access(grant_made, lf_tags=carried).readable_columns(SILVER, "users", COLUMNS) or [])
    rb = healthy()
    rb.lf_tags = {p.table.qualified: dict[str, Any]() for p in rb.probes}
    rb.lf_tags[f"{SILVER}.users"] = {
        "LFTagOnDatabase": _pairs(on_db),
        "LFTagsOnTable": _pairs(on_table),
        "LFTagsOnColumns": [{"Name": "ssn", "LFTags": _pairs(on_ssn)}] if on_ssn else [],
    }
    check_opens = any(f"on ssn of {SILVER}.users" in p for p in lf_tag_problems(grant_made, "the analyst", rb))
    assert emulator_opens == check_opens
