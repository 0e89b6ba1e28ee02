"""Exit check 6 searches saved text the analyst reads besides query executions (``saved_text``): named queries and
prepared statements of the workgroups, and the Glue catalog's databases, tables, table versions and partitions.

On main none of it was read: a value in a named query, a column comment, an older table version or a partition
value passed. Glue and Athena are moto's (in process, the emulator's Athena extension grafted on); the analyst's
own calls go through ``Analyst``, which refuses what the test says the analyst may not read."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.saved_text import SavedTexts, read_glue_texts, read_saved_queries, shown_fields
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_queries import saved_text_problems
from lakehouse.emulator.extensions import athena as athena_ext

from .test_security import healthy

VALUES = HiddenValues(["123-45-6789", "987-65-4321"])
REGION = "us-east-1"
WORK_GROUP = "analyst"


@pytest.fixture
def clients(moto_aws: None) -> Iterator[tuple[Any, Any]]:
    athena_ext.install()
    athena = boto3.client("athena", region_name=REGION)
    glue = boto3.client("glue", region_name=REGION)
    athena.create_work_group(Name=WORK_GROUP, Configuration={})
    glue.create_database(DatabaseInput={"Name": "gold"})
    yield athena, glue


class Analyst:
    """The analyst's own client: the real one's answers, or AccessDeniedException for the calls in ``refused``
    (``operation`` or ``operation:argument``), or another error for those in ``failing``."""

    def __init__(self, client: Any, refused: tuple[str, ...] = (), failing: tuple[str, ...] = ()) -> None:
        self.client, self.refused, self.failing, self.asked = client, refused, failing, []

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            self.asked.append(operation)
            keys = {operation, *(f"{operation}:{v}" for v in params.values() if isinstance(v, str))}
            if keys & set(self.refused):
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, operation)
            if keys & set(self.failing):
                raise ClientError({"Error": {"Code": "InternalServiceException", "Message": "boom"}}, operation)
            return getattr(self.client, operation)(**params)

        return call


def _problems(found: SavedTexts) -> list[str]:
    rb = healthy()
    rb.saved_texts = found
    return saved_text_problems(rb)


def _table(name: str, columns: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {"Columns": columns, "Location": f"s3://lake/{name}/"},
        **extra,
    }


CLEAN_COLUMNS = [
    {"Name": "user_id", "Type": "bigint"},
    {"Name": "ssn", "Type": "string", "Comment": "Social security number, format NNN-NN-NNNN; hidden from analysts"},
]


# -- named queries and prepared statements ------------------------------------------------------------------------


def _save(athena: Any) -> dict[str, str]:
    """Saved queries of the analyst's workgroup: two showing a value, one describing ssn without one."""
    made = {
        "lookup": athena.create_named_query(
            Name="find one", Database="gold", WorkGroup=WORK_GROUP,
            QueryString="SELECT * FROM gold.users WHERE ssn = '123-45-6789'",
        )["NamedQueryId"],
        "described": athena.create_named_query(
            Name="by user", Database="gold", WorkGroup=WORK_GROUP, Description="was 987-65-4321's row",
            QueryString="SELECT user_id FROM gold.users WHERE user_id = ?",
        )["NamedQueryId"],
        "clean": athena.create_named_query(
            Name="ssn format", Database="gold", WorkGroup=WORK_GROUP, Description="counts ssn formats",
            QueryString="SELECT count(*) FROM gold.users WHERE regexp_like(ssn, '^\\d{3}-\\d{2}-\\d{4}$')",
        )["NamedQueryId"],
    }  # fmt: skip
    athena.create_prepared_statement(
        StatementName="by_ssn",
        WorkGroup=WORK_GROUP,
        QueryStatement="SELECT user_id FROM gold.users WHERE ssn = ? OR ssn = '987654321'",
    )
    athena.create_prepared_statement(
        StatementName="by_id", WorkGroup=WORK_GROUP, QueryStatement="SELECT * FROM gold.users WHERE user_id = ?"
    )
    return made


