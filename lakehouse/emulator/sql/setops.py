"""Set operations Athena (Trino) refuses and DuckDB answers: UNION, EXCEPT or INTERSECT of columns whose types
have no common type (a varchar against a date, number or boolean; a number against a date or boolean; a date
against a time; an array against a scalar; ...).

DuckDB finds a common type and runs (``SELECT '2026-03-01' EXCEPT SELECT DATE '2026-03-01'`` is empty there: the
string equals the date); Trino folds each column's type over the branches, left to right, and fails the statement
when two have no common super type: "column 1 in EXCEPT query has incompatible types: varchar, date"
(TYPE_MISMATCH, at the operator). Exit 2's ``matches`` contract compares Gold with a query by EXCEPT, so a Gold
``order_date`` stored as a string matched locally and failed on AWS. The branches' column types are sqlglot's
(``typed``), judged by Trino's rules (``trino_types``); a column whose type sqlglot cannot tell, or a NULL
(Trino's ``unknown``, which coerces to anything), takes the other branch's type; a type those rules do not
judge is let through.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from lakehouse.emulator.sql.errors import AthenaError, where
from lakehouse.emulator.sql.trino_types import compatible, family, trino_name, trino_type

#: A branch column: its type (None when not judged) and the name Trino's message gives it.
_Column = tuple[exp.DataType | None, str]
_OPERATOR = re.compile(r"\b(UNION|EXCEPT|INTERSECT)\b", re.IGNORECASE)


def combines(tree: exp.Expression) -> bool:
    """Whether ``tree`` has a set operation to type at all."""
    return any(True for _ in tree.find_all(exp.SetOperation))


def _column(select: exp.Expr) -> _Column:
    """A branch column's type and the name Trino gives it (a string literal is ``varchar(n)``)."""
    kind = trino_type(select) if isinstance(select, exp.Expression) else None
    if kind is None or family(kind) is None or kind.this == exp.DataType.Type.NULL:
        return None, "unknown"
    return kind, trino_name(kind)


def _columns(query: exp.Expr, sql: str) -> list[_Column] | None:
    """The types and type names of ``query``'s output columns, each set operation in it checked; None when
    a branch cannot be read column by column (a star sqlglot did not expand, VALUES it did not wrap)."""
    if isinstance(query, exp.Subquery):
        return _columns(query.this, sql)
    if isinstance(query, exp.SetOperation):
        return _fold(query, sql)
    if isinstance(query, exp.Select):
        if any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star) for s in query.selects):
            return None
        return [_column(s) for s in query.selects]
    return None


def _fold(node: exp.SetOperation, sql: str) -> list[_Column] | None:
    """Trino's column types of ``node``: the left branch's, then each column's common type with the right's;
    TYPE_MISMATCH when a column's two have no common type."""
    left, right = _columns(node.left, sql), _columns(node.right, sql)
    if left is None or right is None or len(left) != len(right) or node.args.get("by_name"):
        return None  # DuckDB refuses a different number of columns itself
    folded: list[_Column] = []
    for i, ((ltype, lname), (rtype, rname)) in enumerate(zip(left, right, strict=True), start=1):
        if compatible(ltype, rtype) is False:
            name = type(node).__name__.upper()
            raise AthenaError(
                "TYPE_MISMATCH",
                f"{_at(sql, node)}column {i} in {name} query has incompatible types: {lname}, {rname}",
            )
        folded.append((ltype, _wider(lname, rname)) if ltype is not None else (rtype, rname))
    return folded


def _wider(left: str, right: str) -> str:
    """The common type's name where Trino's is plain to tell (two varchars: the longer); otherwise the left's."""
    lengths = [re.fullmatch(r"varchar(?:\((\d+)\))?", n) for n in (left, right)]
    if all(lengths):
        bounds = [m.group(1) for m in lengths if m is not None]
        return "varchar" if None in bounds else f"varchar({max(int(b) for b in bounds if b is not None)})"
    return left


def _at(sql: str, node: exp.SetOperation) -> str:
    """Trino's ``line L:C: `` of the set operation's keyword: the first one after the left branch's last token."""
    ends = [n.meta["end"] for n in node.left.walk() if isinstance(n.meta, dict) and "end" in n.meta]
    found = _OPERATOR.search(sql, max(ends) + 1) if ends else None
    if found is None:
        return where(sql, node)
    line = sql.count("\n", 0, found.start()) + 1
    return f"line {line}:{found.start() - (sql.rfind(chr(10), 0, found.start()) + 1) + 1}: "


def _inner_first(node: exp.Expression) -> Iterator[exp.SetOperation]:
    """``node``'s set operations, each after those inside it and left ones first: the order Trino analyses them."""
    for child in node.iter_expressions():
        yield from _inner_first(child)
    if isinstance(node, exp.SetOperation):
        yield node


def refuse_incompatible_set_operations(sql: str, typed: exp.Expression) -> None:
    """Raise TYPE_MISMATCH, as Athena does, for the first set operation in ``typed`` (a statement of ``sql`` as
    ``typed.annotate`` returns it) with a column whose branches' types have no common type."""
    if not combines(typed):
        return
    for node in _inner_first(typed):
        _fold(node, sql)
