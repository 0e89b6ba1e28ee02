"""One Athena statement in, an ``Outcome`` or an ``AthenaError`` out.

Reads: every catalog table the statement names is read (pyiceberg for Iceberg, the serde's
rules for CSV), registered in a fresh DuckDB connection, and the statement, translated by
sqlglot, runs there. Writes to Iceberg tables (INSERT, MERGE, DELETE, UPDATE, CTAS) run in
DuckDB against a working copy of the target and are committed back through pyiceberg, so the
table is a real Iceberg table with a new snapshot afterwards. Athena's rules that decide
whether a statement fails are kept (a MERGE target row matched twice, the workgroup's scan
limit, External Iceberg DDL, types Iceberg DDL does not take).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import itertools
import re
import secrets
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from pyiceberg.table import Table as IcebergTable
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.emulator.sql import dialect
from lakehouse.emulator.sql.access import Access
from lakehouse.emulator.sql.assignments import refuse_mismatched_writes, writes
from lakehouse.emulator.sql.catalog import PATH_COLUMN, LakeCatalog, TableInfo
from lakehouse.emulator.sql.comparisons import compares, refuse_mismatched_comparisons
from lakehouse.emulator.sql.decimal_division import decimal_divisions
from lakehouse.emulator.sql.dialect import Statement, qualified, replace_table, to_duckdb
from lakehouse.emulator.sql.division import DIVISION_MACROS, integer_divisions, mark_divisions, trino_failure
from lakehouse.emulator.sql.errors import AccessDenied, AthenaError, DdlRefusal, where
from lakehouse.emulator.sql.floats import TRINO_FUNCTIONS, follow_trino, mark, typed_functions
from lakehouse.emulator.sql.restrict import cells_select, needs_rows_cut, refuse_mismatched_filters
from lakehouse.emulator.sql.results import Column, athena_column, interval_texts, texts
from lakehouse.emulator.sql.scancache import ExactCache, Sources
from lakehouse.emulator.sql.setops import combines, refuse_incompatible_set_operations
from lakehouse.emulator.sql.typed import annotate, athena_columns
from lakehouse.emulator.sql.values import has_values, refuse_mismatched_values

SUPPORTED = (
    "SELECT, INSERT INTO, MERGE INTO, DELETE, UPDATE, CREATE TABLE (Iceberg), CREATE TABLE AS SELECT (Iceberg), "
    "CREATE EXTERNAL TABLE (CSV/text), DROP TABLE, CREATE [OR REPLACE] VIEW (Presto views, invoker rights), DROP VIEW, "
    "SHOW CREATE VIEW, CREATE/DROP DATABASE, ALTER TABLE ADD COLUMNS / SET TBLPROPERTIES (Iceberg), "
    "ALTER TABLE SET LOCATION / SET TBLPROPERTIES (Hive), ALTER TABLE UNSET TBLPROPERTIES (Iceberg, Hive), "
    "SHOW TABLES/DATABASES/COLUMNS, DESCRIBE, information_schema.schemata/tables/columns, "
    "EXECUTE (a prepared statement of the query's workgroup)"
)
#: ``CREATE [OR REPLACE] VIEW name AS <query>``: the query's own text, kept as the view's ``originalSql``.
_VIEW_QUERY = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+[^\s(]+\s+AS\s+(.*?)[\s;]*$", re.I | re.S)
_SHOW_CREATE_VIEW = re.compile(r"^\s*SHOW\s+CREATE\s+VIEW\s+(.+?)[\s;]*$", re.I | re.S)
#: Views inside views, at most this deep (a view replaced to read itself would otherwise never end).
_MAX_VIEW_DEPTH = 10

#: Iceberg DDL types Athena accepts, as Arrow types (pyiceberg maps them to Iceberg's).
_ICEBERG_TYPES: dict[str, pa.DataType] = {
    "TEXT": pa.large_string(),  # sqlglot's name for Athena's `string`
    "INT": pa.int32(),
    "BIGINT": pa.int64(),
    "FLOAT": pa.float32(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "BINARY": pa.large_binary(),
    "VARBINARY": pa.large_binary(),
}
#: pyiceberg's type names as Athena's DESCRIBE shows them.
_HIVE_NAMES = {"long": "bigint", "integer": "int", "timestamptz": "timestamp with time zone", "binary": "binary"}
_NOT_IN_ICEBERG_DDL = {"TINYINT", "SMALLINT", "VARCHAR", "CHAR"}
#: The table properties Athena sets on an Iceberg table (any case); any other key fails with
#: ``Unsupported table property key: <key>`` (Athena's "Specify table properties" list, and the
#: ``write.data.path`` / ``write.object-storage.path`` keys its ALTER TABLE SET TBLPROPERTIES page names).
ICEBERG_TABLE_PROPERTIES = frozenset(
    {
        "table_type",
        "format",
        "write_compression",
        "compression_level",
        "optimize_rewrite_data_file_threshold",
        "optimize_rewrite_delete_file_threshold",
        "vacuum_min_snapshots_to_keep",
        "vacuum_max_snapshot_age_seconds",
        "vacuum_max_metadata_files_to_keep",
        "write_target_data_file_size_bytes",
        "write_data_path_enabled",
        "write.data.path",
        "write.object-storage.path",
    }
)
#: Hive's ErrorMsg 10215, the start of how HiveQL fails UNSET TBLPROPERTIES of a key the table does not have
#: (followed by ``The following property <key> does not exist in <table>``); Athena's own wrapping is unmeasured.
HIVE_UNSET_MISSING = (
    "Please use the following syntax if not sure whether the property existed or not:\n"
    "ALTER TABLE tableName UNSET TBLPROPERTIES IF EXISTS (key1, key2, ...)\n"
)
#: How Athena fails SET LOCATION (and REPLACE COLUMNS, ADD/DROP PARTITION) on an Iceberg table.
ICEBERG_REFUSES = "Query type not supported by Athena Iceberg at this time"

_MISSING_COLUMN = (
    re.compile(r'Referenced column "([^"]+)" not found'),
    re.compile(r'does not have a column named "([^"]+)"'),
    re.compile(r'column "([^"]+)" (?:not found|does not exist)', re.I),
)
#: DuckDB reads only the Arrow tables the engine registers: no files, no URLs, no extensions,
#: and the statement cannot switch that back on (``SET`` fails on a locked configuration).
SANDBOX: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "lock_configuration": True,
}
#: Results leave DuckDB as Arrow with 64-bit offsets (``large_string``, ``large_binary``,
#: ``large_list``), the types pyiceberg's schemas use: rows written to an Iceberg table are then
#: cast without copying every string (a million staged rows: ~0.4 s of the commit). Set at
#: creation: the configuration is locked.
ARROW_TYPES: dict[str, str | bool | int | float | list[str]] = {"arrow_large_buffer_size": True}
_MISSING_FUNCTION = re.compile(r'Function with name "?([\w.]+)"? does not exist', re.I)

#: A statement that reads at least this much (bytes of its files), or writes, runs on the parallel
#: database; a small one runs on the single-threaded one, where a query of a few hundred rows does
#: not pay for waking worker threads (a few ms each time, more on a busy machine).
PARALLEL_FROM_BYTES = 8 * 1024 * 1024
#: Trino's bigint range: a sum DuckDB widened to HUGEINT must fit it, or Trino's overflow error.
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1
#: Trino's words for a bigint sum past its range (``NUMERIC_VALUE_OUT_OF_RANGE``).
_OVERFLOW = "bigint addition overflow"


def _trino_bigint(column: str) -> str:
    """A HUGEINT column as Trino's bigint inside DuckDB: the value, or Trino's overflow error past the range.

    Used where rows stay in DuckDB (a CTAS's or INSERT's Arrow result); a plain CAST would fail as an
    invalid cast, which is not what Athena says.
    """
    quoted = f'"{column}"'
    return (
        f"CASE WHEN {quoted} IS NULL OR {quoted} BETWEEN {_BIGINT_MIN} AND {_BIGINT_MAX} "
        f"THEN CAST({quoted} AS BIGINT) ELSE error('{_OVERFLOW}: ' || CAST({quoted} AS VARCHAR)) END AS {quoted}"
    )


_databases: dict[bool, duckdb.DuckDBPyConnection] = {}
_databases_lock = threading.Lock()


#: The schema holding the snapshot copies (``_NativeTables``); unguessable, and no statement names
#: a DuckDB table itself (every table reference is resolved through Glue and replaced).
_COPIES_SCHEMA = f"__snapshots_{secrets.token_hex(6)}"
_COPY_NUMBERS = itertools.count(1)


def _connection(parallel: bool) -> duckdb.DuckDBPyConnection:
    """A fresh connection to one of the engine's two in-memory DuckDB databases (each made once).

    Opening a DuckDB database costs tens of milliseconds, a connection to an open one microseconds.
    What a statement registers (its Arrow views) and creates (its ``TEMP`` working tables) belongs
    to its own connection, so statements running side by side never see each other's; the
    databases' own schemas stay empty but for the snapshot copies (``_NativeTables``). The two
    differ only in their worker threads.
    """
    with _databases_lock:
        if parallel not in _databases:
            config = {**SANDBOX, **ARROW_TYPES} if parallel else {**SANDBOX, **ARROW_TYPES, "threads": 1}
            database = duckdb.connect(config=config)
            database.execute(f'CREATE SCHEMA "{_COPIES_SCHEMA}"')
            for macro in (*TRINO_FUNCTIONS, *DIVISION_MACROS):
                database.execute(macro)
            _databases[parallel] = database
        return _databases[parallel].cursor()


class _NativeTables:
    """Snapshot rows the scan cache hands out again, copied once into the database as DuckDB tables.

    Registering an Arrow table costs each statement about 0.4 ms and DuckDB reads a native table
    faster than an Arrow scan (the demo queries: 1.2 ms instead of 3.3). A copy is keyed by the
    identity of the cached Arrow table (``scancache`` hands out the same object while the snapshot's
    files are current), made the second time that object is read, and dropped once nothing holds
    that object any more (the cache let go of it and no running statement reads it: ``_Run``
    holds what it reads). Only for statements that see every row and column of the table: a
    principal Lake Formation restricts gets its own cut registered, as before. Results are never
    cached.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 8 * 1024 * 1024, max_total: int = 256 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_total = max_total
        self._seen: dict[int, weakref.ref[pa.Table]] = {}
        self._copies: dict[int, tuple[weakref.ref[pa.Table], str, int]] = {}
        self._lock = threading.Lock()

    def name(self, data: pa.Table) -> str | None:
        """The copy of ``data`` in the single-threaded database, None when it is not (yet) worth one."""
        if data.nbytes > self.max_bytes:
            return None
        key = id(data)
        with self._lock:
            copy = self._copies.get(key)
            if copy is not None and copy[0]() is data:
                return copy[1]
            seen = self._seen.get(key)
            if seen is None or seen() is not data:
                self._seen = {k: ref for k, ref in self._seen.items() if ref() is not None}
                self._seen[key] = weakref.ref(data)
                return None
            del self._seen[key]
            return self._copy(key, data)

    def _copy(self, key: int, data: pa.Table) -> str | None:
        con = _connection(parallel=False)
        try:
            for old in [k for k, (ref, _, _) in self._copies.items() if ref() is None or k == key]:
                con.execute(f"DROP TABLE IF EXISTS {self._copies.pop(old)[1]}")
            held = sum(size for _, _, size in self._copies.values())
            if len(self._copies) >= self.max_entries or held + data.nbytes > self.max_total:
                return None  # every copy is in use: this statement registers its rows instead
            name = f'"{_COPIES_SCHEMA}"."t{next(_COPY_NUMBERS)}"'
            con.register("__copy", data)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM __copy")
        finally:
            con.close()
        self._copies[key] = (weakref.ref(data), name, data.nbytes)
        return name

    def __len__(self) -> int:
        return len(self._copies)