def test_a_value_in_a_named_query_or_prepared_statement_the_analyst_reads_fails(clients: tuple[Any, Any]) -> None:
    """Red on main: saved queries were never read; GetNamedQuery/GetPreparedStatement hand their text over."""
    athena, _ = clients
    made = _save(athena)
    found = read_saved_queries(athena, Analyst(athena), VALUES, [WORK_GROUP])
    assert found.errors == []
    problems = _problems(found)
    assert len(problems) == 3, problems
    by_where = {t.where: t for t in found.shown}
    lookup = by_where[f"workgroup {WORK_GROUP}, named query {made['lookup']} (find one)"]
    assert lookup.fields == ["NamedQuery.QueryString"] and lookup.call == "GetNamedQuery"
    assert by_where[f"workgroup {WORK_GROUP}, named query {made['described']} (by user)"].fields == [
        "NamedQuery.Description"
    ]
    assert by_where[f"workgroup {WORK_GROUP}, prepared statement by_ssn"].fields == ["PreparedStatement.QueryStatement"]
    assert problems[0] == (
        f"workgroup {WORK_GROUP}, named query {made['lookup']} (find one) shows values of ssn in "
        "NamedQuery.QueryString, and the analyst's GetNamedQuery hands it over: saved named query text is the "
        "analyst's to read, whatever Lake Formation hides of the columns"
    )
    assert found.examined == {"named query": 3, "prepared statement": 2}
    assert not any(v in str(found) for v in ("123-45-6789", "987-65-4321", "987654321"))


def test_saved_queries_without_a_value_pass_and_the_analyst_is_asked_nothing(clients: tuple[Any, Any]) -> None:
    athena, _ = clients
    athena.create_named_query(Name="ssn format", Database="gold", WorkGroup=WORK_GROUP, QueryString="SELECT 1")
    athena.create_prepared_statement(StatementName="p", WorkGroup=WORK_GROUP, QueryStatement="SELECT ? AS ssn")
    analyst = Analyst(athena)
    found = read_saved_queries(athena, analyst, VALUES, [WORK_GROUP])
    assert found.errors == [] and found.shown == [] and analyst.asked == []


def test_saved_queries_the_analyst_may_not_read_show_it_nothing_and_other_failures_are_errors(
    clients: tuple[Any, Any],
) -> None:
    athena, _ = clients
    made = _save(athena)
    analyst = Analyst(athena, refused=("get_prepared_statement", f"get_named_query:{made['lookup']}"))
    analyst.failing = (f"get_named_query:{made['described']}",)
    found = read_saved_queries(athena, analyst, VALUES, [WORK_GROUP])
    assert found.shown == [] and len(found.refused) == 2
    assert len(found.errors) == 1 and made["described"] in found.errors[0] and "GetNamedQuery" in found.errors[0]
    assert "987-65-4321" not in found.errors[0]


# -- the Glue catalog -----------------------------------------------------------------------------------------------


def _presto_view(sql: str) -> str:
    body = json.dumps({"originalSql": sql, "catalog": "awsdatacatalog", "schema": "gold", "columns": []})
    return f"/* Presto View: {base64.b64encode(body.encode()).decode()} */"


