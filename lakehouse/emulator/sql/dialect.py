"""Athena (Trino) SQL as the engine needs it: parse, classify, pick apart DDL, translate.

sqlglot parses the Athena dialect and writes DuckDB's. What sqlglot cannot translate must
fail loudly (``ErrorLevel.RAISE``), never run as something else.

The SQL surface is Athena's, not DuckDB's: a statement may read catalog tables, ``UNNEST`` and
``VALUES`` only. DuckDB's table functions (``read_csv``, ``read_text``, ``query``, ``glob``, ...)
and its introspection functions fail as Athena fails them, before DuckDB sees the statement (the
engine also runs DuckDB with external access off, so a construct missed here still reads nothing).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import cast

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from lakehouse.emulator.sql.casts import trino_casts
from lakehouse.emulator.sql.catalog import LAZY_SIMPLE_SERDE, PATH_COLUMN
from lakehouse.emulator.sql.division import trino_division
from lakehouse.emulator.sql.errors import AthenaError, where

READ = "athena"
WRITE = "duckdb"

# sqlglot logs every table property it drops while writing DuckDB; the engine reads them itself.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

_SHOW_TABLES = re.compile(r"^\s*SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+`?(\w+)`?)?(?:\s+'([^']*)')?\s*;?\s*$", re.I)
_SHOW_DATABASES = re.compile(r"^\s*SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'([^']*)')?\s*;?\s*$", re.I)
#: DuckDB functions that have no Athena meaning and read files, settings or other SQL: their
#: table functions (asked of DuckDB itself, so a new DuckDB's additions are covered) and the
#: scalar functions that expose the engine. ``repeat`` is also a Trino scalar function.
_DUCKDB_ONLY_SCALARS = frozenset(
    {"current_setting", "getenv", "json_serialize_sql", "json_deserialize_sql", "current_database", "version", "error"}
)
_DUCKDB_ONLY_PREFIXES = ("duckdb_", "pragma_", "parquet_", "read_", "sqlite_", "iceberg_", "delta_", "__trino_")
#: DuckDB's names for Trino's ``is_nan``/``is_infinite``/``is_finite``, which Trino lacks. sqlglot reads ``isnan``
#: and ``is_nan`` into one node (``IsNan``; ``isinf`` into ``IsInf``), so the name as written tells them apart; the
#: emulator's own rewrites (``floats``) write ``ISNAN`` after this check, into the tree DuckDB runs.
_DUCKDB_FLOAT_TESTS = frozenset({"isnan", "isinf", "isfinite"})


def _duckdb_table_functions() -> frozenset[str]:
    with duckdb.connect() as con:
        rows = con.sql(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')"
        ).fetchall()
    return frozenset(str(r[0]).lower() for r in rows) - {"repeat", "unnest"}


_DUCKDB_TABLE_FUNCTIONS = _duckdb_table_functions()
#: sqlglot's typed nodes for DuckDB's file readers (sqlglot parses ``read_csv(...)`` into these).
_FILE_READERS: tuple[type[exp.Expression], ...] = (exp.ReadCSV, exp.ReadParquet)

#: ``ALTER TABLE t UNSET TBLPROPERTIES [IF EXISTS] ('k', ...)``, which sqlglot 30 reads as an opaque Command only;
#: keys are HiveQL string literals (a backslash escapes).
_STRING = r"'(?:[^'\\]|\\.)*'"
_UNSET_TBLPROPERTIES = re.compile(
    r"^(?P<head>\s*ALTER\s+TABLE\s+.+?\s+)UNSET\s+TBLPROPERTIES\s+(?P<exists>IF\s+EXISTS\s+)?"
    rf"\((?P<keys>\s*{_STRING}(?:\s*,\s*{_STRING})*\s*)\)\s*;?\s*$",
    re.I | re.S,
)
_SHOW_COLUMNS = re.compile(r"^\s*SHOW\s+COLUMNS\s+(?:IN|FROM)\s+`?(\w+)`?(?:\.`?(\w+)`?)?\s*;?\s*$", re.I)


@dataclass
class Statement:
    """One parsed statement and what kind of work it is."""

    sql: str
    kind: str  # SELECT, INSERT, MERGE, DELETE, UPDATE, CTAS, CREATE_TABLE, CREATE_EXTERNAL_TABLE, ...
    tree: exp.Expression | None
    args: dict[str, str | None] = field(default_factory=dict)
    _reads: tuple[tuple[exp.Table, ...], bool] | None = field(default=None, repr=False, compare=False)

    def reads(self) -> tuple[tuple[exp.Table, ...], bool]:
        """``table_refs`` of the parsed tree and whether it names ``"$path"``, walked once.

        The parsed tree is shared and never changed (the engine rewrites copies), so the walk a
        statement's every run would repeat (yappi: a third of a small SELECT's engine calls) is kept.
        """
        if self._reads is None:
            assert self.tree is not None
            self._reads = reads(self.tree)
        return self._reads


def parse(sql: str) -> Statement:
    """Parse one statement; syntax errors fail like Athena's (``SYNTAX_ERROR: line L:C: ...``)."""
    for kind, pattern in (("SHOW_TABLES", _SHOW_TABLES), ("SHOW_DATABASES", _SHOW_DATABASES)):
        if m := pattern.match(sql):
            return Statement(
                sql, kind, None, {"database": m.group(1) if kind == "SHOW_TABLES" else None, "pattern": m.groups()[-1]}
            )
    if m := _SHOW_COLUMNS.match(sql):
        db, name = (m.group(1), m.group(2)) if m.group(2) else (None, m.group(1))
        return Statement(sql, "SHOW_COLUMNS", None, {"database": db, "table": name})
    if (m := _UNSET_TBLPROPERTIES.match(sql)) and (unset := _unset_tblproperties(sql, m)):
        return unset
    try:
        trees = [t for t in sqlglot.parse(sql, read=READ, error_level=ErrorLevel.RAISE) if t is not None]
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        line, col = first.get("line", 1), first.get("col", 1)
        near = first.get("highlight") or ""
        raise AthenaError(
            "SYNTAX_ERROR", f"line {line}:{col}: {first.get('description', 'syntax error')} near '{near}'"
        ) from None
    if not trees:
        raise AthenaError("SYNTAX_ERROR", "line 1:1: empty statement")
    if len(trees) > 1:
        raise AthenaError("SYNTAX_ERROR", "line 1:1: only one statement per query is allowed")
    tree = cast(exp.Expression, trees[0])
    check_surface(sql, tree)
    return Statement(sql, _kind(sql, tree), tree)