_NATIVE = _NativeTables()


def _point(table: exp.Table, view: str) -> None:
    """``replace_table`` for a registered view (``__t0``) or a snapshot copy (``"schema"."t1"``)."""
    if not view.startswith('"'):
        replace_table(table, view)
        return
    schema, name = (part.strip('"') for part in view.split(".", 1))
    replace_table(table, name)
    table.set("db", exp.to_identifier(schema, quoted=True))


@dataclass
class Outcome:
    """What a statement produced, for GetQueryExecution and GetQueryResults."""

    kind: str
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    update_count: int | None = None
    scanned_bytes: int = 0
    snapshots: dict[str, int] = field(default_factory=dict)  # table -> snapshot read or written

    @property
    def statement_type(self) -> str:
        """Athena's StatementType: DDL, DML or UTILITY."""
        if self.kind in ("SELECT", "INSERT", "MERGE", "DELETE", "UPDATE"):
            return "DML"
        if self.kind.startswith("SHOW") or self.kind == "DESCRIBE":
            return "UTILITY"
        return "DDL"

    @property
    def substatement_type(self) -> str:
        return {"CTAS": "CREATE_TABLE_AS_SELECT", "CREATE_EXTERNAL_TABLE": "CREATE_TABLE"}.get(self.kind, self.kind)


@functools.lru_cache(maxsize=512)
def _parsed(sql: str) -> Statement:
    """``dialect.parse``, remembered per statement text (a pure function of it; failures are not kept).

    The parsed statement is shared: the engine only reads it, rewriting a copy (``_Run.tree``).
    """
    return dialect.parse(sql)


#: Statements that may run on the single-threaded database when they read little.
_SMALL_KINDS = frozenset({"SELECT", "DESCRIBE", "SHOW_TABLES", "SHOW_DATABASES", "SHOW_COLUMNS"})
#: A SELECT's DuckDB text by (statement, database, the views its table references read, in order).
_TRANSLATIONS: ExactCache[str] = ExactCache(max_entries=512)


def _no_object(uri: str) -> object | None:
    return None


