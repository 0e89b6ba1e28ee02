"""Whether a Lake Formation data cells filter's row filter lets every row through.

Lake Formation reads ``RowFilter.FilterExpression`` as a PartiQL condition on the table's columns. ``AllRowsWildcard``
and the expression ``TRUE`` are its documented spellings of all rows, but any condition that is always true opens
every row just the same: ``1=1``, ``'a'='a'``, ``NOT false``, ``country = 'DE' OR true``. The expression is parsed
and constant-folded with sqlglot's simplifier: what folds to TRUE lets every row through.

Conditions on columns that hold for every row are folded first (``_fold_columns``): ``x IS NULL OR x IS NOT NULL``
(in either order), ``x IS NOT DISTINCT FROM x``, ``coalesce(x, 0) = coalesce(x, 0)``. ``x = x`` is NULL when ``x``
is NULL, and a NULL row filter drops the row: it is every row only when the table's schema says ``x`` is NOT NULL
(an Iceberg required field, ``required``), or beside ``OR x IS NULL``, and its type holds no NaN (``NaN = NaN`` is
FALSE in Trino: on a ``double`` the NaN rows are dropped). What still references a column restricts rows
(data-dependent conditions such as ``region IN (...every value present...)`` are left to the data).

Conditions the simplifier leaves whole are first spelled out as the AND/OR/NOT they stand for, exactly in SQL's
three-valued logic (``_as_logic``): ``CASE``/``IF`` (``CASE WHEN c THEN a ELSE b END`` is ``(c IS TRUE AND a) OR
(NOT c IS TRUE AND b)``), ``IN`` lists (``x IN (a, b)`` is ``x = a OR x = b``), ``BETWEEN`` and ``coalesce``. ``c OR
NOT c`` (either order) is every row only when ``c`` is never NULL (``_never_null``): for a NULL ``c`` it is NULL, and
the row is dropped. ``x > 1 OR x <= 1`` is such a complement only when ``x`` cannot be NaN (its Glue type is an
integer, decimal, string, date, timestamp or boolean): Trino compares NaN false both ways, so on a ``double`` the
NaN rows are dropped. ``x > '1' OR x <= '1'`` on an integer is no tautology but an error: Trino compares no varchar
with a number (``row_filter_types``), and every query through the filter fails. Ranges that overlap or touch (``x >
1 OR x <= 2``, ``x < 3 OR x = 3 OR x > 3``, on integers ``x >= 1 OR x <= 0``, ``x > 1.5 OR x <= 1``; on
``decimal(10,2)`` ``x >= 1.01 OR x <= 1.00``), and ranges that reach both ends of their type (``x >= -128`` on a
``tinyint``, ``s >= ''`` on a ``varchar``), are every row on the same terms (``row_filter_ranges``).
A comparison with NULL is NULL: ``1 IN (2, NULL)`` admits no row, and a struct field (``addr.country``) is never NOT
NULL by the top-level column of its name (``_path``). Lake Formation itself accepts only a
PartiQL subset (no functions, no column compared with a column, no date or timestamp column; the emulator refuses the
rest at CreateDataCellsFilter, ``emulator.sql.row_filter_syntax``); the wider forms are still read, as the engine
enforcing the filter would run them. No verdict needs them: a filter Lake Formation refuses is never read back, so
reading one can turn no healthy stack red.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.simplify import simplify

from lakehouse.checks.row_filter_ranges import covered_column
from lakehouse.checks.row_filter_types import refused

#: Comparisons of an expression with itself: true (``_SELF_TRUE``) or false (``_SELF_FALSE``) when it is not NULL.
_SELF_TRUE = (exp.EQ, exp.GTE, exp.LTE)
_SELF_FALSE = (exp.NEQ, exp.GT, exp.LT)
#: Expressions not NULL when their operands are not (division is left out: ``x / 0`` is NULL in some engines).
_STRICT = (exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.DPipe)
#: Functions giving a new value at each call: ``random() = random()`` is no tautology.
_VOLATILE = {"rand", "random", "uuid", "gen_random_uuid"}
#: Comparisons, NULL exactly when an operand is NULL (on the scalar values a row filter compares).
_COMPARISONS = _SELF_TRUE + _SELF_FALSE
#: ``a > b`` is ``NOT a <= b`` (and so on) when neither is NULL or NaN; ``a > b`` is ``b < a``.
_ORDER_NEGATED: dict[type[exp.Expr], type[exp.Binary]] = {
    exp.GT: exp.LTE,
    exp.GTE: exp.LT,
    exp.LT: exp.GTE,
    exp.LTE: exp.GT,
}
_ORDER_MIRRORED: dict[type[exp.Binary], type[exp.Binary]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
}
#: Glue types whose values all order (prefixes: ``decimal(10,2)``, ``varchar(20)``): no NaN among them.
_ORDERED_TYPES = (
    "tinyint",
    "smallint",
    "int",
    "bigint",
    "decimal",
    "string",
    "varchar",
    "char",
    "date",
    "timestamp",
    "boolean",
)


def _volatile(node: exp.Expr) -> bool:
    return any(
        isinstance(n, exp.Func) and (n.sql_name().lower() in _VOLATILE or str(n.name).lower() in _VOLATILE)
        for n in node.walk()
    )


def _path(column: exp.Column) -> str:
    """A column reference as the path it names, lower case: ``country``, or ``addr.country`` for field ``country``
    of struct ``addr`` (never the top-level column ``country``: the schema's NOT NULL says nothing of the field)."""
    return ".".join(p.name for p in column.parts).lower()


def _not_null(node: exp.Expr, required: Collection[str], used: set[str]) -> bool:
    """Whether ``node`` is never NULL: a literal, a NOT NULL column (noted in ``used``), a coalesce with such an
    argument, or arithmetic over such operands."""
    if isinstance(node, exp.Null):
        return False
    if isinstance(node, (exp.Literal, exp.Boolean)):
        return True
    if isinstance(node, exp.Column):
        if _path(node) in required:
            used.add(node.name)
            return True
        return False
    if isinstance(node, exp.Coalesce):
        return any(_not_null(a, required, used) for a in [node.this, *node.expressions])
    if isinstance(node, _STRICT):
        operands = [a for a in (node.this, node.args.get("expression")) if isinstance(a, exp.Expression)]
        return bool(operands) and all(_not_null(a, required, used) for a in operands)
    return False


def _branches(pairs: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None) -> exp.Expr:
    """``CASE WHEN c THEN a ... ELSE b END`` as ``(c IS TRUE AND a) OR (NOT c IS TRUE AND ...b)``: the branch of
    the first condition that is TRUE (a NULL or FALSE one falls through), else ``b`` (NULL when there is none)."""
    rest = default.copy() if default is not None else exp.null()
    for condition, value in reversed(pairs):
        taken = exp.Is(this=exp.paren(condition), expression=exp.true())
        rest = exp.or_(exp.and_(taken, value), exp.and_(exp.not_(taken), rest))
    return rest


def _as_logic(node: exp.Expr) -> exp.Expr | None:
    """A condition the simplifier leaves whole (``CASE``, ``IF``, ``IN`` a list, ``BETWEEN``, ``coalesce``) as the
    AND/OR/NOT it stands for, the same value in three-valued logic for every row; None for any other node."""
    if isinstance(node, exp.Case):
        subject = node.this
        pairs = [
            (exp.EQ(this=subject.copy(), expression=i.this.copy()) if subject is not None else i.this, i.args["true"])
            for i in node.args.get("ifs") or []
        ]
        return _branches(pairs, node.args.get("default"))
    if isinstance(node, exp.If):
        return _branches([(node.this, node.args["true"])], node.args.get("false"))
    listed = node.expressions and not any(node.args.get(k) for k in ("query", "unnest", "field"))
    if isinstance(node, exp.In) and listed:
        return exp.or_(*(exp.EQ(this=node.this.copy(), expression=e.copy()) for e in node.expressions))
    if isinstance(node, exp.Between):
        x, low, high = node.this, node.args["low"], node.args["high"]
        ranges = [(low, high), (high, low)] if node.args.get("symmetric") else [(low, high)]
        within = [exp.and_(x.copy() >= a.copy(), x.copy() <= b.copy()) for a, b in ranges]
        return exp.or_(*within)
    if isinstance(node, exp.Coalesce) and node.expressions:  # the first non-NULL argument
        first, (second, *rest) = node.this, node.expressions
        tail = exp.Coalesce(this=second.copy(), expressions=[e.copy() for e in rest]) if rest else second
        missing = exp.Is(this=exp.paren(first), expression=exp.null())
        return exp.or_(exp.and_(exp.not_(missing), first), exp.and_(missing, tail))
    return None


def _fold_columns(
    node: exp.Expr, required: Collection[str], used: set[str], ordered: Collection[str], positive: bool = True
) -> Any:
    """``node`` with comparisons of an expression with itself and NULL tests of a never-NULL expression folded.

    ``A = A``, ``A >= A``, ``A <= A`` and ``A <> A`` fold only for an ``A`` that cannot be NaN (``_nan_free_value``:
    Trino compares NaN false even with itself, so ``x = x`` drops a ``double``'s NaN rows); ``A > A`` and ``A < A``
    are FALSE for NaN too. Exact folds apply anywhere. Under no NOT (``positive``), where a NULL condition drops the
    row as FALSE does, ``A = A`` also becomes ``A IS NOT NULL`` and ``A <> A`` FALSE for a nullable ``A``; under NOT
    they are kept. CASE, IF, IN, BETWEEN and coalesce are spelled out first (``_as_logic``); ``c IS TRUE`` folds
    ``c`` as under no NOT (NULL and FALSE alike are not TRUE); ``(a = b) IS NULL`` is ``a IS NULL OR b IS NULL``.
    """
    if isinstance(node, (exp.And, exp.Or)):
        return node.__class__(
            this=_fold_columns(node.this, required, used, ordered, positive),
            expression=_fold_columns(node.expression, required, used, ordered, positive),
        )
    if isinstance(node, exp.Paren):
        return exp.Paren(this=_fold_columns(node.this, required, used, ordered, positive))
    if isinstance(node, exp.Not):
        return exp.Not(this=_fold_columns(node.this, required, used, ordered, not positive))
    logic = _as_logic(node)
    if logic is not None:
        return _fold_columns(logic, required, used, ordered, positive)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Boolean) and node.expression.this:
        return exp.Is(this=_fold_columns(node.this, required, used, ordered), expression=exp.true())
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        compared = node.this.unnest()
        if isinstance(compared, _COMPARISONS):
            tests = [exp.Is(this=a.copy(), expression=exp.Null()) for a in (compared.this, compared.expression)]
            return _fold_columns(exp.or_(*tests), required, used, ordered, positive)
        return exp.false() if _not_null(node.this, required, used) else node
    same = isinstance(node, exp.Binary) and node.this == node.expression and not _volatile(node)
    if same and isinstance(node, exp.NullSafeEQ):
        return exp.true()
    if same and isinstance(node, exp.NullSafeNEQ):
        return exp.false()
    if same and isinstance(node, _SELF_TRUE + (exp.NEQ,)) and not _nan_free_value(node.this, ordered):
        return node  # NaN = NaN is FALSE in Trino: the NaN rows are dropped
    if same and isinstance(node, _SELF_TRUE + _SELF_FALSE):
        if _not_null(node.this, required, used):
            return exp.true() if isinstance(node, _SELF_TRUE) else exp.false()
        if positive:
            return (
                exp.Not(this=exp.Is(this=node.this, expression=exp.Null()))
                if isinstance(node, _SELF_TRUE)
                else (exp.false())
            )
    return node


