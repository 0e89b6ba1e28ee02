"""Tables the Athena query histories copied a hidden column into: they hold it under any name.

A privileged ``CREATE TABLE scratch.users_export AS SELECT user_id, ssn AS tax_id FROM gold.users``
leaves a table the catalog lists without ``ssn``: exit check 6 found lake locations only from tables
with a column so named, so the copy's files, in a bucket the analyst may read, went unjudged, and a
later ``SELECT * FROM scratch.users_export`` writing its results anywhere named no hidden table.
Every CTAS, ``INSERT INTO``, ``CREATE VIEW``, ``MERGE INTO`` (its ``INSERT VALUES`` and ``UPDATE SET``,
Athena's upsert into an Iceberg table) and ``UPDATE ... SET c = (SELECT ...)`` that succeeded in a workgroup the
check reads is resolved column by column (sqlglot's lineage, ``lakehouse.lineage.columns``, against the catalog's
columns): the target table is a copy when one of its columns is computed from a hidden column (or a
``*`` of a table holding one), transitively through copies of copies. ``SELECT user_id, country FROM
gold.users`` copies nothing; a column only filtered on (``WHERE ssn IS NOT NULL``) is not copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify_tables import qualify_tables

from lakehouse.checks.query_results import WorkGroupHistory
from lakehouse.emulator.sql.dialect import READ
from lakehouse.lineage.columns import ColumnLineageError, Schema, column_lineage

#: ``(database, table, column)``, lower case.
Column = tuple[str, str, str]
#: Statements that write a table or a view from a query (after leading comments and blanks).
_WRITES = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(?:create|insert|merge|update)\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Statement:
    """A succeeded execution that writes a table or a view, with its database context."""

    query_id: str
    work_group: str
    sql: str
    database: str
    #: Where the execution wrote its result file (ResultConfiguration.OutputLocation), if Athena said.
    output_location: str = ""


@dataclass
class Statements:
    """The writing statements of the workgroups read, and what could not be read."""

    statements: list[Statement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class HistoryCopy:
    """A table (or view) a past query filled with hidden values, and the query that did it."""

    database: str
    table: str
    #: The target's columns carrying hidden values -> the hidden columns (``db.table.column``) they come from.
    columns: dict[str, list[str]]
    query_id: str
    work_group: str
    #: The ``location``/``external_location`` the statement gave, or where Athena put a CTAS's files when it gave
    #: none (``ctas_default_location``): where the files went, in or out of the catalog.
    location: str | None = None
    #: Every S3 location of the copy's files (filled by the reader from the catalog or ``location``).
    storage: list[str] = field(default_factory=list)
    #: The region whose catalog lists it, ``""`` for the stack's (``region_copies``): names are unique per region.
    region: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.table}"

    @property
    def label(self) -> str:
        """The copy as reasons name it: ``db.table``, with its region when not the stack's."""
        return f"{self.qualified} of region {self.region}" if self.region else self.qualified

    def describe(self) -> str:
        """``scratch.users_export (tax_id from gold.users.ssn), by query Q of workgroup W``."""
        carried = ", ".join(f"{c} from {' and '.join(s)}" for c, s in sorted(self.columns.items()))
        return f"{self.label} ({carried}), written by query {self.query_id} of workgroup {self.work_group}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.qualified,
            "columns": self.columns,
            "query_id": self.query_id,
            "work_group": self.work_group,
            "location": self.location,
            "storage": self.storage,
            "region": self.region,
        }