class Engine:
    """Runs statements against one emulator endpoint and region."""

    def __init__(self, catalog: LakeCatalog) -> None:
        self.catalog = catalog

    def execute(
        self, sql: str, database: str = "default", scan_limit: int | None = None, access: Access | None = None
    ) -> Outcome:
        """Run one statement as the principal ``access`` describes (unrestricted when None)."""
        stmt = _parsed(sql)
        handler = getattr(self, f"_run_{stmt.kind.lower()}", None)
        if handler is None:
            what = stmt.kind.replace("_", " ").removeprefix("COMMAND ")
            raise AthenaError(
                "NOT_SUPPORTED",
                f"line 1:1: {what} statements are not supported by the local Athena emulator (supported: {SUPPORTED})",
            )
        run = _Run(self.catalog, stmt, database.lower(), scan_limit, access or Access.unrestricted())
        try:
            outcome: Outcome = handler(run)
        finally:
            run.close()
        outcome.scanned_bytes = run.scanned
        outcome.snapshots.update(run.snapshots)
        return outcome

    # -- queries ------------------------------------------------------------------------------

    def _run_select(self, run: _Run) -> Outcome:
        assert run.stmt.tree is not None
        views = tuple(view for _, view in run.bind_views(run.stmt.tree))  # reads; the parsed tree is not changed
        key = (run.sql, run.database, views)
        sql = _TRANSLATIONS.get(key, _no_object)
        if sql is None:  # translate: a pure function of the statement and the views it reads
            tree = _name_unnamed_columns(run.tree())
            for table, view in zip(dialect.table_refs(tree), views, strict=True):
                _point(table, view)
            run.refuse_type_mismatches(tree)
            sql = to_duckdb(tree)
            _TRANSLATIONS.put(key, sql, Sources(()))
        columns, rows = run.rows(sql)
        return Outcome("SELECT", columns, rows)

    # -- writes into Iceberg tables -----------------------------------------------------------

    def _run_insert(self, run: _Run) -> Outcome:
        tree = run.tree()
        target = dialect.target_table(tree)
        info = run.iceberg_target(target)
        run.require(info, {"INSERT"}, target)
        with self.catalog.writing(info):
            table = self.catalog.load_iceberg(info)
            run.working_copy(table.schema().as_arrow().empty_table(), info)
            replace_table(target, "__target")
            target.set("alias", None)
            run.bind_reads(tree, skip=target)
            run.refuse_type_mismatches(tree)
            rows = run.inserted_rows(tree, table)
            if rows is not None:
                count = rows.num_rows
            else:  # the INSERT as it stands, into the working copy (VALUES, BY NAME, ..., or one that fails)
                count = run.count(to_duckdb(tree))
                rows = run.target_rows(table) if count else None
            if count and rows is not None:
                table.append(rows)
                self.catalog.remember_written(table, rows)
                run.snapshots[info.qualified] = _snapshot_id(table)
        return Outcome("INSERT", update_count=count)

    def _rewrite(self, run: _Run, kind: str) -> Outcome:
        """MERGE, DELETE and UPDATE: change a working copy, commit it as the table's new snapshot."""
        tree = run.tree()
        target = dialect.target_table(tree)
        info = run.iceberg_target(target)
        # DELETE removes rows it reads; UPDATE and MERGE also write rows back.
        run.require(info, {"SELECT", "DELETE"} if kind == "DELETE" else {"SELECT", "INSERT", "DELETE"}, target)
        with self.catalog.writing(info):
            table = self.catalog.load_iceberg(info)
            run.working_copy(run.read(info, None, table=table).table, info)
            had_alias = target.args.get("alias") is not None
            replace_table(target, "__target")
            if not had_alias and kind != "MERGE":
                target.set("alias", None)
            run.bind_reads(tree, skip=target)
            run.refuse_type_mismatches(tree)
            run.check_target_reads(info, tree, target)
            if isinstance(tree, exp.Merge):
                count, rows = run.merged_rows(tree, table)
            else:
                count, rows = run.changed_rows(tree, table)
            if count and rows is not None:
                table.overwrite(rows)
                self.catalog.remember_written(table, rows)
                run.snapshots[info.qualified] = _snapshot_id(table)
        return Outcome(kind, update_count=count)

    def _run_merge(self, run: _Run) -> Outcome:
        return self._rewrite(run, "MERGE")

    def _run_delete(self, run: _Run) -> Outcome:
        return self._rewrite(run, "DELETE")

    def _run_update(self, run: _Run) -> Outcome:
        return self._rewrite(run, "UPDATE")

    # -- DDL ----------------------------------------------------------------------------------

    def _run_ctas(self, run: _Run) -> Outcome:
        tree = run.tree()
        target = dialect.target_table(tree)
        db, name = run.new_table_name(target, tree)
        if db is None:
            return Outcome("CTAS", update_count=0)
        run.require_on_database(db, "CREATE_TABLE", target)
        props = dialect.properties(tree)
        if props.get("table_type", "").upper() != "ICEBERG":
            raise AthenaError(
                "NOT_SUPPORTED",
                f"{where(run.sql, target)}CREATE TABLE AS SELECT without table_type='ICEBERG' (a Hive table) "
                "is not supported by the local Athena emulator",
            )
        location = props.get("location") or props.get("external_location")
        if not location:
            raise AthenaError("GENERIC_USER_ERROR", f"{where(run.sql, target)}location is required for Iceberg tables")
        run.require_location(location)
        query = tree.expression
        _name_unnamed_columns(query)
        run.bind_reads(query)
        run.refuse_type_mismatches(query)
        data = run.arrow(to_duckdb(query))
        partitions = _partitions(run.sql, dialect.partition_exprs(tree))
        table = self.catalog.create_iceberg(db, name, data.schema, location, partitions, {})
        run.access.record_creation((db, name))
        if data.num_rows:
            rows = data.cast(table.schema().as_arrow())
            table.append(rows)
            self.catalog.remember_written(table, rows)
            run.snapshots[f"{db}.{name}"] = _snapshot_id(table)
        return Outcome("CTAS", update_count=data.num_rows)

    def _run_create_table(self, run: _Run) -> Outcome:
        tree = run.tree()
        target = dialect.target_table(tree)
        props = dialect.properties(tree)
        if props.get("table_type", "").upper() != "ICEBERG":
            raise AthenaError(
                "NOT_SUPPORTED",
                f"{where(run.sql, target)}only Iceberg tables can be created without EXTERNAL: "
                "add TBLPROPERTIES ('table_type'='ICEBERG')",
            )
        for key in dialect.property_keys(tree):
            _require_iceberg_property(key)
        fmt = props.get("format", "parquet").lower()
        if fmt != "parquet":
            raise AthenaError(
                "NOT_SUPPORTED", f"{where(run.sql, target)}Iceberg format '{fmt}' (only parquet is emulated)"
            )
        if not props.get("location"):
            raise AthenaError("GENERIC_USER_ERROR", f"{where(run.sql, target)}LOCATION is required for Iceberg tables")
        db, name = run.new_table_name(target, tree)
        if db is None:
            return Outcome("CREATE_TABLE")
        run.require_on_database(db, "CREATE_TABLE", target)
        run.require_location(props["location"])
        schema = pa.schema([pa.field(c, _iceberg_type(run.sql, t)) for c, t in dialect.column_defs(tree)])
        partitions = _partitions(run.sql, dialect.partition_exprs(tree))
        extra = {k: v for k, v in props.items() if k not in ("table_type", "format", "location")}
        self.catalog.create_iceberg(db, name, schema, props["location"], partitions, extra)
        run.access.record_creation((db, name))
        return Outcome("CREATE_TABLE")

    def _run_create_external_table(self, run: _Run) -> Outcome:
        tree = run.tree()
        target = dialect.target_table(tree)
        props = dialect.properties(tree)
        if props.get("table_type", "").upper() == "ICEBERG":
            raise AthenaError(
                "NOT_SUPPORTED", f"{where(run.sql, target)}External keyword not supported for table type ICEBERG."
            )
        if not props.get("location"):
            raise AthenaError("GENERIC_USER_ERROR", f"{where(run.sql, target)}LOCATION is required for external tables")
        db, name = run.new_table_name(target, tree)
        if db is None:
            return Outcome("CREATE_EXTERNAL_TABLE")
        run.require_on_database(db, "CREATE_TABLE", target)
        run.require_location(props["location"])
        columns = [(c, t.sql("hive").lower().replace(" ", "")) for c, t in dialect.column_defs(tree)]
        parameters = {k: v for k, v in props.items() if k not in ("location", "format")}
        self.catalog.create_hive(db, name, columns, props["location"], dialect.serde(tree), parameters)
        run.access.record_creation((db, name))
        return Outcome("CREATE_EXTERNAL_TABLE")

    def _to_drop(self, run: _Run, view: bool) -> tuple[TableInfo, str, str] | None:
        """What DROP TABLE (``view`` False) or DROP VIEW names, as ``(info, database, name)`` with its DROP permission
        checked; None when it is absent under IF EXISTS. Each statement refuses the other kind, as Athena does."""
        tree = run.tree()
        target = dialect.target_table(tree)
        db, name = qualified(run.sql, target, run.database)
        info = self.catalog.describe(db, name)
        if info is None:
            if tree.args.get("exists"):
                return None
            what = "View" if view else "Table"
            raise AthenaError(
                "TABLE_NOT_FOUND", f"{where(run.sql, target)}{what} 'awsdatacatalog.{db}.{name}' does not exist"
            )
        if not view and info.kind == "view":
            raise AthenaError(
                "GENERIC_USER_ERROR",
                f"{where(run.sql, target)}Cannot drop a view with DROP TABLE: use DROP VIEW {db}.{name}",
            )
        if view and info.kind != "view":
            raise AthenaError(
                "GENERIC_USER_ERROR", f"{where(run.sql, target)}'awsdatacatalog.{db}.{name}' is a table, not a view"
            )
        run.require(info, {"DROP"}, target)
        return info, db, name

    def _run_drop_table(self, run: _Run) -> Outcome:
        if (found := self._to_drop(run, view=False)) is not None:
            self.catalog.drop(found[0])
        return Outcome("DROP_TABLE")

    def _run_create_view(self, run: _Run) -> Outcome:
        """A Presto view: its query analysed as the creator (SELECT on what it reads), its columns kept in Glue."""
        tree = run.tree()
        target = dialect.target_table(tree)
        db, name = qualified(run.sql, target, run.database)
        run.require_database(db, target)
        existing = self.catalog.describe(db, name)
        replace = bool(tree.args.get("replace"))
        if existing is not None and (existing.kind != "view" or not replace):
            what = "View" if existing.kind == "view" else "Table"
            raise AthenaError(
                "ALREADY_EXISTS", f"{where(run.sql, target)}{what} 'awsdatacatalog.{db}.{name}' already exists"
            )
        if existing is not None:
            run.require(existing, {"ALTER"}, target)  # OR REPLACE updates the Glue table
        else:
            run.require_on_database(db, "CREATE_TABLE", target)
        query = tree.expression
        if not isinstance(query, exp.Query):
            raise AthenaError("SYNTAX_ERROR", f"{where(run.sql, target)}a view is defined by a query")
        m = _VIEW_QUERY.match(run.sql)
        original = m.group(1) if m else query.sql(dialect.READ)
        columns = run.view_columns(original, db)
        self.catalog.put_view(db, name, original, columns, replace=existing is not None)
        if existing is None:
            run.access.record_creation((db, name))
        return Outcome("CREATE_VIEW")

    def _run_drop_view(self, run: _Run) -> Outcome:
        if (found := self._to_drop(run, view=True)) is not None:
            _, db, name = found
            self.catalog.glue.delete_table(DatabaseName=db, Name=name)
        return Outcome("DROP_VIEW")

    def _run_command_show(self, run: _Run) -> Outcome:
        """SHOW CREATE VIEW (the other SHOW forms sqlglot leaves unparsed are not emulated)."""
        m = _SHOW_CREATE_VIEW.match(run.sql)
        if m is None:
            raise AthenaError(
                "NOT_SUPPORTED",
                f"line 1:1: this SHOW statement is not supported by the local Athena emulator (supported: {SUPPORTED})",
            )
        table = exp.to_table(m.group(1), dialect=dialect.READ)
        db, name = qualified(run.sql, table, run.database)
        info = run.info(db, name, None)
        if info.kind != "view":
            raise AthenaError(
                "NOT_SUPPORTED", f"line 1:1: Relation 'awsdatacatalog.{db}.{name}' is a table, not a view"
            )
        if not run.access.table_permissions(db, name):
            run.require(info, {"DESCRIBE"}, None)
        text = f'CREATE VIEW "awsdatacatalog"."{db}"."{name}" SECURITY INVOKER AS\n{info.view["originalSql"]}'
        return Outcome("SHOW_CREATE_VIEW", [Column("Create View", "varchar")], [[line] for line in text.split("\n")])

    def _run_command_create(self, run: _Run) -> Outcome:
        """What sqlglot cannot parse as CREATE: Glue Data Catalog (multi-dialect, definer) views among them."""
        if re.match(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:PROTECTED\s+)?MULTI\s+DIALECT\s+VIEW\b", run.sql, re.I):
            raise AthenaError(
                "NOT_SUPPORTED",
                "line 1:1: Glue Data Catalog views (CREATE PROTECTED MULTI DIALECT VIEW ... SECURITY DEFINER) are not "
                "supported by the local Athena emulator: only Presto views (CREATE VIEW, invoker rights) are",
            )
        raise AthenaError(
            "NOT_SUPPORTED",
            f"line 1:1: this CREATE statement is not supported by the local Athena emulator (supported: {SUPPORTED})",
        )

    def _run_create_database(self, run: _Run) -> Outcome:
        tree = run.tree()
        name = dialect.target_table(tree).name.lower()
        if self.catalog.database_exists(name):
            if tree.args.get("exists"):
                return Outcome("CREATE_DATABASE")
            raise AthenaError("ALREADY_EXISTS", f"line 1:1: Database {name} already exists")
        run.require_on_catalog("CREATE_DATABASE")
        props = dialect.properties(tree)
        db_input: dict[str, Any] = {"Name": name}
        if props.get("location"):
            db_input["LocationUri"] = props["location"]
        self.catalog.glue.create_database(DatabaseInput=db_input)
        run.access.record_creation((name,))
        return Outcome("CREATE_DATABASE")

    def _run_drop_database(self, run: _Run) -> Outcome:
        tree = run.tree()
        name = dialect.target_table(tree).name.lower()
        if not self.catalog.database_exists(name):
            if tree.args.get("exists"):
                return Outcome("DROP_DATABASE")
            raise AthenaError("SCHEMA_NOT_FOUND", f"line 1:1: Schema '{name}' does not exist")
        run.require_on_database(name, "DROP", None)
        tables = self.catalog.tables(name)
        if tables and not tree.args.get("cascade"):
            raise AthenaError(
                "GENERIC_USER_ERROR", f"line 1:1: Database {name} is not empty. One or more tables exist."
            )
        # CASCADE drops every table: each needs DROP, all checked before anything is dropped.
        infos = [info for info in (self.catalog.describe(name, t) for t in tables) if info is not None]
        for info in infos:
            run.require(info, {"DROP"}, None)
        for info in infos:
            self.catalog.drop(info)
        self.catalog.glue.delete_database(Name=name)
        return Outcome("DROP_DATABASE")

    def _run_alter(self, run: _Run) -> Outcome:
        """ALTER TABLE: ALTER on the table first, then what Athena's DDL does with the table's format.

        Iceberg: ADD COLUMNS, SET TBLPROPERTIES (Athena's keys only); SET LOCATION is refused as Athena
        refuses it. Hive: SET LOCATION and SET TBLPROPERTIES, a Glue UpdateTable. Everything is checked
        before anything is changed.
        """
        tree = run.tree()
        target = tree.this
        if not isinstance(target, exp.Table) or str(tree.args.get("kind") or "").upper() != "TABLE":
            raise AthenaError("NOT_SUPPORTED", f"line 1:1: {tree.sql(dialect.READ)[:60]}")
        info = run.resolve(target)
        run.require(info, {"ALTER"}, target)
        actions = tree.args.get("actions") or []
        if actions and not tree.args.get("options") and target.args.get("partition") is None:
            if info.kind == "iceberg":
                return self._alter_iceberg(run, info, actions, target)
            if info.kind == "hive":
                return self._alter_hive(run, info, actions, target)
        raise _alter_not_emulated(run.sql, target)

    def _alter_iceberg(self, run: _Run, info: TableInfo, actions: list[exp.Expression], target: exp.Table) -> Outcome:
        added: list[pa.Field] = []
        properties: dict[str, str] = {}
        for action in actions:
            if isinstance(action, exp.Schema):
                added += [pa.field(c.name.lower(), _iceberg_type(run.sql, c.args["kind"])) for c in action.expressions]
                continue
            change = dialect.alter_set(action)
            if change is None:
                raise _alter_not_emulated(run.sql, target)
            if change[0] == "location":  # measured on Athena: started, then FAILED with these words
                raise DdlRefusal("NOT_SUPPORTED", ICEBERG_REFUSES)
            assert isinstance(change[1], list)
            for key, value in change[1]:
                _require_iceberg_property(key)
                if key.lower() != "table_type":
                    properties[key.lower()] = value
                elif value.upper() != "ICEBERG":  # the table's format, not a property: what Athena does is unmeasured
                    raise _alter_not_emulated(run.sql, target)
        with self.catalog.writing(info):
            table = self.catalog.load_iceberg(info)
            with table.transaction() as tx:
                if added:
                    with tx.update_schema() as update:
                        update.union_by_name(pa.schema(added))
                if properties:
                    tx.set_properties(properties)
        return Outcome("ALTER_TABLE")

    def _alter_hive(self, run: _Run, info: TableInfo, actions: list[exp.Expression], target: exp.Table) -> Outcome:
        location: str | None = None
        parameters: dict[str, str] = {}
        for action in actions:
            change = dialect.alter_set(action)
            if change is None:
                raise _alter_not_emulated(run.sql, target)
            if change[0] == "location":
                assert isinstance(change[1], str)
                location = change[1]
                if not location.startswith("s3://"):
                    raise AthenaError(
                        "GENERIC_USER_ERROR",
                        f"{where(run.sql, target)}Invalid location {location} for table. Only S3 locations are allowed",
                    )
                run.require_location(location)
            else:
                assert isinstance(change[1], list)
                parameters.update(change[1])
        with self.catalog.writing(info):
            self.catalog.alter_hive(info, location, parameters)
        return Outcome("ALTER_TABLE")

    def _run_unset_tblproperties(self, run: _Run) -> Outcome:
        """ALTER TABLE ... UNSET TBLPROPERTIES [IF EXISTS] ('k', ...): ALTER on the table first, then the keys go.

        Iceberg (Athena's documented UNSET): Athena's keys only, dropped from the Iceberg metadata. Hive (HiveQL's
        UNSET): the table's Glue parameters, by a Glue UpdateTable; without IF EXISTS a key the table does not have
        fails in Hive's words and nothing changes.
        """
        tree = run.tree()
        target = tree.this
        info = run.resolve(target)
        run.require(info, {"ALTER"}, target)
        change = dialect.alter_set(tree.args["actions"][0])
        if change is None or target.args.get("partition") is not None or info.kind not in ("iceberg", "hive"):
            raise _alter_not_emulated(run.sql, target)
        assert isinstance(change[1], list)
        keys = [key for key, _ in change[1]]
        if info.kind == "iceberg":
            for key in keys:
                _require_iceberg_property(key)
                if key.lower() == "table_type":  # the table's format, not a property: what Athena does is unmeasured
                    raise _alter_not_emulated(run.sql, target)
            with self.catalog.writing(info):
                table = self.catalog.load_iceberg(info)
                with table.transaction() as tx:
                    tx.remove_properties(*(key.lower() for key in keys))
            return Outcome("ALTER_TABLE")
        with self.catalog.writing(info):
            held = self.catalog.parameters(info)
            missing = [key for key in keys if key not in held]
            if missing and not run.stmt.args.get("if_exists"):
                raise DdlRefusal(
                    "GENERIC_USER_ERROR",
                    f"{HIVE_UNSET_MISSING} The following property {missing[0]} does not exist in {info.name}",
                )
            self.catalog.alter_hive(info, None, {}, frozenset(keys))
        return Outcome("ALTER_TABLE")

    # -- utility ------------------------------------------------------------------------------

    def _run_show_tables(self, run: _Run) -> Outcome:
        db = (run.stmt.args.get("database") or run.database).lower()
        run.require_database(db, None)
        names = [n for n in self.catalog.tables(db) if run.access.table_permissions(db, n)]
        if pattern := run.stmt.args.get("pattern"):
            names = _like(names, pattern)
        return Outcome("SHOW_TABLES", [Column("tab_name", "varchar")], [[n] for n in names])

    def _run_show_databases(self, run: _Run) -> Outcome:
        names = [n for n in self.catalog.databases() if run.access.sees_database(n, self.catalog.tables(n))]
        if pattern := run.stmt.args.get("pattern"):
            names = _like(names, pattern)
        return Outcome("SHOW_DATABASES", [Column("database_name", "varchar")], [[n] for n in names])

    def _run_show_columns(self, run: _Run) -> Outcome:
        db = (run.stmt.args.get("database") or run.database).lower()
        info = run.info(db, str(run.stmt.args["table"]).lower(), None)
        names = [c for c, _ in run.visible_columns(info, None)]
        return Outcome("SHOW_COLUMNS", [Column("field", "varchar")], [[n] for n in names])

    def _run_describe(self, run: _Run) -> Outcome:
        tree = run.tree()
        table = tree.this if isinstance(tree.this, exp.Table) else tree.find(exp.Table)
        assert table is not None
        db, name = qualified(run.sql, table, run.database)
        info = run.info(db, name, table)
        rows: list[list[str | None]] = [[c, t] for c, t in run.visible_columns(info, table)]
        return Outcome("DESCRIBE", [Column("col_name", "varchar"), Column("data_type", "varchar")], rows)