def _unset_tblproperties(sql: str, m: re.Match[str]) -> Statement | None:
    """UNSET TBLPROPERTIES, parsed by sqlglot as the SET TBLPROPERTIES of the same keys (empty values).

    The text up to the table name is the statement's own, so positions in errors (``where``) hold; the
    statement's kind tells the engine to drop the keys, ``args["if_exists"]`` is set for IF EXISTS.
    None when sqlglot does not read the stand-in as an ALTER TABLE (the statement is then parsed as written).
    """
    keys = ", ".join(f"{key}=''" for key in re.findall(_STRING, m["keys"]))
    stand_in = parse(f"{m['head']}SET TBLPROPERTIES ({keys})")
    if stand_in.kind != "ALTER":
        return None
    return Statement(sql, "UNSET_TBLPROPERTIES", stand_in.tree, {"if_exists": "IF EXISTS" if m["exists"] else None})


# -- what Athena's SQL has --------------------------------------------------------------------


def _position(sql: str, name: str, after_name: bool) -> str:
    """``line L:C: `` of the first call of ``name`` in ``sql`` (at its ``(`` when ``after_name``)."""
    m = re.search(rf"\b{re.escape(name)}\s*\(", sql, re.I)
    if m is None:
        return "line 1:1: "
    start = m.end() - 1 if after_name else m.start()
    line = sql.count("\n", 0, start) + 1
    col = start - (sql.rfind("\n", 0, start) + 1) + 1
    return f"line {line}:{col}: "


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    return str(node.sql_name() if hasattr(node, "sql_name") else node.key)


def check_surface(sql: str, tree: exp.Expression) -> None:
    """Fail what Athena fails: a function call as a relation, DuckDB's own functions anywhere.

    In Athena's grammar a relation is a table name, ``(query)``, ``UNNEST``, ``LATERAL (query)``
    or ``TABLE(function(...))``; a bare ``f(...)`` after FROM is a syntax error there, and a table
    function Athena does not have is FUNCTION_NOT_FOUND, as is any DuckDB-only scalar function.
    """
    for node in tree.find_all(exp.Table, exp.Lateral):
        relation = node.this
        if isinstance(node, exp.Lateral) and isinstance(relation, (exp.Subquery, exp.Unnest)):
            continue
        if isinstance(node, exp.Table) and (relation is None or isinstance(relation, exp.Identifier)):
            continue
        if isinstance(relation, exp.Anonymous) and str(relation.name).upper() == "TABLE":
            inner = relation.expressions[0] if relation.expressions else relation
            name = _function_name(inner).lower()
            raise AthenaError(
                "FUNCTION_NOT_FOUND", f"{_position(sql, name, False)}Table function '{name}' not registered"
            )
        name = _function_name(relation).lower() if isinstance(relation, exp.Expression) else "?"
        raise AthenaError(
            "SYNTAX_ERROR",
            f"{_position(sql, name, True)}mismatched input '('. Expecting: ',', 'CROSS', 'EXCEPT', 'FULL', "
            "'GROUP', 'HAVING', 'INNER', 'INTERSECT', 'JOIN', 'LEFT', 'LIMIT', 'NATURAL', 'OFFSET', 'ORDER', "
            "'RIGHT', 'UNION', 'WHERE', 'WINDOW', <EOF>",
        )
    for func in tree.find_all(exp.Anonymous, *_FILE_READERS):
        name = _function_name(func).lower()
        if (
            isinstance(func, _FILE_READERS)
            or name in _DUCKDB_TABLE_FUNCTIONS
            or name in _DUCKDB_ONLY_SCALARS
            or name.startswith(_DUCKDB_ONLY_PREFIXES)
        ):
            raise AthenaError("FUNCTION_NOT_FOUND", f"{_position(sql, name, False)}Function '{name}' not registered")
    for found in tree.find_all(exp.IsNan, exp.IsInf, exp.Anonymous):
        call = cast(exp.Expression, found)
        written = _written_name(sql, call)
        if written in _DUCKDB_FLOAT_TESTS:
            raise AthenaError("FUNCTION_NOT_FOUND", f"{where(sql, call)}Function '{written}' not registered")