def read_statements(histories: Iterable[WorkGroupHistory]) -> Statements:
    """Every succeeded CTAS / INSERT / CREATE VIEW / MERGE / UPDATE of the workgroups' histories, oldest first."""
    found = Statements()
    for history in histories:
        work_group = history.label  # its region too when not the stack's: every region has its ``primary``
        found.errors += history.errors(
            f"could not read query <query> of workgroup {work_group} (a table it wrote could hold a hidden column)",
            "a copy of a hidden column made",
        )
        mine: list[Statement] = []
        for execution in history.executions:
            sql = str(execution.get("Query") or "")
            if (execution.get("Status") or {}).get("State") != "SUCCEEDED" or not _WRITES.match(sql):
                continue
            context = str((execution.get("QueryExecutionContext") or {}).get("Database") or "default")
            output = str((execution.get("ResultConfiguration") or {}).get("OutputLocation") or "")
            mine.append(Statement(str(execution.get("QueryExecutionId")), work_group, sql, context, output))
        found.statements += reversed(mine)  # ListQueryExecutions lists the newest first
    return found


def _target_and_sql(statement: Statement) -> tuple[tuple[str, str], str, str | None, set[tuple[str, str]]] | None:
    """The written table (database, name), the statement with every table qualified by its database context,
    the location it names (a CTAS naming none: Athena's default) and the tables it names; ``None`` when it writes
    no table from a query or does not parse."""
    found = _parsed(statement.sql, statement.database)
    if found is None:
        return None
    written, sql, location, named, ctas = found
    if location is None and ctas:
        location = ctas_default_location(statement)
    return written, sql, location, set(named)


@lru_cache(maxsize=2048)
def _parsed(
    sql: str, database: str
) -> tuple[tuple[str, str], str, str | None, frozenset[tuple[str, str]], bool] | None:
    """``_target_and_sql`` of the statement's text in its database context, with whether it is a CTAS (whose
    default location is the query's own). Remembered: a query history repeats the pipeline's statements every
    run, and exit check 6 reads it again in each of KPI-mttr's recoveries (sqlglot parses ~100 a second)."""
    try:
        tree = sqlglot.parse_one(sql, read=READ)
    except SqlglotError:
        return None
    if isinstance(tree, exp.Create | exp.Insert) and tree.expression is None:
        return None  # ``CREATE TABLE t (cols)``: no rows from a query
    if not isinstance(tree, exp.Create | exp.Insert | exp.Merge | exp.Update):
        return None
    tree = qualify_tables(tree, db=database, dialect=READ)
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table) or not target.name:
        return None
    location = None
    for prop in tree.find_all(exp.Property):
        if prop.name.lower() in ("location", "external_location") and isinstance(prop.args.get("value"), exp.Literal):
            location = str(prop.args["value"].this)
    for loc in tree.find_all(exp.LocationProperty):
        location = loc.this.name if isinstance(loc.this, exp.Literal) else location
    ctas = isinstance(tree, exp.Create) and str(tree.kind).upper() == "TABLE"
    named = frozenset((t.db.lower(), t.name.lower()) for t in tree.find_all(exp.Table) if t.db and t.name)
    return ((target.db or database).lower(), target.name.lower()), tree.sql(dialect=READ), location, named, ctas