def _never_null(condition: exp.Expr, required: Collection[str], used: set[str]) -> bool:
    """Whether ``condition`` is TRUE or FALSE for every row, never NULL: a NULL test, AND/OR/NOT of such, or a
    comparison of never-NULL operands (``_not_null``)."""
    condition = condition.unnest()
    if isinstance(condition, (exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ)):
        return True
    if isinstance(condition, exp.Not):
        return _never_null(condition.this, required, used)
    if isinstance(condition, (exp.And, exp.Or) + _COMPARISONS):
        return all(_never_null(a, required, used) for a in (condition.this, condition.expression))
    return _not_null(condition, required, used)


def _nan_free(type_name: str) -> bool:
    """Whether a Glue column type orders every value: integers, decimals, strings, dates, timestamps, booleans.
    ``double``/``float`` hold NaN, which Trino (Athena) compares false both ways: ``x > 1`` and ``x <= 1`` both
    FALSE for a NaN ``x``; nested types are left out."""
    return type_name.strip().lower().startswith(_ORDERED_TYPES)


def _nan_free_value(node: exp.Expr, ordered: Collection[str]) -> bool:
    """Whether ``node`` is never NaN: a column of a NaN-free type (``ordered``), a constant other than a ``double``
    one (``1e3``), or a coalesce or arithmetic (no division) over such."""
    if isinstance(node, exp.Boolean):
        return True
    if isinstance(node, exp.Literal):
        return node.is_string or "e" not in node.this.lower()
    if isinstance(node, exp.Column):
        return node.name.lower() in ordered and not node.table  # ``s.b``: a nested field, not column ``b``
    if isinstance(node, exp.Coalesce):
        return all(_nan_free_value(a, ordered) for a in [node.this, *node.expressions])
    if isinstance(node, _STRICT):
        operands = [a for a in (node.this, node.args.get("expression")) if isinstance(a, exp.Expression)]
        return bool(operands) and all(_nan_free_value(a, ordered) for a in operands)
    return False