def test_a_value_in_glue_metadata_the_analyst_reads_fails(clients: tuple[Any, Any]) -> None:
    """Red on main: Glue was read only for column names and locations. A column comment quoting an example, a
    table parameter's key, a view's base64 text, an older table version (the comment since "fixed"), a partition
    value (a table partitioned by ssn) and a database description each show a value through the analyst's
    GetTable/GetTableVersion/GetPartition/GetDatabase."""
    _, glue = clients
    commented = [
        {"Name": "user_id", "Type": "bigint"},
        {"Name": "ssn", "Type": "string", "Comment": "e.g. 123-45-6789"},
    ]
    glue.create_table(DatabaseName="gold", TableInput=_table("commented", commented))
    glue.create_table(
        DatabaseName="gold", TableInput=_table("tagged", CLEAN_COLUMNS, Parameters={"987654321": "checked"})
    )
    view = _table("users_v", [{"Name": "user_id", "Type": "bigint"}], TableType="VIRTUAL_VIEW")
    view["ViewOriginalText"] = _presto_view("SELECT user_id FROM gold.users WHERE ssn <> '987-65-4321'")
    glue.create_table(DatabaseName="gold", TableInput=view)
    glue.create_table(DatabaseName="gold", TableInput=_table("fixed", commented))
    glue.update_table(DatabaseName="gold", TableInput=_table("fixed", CLEAN_COLUMNS))
    glue.create_table(
        DatabaseName="gold",
        TableInput=_table("by_ssn", CLEAN_COLUMNS[:1], PartitionKeys=[{"Name": "ssn", "Type": "string"}]),
    )
    for ssn in ("123-45-6789", "000-00-0000"):
        glue.create_partition(
            DatabaseName="gold",
            TableName="by_ssn",
            PartitionInput={"Values": [ssn], "StorageDescriptor": {"Location": f"s3://lake/by_ssn/ssn={ssn}/"}},
        )
    glue.create_database(DatabaseInput={"Name": "scratch", "Description": "copied from 123-45-6789's export"})
    found = read_glue_texts(glue, Analyst(glue), VALUES)
    assert found.errors == []
    shown = {t.where: (t.call, t.fields) for t in found.shown}
    comment, old = (
        "Table.StorageDescriptor.Columns[ssn].Comment",
        "TableVersion.Table.StorageDescriptor.Columns[ssn].Comment",
    )
    assert shown == {
        "table gold.commented": ("GetTable", [comment]),
        "table gold.commented, version 1": ("GetTableVersion", [old]),
        "table gold.tagged": ("GetTable", ["Table.Parameters.<hidden value> (the key)"]),
        "table gold.tagged, version 1": ("GetTableVersion", ["TableVersion.Table.Parameters.<hidden value> (the key)"]),
        "table gold.users_v": ("GetTable", ["Table.ViewOriginalText"]),
        "table gold.users_v, version 1": ("GetTableVersion", ["TableVersion.Table.ViewOriginalText"]),
        "table gold.fixed, version 1": ("GetTableVersion", [old]),
        'table gold.by_ssn, partition ["<hidden value>"]': (
            "GetPartition",
            ["Partition.Values[0]", "Partition.StorageDescriptor.Location"],
        ),
        "database scratch": ("GetDatabase", ["Database.Description"]),
    }  # fmt: skip
    assert len(_problems(found)) == len(shown)
    assert not any(v in str(found) for v in ("123-45-6789", "987-65-4321", "987654321"))


def test_glue_metadata_describing_ssn_without_a_value_passes(clients: tuple[Any, Any]) -> None:
    """A comment describing the column, a partition key named ssn holding no value, a view over ssn: green."""
    _, glue = clients
    glue.create_table(DatabaseName="gold", TableInput=_table("users", CLEAN_COLUMNS, Parameters={"owner": "data"}))
    glue.update_table(DatabaseName="gold", TableInput=_table("users", CLEAN_COLUMNS, Description="users, ssn hidden"))
    view = _table("users_v", [{"Name": "user_id", "Type": "bigint"}], TableType="VIRTUAL_VIEW")
    view["ViewOriginalText"] = _presto_view("SELECT user_id FROM gold.users WHERE ssn IS NOT NULL")
    glue.create_table(DatabaseName="gold", TableInput=view)
    glue.create_table(
        DatabaseName="gold",
        TableInput=_table("daily", CLEAN_COLUMNS, PartitionKeys=[{"Name": "day", "Type": "string"}]),
    )
    glue.create_partition(DatabaseName="gold", TableName="daily", PartitionInput={"Values": ["2026-12-07"]})
    analyst = Analyst(glue)
    found = read_glue_texts(glue, analyst, VALUES)
    assert found.errors == [] and found.shown == [] and analyst.asked == []
    assert found.examined == {"database": 1, "table": 3, "table version": 4, "partition": 1}
    rb = healthy()
    rb.saved_texts = found
    assert judge_security(rb).details["problems"]["saved_texts"] == []


def test_glue_metadata_the_analyst_may_not_read_shows_it_nothing(clients: tuple[Any, Any]) -> None:
    """Lake Formation (or IAM) refusing the analyst's GetTable/GetTableVersion: nothing handed over."""
    _, glue = clients
    commented = [{"Name": "ssn", "Type": "string", "Comment": "e.g. 123-45-6789"}]
    glue.create_table(DatabaseName="gold", TableInput=_table("commented", commented))
    found = read_glue_texts(glue, Analyst(glue, refused=("get_table", "get_table_version")), VALUES)
    assert found.errors == [] and found.shown == [] and len(found.refused) == 2


def test_a_version_cap_is_an_error_naming_the_table(clients: tuple[Any, Any]) -> None:
    _, glue = clients
    glue.create_table(DatabaseName="gold", TableInput=_table("busy", CLEAN_COLUMNS))
    glue.update_table(DatabaseName="gold", TableInput=_table("busy", CLEAN_COLUMNS, Description="v2"))
    found = read_glue_texts(glue, Analyst(glue), VALUES, max_versions=1)
    assert len(found.errors) == 1 and "table gold.busy has more than 1 Glue table versions" in found.errors[0]


