"""Column-level lineage of one statement (sqlglot's ``lineage``), and where a column flows.

For the table a statement writes, each column is mapped to the source columns its value is
computed from: ``INSERT INTO t [(cols)] SELECT ...`` by position, ``CREATE TABLE t AS SELECT``
by name, ``MERGE INTO t USING (SELECT ...) s`` through its ``UPDATE SET`` and ``INSERT [(cols)]
VALUES`` back into the ``USING`` query, ``UPDATE t SET c = (SELECT ...)`` through its scalar
subqueries. sqlglot resolves each value through CTEs, subqueries and joins to catalog tables,
given the tables' columns (``Schema``: the pipeline's DDL or the catalog).
These become OpenLineage's ``columnLineage`` facet; :func:`flows_from` follows a column
(``users.ssn``) through every statement to every table and column it reaches.

openlineage-sql (OpenLineage's own parser) is not installed here and its dialects name no
Athena/Trino one; sqlglot, already the project's SQL parser, reads the pipeline's dialect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify

from lakehouse.emulator.sql.dialect import READ
from lakehouse.lineage.naming import DatasetRef, athena_table
from lakehouse.lineage.sqlio import SqlLineageError, statement_io
from lakehouse.pipeline.sqlfiles import SqlStatement

#: ``{database: {table: {column: type}}}``, what sqlglot needs to resolve unqualified columns.
Schema = dict[str, dict[str, dict[str, str]]]
#: ``(dataset, column)``.
Field = tuple[DatasetRef, str]
#: Athena's hidden columns of every table ("$path": the S3 object a row was read from). No catalog lists them,
#: yet the pipeline reads ``"$path"``: sqlglot must know them to follow the statement's other columns.
HIDDEN_COLUMNS = {"$path": "varchar", "$file_size": "bigint", "$file_modified_time": "timestamp"}


class ColumnLineageError(ValueError):
    """sqlglot could not parse a statement, or follow one of its columns: its column lineage is unknown, not
    empty (a check reading none would judge a pipeline whose lineage it never saw). ``partial``: the columns it
    could follow (none when the statement did not parse)."""

    def __init__(self, message: str, partial: dict[str, set[Field]] | None = None):
        super().__init__(message)
        self.partial = partial or {}


def _with_hidden(schema: Schema) -> Schema:
    return {db: {t: {**HIDDEN_COLUMNS, **cols} for t, cols in tables.items()} for db, tables in schema.items()}


def _sources(select: exp.Expression, column: str, schema: Schema, region: str, failed: list[str]) -> set[Field]:
    """The catalog columns the output ``column`` of ``select`` is computed from (Athena's hidden columns, the
    file a row came from, are no dataset's field and are left out); when sqlglot cannot follow it, none, and
    why is added to ``failed``."""
    try:
        node = lineage(column, select.copy(), schema=cast(dict[str, object], _with_hidden(schema)), dialect=READ)
    except (SqlglotError, KeyError, ValueError, AttributeError) as err:
        failed.append(f"{column}: {str(err).splitlines()[0]}")
        return set()
    found: set[Field] = set()
    for step in node.walk():
        if not step.downstream and isinstance(step.expression, exp.Table) and step.expression.name:
            table = step.expression
            name = step.name.split(".")[-1].strip('"')
            if name.lower() not in HIDDEN_COLUMNS:
                found.add((athena_table(region, table.db or "default", table.name), name))
    return found


def _columns_in(value: exp.Expression) -> list[exp.Column]:
    return [value] if isinstance(value, exp.Column) else list(value.find_all(exp.Column))


def _select_of(query: exp.Expression | None) -> exp.Select | None:
    """The query whose projections name the output columns (a UNION's left side)."""
    node: exp.Expression | None = query
    while isinstance(node, exp.Union | exp.Subquery):
        node = cast(exp.Expression, node.left if isinstance(node, exp.Union) else node.this)
    return node if isinstance(node, exp.Select) else None


def _expanded(query: exp.Select, schema: Schema) -> exp.Select:
    """``SELECT *`` expanded to the tables' columns (sqlglot's qualify), so projections have names."""
    try:
        done = qualify(
            query.copy(),
            schema=cast(dict[str, object], schema),
            dialect=READ,
            validate_qualify_columns=False,
            identify=False,
        )
    except (SqlglotError, KeyError, ValueError):
        return query
    return done if isinstance(done, exp.Select) else query


def _merge(tree: exp.Merge, schema: Schema, region: str, failed: list[str]) -> dict[str, set[Field]]:
    using = tree.args.get("using")
    alias = using.alias_or_name.lower() if using is not None else ""
    query = _select_of(using) if isinstance(using, exp.Subquery) else None
    pairs: list[tuple[str, exp.Expression]] = []
    whens = tree.args.get("whens")
    target = tree.this
    ordered = (
        list(schema.get(target.db.lower(), {}).get(target.name.lower(), {})) if isinstance(target, exp.Table) else []
    )
    for when in whens.expressions if whens is not None else []:
        then = when.args.get("then")
        if isinstance(then, exp.Insert) and isinstance(then.expression, exp.Tuple):
            # ``INSERT VALUES (...)`` without a column list fills the target's columns in order.
            names = [c.name for c in then.this.expressions] if isinstance(then.this, exp.Tuple) else ordered
            pairs += list(zip(names, then.expression.expressions, strict=False))
        elif isinstance(then, exp.Update):
            pairs += [(eq.this.name, eq.expression) for eq in then.expressions if isinstance(eq, exp.EQ)]
    out: dict[str, set[Field]] = {}
    for target, value in pairs:
        found = out.setdefault(target, set())
        for col in _columns_in(value):
            if col.table and col.table.lower() != alias:
                continue  # the target's own old value, not a source
            if query is not None:
                found |= _sources(query, col.name, schema, region, failed)
            elif isinstance(using, exp.Table):
                found.add((athena_table(region, using.db or "default", using.name), col.name))
    return out


def _update(tree: exp.Update, schema: Schema, region: str, failed: list[str]) -> dict[str, set[Field]]:
    """``UPDATE t SET c = <value>``: the value's scalar subqueries' sources, and the target's own columns it
    names (the same row's); a subquery only in ``WHERE`` filters and copies nothing."""
    target = tree.this
    if not isinstance(target, exp.Table):
        return {}
    out: dict[str, set[Field]] = {}
    for eq in tree.expressions:
        if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
            continue
        found = out.setdefault(eq.this.name, set())
        for sub in eq.expression.find_all(exp.Subquery):
            query = _select_of(sub)
            if query is not None and query.selects:
                named = query.copy()  # an unnamed ``max(ssn)`` gets a name lineage can follow
                named.set("expressions", [exp.alias_(named.selects[0].copy(), "_value"), *named.selects[1:]])
                found |= _sources(named, "_value", schema, region, failed)
        for col in _columns_in(eq.expression):
            if col.find_ancestor(exp.Subquery) is None:
                found.add((athena_table(region, target.db or "default", target.name), col.name))
    return out


def column_lineage(sql: str, region: str, schema: Schema) -> dict[str, set[Field]]:
    """Output column of the written table -> the source columns its values come from (may be empty).

    A statement that writes no rows from a query has none; one sqlglot cannot parse, or whose column it cannot
    follow, raises ``ColumnLineageError`` (its lineage is unknown, not empty). The answer is a
    function of the statement, the region and the columns known, so it is remembered for them:
    a pipeline run asks the same ~27 statements every time (sqlglot's lineage took ~0.7 s a run).
    """
    known = json.dumps(schema)  # in order: an INSERT without a column list maps by the table's column order
    return {column: set(sources) for column, sources in _column_lineage(sql, region, known)}


@lru_cache(maxsize=512)
def _column_lineage(sql: str, region: str, known: str) -> tuple[tuple[str, frozenset[Field]], ...]:
    """``column_lineage`` for ``known``, the schema as JSON (hashable, in its order); immutable for the cache."""
    return tuple(
        (column, frozenset(sources)) for column, sources in _lineage_of(sql, region, json.loads(known)).items()
    )


def _lineage_of(sql: str, region: str, schema: Schema) -> dict[str, set[Field]]:
    """``_flows`` of the statement; ``ColumnLineageError`` when it does not parse or a column cannot be followed."""
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(sql, read=READ))
    except SqlglotError as err:
        raise ColumnLineageError(f"cannot parse: {str(err).splitlines()[0]}") from None
    failed: list[str] = []
    out = {k: v for k, v in _flows(tree, schema, region, failed).items() if v}
    if failed:
        raise ColumnLineageError(f"cannot follow column(s) {'; '.join(failed)}", out)
    return out


def _flows(tree: exp.Expression, schema: Schema, region: str, failed: list[str]) -> dict[str, set[Field]]:
    if isinstance(tree, exp.Merge):
        return _merge(tree, schema, region, failed)
    if isinstance(tree, exp.Update):
        return _update(tree, schema, region, failed)
    if isinstance(tree, exp.Insert | exp.Create):
        query = _select_of(tree.expression)
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if query is None or not isinstance(target, exp.Table):
            return {}
        query = _expanded(query, schema)
        if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema) and tree.this.expressions:
            names = [c.name for c in tree.this.expressions]
        elif isinstance(tree, exp.Insert):
            names = list(schema.get(target.db.lower(), {}).get(target.name.lower(), {}))
        else:
            names = [p.alias_or_name for p in query.selects]
        out: dict[str, set[Field]] = {}
        for name, projection in zip(names, query.selects, strict=False):
            if projection.alias_or_name and (
                found := _sources(query, projection.alias_or_name, schema, region, failed)
            ):
                out[name] = found
        return out
    return {}