class _Run:
    """The state of one statement: its DuckDB connection, what it read, what it cost."""

    def __init__(
        self,
        catalog: LakeCatalog,
        stmt: Statement,
        database: str,
        scan_limit: int | None,
        access: Access,
        view_depth: int = 0,
    ) -> None:
        self.catalog = catalog
        self.view_depth = view_depth  # > 0: this runs a view's query for the statement that reads the view
        self.access = access
        self.stmt = stmt
        self.sql = stmt.sql
        self.database = database
        self.scan_limit = scan_limit
        self._con: duckdb.DuckDBPyConnection | None = None
        self.scanned = 0
        self.snapshots: dict[str, int] = {}
        self._views: dict[tuple[str, int | None, bool], str] = {}
        self._bound: dict[str, TableInfo] = {}  # DuckDB name -> the table read into it (``__target``: the written one)
        self._held: list[pa.Table] = []
        self._parallel = False

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The statement's DuckDB connection, made at first use: parallel for writes and big reads."""
        if self._con is None:
            self._parallel = self.stmt.kind not in _SMALL_KINDS or self.scanned >= PARALLEL_FROM_BYTES
            self._con = _connection(self._parallel)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()

    def _on_small_database(self) -> bool:
        """Whether this statement runs on the single-threaded database (where snapshot copies live)."""
        return self.con is not None and not self._parallel

    def tree(self) -> exp.Expression:
        """A copy to rewrite; the original keeps the source positions error messages point at."""
        assert self.stmt.tree is not None
        return self.stmt.tree.copy()

    # -- names --------------------------------------------------------------------------------

    def require_database(self, db: str, node: exp.Expression | None) -> None:
        if not self.catalog.database_exists(db):
            raise AthenaError("SCHEMA_NOT_FOUND", f"{where(self.sql, node)}Schema '{db}' does not exist")

    def info(self, db: str, name: str, node: exp.Expression | None) -> TableInfo:
        info = self.catalog.describe(db, name)  # one Glue call when the table exists (the usual case)
        if info is None:
            self.require_database(db, node)
            raise AthenaError(
                "TABLE_NOT_FOUND", f"{where(self.sql, node)}Table 'awsdatacatalog.{db}.{name}' does not exist"
            )
        return info

    def resolve(self, table: exp.Table) -> TableInfo:
        db, name = qualified(self.sql, table, self.database)
        return self.info(db, name, table)  # copies keep the source position ``where`` reads

    def new_table_name(self, target: exp.Table, tree: exp.Expression) -> tuple[str | None, str]:
        """Where a CREATE puts its table; ``(None, name)`` when IF NOT EXISTS finds it there."""
        db, name = qualified(self.sql, target, self.database)
        self.require_database(db, target)
        if self.catalog.describe(db, name) is not None:
            if tree.args.get("exists"):
                return None, name
            raise AthenaError("ALREADY_EXISTS", f"{where(self.sql, target)}Table '{db}.{name}' already exists")
        return db, name

    def iceberg_target(self, target: exp.Table) -> TableInfo:
        info = self.resolve(target)
        if info.kind != "iceberg":
            raise AthenaError(
                "NOT_SUPPORTED",
                f"{where(self.sql, target)}writing to the non-Iceberg table {info.qualified} "
                "(Athena writes INSERT/MERGE/DELETE/UPDATE into Iceberg tables)",
            )
        return info

    # -- Lake Formation -----------------------------------------------------------------------

    def require(self, info: TableInfo, needed: set[str], node: exp.Expression | None) -> None:
        """Fail as Athena does when the principal lacks a table permission the statement needs.

        Every principal is asked, admins and IAMAllowedPrincipals included: their permissions
        are what ``Access`` says they hold (read-only admins and a SELECT-only IAMAllowedPrincipals
        grant do not write).
        """
        if self.access.governed(info.database, info.name):
            self._require_default_database()
        missing = needed - self.access.table_permissions(info.database, info.name)
        if missing:
            raise AccessDenied(
                "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on "
                f"{info.qualified} (required: {', '.join(sorted(missing))})"
            )

    def require_on_database(self, database: str, permission: str, node: exp.Expression | None) -> None:
        self._require_default_database()
        if permission not in self.access.database_permissions(database):
            raise AccessDenied(
                f"Insufficient Lake Formation permission(s): Required {permission.replace('_', ' ').title()} "
                f"on {database}"
            )

    def require_location(self, location: str) -> None:
        """Fail as Glue does (Athena passes its words on) when a table would point into a registered S3 location
        the principal holds no DATA_LOCATION_ACCESS on."""
        if not self.access.may_point_at(location):
            raise AccessDenied(f"Insufficient Lake Formation permission(s) on {location}")

    def require_on_catalog(self, permission: str) -> None:
        self._require_default_database()
        if permission not in self.access.catalog_permissions():
            raise AccessDenied(
                f"Insufficient Lake Formation permission(s): Required {permission.replace('_', ' ').title()} on Catalog"
            )

    def _require_default_database(self) -> None:
        """Athena describes ``default`` for every Lake Formation governed principal."""
        if self.access.admin or self.access.read_only_admin or not self.access.adopted:
            return
        if not self.access.database_permissions("default"):
            raise AccessDenied("Insufficient Lake Formation permission(s): Required Describe on default")

    def _readable(self, info: TableInfo, data: pa.Table, node: exp.Expression) -> pa.Table:
        """The cells the principal may see: other columns do not exist for it, other rows are not there."""
        names = [n for n in data.column_names if n != PATH_COLUMN]
        cells = self.access.cells(info.database, info.name, names)
        keep = self.access.readable_columns(info.database, info.name, names) or []
        if not keep:  # require() let it through, so SELECT came from somewhere that opens no column
            raise AccessDenied(
                f"Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on "
                f"{info.qualified} (no column is granted)"
            )
        extra = [PATH_COLUMN] if PATH_COLUMN in data.column_names else []
        if cells is not None and needs_rows_cut(cells) and self.view_depth:
            # Athena: cell filters defined on a table do not apply to views of it. Rather than guess
            # what the view then shows, the emulator refuses the strictest way.
            raise AccessDenied(
                f"Insufficient permissions to execute the query. {info.qualified} is read through a view, and "
                "this principal reads it through a data cells filter: cell filters do not apply to views"
            )
        if cells is not None and needs_rows_cut(cells):
            self.con.register("__uncut", data)
            try:
                uncut = self.con.sql("SELECT * FROM __uncut LIMIT 0")
                types = {c: str(t) for c, t in zip(uncut.columns, uncut.types, strict=True) if c != PATH_COLUMN}
                columns = athena_columns(types, info.kind, info.columns)
                refuse_mismatched_filters(cells, columns, dialect.READ, info.qualified)
                floats = {f.name for f in data.schema if pa.types.is_floating(f.type)}
                sql = cells_select("__uncut", keep, cells, extra, dialect.READ, dialect.WRITE, floats)
                return self._guard(lambda: self.con.sql(sql).to_arrow_table())
            finally:
                self.con.unregister("__uncut")
        if len(keep) == len(names):
            return data
        return data.select(keep + extra)

    def refuse_type_mismatches(self, tree: exp.Expression) -> None:
        """Athena's TYPE_MISMATCH where Trino finds no common type: the rows of a VALUES list (``values``), a
        comparison (``comparisons``), a set operation's column (``setops``), a value written into a column
        (``assignments``); typed from the DuckDB relations ``tree``'s tables are bound to, as Athena types their
        columns (a name DuckDB lacks is a CTE's: sqlglot types it). The same types make ``tree``'s comparisons,
        ``max`` and ``NULLS FIRST`` keys of ``double``/``real`` values treat NaN as Trino does (``floats``), and a ``/``
        of integers or decimals divide as Trino's (``division``, ``decimal_division``)."""
        marked, divisions = mark(tree), mark_divisions(tree)
        if not (marked or divisions or compares(tree) or combines(tree) or writes(tree) or has_values(tree)):
            return
        probe = tree.copy()
        typed_functions(probe)
        schema: dict[str, dict[str, str]] = {}
        for table in list(probe.find_all(exp.Table)):
            source = exp.Table(this=table.this.copy(), db=table.args.get("db")).sql(dialect="duckdb")
            try:
                relation = self.con.sql(f"SELECT * FROM {source} LIMIT 0")
            except duckdb.Error:
                continue
            info = self._bound.get(table.name)
            columns = {c: str(t) for c, t in zip(relation.columns, relation.types, strict=True) if c != PATH_COLUMN}
            name = f"__typed{len(schema)}"
            kind = info.kind if info is not None else None
            schema[name] = athena_columns(columns, kind, info.columns if info is not None else ())
            replace_table(table, name)
        typed = annotate(probe, schema)
        if typed is not None:
            refuse_mismatched_values(self.sql, typed)  # Trino analyses a relation before what reads it
            refuse_mismatched_comparisons(self.sql, typed)
            refuse_incompatible_set_operations(self.sql, typed)
            integer_divisions(divisions, typed)  # first: NaN's rewrites copy the operands they compare
            decimal_divisions(divisions, typed)
            follow_trino(marked, typed)
        if writes(tree):
            refuse_mismatched_writes(self.sql, probe, schema, lambda: self._bound_types(tree))

    def _bound_types(self, insert: exp.Expression) -> list[exp.DataType | None] | None:
        """An INSERT query's column types as DuckDB binds them (to name those sqlglot could not type)."""
        query = insert.expression
        if not isinstance(query, exp.Expression):
            return None
        try:
            relation = self.con.sql(to_duckdb(query))
            return [exp.DataType.build(str(t), dialect="duckdb") for t in relation.types]
        except (duckdb.Error, AthenaError, SqlglotError, ValueError):
            return None

    def check_target_reads(self, info: TableInfo, tree: exp.Expression, target: exp.Table) -> None:
        """UPDATE/DELETE/MERGE read their target: each column they name needs SELECT, as on Athena.

        The statement is bound first against an empty copy of the target holding only the columns
        the principal may read, so naming any other fails with Athena's COLUMN_NOT_FOUND.
        """
        if not self.access.governed(info.database, info.name):
            return
        names = [n for n in self.con.sql("SELECT * FROM __target LIMIT 0").columns if n != PATH_COLUMN]
        cells = self.access.cells(info.database, info.name, names) or []
        if needs_rows_cut(cells):
            raise AthenaError(
                "NOT_SUPPORTED",
                f"{where(self.sql, target)}writing to {info.qualified}, which this principal reads through a "
                "row filter (not emulated)",
            )
        keep = self.access.readable_columns(info.database, info.name, names) or []
        if len(keep) == len(names):
            return
        projection = ", ".join('"' + c.replace('"', '""') + '"' for c in keep)
        self._guard(lambda: self.con.execute(f"CREATE TEMP TABLE __check AS SELECT {projection} FROM __target LIMIT 0"))
        probe = tree.copy()
        for table in probe.find_all(exp.Table):
            if table.name == "__target":
                table.set("this", exp.to_identifier("__check"))
        try:
            self._guard(lambda: self.con.execute(to_duckdb(probe)))
        finally:
            self.con.execute("DROP TABLE IF EXISTS __check")

    def visible_columns(self, info: TableInfo, node: exp.Expression | None) -> list[tuple[str, str]]:
        """DESCRIBE / SHOW COLUMNS: the columns the principal may see, failing without any access."""
        columns = self.columns_of(info)
        if not self.access.governed(info.database, info.name):
            return columns
        self._require_default_database()
        if not self.access.table_permissions(info.database, info.name):
            raise AccessDenied(
                "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on "
                f"{info.qualified}"
            )
        keep = self.access.readable_columns(info.database, info.name, [c for c, _ in columns]) or []
        return [(c, t) for c, t in columns if c in keep]

    def columns_of(self, info: TableInfo) -> list[tuple[str, str]]:
        if info.kind in ("hive", "view"):
            return info.columns
        schema = self.catalog.read_iceberg(info).schema()
        return [
            (f.name, _HIVE_NAMES.get(str(f.field_type), str(f.field_type).replace(", ", ","))) for f in schema.fields
        ]

    # -- reading ------------------------------------------------------------------------------

    def read(
        self, info: TableInfo, snapshot_id: int | None, with_path: bool = False, table: IcebergTable | None = None
    ) -> Any:
        scan = self.catalog.scan(info, snapshot_id, with_path, table)
        self.scanned += scan.scanned_bytes
        if self.scan_limit is not None and self.scanned > self.scan_limit:
            raise AthenaError(
                "EXCEEDED_SCAN_LIMIT",
                f"Query cancelled: bytes scanned limit was exceeded ({self.scanned} bytes scanned, "
                f"the workgroup allows {self.scan_limit})",
            )
        if scan.snapshot_id is not None:
            self.snapshots.setdefault(info.qualified, scan.snapshot_id)
        return scan

    def bind_reads(self, tree: exp.Expression, skip: exp.Table | None = None) -> None:
        """Read every table the statement names into DuckDB and point the statement at it."""
        for table, view in self.bind_views(tree, skip):
            _point(table, view)

    def bind_views(self, tree: exp.Expression, skip: exp.Table | None = None) -> list[tuple[exp.Table, str]]:
        """Read every table the statement names into DuckDB: each reference with its view (``tree`` unchanged).

        Every table is read before the first is registered, so the connection is chosen (``con``)
        knowing how much the statement reads.
        """
        # The shared parsed tree is walked once per statement text; a rewritten copy each time.
        named, wants_path = self.stmt.reads() if tree is self.stmt.tree else dialect.reads(tree)
        refs: list[tuple[exp.Table, tuple[str, int | None, bool] | None]] = []
        reads: dict[tuple[str, int | None, bool], tuple[TableInfo, pa.Table, exp.Table]] = {}
        for table in named:
            if table is skip:
                continue
            if (table.db or self.database).lower() == "information_schema":
                refs.append((table, None))
                continue
            info = self.resolve(table)
            self.require(info, {"SELECT"}, table)
            if info.kind == "view":
                key: tuple[str, int | None, bool] = (info.qualified, None, False)
                if key not in self._views and key not in reads:
                    reads[key] = (info, self.view_rows(info, table), table)
                refs.append((table, key))
                continue
            snapshot_id = self._version(info, table)
            with_path = wants_path and info.kind == "hive"
            key = (info.qualified, snapshot_id, with_path)
            if key not in self._views and key not in reads:
                reads[key] = (info, self.read(info, snapshot_id, with_path).table, table)
            refs.append((table, key))
        bound: list[tuple[exp.Table, str]] = []
        for table, ref in refs:
            if ref is None:
                bound.append((table, self._bind_information_schema(table)))
                continue
            if ref not in self._views:
                info, data, first = reads[ref]
                if info.kind == "view":  # its rows are already what the invoker may read
                    self._views[ref] = f"__t{len(self._views)}"
                    self._bound[self._views[ref]] = info
                    self.con.register(self._views[ref], data)
                    self._held.append(data)
                    bound.append((table, self._views[ref]))
                    continue
                readable = self._readable(info, data, first)
                self._held.append(data)  # a copy of it stays while this statement may read it
                copy = _NATIVE.name(data) if readable is data and self._on_small_database() else None
                if copy is None:
                    copy = f"__t{len(self._views)}"
                    self.con.register(copy, readable)
                self._views[ref] = copy
                self._bound[copy] = info
            bound.append((table, self._views[ref]))
        return bound

    def _child(self, sql: str, database: str) -> _Run:
        """A run of a view's query for this statement: same principal, the view's schema, the scan budget left."""
        if self.view_depth >= _MAX_VIEW_DEPTH:
            raise AthenaError("GENERIC_USER_ERROR", f"line 1:1: views nested more than {_MAX_VIEW_DEPTH} deep")
        limit = None if self.scan_limit is None else self.scan_limit - self.scanned
        return _Run(self.catalog, _parsed(sql), database, limit, self.access, self.view_depth + 1)

    def view_columns(self, sql: str, database: str) -> list[tuple[str, str]]:
        """A view query's columns (name, Presto type), analysed as the creator: SELECT on what it reads."""
        child = self._child(sql, database)
        try:
            if child.stmt.kind != "SELECT":
                raise AthenaError("SYNTAX_ERROR", "line 1:1: a view is defined by a query")
            tree = _name_unnamed_columns(child.tree())
            child.bind_reads(tree)
            child.refuse_type_mismatches(tree)  # typed as any query: its columns are the ones Trino answers
            rel = child.relation(to_duckdb(tree))
            return [
                (c.name, c.type)
                for c in (athena_column(n, str(t)) for n, t in zip(rel.columns, rel.types, strict=True))
            ]
        finally:
            child.close()

    def view_rows(self, info: TableInfo, table: exp.Table) -> pa.Table:
        """A view's rows as the invoker reads them: its query runs with the invoker's Lake Formation rights.

        Athena has no definer rights for a Presto view: "Column-level permissions are not available
        for a VIEW" (a grant on it opens the whole view or nothing), and the view's query needs the
        invoker's own SELECT on every table and column it reads.
        """
        if table.args.get("version") is not None:
            raise AthenaError("NOT_SUPPORTED", f"{where(self.sql, table)}time travel on the view {info.qualified}")
        names = [c for c, _ in info.columns]
        if self.access.governed(info.database, info.name):
            keep = self.access.readable_columns(info.database, info.name, names) or []
            if len(keep) < len(names):
                raise AccessDenied(
                    "Insufficient permissions to execute the query. Column-level permissions are not available for "
                    f"a VIEW: the grant on {info.qualified} does not open all of its columns"
                )
        child = self._child(str(info.view["originalSql"]), str(info.view.get("schema") or info.database))
        try:
            if child.stmt.kind != "SELECT":
                raise AthenaError("GENERIC_USER_ERROR", f"line 1:1: the view {info.qualified} is not a query")
            tree = _name_unnamed_columns(child.tree())
            child.bind_reads(tree)
            child.refuse_type_mismatches(tree)  # Trino expands the view's query and types it as the statement's
            data = child.arrow(to_duckdb(tree))
        finally:
            child.close()
            self.scanned += child.scanned
            for name, snapshot in child.snapshots.items():
                self.snapshots.setdefault(name, snapshot)
        if names and len(names) == data.num_columns:
            data = data.rename_columns(names)
        return data

    def _bind_information_schema(self, table: exp.Table) -> str:
        """information_schema's schemata, tables and columns: what the principal may see, nothing else."""
        name = table.name.lower()
        if name not in ("schemata", "tables", "columns"):
            raise AthenaError(
                "TABLE_NOT_FOUND",
                f"{where(self.sql, table)}Table 'awsdatacatalog.information_schema.{name}' does not exist",
            )
        view = f"__information_schema_{name}"
        if view not in self._views.values():
            self.con.register(view, self._information_schema(name))
            self._views[(f"information_schema.{name}", None, False)] = view
        return view

    def _information_schema(self, name: str) -> pa.Table:
        rows: list[dict[str, Any]] = []
        for db in self.catalog.databases():
            tables = self.catalog.tables(db)
            if not self.access.sees_database(db, tables):
                continue
            if name == "schemata":
                rows.append({"catalog_name": "awsdatacatalog", "schema_name": db})
                continue
            for t in tables:
                if not self.access.table_permissions(db, t):
                    continue
                place = {"table_catalog": "awsdatacatalog", "table_schema": db, "table_name": t}
                info = self.catalog.describe(db, t)
                if name == "tables":
                    rows.append({**place, "table_type": "VIEW" if info and info.kind == "view" else "BASE TABLE"})
                    continue
                if info is None:
                    continue
                visible = self.visible_columns(info, None)
                for position, (column, kind) in enumerate(visible, start=1):
                    rows.append(
                        {
                            **place,
                            "column_name": column,
                            "ordinal_position": position,
                            "column_default": None,
                            "is_nullable": "YES",
                            "data_type": kind,
                        }
                    )
        if name == "schemata":
            rows.append({"catalog_name": "awsdatacatalog", "schema_name": "information_schema"})
        fields = {
            "schemata": ["catalog_name", "schema_name"],
            "tables": ["table_catalog", "table_schema", "table_name", "table_type"],
            "columns": [
                "table_catalog",
                "table_schema",
                "table_name",
                "column_name",
                "ordinal_position",
                "column_default",
                "is_nullable",
                "data_type",
            ],
        }[name]
        schema = pa.schema([pa.field(f, pa.int64() if f == "ordinal_position" else pa.string()) for f in fields])
        return pa.Table.from_pylist(rows, schema=schema)

    def _version(self, info: TableInfo, table: exp.Table) -> int | None:
        """The snapshot a ``FOR VERSION|TIMESTAMP AS OF`` clause names (time travel)."""
        version = table.args.get("version")
        if version is None:
            return None
        if info.kind != "iceberg":
            raise AthenaError("NOT_SUPPORTED", f"{where(self.sql, table)}time travel on {info.qualified}")
        value = version.expression
        if str(version.this).upper() == "VERSION":
            return int(value.name)
        when = self.con.sql(f"SELECT {value.sql(dialect.WRITE)}").fetchone()
        assert when is not None
        stamp = when[0]
        if not isinstance(stamp, dt.datetime):
            raise AthenaError("TYPE_MISMATCH", f"{where(self.sql, value)}FOR TIMESTAMP AS OF needs a timestamp")
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return self.catalog.snapshot_as_of(info, int(stamp.timestamp() * 1000))

    # -- running ------------------------------------------------------------------------------

    def relation(self, sql: str) -> duckdb.DuckDBPyRelation:
        """The statement's result, with Trino's result types where DuckDB widens (sum of bigint)."""
        rel = self._guard(lambda: self.con.sql(sql))
        if rel is None:
            raise AthenaError("GENERIC_USER_ERROR", "line 1:1: the statement returned no result")
        if any(str(t).upper() == "HUGEINT" for t in rel.types):
            casts = ", ".join(
                _trino_bigint(c) if str(t).upper() == "HUGEINT" else f'"{c}"'
                for c, t in zip(rel.columns, rel.types, strict=True)
            )
            rel = self._guard(lambda: rel.project(casts))
        return rel

    def rows(self, sql: str) -> tuple[list[Column], list[list[str | None]]]:
        """The statement's columns and rows as Athena's text, the statement run once.

        Where DuckDB widens a sum of bigints to HUGEINT, Trino's result is a bigint that fails on
        overflow: the column is typed bigint (``athena_column``) and a value beyond it fails the
        statement, instead of running it a second time with a cast (the accounting's million-row
        join took twice as long). A result with an INTERVAL column is read a second time, its intervals
        as DuckDB's text, from which ``interval_texts`` writes Trino's type and text (rare; no other
        result pays for it).
        """
        cursor = self._guard(lambda: self.con.execute(sql))
        described = cursor.description
        if not described:
            rel = self.relation(sql)
            described = list(zip(rel.columns, rel.types, strict=True))
            cursor = rel
        columns = [athena_column(d[0], str(d[1])) for d in described]
        intervals = [i for i, d in enumerate(described) if str(d[1]).upper() == "INTERVAL"]
        if intervals:  # DuckDB's Python value of an INTERVAL counts a month as 30 days; its text keeps the months
            rel = self.relation(sql)
            picks = ", ".join(
                f"CAST(#{i + 1} AS VARCHAR)" if i in intervals else f"#{i + 1}" for i in range(len(columns))
            )
            cursor = self._guard(lambda: rel.project(picks))
        values = self._guard(cursor.fetchall)
        widened = [i for i, d in enumerate(described) if str(d[1]).upper() == "HUGEINT"]
        for row in values if widened else ():
            for i in widened:
                if row[i] is not None and not _BIGINT_MIN <= row[i] <= _BIGINT_MAX:
                    raise AthenaError("NUMERIC_VALUE_OUT_OF_RANGE", f"line 1:1: {_OVERFLOW}: {row[i]}")
        cells = texts(["VARCHAR" if i in intervals else str(d[1]) for i, d in enumerate(described)], values)
        if intervals:
            interval_texts(columns, cells, intervals)
        return columns, cells

    def arrow(self, sql: str) -> pa.Table:
        rel = self.relation(sql)
        return self._guard(rel.to_arrow_table)

    def count(self, sql: str) -> int:
        """Run a DML statement in DuckDB; the number of rows it changed."""
        result = self._guard(lambda: self.con.execute(sql).fetchone())
        return int(result[0]) if result else 0

    def working_copy(self, data: pa.Table, info: TableInfo | None = None) -> None:
        """``__target``: the rows (``data``) of the written table (``info``: how Athena types its columns)."""
        if info is not None:
            self._bound["__target"] = info
        self.con.register("__current", data)
        self.con.execute("CREATE TEMP TABLE __target AS SELECT * FROM __current")
        self.con.unregister("__current")

    def target_rows(self, table: Any) -> pa.Table:
        """The working copy, typed as the Iceberg table's schema, ready to commit."""
        return _iceberg_typed(self.con.sql("SELECT * FROM __target").to_arrow_table(), table)

    def changed_rows(self, tree: exp.Expression, table: Any, split: bool = True) -> tuple[int, pa.Table | None]:
        """Run a MERGE, DELETE or UPDATE on the working copy: the rows it changed, and the table's rows after.

        With ``split`` a MERGE's inserts are selected apart (``merge_inserted_rows``) and added to
        the working copy's rows after its MATCHED clauses ran; without, the whole MERGE runs on the
        working copy (what any statement that cannot be split does). Both give the same rows and count
        (``tests/unit/test_merge_split.py``). The rows are None when nothing changed.
        """
        inserted = self.merge_inserted_rows(tree, table) if split and isinstance(tree, exp.Merge) else None
        count = 0 if _no_clauses_left(tree) else self.count(to_duckdb(tree))
        if inserted is not None:
            count += inserted.num_rows
        if not count:
            return 0, None
        rows = self.target_rows(table)
        if inserted is not None and inserted.num_rows:
            rows = pa.concat_tables([rows, inserted])
        return count, rows

    def target_types(self) -> dict[str, str] | None:
        """The working copy's columns and DuckDB types, in order; None when one is not a simple type."""
        described = self.con.sql("SELECT * FROM __target LIMIT 0")
        types = {name.lower(): str(kind) for name, kind in zip(described.columns, described.types, strict=True)}
        return types if all(_SIMPLE_TYPE.match(kind) for kind in types.values()) else None

    def merge_inserted_rows(self, merge: exp.Merge, table: Any) -> pa.Table | None:
        """The rows a MERGE's ``WHEN NOT MATCHED THEN INSERT`` adds, typed for the commit; the clause then dropped.

        A source row is inserted when no target row satisfies ``ON`` (judged on the target as it was
        before the MERGE, as DuckDB's and Trino's MERGE do) and the clause's condition holds; its
        values are cast to the target's columns as the MERGE's INSERT casts them (``inserted_rows``).
        Selecting them straight into Arrow saves inserting them into ``__target`` and reading them
        back (a million orders merged into a table of a few: ~0.4 s of copying each way); the MATCHED
        clauses still run as a MERGE on ``__target``. None, and ``merge`` unchanged, when the MERGE
        has no such clause, more than one NOT MATCHED clause, one that is not last, an INSERT without
        a column list, or the query fails: the caller runs the whole MERGE, which answers or fails as before.
        """
        whens = merge.args.get("whens")
        if not isinstance(whens, exp.Whens):
            return None
        clauses = list(whens.expressions)
        not_matched = [w for w in clauses if not w.args.get("matched")]
        if len(not_matched) != 1 or clauses[-1] is not not_matched[0] or not_matched[0].args.get("source"):
            return None
        when = not_matched[0]
        insert = when.args.get("then")
        if not isinstance(insert, exp.Insert) or not isinstance(insert.this, exp.Tuple):
            return None
        values = insert.expression
        if not isinstance(values, exp.Tuple) or len(values.expressions) != len(insert.this.expressions):
            return None
        types = self.target_types()
        if types is None:
            return None
        listed = [c.name.lower() for c in insert.this.expressions]
        if len(set(listed)) != len(listed) or not set(listed) <= set(types):
            return None
        if any(not column.table for column in merge.args["on"].find_all(exp.Column)):
            return None  # an unqualified name would bind to the target first inside NOT EXISTS
        alias = merge.this.alias_or_name
        position = {name: i for i, name in enumerate(listed)}
        condition = when.args.get("condition")
        try:
            source, on = to_duckdb(merge.args["using"]), to_duckdb(merge.args["on"])
            also = f" AND ({to_duckdb(condition)})" if condition is not None else ""
            projection = ", ".join(
                f"CAST({to_duckdb(values.expressions[position[name]])} AS {kind})"
                if name in position
                else f"CAST(NULL AS {kind})"
                for name, kind in types.items()
            )
        except AthenaError:
            return None
        unmatched = f'NOT EXISTS (SELECT 1 FROM __target AS "{alias}" WHERE {on})'
        sql = f"SELECT {projection} FROM {source} WHERE {unmatched}{also}"
        try:
            data = self.con.sql(sql).to_arrow_table()
        except duckdb.Error:
            return None  # the MERGE itself says why, in its own words
        whens.set("expressions", clauses[:-1])
        return _iceberg_typed(data, table)

    def inserted_rows(self, insert: exp.Expression, table: Any) -> pa.Table | None:
        """The rows ``INSERT INTO __target <query>`` would add, typed for the commit, without the temporary table.

        DuckDB's INSERT matches the query's columns to the target's by position (in the column
        list's order when there is one, NULL for the others) and casts each to the column's type
        with an ordinary CAST; the same projection over the query gives the same rows in the same
        order, and saves writing them into ``__target`` and reading them back (a million staged
        orders: ~0.4 s). None, and nothing changed, when the statement is anything else (VALUES,
        whose literals DuckDB types against the target itself, BY NAME, a column list naming an
        unknown or repeated column, a column count that does not fit, a nested type) or fails:
        the caller runs the INSERT itself, so every such statement answers or fails as before.
        """
        query = insert.expression
        if not (isinstance(query, exp.Query) and isinstance(query, exp.Expression)) or any(
            value for key, value in insert.args.items() if key not in ("this", "expression")
        ):
            return None
        described = self.con.sql("SELECT * FROM __target LIMIT 0")
        types = {name.lower(): str(kind) for name, kind in zip(described.columns, described.types, strict=True)}
        if any(not _SIMPLE_TYPE.match(kind) for kind in types.values()):
            return None
        schema = insert.this
        listed = [c.name.lower() for c in schema.expressions] if isinstance(schema, exp.Schema) else list(types)
        if len(set(listed)) != len(listed) or not set(listed) <= set(types):
            return None
        try:
            sql = to_duckdb(query)
            width = len(self.con.sql(sql).columns)  # bound, not run
        except (duckdb.Error, AthenaError):
            return None
        if width != len(listed):
            return None
        aliases = ", ".join(f'"c{i}"' for i in range(width))
        position = {name: i for i, name in enumerate(listed)}
        projection = ", ".join(
            f'CAST(q."c{position[name]}" AS {kind})' if name in position else f"CAST(NULL AS {kind})"
            for name, kind in types.items()
        )
        try:
            data = self.con.sql(f"SELECT {projection} FROM ({sql}) AS q({aliases})").to_arrow_table()
        except duckdb.Error:
            return None  # the INSERT itself says why, in its own words
        return _iceberg_typed(data, table)

    def materialize_source(self, merge: exp.Merge) -> None:
        """A MERGE's ``USING (subquery)`` run once into a temporary table the MERGE then reads.

        The multiple-match check and the MERGE both read the source; a subquery (a window over a
        million staged rows) would otherwise run twice, and a source whose rows are not fully
        determined (``row_number()`` over ties) could differ between the two, where Athena reads it once.
        """
        using = merge.args.get("using")
        if not isinstance(using, exp.Subquery):
            return
        query = using.this
        self._guard(lambda: self.con.execute(f"CREATE TEMP TABLE __source AS {to_duckdb(query)}"))
        alias = using.args.get("alias")
        merge.set("using", exp.Table(this=exp.to_identifier("__source"), alias=alias.copy() if alias else None))

    def merged_rows(self, merge: exp.Merge, table: Any) -> tuple[int, pa.Table | None]:
        """``changed_rows`` of a MERGE: its source read once, refused where Athena refuses it, run as Trino runs it."""
        self.materialize_source(merge)
        if self.refuse_multiple_matches(merge):
            return self.merge_apart(merge, table)
        return self.changed_rows(merge, table)

    def refuse_multiple_matches(self, merge: exp.Merge) -> bool:
        """Athena fails a MERGE when one target row matches two source rows that take the same WHEN clause.

        Trino (``QueryPlanner.plan(Merge)``) numbers the MERGE clause each joined row takes (the first whose
        condition holds, -1 for none) and fails on a target row seen twice with one number (``MarkDistinct`` over
        the row's unique id and the number): a row that one source row updates and another deletes passes.
        Returns whether some target row takes two clauses: DuckDB's MERGE would apply both to the one row, where
        Trino's Iceberg MERGE applies each to the row as it was (``merge_apart``).
        """
        join, taken = _merge_join(merge)
        row = f'"{merge.this.alias_or_name}".rowid'
        per_clause = f"SELECT {row} AS __row, {taken} AS __clause, count(*) AS __matches {join} GROUP BY 1, 2"
        whens = merge.args.get("whens")
        if sum(1 for w in (whens.expressions if whens else []) if w.args.get("matched")) < 2:
            # one MATCHED clause: no row takes two; the statement's only cost beside the MERGE stays one aggregation
            same, apart = (
                bool(self._guard(lambda: self.con.sql(f"{per_clause} HAVING count(*) > 1 LIMIT 1").fetchone())),
                False,
            )
        else:
            per_row = (
                "SELECT max(__matches) > 1 AS same, count(*) FILTER (WHERE __clause <> -1) > 1 AS apart "
                f"FROM ({per_clause}) GROUP BY __row"
            )
            sql = f"SELECT coalesce(bool_or(same), false), coalesce(bool_or(apart), false) FROM ({per_row})"
            same, apart = self._guard(lambda: self.con.sql(sql).fetchone())
        if same:
            raise AthenaError(
                "MERGE_TARGET_ROW_MULTIPLE_MATCHES",
                "One MERGE target table row matched more than one source row",
            )
        return bool(apart)

    def merge_apart(self, merge: exp.Merge, table: Any) -> tuple[int, pa.Table | None]:
        """``changed_rows`` of a MERGE some target row of which takes two MATCHED clauses, as Trino's Iceberg
        MERGE changes rows (delete and insert: ``DeleteAndInsertMergeProcessor``): each joined row taking a clause
        deletes the target row as it was, one taking an UPDATE also inserts the row it makes of it; the NOT
        MATCHED clauses then insert as before. Counts every joined row that took a clause."""
        alias = merge.this.alias_or_name
        join, taken = _merge_join(merge)
        whens = merge.args["whens"]
        updates = [
            (n, w.args["then"]) for n, w in enumerate(whens.expressions) if isinstance(w.args["then"], exp.Update)
        ]
        projections = []
        for column in self.con.sql("SELECT * FROM __target LIMIT 0").columns:
            current = f'"{alias}"."' + column.replace('"', '""') + '"'
            values = [
                f"WHEN {n} THEN {to_duckdb(eq.expression)}"
                for n, update in updates
                for eq in update.expressions
                if eq.this.name.lower() == column.lower()
            ]
            projections.append(f"CASE {taken} {' '.join(values)} ELSE {current} END" if values else current)
        numbers = ", ".join(str(n) for n, _ in updates) or "NULL"
        self._guard(
            lambda: self.con.execute(
                f'CREATE TEMP TABLE __gone AS SELECT "{alias}".rowid AS __row {join} WHERE {taken} <> -1'
            )
        )
        self._guard(
            lambda: self.con.execute(
                f"CREATE TEMP TABLE __updated AS SELECT {', '.join(projections)} {join} WHERE {taken} IN ({numbers})"
            )
        )
        matched = self.count("SELECT count(*) FROM __gone")
        whens.set("expressions", [w for w in whens.expressions if not w.args.get("matched")])
        inserted, _ = self.changed_rows(merge, table, split=False)  # the target as it was: nothing deleted yet
        self._guard(lambda: self.con.execute("DELETE FROM __target WHERE rowid IN (SELECT __row FROM __gone)"))
        self._guard(lambda: self.con.execute("INSERT INTO __target SELECT * FROM __updated"))
        return matched + inserted, self.target_rows(table)

    def _guard(self, call: Any) -> Any:
        """Run a DuckDB call, turning its errors into Athena's."""
        try:
            return call()
        except duckdb.Error as err:
            raise self._athena_error(err) from None

    def _athena_error(self, err: duckdb.Error) -> AthenaError:
        message = str(err).splitlines()[0]
        for pattern in _MISSING_COLUMN:
            if m := pattern.search(message):
                return self._column_not_found(m.group(1))
        if m := _MISSING_FUNCTION.search(message):
            name = m.group(1)
            node = self._find(exp.Anonymous, name) or self._find(exp.Func, name)
            return AthenaError("FUNCTION_NOT_FOUND", f"{where(self.sql, node)}Function '{name}' not registered")
        if failed := trino_failure(message):  # a division macro's error(): Trino's runtime failure has no position
            return AthenaError(*failed)
        if _OVERFLOW in message:  # raised by _trino_bigint's error() for a CTAS or INSERT
            return AthenaError("NUMERIC_VALUE_OUT_OF_RANGE", f"line 1:1: {message[message.index(_OVERFLOW) :]}")
        if isinstance(err, duckdb.ConversionException):
            return AthenaError("INVALID_CAST_ARGUMENT", f"line 1:1: {message.split(': ', 1)[-1]}")
        if isinstance(err, duckdb.ParserException):
            return AthenaError("NOT_SUPPORTED", f"line 1:1: the local engine cannot run this statement: {message}")
        return AthenaError("GENERIC_USER_ERROR", f"line 1:1: {message}")

    def _column_not_found(self, name: str) -> AthenaError:
        column = None
        assert self.stmt.tree is not None
        for node in self.stmt.tree.find_all(exp.Column):
            if node.name.lower() == name.lower():
                column = node
                break
        shown = name.lower()
        if column is not None and column.table:
            shown = f"{column.table}.{shown}"
        return AthenaError(
            "COLUMN_NOT_FOUND",
            f"{where(self.sql, column)}Column '{shown}' cannot be resolved or requester is not authorized "
            "to access requested resources",
        )

    def _find(self, kind: type[Any], name: str) -> exp.Expression | None:
        assert self.stmt.tree is not None
        for node in self.stmt.tree.find_all(kind):
            node_name = node.name if isinstance(node, exp.Anonymous) else str(node.key)
            if node_name.lower() == name.lower():
                return node
        return None