def test_shown_fields_names_the_field_and_masks_the_value() -> None:
    document = {"Table": {"Name": "t", "Parameters": {"note": "see 123456789"}, "Columns": [{"Name": "a"}]}}
    assert shown_fields(document, VALUES) == ["Table.Parameters.note"]
    assert shown_fields({"Name": "x_123-45-6789"}, VALUES) == ["Name"]


# -- the same catalog text through Athena's API (GetDatabase, GetTableMetadata of AwsDataCatalog) --------------------


class AthenaCatalog:
    """The analyst's Athena client over the catalog: Athena's answers built from Glue's (comments, parameters), or
    AccessDeniedException when ``refused`` (its IAM on the data catalog's ARN)."""

    def __init__(self, glue: Any, refused: bool = False) -> None:
        self.glue, self.refused, self.asked = glue, refused, []

    def _check(self, operation: str) -> None:
        self.asked.append(operation)
        if self.refused:
            message = f"not authorized to perform: athena:{operation}"
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, operation)

    def get_database(self, CatalogName: str, DatabaseName: str) -> Any:  # noqa: N803
        self._check("GetDatabase")
        db = self.glue.get_database(Name=DatabaseName)["Database"]
        return {"Database": {k: db[k] for k in ("Name", "Description", "Parameters") if k in db}}

    def get_table_metadata(self, CatalogName: str, DatabaseName: str, TableName: str) -> Any:  # noqa: N803
        self._check("GetTableMetadata")
        table = self.glue.get_table(DatabaseName=DatabaseName, Name=TableName)["Table"]
        columns = (table.get("StorageDescriptor") or {}).get("Columns") or []
        keys = ("Name", "TableType", "Parameters", "PartitionKeys")
        return {"TableMetadata": {"Columns": columns, **{k: table[k] for k in keys if k in table}}}


def test_a_value_athena_hands_the_analyst_refused_by_glue_fails(clients: tuple[Any, Any]) -> None:
    """Glue refuses the analyst's GetTable/GetDatabase, Athena's GetTableMetadata/GetDatabase (``athena:`` on the
    data catalog's ARN) hands the same comment and description over: judged through Glue alone, this passed."""
    _, glue = clients
    commented = [{"Name": "ssn", "Type": "string", "Comment": "e.g. 123-45-6789"}]
    glue.create_table(DatabaseName="gold", TableInput=_table("commented", commented))
    glue.create_database(DatabaseInput={"Name": "scratch", "Description": "copied from 123-45-6789's export"})
    refused = ("get_table", "get_table_version", "get_database")
    found = read_glue_texts(glue, Analyst(glue, refused=refused), VALUES, analyst_athena=AthenaCatalog(glue))
    assert found.errors == []
    assert {t.where: (t.call, t.fields) for t in found.shown} == {
        "table gold.commented": ("Athena GetTableMetadata", ["TableMetadata.Columns[ssn].Comment"]),
        "database scratch": ("Athena GetDatabase", ["Database.Description"]),
    }
    assert "the analyst's Athena GetTableMetadata hands it over" in _problems(found)[0]


def test_athena_refusing_the_analyst_the_catalog_shows_it_nothing(clients: tuple[Any, Any]) -> None:
    _, glue = clients
    glue.create_table(
        DatabaseName="gold", TableInput=_table("commented", [{"Name": "ssn", "Type": "string", "Comment": "123456789"}])
    )
    athena = AthenaCatalog(glue, refused=True)
    found = read_glue_texts(
        glue, Analyst(glue, refused=("get_table", "get_table_version")), VALUES, analyst_athena=athena
    )
    assert found.errors == [] and found.shown == [] and athena.asked == ["GetTableMetadata"]
    assert "table gold.commented (Athena GetTableMetadata refused)" in found.refused


def test_athena_is_asked_nothing_where_glue_shows_no_value(clients: tuple[Any, Any]) -> None:
    _, glue = clients
    glue.create_table(DatabaseName="gold", TableInput=_table("users", CLEAN_COLUMNS))
    athena = AthenaCatalog(glue)
    found = read_glue_texts(glue, Analyst(glue), VALUES, analyst_athena=athena)
    assert found.errors == [] and found.shown == [] and athena.asked == []
