"""Hidden values written into saved text the analyst reads besides query executions (exit check 6).

A value does not have to come back as a query result to reach the analyst. Athena keeps two kinds of saved
text per workgroup: named queries (``aws_athena_named_query``, the console's saved queries; GetNamedQuery hands
back their ``QueryString``, ``Name`` and ``Description``) and prepared statements (GetPreparedStatement, their
``QueryStatement``): a deployer's ``SELECT * FROM gold.users WHERE ssn = '123-45-6789'`` saved there shows the
value to whoever may read it. The Glue catalog is read by the analyst too (``glue:GetTable(s)``,
``GetTableVersions``, ``GetPartitions``, ``GetDatabase``; Lake Formation grants metadata access apart from
SELECT on columns): a column comment quoting an example value, a table or column ``Parameters`` entry, a
``Description``, a view's text (a Presto view's ``ViewOriginalText`` is base64 JSON, decoded here), an older
table version Glue keeps after the comment was "fixed", or a partition value (a table partitioned by ssn has one
per person) shows it as well.

Each source is listed by the privileged principal and searched with ``hidden_values``' matcher (every string of
the answer, its keys too); only where a value is found is the analyst asked the same question with its own
credentials, and only what the analyst's own answer shows counts (``SavedText``), as ``query_results`` decides
for query executions. A refusal (IAM, Lake Formation) shows nothing. Every workgroup is read, not only the
analyst's: IAM decides which the analyst reaches. On AWS, Lake Formation filters the analyst's Glue answers;
the local emulator's Glue applies IAM only, so locally a table the analyst lacks DESCRIBE on counts as read
(conservative: it can only fail more).

Athena hands the same catalog text over its own API: GetDatabase (``Description``, ``Parameters``) and
GetTableMetadata (columns with their comments, partition keys, ``Parameters``) of ``AwsDataCatalog``, allowed by
``athena:`` actions on the data catalog's ARN. Whether Athena also asks Glue's IAM (``glue:GetTable``) for the
caller is not documented in Athena's API or IAM references, so judging the Glue call alone could pass an analyst
refused ``glue:GetTable`` but allowed ``athena:GetTableMetadata``: where a database or table shows a value, the
analyst's Athena call is asked too, and its own answer judged the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.hidden_values import HiddenValues

#: Named queries or prepared statements read per workgroup; past it the check errs naming the workgroup.
MAX_SAVED = 20_000
#: Versions and partitions read per table; past it the check errs naming the table.
MAX_VERSIONS = 20_000
MAX_PARTITIONS = 100_000
#: BatchGetNamedQuery takes at most 50 ids.
BATCH = 50
#: Answers that mean "not yours to read": the analyst is shown nothing. Glue answers Lake Formation's refusal as
#: AccessDeniedException; a table the caller may not see at all, or one gone since the listing, as not found.
REFUSED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "EntityNotFoundException")
_PRESTO_VIEW = ("/* Presto View: ", "*/")
#: The Glue Data Catalog as Athena's API names it.
ATHENA_CATALOG = "AwsDataCatalog"


@dataclass
class SavedText:
    """Saved text the analyst's own API call hands it, showing a hidden value (the value masked everywhere)."""

    source: str  # "named query", "prepared statement", "database", "table", "table version", "partition"
    where: str  # "workgroup analyst, named query <id> (<name>)", "table gold.users, version 3"
    call: str  # the analyst's API call that answered it: "GetNamedQuery"
    fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "where": self.where, "call": self.call, "fields": self.fields}


@dataclass
class SavedTexts:
    """What the saved text hands the analyst, what it was refused, and what could not be read."""

    shown: list[SavedText] = field(default_factory=list)
    #: Where a value was found that the analyst's own call was refused (or shows no value): nothing handed over.
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Items read per source: the evidence says how much was searched.
    examined: dict[str, int] = field(default_factory=dict)

    def count(self, source: str, n: int = 1) -> None:
        self.examined[source] = self.examined.get(source, 0) + n

    def extend(self, other: SavedTexts) -> None:
        self.shown += other.shown
        self.refused += other.refused
        self.errors += other.errors
        for source, n in other.examined.items():
            self.count(source, n)


def _view_text(text: str) -> str | None:
    """The decoded body of a Presto view's ``/* Presto View: <base64> */`` (its SQL, columns), None if not one."""
    text = text.strip()
    if not (text.startswith(_PRESTO_VIEW[0]) and text.endswith(_PRESTO_VIEW[1])):
        return None
    try:
        return base64.b64decode(text[len(_PRESTO_VIEW[0]) : -len(_PRESTO_VIEW[1])].strip()).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def _label(item: Any, index: int) -> str:
    """How a list element is named in a field path: a column by its name, else its position."""
    if isinstance(item, Mapping) and isinstance(item.get("Name"), str):
        return str(item["Name"])
    return str(index)