#: DuckDB column types ``inserted_rows`` names in a CAST as they print: a name, or DECIMAL(p,s).
_SIMPLE_TYPE = re.compile(r"^(?:[A-Z][A-Z0-9_ ]*|DECIMAL\(\d+,\s*\d+\))$")


def _iceberg_typed(data: pa.Table, table: Any) -> pa.Table:
    """Rows in the target's column order, typed as the Iceberg table's schema; TYPE_MISMATCH when they do not fit."""
    schema = table.schema().as_arrow()
    try:
        return data.rename_columns(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise AthenaError("TYPE_MISMATCH", f"line 1:1: the rows do not fit the table's columns: {err}") from None


def _merge_join(merge: exp.Merge) -> tuple[str, str]:
    """A MERGE's target joined with its source (``FROM ... JOIN ... ON ...``, for DuckDB), and the number of the
    MATCHED clause each joined row takes (the first whose condition holds, else -1), as Trino numbers them."""
    source, on = merge.args["using"].sql(dialect.WRITE), merge.args["on"].sql(dialect.WRITE)
    join = f'FROM __target AS "{merge.this.alias_or_name}" JOIN {source} ON {on}'
    whens = merge.args.get("whens")
    clauses = [
        f"WHEN {to_duckdb(w.args.get('condition') or exp.true())} THEN {number}"
        for number, w in enumerate(whens.expressions if whens is not None else [])
        if w.args.get("matched")
    ]
    return join, f"(CASE {' '.join(clauses)} ELSE -1 END)" if clauses else "-1"


def _no_clauses_left(tree: exp.Expression) -> bool:
    """A MERGE whose every clause was taken out (its one NOT MATCHED clause run as a query): nothing left to run."""
    if not isinstance(tree, exp.Merge):
        return False
    whens = tree.args.get("whens")
    return isinstance(whens, exp.Whens) and not whens.expressions


def _snapshot_id(table: Any) -> int:
    snapshot = table.current_snapshot()
    assert snapshot is not None, "a table just written has a snapshot"
    return int(snapshot.snapshot_id)


def _name_unnamed_columns(query: exp.Expression) -> exp.Expression:
    """Athena names an unaliased expression column ``_colN`` (N its position), not after its text.

    A bare ``VALUES`` list is a query in Trino's grammar (``VALUES (1, 'a'), (2, 'b')``: columns ``_col0``,
    ``_col1``); it is returned as ``SELECT * FROM (VALUES ...) AS _values(_col0, ...)``. Any other query is
    named in place and returned.
    """
    if isinstance(query, exp.Values) and query.expressions:
        first = query.expressions[0]
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        names = [exp.to_identifier(f"_col{i}") for i in range(width)]
        query.set("alias", exp.TableAlias(this=exp.to_identifier("_values"), columns=names))
        return exp.select("*").from_(query)
    select: Any = query
    while isinstance(select, exp.SetOperation):
        select = select.left
    if not isinstance(select, exp.Select):
        return query
    named = []
    for i, projection in enumerate(select.expressions):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)) or projection.find(exp.Star) is projection:
            named.append(projection)
        else:
            named.append(exp.alias_(projection, f"_col{i}"))
    select.set("expressions", named)
    return query