def _orderable(condition: exp.Expr, ordered: Collection[str]) -> bool:
    """Whether each operand of an ordering comparison is a column of a NaN-free type (``ordered``) or a constant."""
    operands = [o.this if isinstance(o, exp.Neg) else o for o in (condition.this, condition.expression)]
    return all(
        isinstance(o, exp.Literal) or (isinstance(o, exp.Column) and o.name.lower() in ordered and not o.table)
        for o in operands
    )


def _negations(condition: exp.Expr, ordered: Collection[str]) -> list[exp.Expr]:
    """``condition`` negated as the simplifier writes it: ``NOT c`` as ``c``, ``a = b`` as ``a <> b`` and back,
    and, when its operands hold no NaN (``_orderable``), ``a > b`` as ``a <= b`` or ``b >= a`` (and so on)."""
    condition = condition.unnest()
    if isinstance(condition, exp.Not):
        return [condition.this.unnest()]
    if isinstance(condition, (exp.EQ, exp.NEQ)):
        flipped = exp.NEQ if isinstance(condition, exp.EQ) else exp.EQ
        return [flipped(this=condition.this.copy(), expression=condition.expression.copy())]
    opposite = _ORDER_NEGATED.get(type(condition))
    if opposite is not None and _orderable(condition, ordered):
        a, b = condition.this, condition.expression
        mirrored = _ORDER_MIRRORED[opposite]
        return [opposite(this=a.copy(), expression=b.copy()), mirrored(this=b.copy(), expression=a.copy())]
    return [exp.Not(this=condition.copy())]