def _written_name(sql: str, func: exp.Expression) -> str | None:
    """The name of the call ``func`` as the statement spells it (lower case); None for a node not parsed from it."""
    start, end = func.meta.get("start"), func.meta.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return sql[start : end + 1].lower()


def _kind(sql: str, tree: exp.Expression) -> str:
    if isinstance(tree, (exp.Query, exp.Values)):  # a bare VALUES list is a query in Trino's grammar
        return "SELECT"
    if isinstance(tree, exp.Insert):
        return "INSERT"
    if isinstance(tree, exp.Merge):
        return "MERGE"
    if isinstance(tree, exp.Delete):
        return "DELETE"
    if isinstance(tree, exp.Update):
        return "UPDATE"
    if isinstance(tree, exp.Describe):
        return "DESCRIBE"
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            return "CREATE_DATABASE"
        if kind == "TABLE":
            if tree.args.get("expression") is not None:
                return "CTAS"
            return "CREATE_EXTERNAL_TABLE" if has_property(tree, exp.ExternalProperty) else "CREATE_TABLE"
        return f"CREATE_{kind or 'UNKNOWN'}"
    if isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        return "DROP_DATABASE" if kind in ("DATABASE", "SCHEMA") else f"DROP_{kind or 'UNKNOWN'}"
    if isinstance(tree, exp.Command):
        return f"COMMAND_{str(tree.this).upper()}"
    return type(tree).__name__.upper()


# -- tables a statement names ------------------------------------------------------------------


def table_refs(tree: exp.Expression) -> list[exp.Table]:
    """Every catalog table the statement reads or writes (CTE names and table functions excluded)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    refs = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # UNNEST(...), VALUES, table functions
        if not table.db and table.name.lower() in ctes:
            continue
        refs.append(table)
    return refs


def reads(tree: exp.Expression) -> tuple[tuple[exp.Table, ...], bool]:
    """``table_refs`` of ``tree`` and whether it names the ``"$path"`` column."""
    return tuple(table_refs(tree)), any(c.name == PATH_COLUMN for c in tree.find_all(exp.Column))


def qualified(sql: str, table: exp.Table, database: str) -> tuple[str, str]:
    """``(database, table)`` in Glue's lower case, the context database filling a missing one."""
    catalog = table.catalog
    if catalog and catalog.lower() != "awsdatacatalog":
        raise AthenaError("NOT_SUPPORTED", f"{where(sql, table)}catalog '{catalog}' (only awsdatacatalog is emulated)")
    return (table.db or database).lower(), table.name.lower()


def replace_table(table: exp.Table, view: str) -> None:
    """Point a table reference at a DuckDB view, keeping the name the query qualifies columns with."""
    alias = table.args.get("alias")
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(table.name))
    table.set("this", exp.to_identifier(view))
    table.set("db", None)
    table.set("catalog", None)
    table.set("version", None)
    table.set("alias", alias)


