"""A statement with sqlglot's types on its expressions, for the checks that refuse what Trino cannot type.

DuckDB coerces where Trino refuses (``comparisons``, ``setops``, ``assignments``); those checks judge the types
sqlglot infers (``qualify`` + ``annotate_types``) from the tables' column types as DuckDB holds them, with the
precision and bounds Athena gives them (``athena_columns``). A statement sqlglot cannot
type is not judged: the checks never refuse on a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify


def _assigned(tree: exp.Expression) -> list[exp.Expression]:
    """Copies of the values an UPDATE's ``SET`` or a MERGE's ``WHEN`` clauses write (``SET``, ``INSERT VALUES``)."""
    clauses = [w.args.get("then") for w in tree.args["whens"].expressions] if isinstance(tree, exp.Merge) else [tree]
    values: list[exp.Expression] = []
    for then in clauses:
        if isinstance(then, exp.Update):
            values += [eq.expression.copy() for eq in then.expressions if isinstance(eq, exp.EQ)]
        elif isinstance(then, exp.Insert) and isinstance(then.expression, exp.Tuple):
            values += [v.copy() for v in then.expression.expressions]
    return values


def _when_conditions(merge: exp.Merge) -> list[exp.Expression]:
    """Copies of the ``AND <condition>`` of a MERGE's ``WHEN [NOT] MATCHED`` clauses: Trino types them as its ``ON``."""
    whens = merge.args.get("whens")
    found = [w.args.get("condition") for w in (whens.expressions if whens else [])]
    return [c.copy() for c in found if isinstance(c, exp.Expression)]


def _as_query(tree: exp.Expression, assigned: bool = True, whens: bool = True) -> exp.Expression:
    """A SELECT holding the conditions of a MERGE (``ON``; ``whens``: its ``WHEN`` clauses' ``AND``), DELETE or
    UPDATE (``WHERE``) over the same tables, and (``assigned``) the values a MERGE or UPDATE writes as its columns:
    sqlglot types columns only within a query's scope. Other statements are returned (copied) as they are."""
    values = _assigned(tree) if assigned and isinstance(tree, exp.Merge | exp.Update) else []
    if isinstance(tree, exp.Merge):
        conditions = _when_conditions(tree) if whens else []
        query = exp.select("*", *conditions, *values).from_(tree.this.copy())
        return query.join(tree.args["using"].copy(), on=tree.args["on"].copy())
    if isinstance(tree, exp.Delete | exp.Update):
        query = exp.select("*", *values).from_(tree.this.copy())
        if (source := tree.args.get("from")) is not None:
            query = query.join(source.this.copy())
        condition = tree.args.get("where")
        return query.where(condition.this.copy()) if condition is not None else query
    return tree.copy()


def annotate(tree: exp.Expression, schema: Mapping[str, Mapping[str, str]]) -> exp.Expression | None:
    """A typed copy of ``tree`` (not changed), whose tables are ``schema``'s (table name -> column -> DuckDB
    type); None when sqlglot cannot type it (then DuckDB judges, as before). A MERGE or UPDATE whose written values
    sqlglot cannot place is typed without them (its conditions are judged as before), then a MERGE without its
    ``WHEN`` conditions."""
    tries = [(True, True), (False, True)] if isinstance(tree, exp.Merge | exp.Update) else [(True, True)]
    if isinstance(tree, exp.Merge):
        tries.append((False, False))
    for assigned, whens in tries:
        try:
            return annotate_types(
                qualify(
                    _as_query(tree, assigned, whens),
                    schema=dict(schema),
                    dialect="trino",
                    validate_qualify_columns=False,
                ),
                schema=dict(schema),
                dialect="trino",
            )
        except (SqlglotError, KeyError, ValueError):
            continue
    return None


#: DuckDB's names for the types whose precision Athena states for an Iceberg column (microseconds).
_ICEBERG_PRECISION = {
    "TIMESTAMP": "TIMESTAMP(6)",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP(6) WITH TIME ZONE",
    "TIME": "TIME(6)",
}
_BOUNDED = re.compile(r"^(?:var)?char\(\d+\)$", re.IGNORECASE)


def athena_columns(
    columns: Mapping[str, str], kind: str | None, declared: Sequence[tuple[str, str]] = ()
) -> dict[str, str]:
    """A table's columns (name -> DuckDB type) typed as Athena types them, for Trino's messages: an Iceberg
    ``timestamp`` or ``time`` is ``timestamp(6)`` (Athena reads Iceberg's microseconds; a Hive one keeps Trino's
    default, 3), a Hive column declared ``varchar(n)`` or ``char(n)`` keeps its bound (DuckDB drops it)."""
    typed = dict(columns)
    if kind == "iceberg":
        typed = {name: _ICEBERG_PRECISION.get(t.upper(), t) for name, t in typed.items()}
    for name, hive_type in declared:
        if name in typed and _BOUNDED.match(hive_type.strip()):
            typed[name] = hive_type.strip().upper()
    return typed