def _complements(
    node: exp.Expr, required: Collection[str], used: set[str], ordered: Collection[str], types: Mapping[str, str]
) -> exp.Expr:
    """``c OR ... OR NOT c`` (either order) as TRUE when ``c`` is never NULL: a NULL ``c`` makes it NULL, and the
    row is dropped. Beside ``OR x IS NULL``, ``x`` counts as NOT NULL (where it is NULL, that disjunct admits the
    row). A volatile ``c`` (``random() > 0.5``) is drawn anew on each side: no complement. ``x > 1 OR x <= 1`` is
    a complement only over ``ordered`` columns (``_negations``). Comparisons of one never-NULL column with constants
    of its type whose ranges leave no value out (``x > 1 OR x <= 2``) are TRUE too (``row_filter_ranges``)."""

    def fold(n: exp.Expr) -> exp.Expr:
        if isinstance(n, (exp.And, *_COMPARISONS)):  # a lone range: ``x >= -128`` on a ``tinyint``
            candidates = {c: t for c, t in types.items() if c in required and c in ordered}
            covered = covered_column([n], candidates)
            used.update({covered} if covered else set())
            return exp.true() if covered else n
        if not isinstance(n, exp.Or):
            return n
        parts = [p.unnest() for p in n.flatten()]
        tested = {
            _path(p.this)
            for p in parts
            if isinstance(p, exp.Is) and isinstance(p.expression, exp.Null) and isinstance(p.this, exp.Column)
        }
        for part in parts:
            noted: set[str] = set()
            complement = any(n in parts for n in _negations(part, ordered))
            if complement and not _volatile(part) and _never_null(part, {*required, *tested}, noted):
                used.update(c for c in noted if c.lower() in required)
                return exp.true()
        never_null = {*required, *tested}
        candidates = {c.lower(): t for c, t in types.items() if c.lower() in never_null and c.lower() in ordered}
        covered = covered_column(parts, candidates)
        if covered is not None:
            used.update({covered} & set(required))
            return exp.true()
        return n

    return node.transform(fold)