def history_copies(
    statements: Iterable[Statement], schema: Schema, hidden: Iterable[Column], region: str
) -> tuple[list[HistoryCopy], list[str]]:
    """The tables the statements copied a ``hidden`` column into (transitively), and notes on statements that
    read a hidden table but could not be followed (they did not parse).

    ``schema`` is the catalog's columns (lower case); a copy's columns are added to it as found, so a copy of a
    copy the catalog no longer lists is still followed."""
    known: Schema = {d: {t: dict(c) for t, c in ts.items()} for d, ts in schema.items()}
    carrying: dict[Column, set[str]] = {h: {".".join(h)} for h in hidden}
    holding = {(d, t) for d, t, _ in carrying}  # already hidden tables: the pipeline's CTAS of them copies nothing new
    listed = list(statements)
    #: Parsed only once the text names a table holding a hidden column (sqlglot parses ~100 statements a second).
    parsed: dict[int, tuple[tuple[str, str], str, str | None, set[tuple[str, str]]] | None] = {}
    #: Statements that parsed but whose columns sqlglot could not follow: why.
    unfollowed: dict[int, str] = {}
    copies: dict[tuple[str, str], HistoryCopy] = {}
    changed = True
    while changed:  # to a fixpoint: a copy of a copy made earlier in another workgroup is found too
        changed = False
        for index, statement in enumerate(listed):
            tables = {(d, t) for d, t, _ in carrying}
            if index not in parsed:
                if not _names_any(statement.sql, tables):
                    continue
                parsed[index] = _target_and_sql(statement)
            if (found := parsed[index]) is None:
                continue
            (database, table), sql, location, named = found
            if not named & tables:
                continue  # another team's table (a shared ``primary``): no lineage to resolve
            # Only the tables it names: sqlglot builds its schema per call (the whole catalog took ~0.14 s each).
            mine: Schema = {}
            for d, t in named:
                if t in known.get(d, {}):
                    mine.setdefault(d, {})[t] = known[d][t]
            try:
                flows = column_lineage(sql, region, mine)
            except ColumnLineageError as err:  # the columns it could follow are followed, the rest noted
                unfollowed[index] = str(err)
                flows = err.partial
            for column, sources in flows.items():
                origins = set()
                for ref, source in sources:
                    _, src_db, src_table = ref.name.split(".", 2)
                    key = (src_db.lower(), src_table.lower())
                    if source == "*" and key in tables:  # a whole row (ROW(u.*), to_json): every column
                        origins |= {o for (d, t, _), os in carrying.items() if (d, t) == key for o in os}
                    origins |= carrying.get((*key, source.lower()), set())
                if not origins or (database, table) in holding:
                    continue
                target = (database, table, column.lower())
                if not origins <= carrying.get(target, set()):
                    carrying.setdefault(target, set()).update(origins)
                    known.setdefault(database, {}).setdefault(table, {}).setdefault(column.lower(), "varchar")
                    changed = True
                copy = copies.setdefault(
                    (database, table),
                    HistoryCopy(database, table, {}, statement.query_id, statement.work_group, location),
                )
                copy.columns[column.lower()] = sorted(carrying[target])
    notes = [
        f"query {listed[i].query_id} of workgroup {listed[i].work_group} writes a table but could not be parsed: "
        "a copy it made is not followed"
        for i, found in sorted(parsed.items())
        if found is None
    ]
    notes += [
        f"query {listed[i].query_id} of workgroup {listed[i].work_group} writes a table but its columns could not "
        f"all be followed ({why}): a copy of those is not followed"
        for i, why in sorted(unfollowed.items())
    ]
    return sorted(copies.values(), key=lambda c: c.qualified), notes


def ctas_default_location(statement: Statement) -> str | None:
    """Where Athena puts a CTAS's files when it names no location: ``tables/<query id>/`` in the folder of the
    query's result file (``<results>/<id>.csv`` with the workgroup's location; ``.../<date>/<id>.csv`` with the
    client's: Athena's "Considerations and limitations for CTAS queries"). Dropping such a Hive table leaves them
    there, in a results folder its workgroup's users may read."""
    if not statement.output_location.startswith("s3://") or "/" not in statement.output_location[5:]:
        return None
    return f"{statement.output_location.rsplit('/', 1)[0]}/tables/{statement.query_id}/"


def _names_any(sql: str, tables: set[tuple[str, str]]) -> bool:
    """Whether ``sql`` names one of the tables (by name alone: a cheap, generous filter before the lineage)."""
    text = re.sub(r'["`]', "", sql).lower()
    return any(re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text) for _, t in tables)


def catalog_schema(columns: Mapping[tuple[str, str], Iterable[str]]) -> Schema:
    """``{(database, table): [column]}`` -> sqlglot's schema, lower case, in order (an INSERT without a column
    list maps by position); every column ``varchar`` (lineage needs names only, and Glue's ``struct<...>``
    types are not sqlglot's)."""
    schema: Schema = {}
    for (database, table), cols in columns.items():
        schema.setdefault(database.lower(), {})[table.lower()] = {c.lower(): "varchar" for c in cols}
    return schema