def _like(names: list[str], pattern: str) -> list[str]:
    """SHOW ... LIKE: Hive-style ``*`` wildcards, alternatives separated by ``|``."""
    return [n for n in names if any(fnmatch.fnmatch(n, p.strip()) for p in pattern.split("|"))]


def _require_iceberg_property(key: str) -> None:
    """Athena's DDL engine takes its own table property keys on an Iceberg table (CREATE TABLE and ALTER alike)."""
    if key.lower() not in ICEBERG_TABLE_PROPERTIES:
        raise DdlRefusal("UNSUPPORTED_TABLE_PROPERTY", f"Unsupported table property key: {key}")


def _alter_not_emulated(sql: str, target: exp.Table) -> AthenaError:
    return AthenaError(
        "NOT_SUPPORTED",
        f"{where(sql, target)}this ALTER TABLE is not supported by the local Athena emulator "
        "(supported: ADD COLUMNS and SET/UNSET TBLPROPERTIES on Iceberg tables, SET LOCATION and SET/UNSET "
        "TBLPROPERTIES on Hive tables)",
    )


def _iceberg_type(sql: str, kind: exp.DataType) -> pa.DataType:
    name = kind.this.name if hasattr(kind.this, "name") else str(kind.this)
    if name in _NOT_IN_ICEBERG_DDL:
        raise AthenaError(
            "NOT_SUPPORTED",
            f"{where(sql, kind)}type {kind.sql('athena').lower()} is not supported in Iceberg tables "
            "(use string, int, bigint, float, double, decimal(p,s), date, timestamp, boolean or binary)",
        )
    if name == "DECIMAL":
        params = [int(p.name) for p in kind.expressions]
        precision, scale = (params + [10, 0][len(params) :])[:2]  # decimal = decimal(10,0), decimal(p) = (p,0)
        return pa.decimal128(precision, scale)
    if name in _ICEBERG_TYPES:
        return _ICEBERG_TYPES[name]
    raise AthenaError("NOT_SUPPORTED", f"{where(sql, kind)}type {kind.sql('athena').lower()} in Iceberg DDL")


def _partitions(sql: str, exprs: list[exp.Expression]) -> list[tuple[str, str, int | None]]:
    """``PARTITIONED BY`` entries as (column, transform, argument)."""
    out: list[tuple[str, str, int | None]] = []
    for e in exprs:
        if isinstance(e, (exp.Column, exp.Identifier)):
            out.append((e.name.lower(), "identity", None))
            continue
        column = e.find(exp.Column)
        number = e.find(exp.Literal)
        fname = (e.name if isinstance(e, exp.Anonymous) else e.key).lower()
        fname = {"dayofmonth": "day", "trunc": "truncate", "timestamptrunc": "truncate"}.get(fname, fname)
        if column is None or fname not in ("year", "month", "day", "hour", "bucket", "truncate"):
            raise AthenaError("NOT_SUPPORTED", f"{where(sql, e)}partition transform {e.sql('athena')}")
        out.append((column.name.lower(), fname, int(number.name) if number is not None else None))
    return out
