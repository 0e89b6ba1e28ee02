"""``EXECUTE name [USING v1, v2, ...]`` and ``?`` parameters bound as Athena binds them.

Athena keeps prepared statements per workgroup (CreatePreparedStatement and the other calls take ``WorkGroup``;
"EXECUTE statement_name [USING value1 [ ,value2, ... ] ]", docs.aws.amazon.com/athena/latest/ug/
querying-with-prepared-statements-execute.html): a query's EXECUTE runs the statement of the query's own workgroup,
the caller passes ``lookup`` for it. The statement's ``?`` marks take the USING values in order (or
StartQueryExecution's ``ExecutionParameters``, for a statement or a query without USING), as Trino's
``QueryPreparer`` binds them; a count that differs is Trino's ``INVALID_PARAMETER_USAGE`` "Incorrect number of
parameters: expected N but found M", an unknown name its ``NOT_FOUND`` "Prepared statement not found: name"
(``Session.getPreparedStatement``).

Binding is textual over sqlglot's tokens, so a ``?`` inside a string literal or a comment is not a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import sqlglot
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from lakehouse.emulator.sql.errors import AthenaError

#: ``EXECUTE name [USING ...]``: the statement name as Athena's StatementName pattern allows it.
_EXECUTE = re.compile(r"^\s*EXECUTE\s+([A-Za-z_][A-Za-z0-9_@:]*)(?:\s+USING\s+(.*?))?[\s;]*$", re.I | re.S)
_TRINO = Dialect.get_or_raise("trino")
#: Tokens that stand alone as a value: bound as written, other values are bound in parentheses.
_ATOMS = frozenset({TokenType.NUMBER, TokenType.STRING, TokenType.NULL, TokenType.TRUE, TokenType.FALSE})


def resolve(sql: str, lookup: Callable[[str], str | None], execution_parameters: Sequence[str] = ()) -> str:
    """The statement to run for ``sql``: an EXECUTE's prepared statement (``lookup`` by name, in the query's
    workgroup) with its parameters bound, a query with ``?`` marks bound to ``execution_parameters``, else ``sql``."""
    match = _EXECUTE.match(sql)
    if match is None:
        return bind(sql, execution_parameters) if execution_parameters or "?" in sql else sql
    name, using = match.group(1), match.group(2)
    statement = lookup(name)
    if statement is None:
        raise AthenaError("NOT_FOUND", f"Prepared statement not found: {name}")
    return bind(statement, _values(using) if using else execution_parameters)


def bind(statement: str, values: Sequence[str]) -> str:
    """``statement`` with its ``?`` marks replaced, in order, by ``values`` (SQL expressions)."""
    marks = _marks(statement)
    if len(marks) != len(values):
        raise AthenaError(
            "INVALID_PARAMETER_USAGE",
            f"line 1:1: Incorrect number of parameters: expected {len(marks)} but found {len(values)}",
        )
    bound = statement
    for position, value in reversed(list(zip(marks, values, strict=True))):
        bound = bound[:position] + _operand(value) + bound[position + 1 :]
    return bound


def _marks(sql: str) -> list[int]:
    """The offsets of the ``?`` parameter marks in ``sql`` (not those in literals or comments)."""
    try:
        tokens = _TRINO.tokenize(sql)
    except SqlglotError:
        return []  # the parser reports the statement's own syntax error
    return [t.start for t in tokens if t.token_type == TokenType.PLACEHOLDER]


def _values(using: str) -> list[str]:
    """The USING list's values, each as its own SQL text (commas inside them kept)."""
    try:
        select = sqlglot.parse_one(f"SELECT {using}", read="trino")
    except SqlglotError as err:
        raise AthenaError("SYNTAX_ERROR", f"line 1:1: the USING values of EXECUTE do not parse: {using}") from err
    return [value.sql(dialect="trino") for value in select.expressions]


def _operand(value: str) -> str:
    """``value`` as it stands in place of a ``?``: a lone literal as written, anything else parenthesised."""
    try:
        tokens = _TRINO.tokenize(value)
    except SqlglotError:
        tokens = []
    alone = len(tokens) == 1 or (len(tokens) == 2 and tokens[0].token_type == TokenType.DASH)
    return value if alone and tokens[-1].token_type in _ATOMS else f"({value})"