def to_duckdb(tree: exp.Expression) -> str:
    """DuckDB SQL for ``tree``; constructs sqlglot cannot translate fail as NOT_SUPPORTED.

    Casts from varchar follow Trino's grammar (``casts.trino_casts``), not DuckDB's looser one; ``/`` and ``%``
    Trino's rules (``division``).
    """
    try:
        return trino_division(trino_casts(tree)).sql(dialect=WRITE, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as err:
        raise AthenaError("NOT_SUPPORTED", f"line 1:1: {err}") from None


# -- DDL pieces --------------------------------------------------------------------------------


def has_property(tree: exp.Expression, kind: type[exp.Expression]) -> bool:
    props = tree.args.get("properties")
    return props is not None and any(isinstance(p, kind) for p in props.expressions)


def properties(tree: exp.Expression) -> dict[str, str]:
    """TBLPROPERTIES / WITH (...) key-value pairs, keys lower-cased, plus ``location``."""
    out: dict[str, str] = {}
    props = tree.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.LocationProperty):
            out["location"] = prop.this.name
        elif isinstance(prop, exp.FileFormatProperty):
            out["format"] = prop.this.name if isinstance(prop.this, exp.Expression) else str(prop.this)
        elif type(prop) is exp.Property:  # subclasses are PARTITIONED BY, ROW FORMAT, ...
            key = prop.this.name if isinstance(prop.this, exp.Expression) else str(prop.this)
            value = prop.args.get("value")
            out[key.lower()] = value.name if isinstance(value, exp.Literal) else (value.sql(READ) if value else "")
    return out


def property_keys(tree: exp.Expression) -> list[str]:
    """TBLPROPERTIES keys as written (their case kept, for the error that names one)."""
    props = tree.args.get("properties")
    return [
        prop.this.name if isinstance(prop.this, exp.Expression) else str(prop.this)
        for prop in (props.expressions if props else [])
        if type(prop) is exp.Property  # subclasses are LOCATION, PARTITIONED BY, ROW FORMAT, ...
    ]


def alter_set(action: exp.Expression) -> tuple[str, str | list[tuple[str, str]]] | None:
    """What an ``ALTER TABLE ... SET`` changes: ``("location", uri)`` or ``("tblproperties", [(key, value)])``.

    Keys keep the case they are written in (Glue keeps a Hive table's parameters as given). None for any
    other action (SERDEPROPERTIES, FILEFORMAT, ...), and for anything sqlglot read besides these.
    """
    if not isinstance(action, exp.AlterSet):
        return None
    given = {k for k, v in action.args.items() if v not in (None, [], False)}
    location = action.args.get("location")
    if given == {"location"} and isinstance(location, exp.Literal) and location.is_string:
        return "location", location.name
    props = action.expressions[0] if given == {"expressions"} and len(action.expressions) == 1 else None
    if not isinstance(props, exp.Properties):
        return None
    pairs: list[tuple[str, str]] = []
    for prop in props.expressions:
        key, value = prop.this, prop.args.get("value")
        if type(prop) is not exp.Property or not isinstance(key, exp.Literal) or not isinstance(value, exp.Literal):
            return None  # SERDEPROPERTIES and the like are Property subclasses
        pairs.append((key.name, value.name))
    return "tblproperties", pairs


def partition_exprs(tree: exp.Expression) -> list[exp.Expression]:
    """``PARTITIONED BY (...)`` entries (columns or transform calls), or a CTAS ``partitioning`` array."""
    props = tree.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.PartitionedByProperty):
            inner = prop.this
            return list(inner.expressions) if isinstance(inner, (exp.Schema, exp.Tuple)) else [inner]
        if isinstance(prop, exp.Property) and prop.name.lower() in ("partitioning", "partitioned_by"):
            value = prop.args.get("value")
            items = value.expressions if isinstance(value, exp.Array) else [value]
            return [
                cast(exp.Expression, sqlglot.parse_one(i.name, read=READ)) for i in items if isinstance(i, exp.Literal)
            ]
    return []


def serde(tree: exp.Expression) -> dict[str, str]:
    """Row format of an external table: serde library and its parameters."""
    props = tree.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.RowFormatSerdeProperty):
            params = {}
            if sp := prop.args.get("serde_properties"):
                for p in sp.expressions:
                    params[p.this.name] = p.args["value"].name
            return {"library": prop.this.name, **params}
        if isinstance(prop, exp.RowFormatDelimitedProperty):
            params = {"library": LAZY_SIMPLE_SERDE}
            if fields := prop.args.get("fields"):
                params["field.delim"] = fields.name
            if escaped := prop.args.get("escaped"):
                params["escape.delim"] = escaped.name
            return params
    return {"library": LAZY_SIMPLE_SERDE}


def column_defs(tree: exp.Expression) -> list[tuple[str, exp.DataType]]:
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        return []
    return [(c.name.lower(), c.args["kind"]) for c in schema.expressions if isinstance(c, exp.ColumnDef)]


def target_table(tree: exp.Expression) -> exp.Table:
    """The table a CREATE, INSERT, MERGE, DELETE, UPDATE or DROP statement writes."""
    node = tree.this if tree.args.get("this") is not None else (tree.args.get("tables") or [None])[0]
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        raise AthenaError("SYNTAX_ERROR", "line 1:1: the statement names no table")
    return node
