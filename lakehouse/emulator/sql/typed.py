"""A statement with sqlglot's types on its expressions, for the checks that refuse what Trino cannot type.

DuckDB coerces where Trino refuses (``comparisons``, ``setops``); those checks judge the types sqlglot infers
(``qualify`` + ``annotate_types``) from the tables' column types as DuckDB holds them. A statement sqlglot cannot
type is not judged: the checks never refuse on a guess.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify


def _as_query(tree: exp.Expression) -> exp.Expression:
    """A SELECT holding the conditions of a MERGE (``ON``), DELETE or UPDATE (``WHERE``) over the same tables:
    sqlglot types columns only within a query's scope. Other statements are returned (copied) as they are."""
    if isinstance(tree, exp.Merge):
        return exp.select("*").from_(tree.this.copy()).join(tree.args["using"].copy(), on=tree.args["on"].copy())
    if isinstance(tree, exp.Delete | exp.Update):
        query = exp.select("*").from_(tree.this.copy())
        if (source := tree.args.get("from")) is not None:
            query = query.join(source.this.copy())
        condition = tree.args.get("where")
        return query.where(condition.this.copy()) if condition is not None else query
    return tree.copy()


def annotate(tree: exp.Expression, schema: Mapping[str, Mapping[str, str]]) -> exp.Expression | None:
    """A typed copy of ``tree`` (not changed), whose tables are ``schema``'s (table name -> column -> DuckDB
    type); None when sqlglot cannot type it (then DuckDB judges, as before)."""
    try:
        return annotate_types(
            qualify(_as_query(tree), schema=dict(schema), dialect="trino", validate_qualify_columns=False),
            schema=dict(schema),
            dialect="trino",
        )
    except (SqlglotError, KeyError, ValueError):
        return None