def _constant_value(node: exp.Expr) -> exp.Expr:
    """``node`` as TRUE, FALSE or NULL when SQL's three-valued logic fixes it for every row (a comparison with a
    NULL operand is NULL: ``1 IN (2, NULL)`` is ``1 = 2 OR 1 = NULL``, NULL, and admits no row), else ``node``."""
    node = node.unnest()
    if isinstance(node, _COMPARISONS) and any(isinstance(o.unnest(), exp.Null) for o in (node.this, node.expression)):
        return exp.null()
    if isinstance(node, exp.Not):
        inner = _constant_value(node.this)
        if isinstance(inner, exp.Boolean):
            return exp.Boolean(this=not inner.this)
        return inner if isinstance(inner, exp.Null) else node
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        inner = _constant_value(node.this)
        return exp.Boolean(this=isinstance(inner, exp.Null)) if isinstance(inner, (exp.Boolean, exp.Null)) else node
    if isinstance(node, (exp.And, exp.Or)):
        values = [_constant_value(a) for a in (node.this, node.expression)]
        deciding = isinstance(node, exp.Or)  # TRUE decides an OR, FALSE an AND, whatever the other side
        if any(isinstance(v, exp.Boolean) and v.this is deciding for v in values):
            return exp.Boolean(this=deciding)
        if all(isinstance(v, (exp.Boolean, exp.Null)) for v in values):
            return exp.null() if any(isinstance(v, exp.Null) for v in values) else exp.Boolean(this=not deciding)
    return node


def every_row(
    row_filter: Mapping[str, Any] | None, required: Collection[str] = (), types: Mapping[str, str] | None = None
) -> str | None:
    """How a data cells filter's ``RowFilter`` lets every row through (``""``: it says so itself: none,
    ``AllRowsWildcard``, an empty or ``TRUE`` expression), or None when it restricts rows. ``required``: the
    table's NOT NULL columns (lower case); ``types``: its columns' Glue types (which ones may hold NaN).

    A filter Athena cannot run (a column compared with a constant of no common type: ``qty > '1' OR qty <= '1'`` on
    an ``int``, ``row_filter_types``) admits no row: None, its own finding. An expression sqlglot cannot parse, or
    one without a column that does not fold to TRUE or FALSE, is the same for every row: it may let every row
    through, and counts as doing so (the reason says why), as a filter that could not be read counts as opening
    every column.
    """
    if not row_filter or "AllRowsWildcard" in row_filter:
        return ""
    expression = str(row_filter.get("FilterExpression") or "").strip()
    if expression.upper() in ("", "TRUE"):
        return ""
    if refused(row_filter, types) is not None:
        return None  # Athena cannot run it: no row, the query fails (``security_grants.refused_filter_problems``)
    try:
        parsed = sqlglot.parse_one(expression)
    except SqlglotError as err:
        return f"row filter {expression!r} could not be parsed ({str(err).splitlines()[0]}): it may admit every row"
    used: set[str] = set()
    required = {c.lower() for c in required}
    types = {c.lower(): kind for c, kind in (types or {}).items()}
    ordered = {c for c, kind in types.items() if _nan_free(kind)}
    # Complements are sought before the simplifier rewrites ``NOT (a AND b)`` and after it has folded constants.
    folded = _complements(_fold_columns(parsed, required, used, ordered), required, used, ordered, types)
    folded = _constant_value(simplify(_complements(simplify(folded), required, used, ordered, types)))
    if isinstance(folded, exp.Boolean):
        because = f" ({', '.join(sorted(used))} NOT NULL in the table's schema)" if used else ""
        return f"row filter {expression!r}, always true{because}" if folded.this else None
    if isinstance(folded, exp.Null) or folded.find(exp.Column) is not None:
        return None  # no row (NULL is not true), or a condition on the row's columns
    return f"row filter {expression!r} references no column: the same for every row, it may admit them all"