def shown_fields(document: Any, values: HiddenValues, path: str = "") -> list[str]:
    """Field paths of ``document`` (an API answer) whose text, or key, shows a hidden value, masked
    (``StorageDescriptor.Columns[ssn].Comment``, ``Parameters.<hidden value>``, ``Values[0]``)."""
    found: list[str] = []
    if isinstance(document, Mapping):
        for key, item in document.items():
            label = values.redacted(str(key))
            where = f"{path}.{label}" if path else label
            if values.found_in(str(key)):
                found.append(f"{where} (the key)")
            found += shown_fields(item, values, where)
    elif isinstance(document, list | tuple):
        for index, item in enumerate(document):
            found += shown_fields(item, values, f"{path}[{values.redacted(_label(item, index))}]")
    elif isinstance(document, str | int) and not isinstance(document, bool | datetime):
        view = _view_text(document) if isinstance(document, str) else None
        if values.found_in(document) or (view is not None and values.found_in(view)):
            found.append(path)
    return found


def _refused(err: ClientError | BotoCoreError) -> bool:
    return isinstance(err, ClientError) and err.response.get("Error", {}).get("Code") in REFUSED


def _confirm(
    found: SavedTexts, values: HiddenValues, source: str, where: str, call: str, ask: Callable[[], Any]
) -> None:
    """Ask the analyst (``ask``, its own ``call``) for an item the privileged answer showed a value in: what the
    analyst's answer shows is a ``SavedText``; a refusal shows nothing; any other failure is an error."""
    try:
        answer = ask()
    except (ClientError, BotoCoreError) as err:
        if _refused(err):
            found.refused.append(f"{where} ({call} refused)")
        else:
            found.errors.append(f"could not ask {call}, as the analyst, for {where}, which shows a hidden value: {err}")
        return
    answer = {k: v for k, v in dict(answer).items() if k != "ResponseMetadata"}
    fields = shown_fields(answer, values)
    if fields:
        found.shown.append(SavedText(source, where, call, fields))
    else:
        found.refused.append(f"{where} ({call} shows the analyst no value)")


# -- Athena: named queries and prepared statements ---------------------------------------------------------------


def _pages(call: Callable[..., Any], key: str, limit: int, **params: Any) -> tuple[list[Any], bool]:
    """Items of a NextToken-paged list, up to ``limit``; True when more were listed past it."""
    items: list[Any] = []
    while len(items) <= limit:
        page = call(**params)
        items += page.get(key) or []
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    return items[:limit], len(items) > limit


def read_saved_queries(
    athena: Any,
    analyst_athena: Any,
    values: HiddenValues,
    work_groups: Iterable[str],
    limit: int = MAX_SAVED,
    region: str = "",
) -> SavedTexts:
    """Every named query and prepared statement of ``work_groups`` (listed by the privileged ``athena``) whose text
    shows a hidden value, as the analyst's own GetNamedQuery/GetPreparedStatement hands it over; ``region``: the
    clients' region when not the stack's (every region has its ``primary``: the reasons name it)."""
    found = SavedTexts()
    for work_group in work_groups:
        label = f"{work_group} of region {region}" if region else work_group
        ids, cut = _pages(athena.list_named_queries, "NamedQueryIds", limit, WorkGroup=work_group, MaxResults=50)
        statements, cut_ps = _pages(athena.list_prepared_statements, "PreparedStatements", limit, WorkGroup=work_group)
        for kind, over in (("named queries", cut), ("prepared statements", cut_ps)):
            if over:
                found.errors.append(
                    f"workgroup {label} lists more than {limit:,} {kind} (the first {limit:,} searched): one "
                    "past them could show a hidden value"
                )
        for start in range(0, len(ids), BATCH):
            answer = athena.batch_get_named_query(NamedQueryIds=ids[start : start + BATCH])
            found.errors += [
                f"could not read named query {u.get('NamedQueryId')} of workgroup {label}: "
                f"{u.get('ErrorCode') or ''} {u.get('ErrorMessage') or ''}".rstrip()
                for u in answer.get("UnprocessedNamedQueryIds") or []
            ]
            for query in answer.get("NamedQueries") or []:
                found.count("named query")
                if not shown_fields(query, values):
                    continue
                query_id = str(query.get("NamedQueryId"))
                where = f"workgroup {label}, named query {query_id} ({values.redacted(str(query.get('Name')))})"
                _confirm(
                    found,
                    values,
                    "named query",
                    where,
                    "GetNamedQuery",
                    partial(analyst_athena.get_named_query, NamedQueryId=query_id),
                )
        for summary in statements:
            name = str(summary.get("StatementName"))
            statement = athena.get_prepared_statement(StatementName=name, WorkGroup=work_group)
            found.count("prepared statement")
            if not shown_fields(statement.get("PreparedStatement") or {}, values):
                continue
            _confirm(
                found,
                values,
                "prepared statement",
                f"workgroup {label}, prepared statement {values.redacted(name)}",
                "GetPreparedStatement",
                partial(analyst_athena.get_prepared_statement, StatementName=name, WorkGroup=work_group),
            )
    return found


