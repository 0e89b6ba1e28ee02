"""Column-level lineage of one statement (sqlglot's ``lineage``), and where a column flows.

For the table a statement writes, each column is mapped to the source columns its value is
computed from: ``INSERT INTO t [(cols)] SELECT ...`` by position, ``CREATE TABLE t AS SELECT``
by name, ``MERGE INTO t USING (SELECT ...) s`` through its ``UPDATE SET`` and ``INSERT [(cols)]
VALUES`` back into the ``USING`` query, ``UPDATE t SET c = (SELECT ...)`` through its scalar
subqueries. sqlglot resolves each value through CTEs, subqueries, joins and every side of a UNION to
catalog tables, given the tables' columns (``Schema``: the pipeline's DDL or the catalog). A column it
cannot place in one table as Athena would (unqualified in a join, ambiguous, of a table whose columns are
unknown) is an error naming it, not a column with no lineage.
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
from sqlglot.optimizer.qualify_columns import Resolver
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import ensure_schema

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


def _source_label(scope: Scope, name: str, schema: Schema) -> str:
    """A source as a message names it: its table, or its alias; "(columns unknown)" for a table no schema lists."""
    source = scope.sources.get(name)
    if not isinstance(source, exp.Table):
        return name
    label = f"{source.db}.{source.name}" if source.db else source.name
    return label if source.name.lower() in schema.get(source.db.lower(), {}) else f"{label} (columns unknown)"


def _unresolved_in(scope: Scope, select: exp.Select, schema: Schema) -> list[str]:
    """The columns of one SELECT (``scope``'s) sqlglot cannot place in one source, each with why."""
    sources = [*scope.selected_sources, *scope.lateral_sources]
    out: list[str] = []
    for projection in select.selects:  # qualify expanded every ``*`` whose tables it knows
        star = projection if isinstance(projection, exp.Star) else projection.this
        if isinstance(star, exp.Star):
            of = [projection.table] if isinstance(projection, exp.Column) and projection.table else sources
            labels = ", ".join(_source_label(scope, n, schema) for n in of)
            out.append(f"{projection.sql(dialect=READ)}: the columns it writes are unknown (it reads {labels})")
    if not scope.is_correlated_subquery:  # a correlated one's outer columns are its parent's to resolve
        out += [f"{c.sql(dialect=READ)}: no table or alias {c.table} here" for c in scope.external_columns if c.table]
    if len(sources) < 2:
        return out  # one source: an unqualified column can only be its (sqlglot's lineage takes it there)
    resolver = Resolver(scope, ensure_schema(cast(dict[str, object], _with_hidden(schema)), dialect=READ))
    for column in scope.unqualified_columns:
        having = [n for n in sources if column.name in resolver.get_source_columns(n)]
        labels = ", ".join(_source_label(scope, n, schema) for n in (having if len(having) > 1 else sources))
        why = "ambiguous (Athena refuses it), a column of" if len(having) > 1 else "a column of none of"
        out.append(f"{column.name}: {why} {labels}")
    return out


def _unresolved(query: exp.Expression, schema: Schema) -> list[str]:
    """What in ``query`` sqlglot cannot place as Athena would, each with why: an unqualified column of a join
    that no known schema holds, or more than one does (Athena refuses that one); a qualifier naming no table;
    a ``*`` of a table whose columns are unknown. sqlglot's lineage follows such a column nowhere and says
    nothing (or makes one ``*`` field of a whole table), so a join could carry ``ssn`` into Gold unseen."""
    try:
        done = qualify(
            query.copy(),
            schema=cast(dict[str, object], _with_hidden(schema)),
            dialect=READ,
            validate_qualify_columns=False,
            identify=False,
        )
        return [
            why
            for scope in traverse_scope(done)
            if isinstance(scope.expression, exp.Select)
            for why in _unresolved_in(scope, scope.expression, schema)
        ]
    except (SqlglotError, KeyError, ValueError) as err:
        return [str(err).splitlines()[0]]


def _columns_in(value: exp.Expression) -> list[exp.Column]:
    return [value] if isinstance(value, exp.Column) else list(value.find_all(exp.Column))


def _select_of(query: exp.Expression | None) -> exp.Select | None:
    """The query whose projections name the output columns (a UNION's left side)."""
    node: exp.Expression | None = query
    while isinstance(node, exp.SetOperation | exp.Subquery):
        node = cast(exp.Expression, node.left if isinstance(node, exp.SetOperation) else node.this)
    return node if isinstance(node, exp.Select) else None


def _query_of(node: exp.Expression | None) -> exp.Select | exp.SetOperation | None:
    """The whole query a statement writes from, every side of a UNION (its left side only names the columns:
    lineage of the left alone would lose what the other sides carry)."""
    while isinstance(node, exp.Subquery):
        node = node.this
    return node if isinstance(node, exp.Select | exp.SetOperation) and _select_of(node) is not None else None


def _expanded(query: exp.Select | exp.SetOperation, schema: Schema) -> exp.Select | exp.SetOperation:
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
    return done if isinstance(done, exp.Select | exp.SetOperation) else query


def _merge(tree: exp.Merge, schema: Schema, region: str, failed: list[str]) -> dict[str, set[Field]]:
    using = tree.args.get("using")
    alias = using.alias_or_name.lower() if using is not None else ""
    query = _query_of(using) if isinstance(using, exp.Subquery) else None
    if query is not None:
        failed += _unresolved(query, schema)
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
            query = _query_of(sub)
            if query is not None and (first := _select_of(named := query.copy())) is not None and first.selects:
                # an unnamed ``max(ssn)`` gets a name lineage can follow
                first.set("expressions", [exp.alias_(first.selects[0].copy(), "_value"), *first.selects[1:]])
                # resolved where Athena does: a scalar subquery of a row of the target, which it may name
                failed += _unresolved(exp.select(exp.Subquery(this=query.copy())).from_(target.copy()), schema)
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
        whole = _query_of(tree.expression)
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if whole is None or not isinstance(target, exp.Table):
            return {}
        failed += _unresolved(whole, schema)
        whole = _expanded(whole, schema)
        query = cast(exp.Select, _select_of(whole))
        if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema) and tree.this.expressions:
            names = [c.name for c in tree.this.expressions]
        elif isinstance(tree, exp.Insert):
            names = list(schema.get(target.db.lower(), {}).get(target.name.lower(), {}))
        else:
            names = [p.alias_or_name for p in query.selects]
        out: dict[str, set[Field]] = {}
        for name, projection in zip(names, query.selects, strict=False):
            if projection.alias_or_name and (
                found := _sources(whole, projection.alias_or_name, schema, region, failed)
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


def created_columns(sql: str, schema: Schema) -> dict[str, str]:
    """The columns a ``CREATE TABLE ... AS SELECT`` makes: its query's output names (``*`` expanded), each
    ``varchar`` (lineage needs names only). A later statement's join or ``*`` over that table resolves against
    them; without, its unqualified columns would be unknown. None for any other statement."""
    try:
        tree = sqlglot.parse_one(sql, read=READ)
    except SqlglotError:
        return {}
    whole = _query_of(tree.expression) if isinstance(tree, exp.Create) else None
    query = _select_of(_expanded(whole, schema)) if whole is not None else None
    if query is None or isinstance(tree.this, exp.Schema):
        return {}
    names = [p.alias_or_name for p in query.selects]
    return {} if any(not n or n == "*" for n in names) else dict.fromkeys(names, "varchar")


def pipeline_column_edges(statements: Iterable[SqlStatement], region: str) -> list[tuple[Field, Field]]:
    """``(source, target)`` column edges of a whole pipeline run, each statement resolved against the
    columns its run's DDL declared so far, a CTAS's those its query makes (what the emitter sends, without a
    catalog).

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
        if io.outputs and not io.schemas and (made := created_columns(stmt.sql, schema)):
            _, database, table = io.outputs[0].name.split(".", 2)
            schema.setdefault(database, {})[table] = made
        if io.outputs:
            try:
                flows = column_lineage(stmt.sql, region, schema)
            except ColumnLineageError as err:
                raise unreadable(stmt, err) from None
            edges += [(src, (io.outputs[0], col)) for col, srcs in flows.items() for src in srcs]
    return edges