def flows_from(start: Field, edges: Iterable[tuple[Field, Field]]) -> list[Field]:
    """Every column ``start`` flows into (transitively), sorted; ``edges`` are ``(source, target)``."""
    into: dict[Field, set[Field]] = {}
    for source, target in edges:
        into.setdefault(source, set()).add(target)
    seen: set[Field] = set()
    todo = [start]
    while todo:
        for nxt in into.get(todo.pop(), ()):
            if nxt not in seen and nxt != start:
                seen.add(nxt)
                todo.append(nxt)
    return sorted(seen)


def unreadable(stmt: SqlStatement, why: object) -> ColumnLineageError:
    """The error naming the statement whose lineage is unknown: its file and line, job and first words."""
    text = " ".join(stmt.sql.split())
    shown = text if len(text) <= 120 else text[:117] + "..."
    return ColumnLineageError(f"{stmt.where} ({stmt.job}): {why}; statement: {shown}")


def pipeline_column_edges(statements: Iterable[SqlStatement], region: str) -> list[tuple[Field, Field]]:
    """``(source, target)`` column edges of a whole pipeline run, each statement resolved against the
    columns its run's DDL declared so far (what the emitter sends, without a catalog).

    A statement sqlglot cannot parse or follow raises ``ColumnLineageError`` naming it (``unreadable``):
    skipped, it would leave the flows it makes out of every answer, and a check would judge them absent."""
    schema: Schema = {}
    edges: list[tuple[Field, Field]] = []
    for stmt in statements:
        try:
            io = statement_io(stmt.sql, region)
        except SqlLineageError as err:
            raise unreadable(stmt, err) from None
        for ref, cols in io.schemas.items():
            _, database, table = ref.name.split(".", 2)
            schema.setdefault(database, {})[table] = {c.name: c.type for c in cols}
        if io.outputs:
            try:
                flows = column_lineage(stmt.sql, region, schema)
            except ColumnLineageError as err:
                raise unreadable(stmt, err) from None
            edges += [(src, (io.outputs[0], col)) for col, srcs in flows.items() for src in srcs]
    return edges