# -- Glue: databases, tables, their versions and partitions ------------------------------------------------------


def _paged(glue: Any, operation: str, key: str, limit: int, **params: Any) -> tuple[list[dict[str, Any]], bool]:
    """Items of a paginated Glue list, up to ``limit``; True when more were listed past it."""
    items: list[dict[str, Any]] = []
    for page in glue.get_paginator(operation).paginate(**params):
        items += page.get(key) or []
        if len(items) > limit:
            return items[:limit], True
    return items, False


def read_glue_texts(
    glue: Any,
    analyst_glue: Any,
    values: HiddenValues,
    max_versions: int = MAX_VERSIONS,
    max_partitions: int = MAX_PARTITIONS,
    analyst_athena: Any = None,
) -> SavedTexts:
    """Every database, table, table version and partition of the Glue catalog (listed by the privileged ``glue``)
    showing a hidden value, as the analyst's own GetDatabase/GetTable/GetTableVersion/GetPartition hands it over,
    and (with ``analyst_athena``) Athena's GetDatabase/GetTableMetadata of the same database or table."""
    found = SavedTexts()
    for page in glue.get_paginator("get_databases").paginate():
        for database in page.get("DatabaseList") or []:
            name = str(database["Name"])
            found.count("database")
            if shown_fields(database, values):
                _confirm(
                    found,
                    values,
                    "database",
                    f"database {values.redacted(name)}",
                    "GetDatabase",
                    partial(analyst_glue.get_database, Name=name),
                )
                if analyst_athena is not None:
                    _confirm(
                        found,
                        values,
                        "database",
                        f"database {values.redacted(name)}",
                        "Athena GetDatabase",
                        partial(analyst_athena.get_database, CatalogName=ATHENA_CATALOG, DatabaseName=name),
                    )
            for tpage in glue.get_paginator("get_tables").paginate(DatabaseName=name):
                for table in tpage.get("TableList") or []:
                    _read_table(glue, analyst_glue, values, name, table, found, max_versions, max_partitions)
                    if analyst_athena is not None and shown_fields(table, values):
                        _confirm(
                            found,
                            values,
                            "table",
                            "table " + values.redacted(f"{name}.{table['Name']}"),
                            "Athena GetTableMetadata",
                            partial(
                                analyst_athena.get_table_metadata,
                                CatalogName=ATHENA_CATALOG,
                                DatabaseName=name,
                                TableName=str(table["Name"]),
                            ),
                        )
    return found


def _read_table(
    glue: Any,
    analyst_glue: Any,
    values: HiddenValues,
    database: str,
    table: Mapping[str, Any],
    found: SavedTexts,
    max_versions: int,
    max_partitions: int,
) -> None:
    """One table: its current entry, every version Glue keeps and every partition."""
    name = str(table["Name"])
    qualified = values.redacted(f"{database}.{name}")
    found.count("table")
    if shown_fields(table, values):
        _confirm(
            found,
            values,
            "table",
            f"table {qualified}",
            "GetTable",
            partial(analyst_glue.get_table, DatabaseName=database, Name=name),
        )
    where = {"DatabaseName": database, "TableName": name}
    versions, cut = _paged(glue, "get_table_versions", "TableVersions", max_versions, **where)
    if cut:
        found.errors.append(
            f"table {qualified} has more than {max_versions:,} Glue table versions (the first {max_versions:,} "
            "searched): an older one could show a hidden value (BatchDeleteTableVersion removes old ones)"
        )
    for version in versions:
        found.count("table version")
        version_id = str(version.get("VersionId"))
        if shown_fields(version.get("Table") or {}, values):
            _confirm(
                found,
                values,
                "table version",
                f"table {qualified}, version {version_id}",
                "GetTableVersion",
                partial(analyst_glue.get_table_version, **where, VersionId=version_id),
            )
    if not table.get("PartitionKeys"):
        return
    partitions, cut = _paged(glue, "get_partitions", "Partitions", max_partitions, **where)
    if cut:
        found.errors.append(
            f"table {qualified} has more than {max_partitions:,} partitions (the first {max_partitions:,} searched): "
            "one past them could show a hidden value"
        )
    for partition in partitions:
        found.count("partition")
        if not shown_fields(partition, values):
            continue
        partition_values = [str(v) for v in partition.get("Values") or []]
        _confirm(
            found,
            values,
            "partition",
            f"table {qualified}, partition {values.redacted(json.dumps(partition_values))}",
            "GetPartition",
            partial(analyst_glue.get_partition, **where, PartitionValues=partition_values),
        )
